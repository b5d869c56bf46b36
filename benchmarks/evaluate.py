"""Relevance harness: nDCG@10, recall@10 and MRR of the product's own search on judged queries.

    python -m benchmarks.evaluate --corpus corpus --qrels seed-dev.json         # archive documents
    python -m benchmarks.evaluate --docs docs.jsonl --qrels qrels.json          # prepared documents
    python -m benchmarks.evaluate --api http://127.0.0.1:8000 --qrels seed-dev.json  # a server

Both modes index into a temporary folder with the product's analysis and schema and run every
query through ``SearchEngine.search`` (query language, fallbacks, ranking) exactly as the API
does; only segmentation is bypassed for prepared documents. Judgments: ``{"queries": {query:
{key: grade}}}`` keyed by article title (``--corpus``) or document id (``--docs``); graded
judgments use gain 2^g - 1.
"""

from __future__ import annotations

import json
import math
import random
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import click

from search.engine import SearchEngine

K = 10


@dataclass
class QueryScore:
    query: str
    ndcg: float
    recall: float
    rr: float
    first_relevant: int | None
    total: int


def dcg(gains: Iterable[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def score_query(query: str, ranked: list[str], judged: dict[str, int], total: int) -> QueryScore:
    """Score one ranked list of keys against graded judgments."""
    gains = [2 ** judged.get(key, 0) - 1 for key in ranked[:K]]
    ideal = sorted((2**g - 1 for g in judged.values() if g > 0), reverse=True)[:K]
    ndcg = dcg(gains) / dcg(ideal) if ideal else 0.0
    relevant = {k for k, g in judged.items() if g > 0}
    found = [k for k in ranked[:K] if k in relevant]
    first = next((i + 1 for i, k in enumerate(ranked) if k in relevant), None)
    rr = 1.0 / first if first and first <= K else 0.0
    recall = len(found) / len(relevant) if relevant else 0.0
    return QueryScore(query, ndcg, recall, rr, first, total)


def load_qrels(path: Path, sample: int | None = None, seed: int = 13) -> dict[str, dict[str, int]]:
    queries = json.loads(path.read_text(encoding="utf-8"))["queries"]
    if sample and sample < len(queries):
        keys = sorted(queries)
        random.Random(seed).shuffle(keys)
        queries = {k: queries[k] for k in sorted(keys[:sample])}
    return queries


def build_from_corpus(corpus: Path, index: Path):
    """Index archive documents with the product's segmentation; key hits by title."""
    from indexer.build import rebuild

    rebuild(corpus, index)
    return "title"


def build_from_docs(docs: Path, index: Path):
    """Index prepared {id, title, body} documents (segmentation bypassed); key hits by id."""
    from indexer.build import write_index
    from indexer.corpus import Article
    from search.store import finish_build, new_build_dir, switch_to, write_manifest

    def articles():
        with docs.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    row = json.loads(line)
                    yield Article(str(row["id"]), docs.name, None, row["title"], None, row["body"])

    build = new_build_dir(index)
    count = write_index(build, articles())
    write_manifest(build, {"articles": count, "corpus": str(docs)})
    switch_to(index, finish_build(build))
    return "id"


def evaluate(engine: SearchEngine, qrels: dict[str, dict[str, int]], key: str) -> list[QueryScore]:
    """Run every judged query through the engine and score its top results."""
    scores = []
    for query, judged in qrels.items():
        result = engine.search(query, per_page=K, snippets=False)
        ranked = [getattr(hit, key) for hit in result.hits]
        scores.append(score_query(query, ranked, judged, result.total))
    return scores


def evaluate_api(base_url: str, qrels: dict[str, dict[str, int]], key: str) -> list[QueryScore]:
    """Run every judged query through a running server's /api/search and score the results."""
    import requests

    scores = []
    with requests.Session() as session:
        for query, judged in qrels.items():
            response = session.get(
                f"{base_url.rstrip('/')}/api/search", params={"q": query, "per_page": K}, timeout=60
            )
            response.raise_for_status()
            data = response.json()
            ranked = [hit[key] for hit in data["results"]]
            scores.append(score_query(query, ranked, judged, data["total"]))
    return scores


def summary(scores: list[QueryScore]) -> dict[str, float]:
    n = len(scores) or 1
    return {
        "ndcg10": sum(s.ndcg for s in scores) / n,
        "recall10": sum(s.recall for s in scores) / n,
        "mrr": sum(s.rr for s in scores) / n,
        "zero": sum(1 for s in scores if s.total == 0),
        "queries": len(scores),
    }


def summary_line(stats: dict[str, float]) -> str:
    return (
        f"nDCG@10={stats['ndcg10']:.3f} R@10={stats['recall10']:.3f} MRR={stats['mrr']:.3f} "
        f"zero={stats['zero']} queries={stats['queries']}"
    )


def build_in_solr(corpus: Path | None, docs: Path | None, solr_url: str) -> tuple:
    """Index into the SolrCloud at ``solr_url`` (alias ``eval``); return (engine, key)."""
    from indexer import solr
    from search.solr import SolrClient, SolrEngine, node_urls

    alias = "eval"
    if corpus:
        solr.rebuild(corpus, solr_url, alias)
        return SolrEngine(solr_url, alias, budget_s=60), "title"
    rows = [json.loads(line) for line in docs.open(encoding="utf-8") if line.strip()]
    prepared = [{"id": str(r["id"]), "title": r["title"], "body": r["body"],
                 "source": docs.name, "source_label": docs.name} for r in rows]  # fmt: skip
    solr.replace_collection(SolrClient(node_urls(solr_url)), prepared, alias)
    return SolrEngine(solr_url, alias, budget_s=60), "id"


def run(corpus: Path | None, docs: Path | None, qrels_path: Path, sample: int | None = None,
        solr_url: str | None = None):  # fmt: skip
    """Build a temporary index (or a Solr collection), evaluate, and return (per-query
    scores, summary stats)."""
    qrels = load_qrels(qrels_path, sample)
    if solr_url:
        engine, key = build_in_solr(corpus, docs, solr_url)
        scores = evaluate(engine, qrels, key)
        return scores, summary(scores)
    with tempfile.TemporaryDirectory(prefix="search-eval-") as tmp:
        index = Path(tmp) / "index"
        key = build_from_corpus(corpus, index) if corpus else build_from_docs(docs, index)
        scores = evaluate(SearchEngine(index), qrels, key)
    return scores, summary(scores)


@click.command()
@click.option("--corpus", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--docs", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--api", help="Evaluate a running server's /api/search instead of a fresh index.")
@click.option(
    "--key",
    type=click.Choice(["title", "id"]),
    default="title",
    show_default=True,
    help="With --api: which result field the judgments are keyed by.",
)
@click.option(
    "--qrels", type=click.Path(path_type=Path, dir_okay=False, exists=True), required=True
)
@click.option("--sample", type=int, default=None, help="Evaluate a fixed random sample of queries.")
@click.option(
    "--solr-url",
    help="Index into this SolrCloud (alias 'eval') and evaluate the Solr backend instead.",
)
@click.option(
    "--per-query", "-v", is_flag=True, help="Print nDCG@10 and first relevant rank per query."
)
def main(corpus, docs, api, key, qrels, sample, solr_url, per_query):
    """Evaluate search relevance on judged queries."""
    if sum(map(bool, (corpus, docs, api))) != 1:
        raise click.UsageError("give exactly one of --corpus, --docs or --api")
    started = time.perf_counter()
    if api:
        scores = evaluate_api(api, load_qrels(qrels, sample), key)
        stats = summary(scores)
    else:
        scores, stats = run(corpus, docs, qrels, sample, solr_url)
    if per_query:
        width = min(60, max(len(s.query) for s in scores))
        click.echo(f"{'query':<{width}}  nDCG@10  first  total")
        for s in sorted(scores, key=lambda s: s.ndcg):
            first = str(s.first_relevant) if s.first_relevant else "-"
            click.echo(f"{s.query[:width]:<{width}}  {s.ndcg:7.3f}  {first:>5}  {s.total:5d}")
    click.echo(f"({time.perf_counter() - started:.1f} s)", err=True)
    click.echo(summary_line(stats))


if __name__ == "__main__":
    sys.exit(main())
