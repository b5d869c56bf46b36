"""Deterministic query logs for the benchmark: short keyword queries and long questions."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared/relevance/poquad-test-A"


def keyword_queries(corpus: Path, n: int = 200, seed: int = 7) -> list[str]:
    """1-3-word queries drawn from words of the corpus itself (as users copy words they saw)."""
    rng = random.Random(seed)
    files = sorted(corpus.glob("*.txt"))
    words: list[str] = []
    for path in rng.sample(files, min(40, len(files))):
        words += [w for w in re.findall(r"\w+", path.read_text(encoding="utf-8")) if len(w) >= 4]
    return [" ".join(rng.sample(words, rng.choice((1, 1, 2, 2, 3)))) for _ in range(n)]


def questions(n: int = 200, seed: int = 7) -> list[str]:
    """Long natural-language questions (PoQuAD test A)."""
    all_questions = sorted(json.loads((SHARED / "qrels.json").read_text())["queries"])
    return random.Random(seed).sample(all_questions, n)
