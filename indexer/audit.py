"""Doubtful splits of one document: what an archivist should look at before a rebuild.

Warnings are not errors: each names a line and a reason (two stories merged, a story cut in
two, a headline taken on weak evidence, a headline-like line kept as text, text before the first
headline, a date out of line with its neighbours).
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from datetime import date

from indexer.splitter import ParsedDocument

LONG_FACTOR = 3.0  # an article this many times the document's median length may be two
LONG_MIN_CHARS = 1500
SHORT_FACTOR = 0.2  # an article this small against the median may be half a story
SHORT_MAX_CHARS = 200
WEAK_HEADLINE = 0.75  # headlines accepted below this belief are worth a look
NEAR_HEADLINE = 0.3  # lines kept as text above this belief are worth a look
DATE_SLACK_DAYS = 92
ORDERED_SHARE = 0.8  # dates are taken as ordered when this share of steps go one way


@dataclass(frozen=True)
class Finding:
    """One warning: the line it concerns, a stable kind and a readable message."""

    line: int
    kind: str
    message: str

    def to_dict(self) -> dict:
        return asdict(self)


def _short(title: str) -> str:
    return title if len(title) <= 60 else title[:57] + "…"


def _as_date(iso: str | None) -> date | None:
    if not iso or iso.startswith("--"):
        return None
    parts = iso.split("-")
    try:
        return date(int(parts[0]), int(parts[1]) if len(parts) > 1 else 7, 1)
    except ValueError:
        return None


def _length_findings(doc: ParsedDocument) -> list[Finding]:
    articles = doc.articles
    if len(articles) < 3:
        return []
    median = statistics.median(len(a.body) for a in articles)
    out = []
    for a in articles:
        size = len(a.body)
        if size >= LONG_MIN_CHARS and size > LONG_FACTOR * median:
            out.append(
                Finding(
                    a.line,
                    "long_article",
                    (
                        f"„{_short(a.title)}” is {size / median:.1f}× the document's median "
                        "article: two stories merged under one headline?"
                    ),
                )
            )
        elif size < SHORT_MAX_CHARS and size < SHORT_FACTOR * median:
            out.append(
                Finding(
                    a.line,
                    "short_article",
                    (
                        f"„{_short(a.title)}” has only {size} characters of text: "
                        "a story cut in two?"
                    ),
                )
            )
    return out


def _evidence_findings(doc: ParsedDocument) -> list[Finding]:
    out = []
    if doc.has_preamble and doc.articles:
        out.append(
            Finding(
                doc.articles[0].line or 1,
                "text_before_headline",
                "text before the first headline was kept as an article of its own",
            )
        )
    for a in doc.articles:
        if a.parts > 1:
            out.append(
                Finding(
                    a.line or 1,
                    "huge_article",
                    f"„{_short(a.title)}” is too long for one article: indexed in {a.parts} parts",
                )
            )
        if a.line and a.probability < WEAK_HEADLINE:
            out.append(
                Finding(
                    a.line,
                    "weak_headline",
                    (
                        f"„{_short(a.title)}” was taken for a headline on weak evidence "
                        f"(p={a.probability:.2f})"
                    ),
                )
            )
    for line, text, p in doc.near_misses:
        if p >= NEAR_HEADLINE:
            out.append(
                Finding(
                    line,
                    "headline_like_text",
                    (
                        f"„{_short(text)}” looks partly like a headline but was kept as text "
                        f"(p={p:.2f})"
                    ),
                )
            )
    return out


def _date_findings(doc: ParsedDocument, dates: list[str | None]) -> list[Finding]:
    """In a document whose dates run in order, an article dated against that order."""
    days = [_as_date(d) for d in dates]
    known = [d for d in days if d]
    steps = [b - a for a, b in zip(known, known[1:], strict=False) if a != b]
    if len(steps) < 4:
        return []
    falling = sum(1 for s in steps if s.days < 0)
    if max(falling, len(steps) - falling) < ORDERED_SHARE * len(steps):
        return []  # the document is not in date order: no article is out of line
    direction = -1 if falling * 2 > len(steps) else 1
    out = []
    for i in range(1, len(days) - 1):
        before, here, after = days[i - 1], days[i], days[i + 1]
        if not (before and here and after) or direction * (after - before).days < 0:
            continue
        low, high = min(before, after), max(before, after)
        if (low - here).days > DATE_SLACK_DAYS or (here - high).days > DATE_SLACK_DAYS:
            a = doc.articles[i]
            out.append(
                Finding(
                    a.line,
                    "date_out_of_line",
                    (
                        f"„{_short(a.title)}” is dated {dates[i]}, its neighbours {dates[i - 1]} "
                        f"and {dates[i + 1]}: a headline missed above it?"
                    ),
                )
            )
    return out


def find_problems(doc: ParsedDocument, dates: list[str | None]) -> list[Finding]:
    """Every warning about a parsed document, in line order (an article cut into parts is
    judged by its first part)."""
    if not doc.articles:
        return [Finding(1, "no_articles", "no article found in the document")]
    firsts = [i for i, a in enumerate(doc.articles) if a.part == 1]
    doc = ParsedDocument(doc.institution, [doc.articles[i] for i in firsts], doc.has_preamble,
                         doc.near_misses)  # fmt: skip
    dates = [dates[i] for i in firsts]
    found = _length_findings(doc) + _evidence_findings(doc) + _date_findings(doc, dates)
    return sorted(found, key=lambda f: (f.line, f.kind))
