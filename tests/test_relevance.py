"""Relevance floors: the harness on the judged development sets (just under what we reach).

Measured (python -m benchmarks.evaluate, full runs: ``make eval``): seed-dev nDCG@10 1.000 with no
zero-result query; PoQuAD test A nDCG@10 0.785 / MRR 0.748 (all 3,501 questions), 0.799 / 0.763
on the fixed 300-question sample used here.
"""

import os
from pathlib import Path

import pytest

from benchmarks.evaluate import run, score_query

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "relevance"
SEED_QRELS = SHARED / "seed-dev.json"
POQUAD = SHARED / "poquad-test-A"
CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def require(path: Path) -> Path:
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: CI must measure relevance")
        pytest.skip(f"{path} not found (shared/ is not beside the project)")
    return path


def test_metrics_on_a_known_ranking():
    judged = {"a": 2, "b": 1}
    perfect = score_query("q", ["a", "b", "x"], judged, 3)
    assert perfect.ndcg == pytest.approx(1.0) and perfect.rr == 1.0 and perfect.recall == 1.0
    swapped = score_query("q", ["b", "a"], judged, 2)
    assert 0.7 < swapped.ndcg < 1.0 and swapped.rr == 1.0
    missed = score_query("q", ["x", "y"], judged, 2)
    assert missed.ndcg == 0.0 and missed.rr == 0.0 and missed.first_relevant is None


def test_seed_dev_keyword_queries():
    _, stats = run(CORPUS, None, require(SEED_QRELS))
    assert stats["zero"] == 0
    assert stats["ndcg10"] >= 0.95
    assert stats["mrr"] >= 0.95


def test_poquad_sample_questions():
    _, stats = run(None, require(POQUAD / "docs.jsonl"), POQUAD / "qrels.json", sample=300)
    assert stats["ndcg10"] >= 0.78
    assert stats["mrr"] >= 0.745
