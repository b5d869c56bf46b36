"""``make bench``: the product against the naive baseline, side by side, in one run.

For each corpus size: full rebuild (articles/s, MB/s, wall and CPU time, peak RSS of the whole
process tree, index size), incremental update of one added / edited / deleted file, query
latency with snippets (keyword queries and long questions), HTTP throughput and latency under 1
and 16 connections (wrk, loopback only), and start-up time to the first answered search.
Writes benchmarks/out/results.json and results.md; every figure has its ratio to the baseline.

    python -m benchmarks.run --sizes 2000,20000,100000
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click
import psutil

from benchmarks.generate import generate
from benchmarks.queries import keyword_queries, questions

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
PY = sys.executable


def run_measured(cmd: list[str], env: dict | None = None) -> dict:
    """Run a command; return wall and CPU seconds and the peak RSS of its process tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    # Output goes to files, not pipes: a pipe nobody reads while polling could fill and block.
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        proc = psutil.Popen(cmd, cwd=ROOT, env=env, stdout=out_file, stderr=err_file)
        peak = 0
        while proc.poll() is None:
            try:
                tree = [proc, *proc.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.1)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        out_file.seek(0)
        err_file.seek(0)
        out, err = out_file.read(), err_file.read()
    if proc.returncode:
        raise RuntimeError(f"{cmd} failed: {err.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": peak / 1e6, "stdout": out.decode()}


def dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.resolve().rglob("*") if p.is_file()) / 1e6


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    return {"p50_ms": at(50), "p95_ms": at(95), "p99_ms": at(99)}


def latency(search, queries: list[str]) -> dict:
    for q in queries[:10]:  # warm caches of the process, as a running server has them
        search(q)
    samples = []
    for q in queries:
        started = time.perf_counter()
        search(q)
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(cmd: list[str], port: int, env: dict) -> tuple[subprocess.Popen, float]:
    """Start a server; return it and the seconds until it answered a search."""
    import requests

    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/api/search?q=pomoc"
    while time.perf_counter() - started < 120:
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return proc, time.perf_counter() - started
        except requests.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"server did not start: {cmd}")


WRK_SCRIPT = """
local queries = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/search?q=" .. queries[(i %% #queries) + 1])
end
"""


def wrk(port: int, connections: int, seconds: int, queries: list[str]) -> dict:
    """Drive a loopback server with wrk for a bounded time; requests/s, latency, errors."""
    from urllib.parse import quote

    threads = min(connections, 2)
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "queries.lua"
        script.write_text(WRK_SCRIPT % ", ".join(json.dumps(quote(q)) for q in queries))
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s",
             str(script), f"http://127.0.0.1:{port}"],
            capture_output=True, text=True, timeout=seconds + 60,
        ).stdout  # fmt: skip

    def ms(label: str) -> float | None:
        m = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out)
        if not m:
            return None
        scale = {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
        return float(m.group(1)) * scale

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50_ms": ms("50%"),
        "p99_ms": ms("99%"),
        "errors": errors + (int(non2xx.group(1)) if non2xx else 0),
    }


def incremental(corpus: Path, index: Path) -> dict:
    """Seconds for `indexer update` after one file is added, edited, then deleted."""
    files = sorted(corpus.glob("*.txt"))
    source = files[len(files) // 2]
    added = corpus / "zz_bench_added.txt"
    times = {}
    cmd = [PY, "-m", "indexer", "update", "--corpus", str(corpus), "--index", str(index)]
    shutil.copy(source, added)
    times["added_s"] = run_measured(cmd)["wall_s"]
    added.write_text(added.read_text(encoding="utf-8") + "\n\nNowy artykuł\n\nTreść dopisana.\n")
    times["edited_s"] = run_measured(cmd)["wall_s"]
    added.unlink()
    times["deleted_s"] = run_measured(cmd)["wall_s"]
    return times


def split_seconds(corpus: Path) -> float:
    """CPU seconds to split (and audit) every document into articles, in one process."""
    from indexer.corpus import corpus_files, read_document, read_text

    texts = [(p.name, read_text(p)) for p in corpus_files(corpus)]
    started = time.process_time()
    for name, text in texts:
        read_document(text, name)
    return time.process_time() - started


def bench_size(n: int, http_seconds: tuple[int, int], work: Path) -> dict:
    corpus = work / f"corpus-{n}"
    if not corpus.exists():
        generate(n, corpus)
    corpus_mb = dir_mb(corpus)
    ours_ix, naive_ix = work / f"ours-{n}", work / f"naive-{n}"
    shutil.rmtree(naive_ix, ignore_errors=True)
    result: dict = {"articles": n, "corpus_mb": corpus_mb}

    ours = run_measured(
        [PY, "-m", "indexer", "rebuild", "--corpus", str(corpus), "--index", str(ours_ix)]
    )
    naive = run_measured([PY, "-m", "benchmarks.naive", "index", str(corpus), str(naive_ix)])
    for name, m, ix in (("ours", ours, ours_ix), ("naive", naive, naive_ix)):
        m.pop("stdout")
        m.update(
            articles_per_s=n / m["wall_s"], mb_per_s=corpus_mb / m["wall_s"], index_mb=dir_mb(ix)
        )
        result[f"rebuild_{name}"] = m
    result["update_ours"] = incremental(corpus, ours_ix)
    result["split_s"] = split_seconds(corpus)

    from benchmarks.naive import NaiveSearcher
    from search.engine import SearchEngine
    from search.morphology import warm_up

    warm_up()
    engine, naive_searcher = SearchEngine(ours_ix), NaiveSearcher(naive_ix)
    logs = {"keywords": keyword_queries(corpus, 200), "questions": questions(200)}
    for label, queries in logs.items():
        result[f"query_{label}_ours"] = latency(engine.search, queries)
        result[f"query_{label}_naive"] = latency(naive_searcher.search, queries)

    if shutil.which("wrk"):
        mixed = logs["keywords"][:100] + logs["questions"][:100]
        servers = {
            "ours": [PY, "-m", "web", "--index", str(ours_ix)],
            "naive": [PY, "-m", "gunicorn", "-w", "1", "benchmarks.naive_app:create()"],
        }
        for name, cmd in servers.items():
            port = free_port()
            cmd = (
                [*cmd, "--port", str(port)] if name == "ours" else [*cmd, "-b", f"127.0.0.1:{port}"]
            )
            proc, startup = start_server(cmd, port, {**os.environ, "NAIVE_INDEX": str(naive_ix)})
            try:
                result[f"startup_{name}_s"] = startup
                result[f"http_{name}_c1"] = wrk(port, 1, http_seconds[0], mixed)
                result[f"http_{name}_c16"] = wrk(port, 16, http_seconds[1], mixed)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
    return result


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}×" if a and b else "–"


def markdown(results: list[dict]) -> str:
    rows = ["| size | measure | ours | naive | ours/naive |", "|---|---|---|---|---|"]
    for r in results:
        n = f"{r['articles'] // 1000}k"
        o, b = r["rebuild_ours"], r["rebuild_naive"]
        rows.append(
            f"| {n} | rebuild articles/s | {o['articles_per_s']:.0f} | {b['articles_per_s']:.0f} | {ratio(o['articles_per_s'], b['articles_per_s'])} |"
        )
        rows.append(
            f"| {n} | rebuild wall / CPU s | {o['wall_s']:.1f} / {o['cpu_s']:.1f} | {b['wall_s']:.1f} / {b['cpu_s']:.1f} | {ratio(o['wall_s'], b['wall_s'])} |"
        )
        rows.append(
            f"| {n} | rebuild MB/s | {o['mb_per_s']:.2f} | {b['mb_per_s']:.2f} | {ratio(o['mb_per_s'], b['mb_per_s'])} |"
        )
        rows.append(
            f"| {n} | peak RSS MB | {o['peak_rss_mb']:.0f} | {b['peak_rss_mb']:.0f} | {ratio(o['peak_rss_mb'], b['peak_rss_mb'])} |"
        )
        rows.append(
            f"| {n} | index MB | {o['index_mb']:.0f} | {b['index_mb']:.0f} | {ratio(o['index_mb'], b['index_mb'])} |"
        )
        share = r["split_s"] / o["cpu_s"] if o["cpu_s"] else 0
        rows.append(
            f"| {n} | splitting into articles (CPU s, share of rebuild CPU) | {r['split_s']:.1f} ({share:.0%}) | – | – |"
        )
        u = r["update_ours"]
        rows.append(
            f"| {n} | update 1 file added/edited/deleted s | {u['added_s']:.2f} / {u['edited_s']:.2f} / {u['deleted_s']:.2f} | {b['wall_s']:.1f} (full rebuild) | {ratio(u['edited_s'], b['wall_s'])} |"
        )
        for label in ("keywords", "questions"):
            qo, qb = r[f"query_{label}_ours"], r[f"query_{label}_naive"]
            for p in ("p50_ms", "p95_ms", "p99_ms"):
                rows.append(
                    f"| {n} | query {label} {p[:3]} ms (snippets) | {qo[p]:.1f} | {qb[p]:.1f} | {ratio(qo[p], qb[p])} |"
                )
        if "startup_ours_s" in r:
            rows.append(
                f"| {n} | start-up to first search s | {r['startup_ours_s']:.2f} | {r['startup_naive_s']:.2f} | {ratio(r['startup_ours_s'], r['startup_naive_s'])} |"
            )
            for c in ("c1", "c16"):
                ho, hb = r[f"http_ours_{c}"], r[f"http_naive_{c}"]
                rows.append(
                    f"| {n} | HTTP {c} requests/s (errors) | {ho['rps']:.1f} ({ho['errors']}) | {hb['rps']:.1f} ({hb['errors']}) | {ratio(ho['rps'], hb['rps'])} |"
                )
                rows.append(
                    f"| {n} | HTTP {c} p50 / p99 ms | {ho['p50_ms']} / {ho['p99_ms']} | {hb['p50_ms']} / {hb['p99_ms']} | |"
                )
            rows.append(
                f"| {n} | HTTP 16 vs 1 connection throughput | {ratio(r['http_ours_c16']['rps'], r['http_ours_c1']['rps'])} | {ratio(r['http_naive_c16']['rps'], r['http_naive_c1']['rps'])} | |"
            )
    return "\n".join(rows) + "\n"  # fmt: skip


@click.command()
@click.option("--sizes", default="2000,20000,100000", show_default=True)
@click.option(
    "--http-seconds", default="10,30", show_default=True, help="wrk time for 1 and 16 connections."
)
@click.option(
    "--work", type=click.Path(path_type=Path), default=ROOT / "var" / "bench", show_default=True
)
def main(sizes: str, http_seconds: str, work: Path) -> None:
    """Run the benchmark and write benchmarks/out/results.{json,md}."""
    work.mkdir(parents=True, exist_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    c1, c16 = (int(x) for x in http_seconds.split(","))
    results = []
    for n in (int(s) for s in sizes.split(",")):
        click.echo(f"== {n} articles", err=True)
        results.append(bench_size(n, (c1, c16), work))
        (OUT / "results.json").write_text(json.dumps(results, indent=1))
        (OUT / "results.md").write_text(markdown(results))
    click.echo(markdown(results))


if __name__ == "__main__":
    main()
