"""The SolrCloud backend against the embedded Whoosh one, in the same run, on this machine.

    python -m benchmarks.solr_bench --sizes 20000,100000 [--million] [--solr-url URL]

For each size: the generated corpus of ``make bench`` (``var/bench/corpus-N``), indexed into
the cluster (alias ``benchN``, 1 shard x 2 replicas by default) and, if missing, into Whoosh;
then the keyword and question logs of ``make bench`` through both engines in one process (best of 3
per query, as ``benchmarks.run`` measures), and both behind the production server with wrk
(1 and 16 connections, a mixed log). ``--million`` also indexes 1M generated articles into the
cluster (2 shards, 1 replica: a bulk load; replicas are added after it). Without ``--solr-url``
a cluster of two nodes is started (``cluster/``). Writes ``benchmarks/out/solr.md`` and
``solr.json``. The cluster's nodes, the server and wrk all share the machine's cores.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import click

from benchmarks.queries import keyword_queries, questions
from benchmarks.run import PY, dir_mb, free_port, latency, run_measured, start_server, wrk

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"


def node_memory_mb(info: dict | None) -> list[float]:
    """Resident memory of each Solr node's JVM (when this run started the cluster)."""
    if not info:
        return []
    import psutil

    found = []
    for node in info["nodes"]:
        try:
            found.append(psutil.Process(node["pid"]).memory_info().rss / 1e6)
        except psutil.NoSuchProcess:
            found.append(0.0)
    return found


def collection_mb(solr_url: str, alias: str) -> float:
    """Bytes of the collection's index on disk, over all its replicas, in MB."""
    from indexer.solr import aliases
    from search.solr import SolrClient, node_urls

    client = SolrClient(node_urls(solr_url))
    name = aliases(client).get(alias, alias)
    total = 0
    for base in node_urls(solr_url):
        body = SolrClient([base]).request("admin/cores", {"action": "STATUS", "wt": "json"})
        for core, status in (body.get("status") or {}).items():
            if core.startswith(f"{name}_"):
                total += int((status.get("index") or {}).get("sizeInBytes") or 0)
    return total / 1e6


def bench_size(n: int, solr_url: str, work: Path, http_seconds: int, info: dict | None,
               shards: int = 1) -> dict:  # fmt: skip
    from benchmarks.generate import generate
    from indexer import solr
    from search.engine import SearchEngine
    from search.morphology import warm_up
    from search.solr import SolrEngine

    corpus, index = work / f"corpus-{n}", work / f"ours-{n}"
    if not corpus.exists():
        generate(n, corpus)
    if not index.exists():
        run_measured([PY, "-m", "indexer", "rebuild", "--corpus", str(corpus), "--index",
                      str(index)])  # fmt: skip
    alias = f"bench{n}"
    started = time.perf_counter()
    report = solr.rebuild(corpus, solr_url, alias, shards=shards, replicas=2,
                          procs=os.cpu_count() or 1)
    result: dict = {
        "articles": report.articles,
        "shards": shards,
        "solr_rebuild_s": time.perf_counter() - started,
        "solr_index_mb": collection_mb(solr_url, alias),
        "whoosh_index_mb": dir_mb(index),
        "solr_node_rss_mb": node_memory_mb(info),
    }
    warm_up()
    engines = {"whoosh": SearchEngine(index, budget_s=60), "solr": SolrEngine(solr_url, alias, 60)}
    logs = {"keywords": keyword_queries(corpus, 200), "questions": questions(200)}
    for label, queries in logs.items():
        for name, engine in engines.items():
            result[f"query_{label}_{name}"] = latency(engine.search, queries)
    for engine in engines.values():
        engine.close()

    if shutil.which("wrk"):
        mixed = logs["keywords"][:100] + logs["questions"][:100]
        for name in engines:
            port = free_port()
            env = {**os.environ, "SEARCH_BACKEND": name, "SOLR_URL": solr_url,
                   "SOLR_COLLECTION": alias}  # fmt: skip
            proc, _ = start_server([PY, "-m", "web", "--index", str(index), "--port", str(port)],
                                   port, env)  # fmt: skip
            try:
                for c in (1, 16):
                    result[f"http_{name}_c{c}"] = wrk(port, c, http_seconds, mixed)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
    return result


def million(solr_url: str, work: Path, info: dict | None, n: int = 1_000_000) -> dict:
    """A bulk load of 1M generated articles: 2 shards, 1 replica each."""
    from benchmarks.generate import generate
    from indexer import solr
    from search.solr import SolrClient, node_urls

    corpus = work / f"corpus-{n}"
    if not corpus.exists():
        started = time.perf_counter()
        generate(n, corpus)
        click.echo(f"generated {n} articles in {time.perf_counter() - started:.0f} s", err=True)
    started = time.perf_counter()
    docs, files = solr.solr_documents(corpus, procs=os.cpu_count() or 1)
    split_s = time.perf_counter() - started
    client = SolrClient(node_urls(solr_url))
    started = time.perf_counter()
    name = solr.replace_collection(client, docs, "bench1m", shards=2, replicas=1)
    feed_s = time.perf_counter() - started
    return {
        "articles": len(docs),
        "files": files,
        "corpus_mb": dir_mb(corpus),
        "split_s": split_s,
        "feed_and_commit_s": feed_s,
        "articles_per_s": len(docs) / feed_s,
        "collection": name,
        "index_mb": collection_mb(solr_url, "bench1m"),
        "solr_node_rss_mb": node_memory_mb(info),
    }


def markdown(sizes: dict[int, dict], bulk: dict | None) -> str:
    lines = ["| articles | | Whoosh (embedded) | SolrCloud (2 nodes) | ratio Solr / Whoosh |",
             "|---|---|---|---|---|"]  # fmt: skip
    for n, r in sizes.items():
        for label in ("keywords", "questions"):
            w, s = r[f"query_{label}_whoosh"], r[f"query_{label}_solr"]
            lines.append(
                f"| {n} | {label} p50 / p95 ms | {w['p50_ms']:.2f} / {w['p95_ms']:.2f} | "
                f"{s['p50_ms']:.2f} / {s['p95_ms']:.2f} | {s['p95_ms'] / w['p95_ms']:.2f}× (p95) |"
            )
        for c in (1, 16):
            w, s = r.get(f"http_whoosh_c{c}"), r.get(f"http_solr_c{c}")
            if w and s:
                lines.append(
                    f"| {n} | HTTP {c} conn.: req/s, p99 ms, errors | {w['rps']:.0f}, "
                    f"{w['p99_ms']:.0f}, {w['errors']} | {s['rps']:.0f}, {s['p99_ms']:.0f}, "
                    f"{s['errors']} | {s['rps'] / w['rps']:.2f}× (req/s) |"
                )
        lines.append(f"| {n} | index MB (all replicas for Solr) | {r['whoosh_index_mb']:.0f} | "
                     f"{r['solr_index_mb']:.0f} | |")  # fmt: skip
        lines.append(f"| {n} | Solr rebuild (split, feed, commit, alias) | | "
                     f"{r['solr_rebuild_s']:.1f} s | |")  # fmt: skip
    if bulk:
        lines += [
            "",
            f"1M bulk load: {bulk['articles']} articles from {bulk['files']} files "
            f"({bulk['corpus_mb']:.0f} MB): split {bulk['split_s']:.0f} s, feed and commit "
            f"{bulk['feed_and_commit_s']:.0f} s ({bulk['articles_per_s']:.0f} articles/s), "
            f"index {bulk['index_mb']:.0f} MB, node memory (RSS) "
            + ", ".join(f"{m:.0f} MB" for m in bulk["solr_node_rss_mb"]),
        ]
    return "\n".join(lines) + "\n"


@click.command()
@click.option("--sizes", default="20000,100000", show_default=True)
@click.option("--solr-url", help="An existing SolrCloud (default: start one from cluster/).")
@click.option("--million", "with_million", is_flag=True, help="Also bulk-load 1M articles.")
@click.option("--http-seconds", default=10, show_default=True)
@click.option("--shards", default=1, show_default=True, help="Shards (x 2 replicas).")
@click.option("--work", default=ROOT / "var" / "bench", type=click.Path(path_type=Path))
def main(sizes: str, solr_url: str | None, with_million: bool, http_seconds: int, shards: int,
         work: Path) -> None:  # fmt: skip
    """Measure the SolrCloud backend beside the embedded one."""
    from cluster.launcher import running_cluster
    from cluster.launcher import solr_url as url_of

    work.mkdir(parents=True, exist_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)

    def run(url: str, info: dict | None) -> None:
        results = {}
        for n in [int(s) for s in sizes.split(",") if s]:
            results[n] = bench_size(n, url, work, http_seconds, info, shards)
            click.echo(json.dumps({n: results[n]}), err=True)
        bulk = million(url, work, info) if with_million else None
        (OUT / "solr.json").write_text(json.dumps({"sizes": results, "million": bulk}, indent=2))
        (OUT / "solr.md").write_text(markdown(results, bulk))
        click.echo(markdown(results, bulk))

    if solr_url:
        run(solr_url, None)
    else:
        with running_cluster(work / "cluster", nodes=2, heap="2g") as info:
            run(url_of(info), info)


if __name__ == "__main__":
    main()
