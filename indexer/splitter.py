"""Split one archive document's text into articles (headline + paragraphs) by weighing evidence.

The archive text comes from HTML pages flattened to plain text, so its layout is irregular:
headlines may be separated from bodies by blank lines, whitespace-only lines or nothing at all;
a headline may be glued to the last sentence of the previous article
(``...Komisji Europejskiej.Spotkanie z grupą...``); paragraphs are hard-wrapped mid-sentence;
the last sentence of an article may have no final period; and a headline may be a question, an
exclamation or two sentences. No single rule decides: every line (and every point where a
sentence end is glued to a capitalised word) is a candidate break, described by features of its
layout, its shape, its neighbours and its document (``indexer.features``), and a logistic model
(``splitter_model.json``, trained by ``python -m benchmarks.splitter train``) weighs them. Every
decision can be explained feature by feature (``Break.evidence``).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from indexer.features import (
    FEATURES_VERSION,
    GLUE_POINT,
    Candidate,
    DocumentStats,
    TitleProfile,
    candidate_features,
    profile_features,
)

MAX_TITLE_CHARS = 250  # a "headline" longer than this is prose whatever the model says
REREADINGS = 2  # the second reading repeated with the style its own headlines show
NEAR = 0.2  # rejected breaks above this belief are kept for the audit
MAX_ARTICLE_CHARS = 100_000  # longer articles are cut into parts

HEADER_ARCHIVE = re.compile(r"^\s*archiwum\b", re.IGNORECASE)
HEADER_KIND = re.compile(r"^\s*dokument\s+archiwalny\s*$", re.IGNORECASE)


@dataclass
class RawArticle:
    """An article as found in the text, before ids and dates are assigned."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    line: int = 0  # 1-based line of the headline in the file (0: text before any headline)
    probability: float = 1.0  # the model's belief that the headline opens an article
    parts: int = 1  # an article too long for one was cut into this many (see _cap)
    part: int = 1  # which of them this is

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass
class ParsedDocument:
    """The header's institution and the articles of one archive document."""

    institution: str | None
    articles: list[RawArticle]
    has_preamble: bool = False  # text before the first headline was kept as an article
    near_misses: list[tuple[int, str, float]] = field(default_factory=list)  # (line, text, p)


@dataclass(frozen=True)
class Stage:
    """One logistic reading: a weight per feature and a bias."""

    weights: dict[str, float]
    bias: float

    def probability(self, features: dict[str, float]) -> float:
        weights = self.weights
        z = self.bias
        for name, value in features.items():
            if value and name in weights:
                z += weights[name] * value
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_dict(self) -> dict:
        return {"weights": self.weights, "bias": self.bias}


@dataclass(frozen=True)
class Model:
    """Two readings of a document: lines on their own, then against the document's headlines.

    The first reading scores each candidate from its layout, shape and neighbours; the
    headlines it finds give the document's house style (``TitleProfile``), and the second
    reading scores every candidate again with that style as further evidence.
    """

    first: Stage
    second: Stage
    threshold: float

    def evidence(self, features: dict[str, float]) -> list[tuple[str, float]]:
        """Each feature's contribution to the final score, largest first."""
        parts = [(k, self.second.weights.get(k, 0.0) * v) for k, v in features.items()]
        return sorted((p for p in parts if p[1]), key=lambda p: -abs(p[1]))

    def to_dict(self) -> dict:
        return {
            "first": self.first.to_dict(),
            "second": self.second.to_dict(),
            "threshold": self.threshold,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Model:
        def stage(d: dict) -> Stage:
            return Stage(dict(d["weights"]), float(d["bias"]))

        return cls(stage(data["first"]), stage(data["second"]), float(data["threshold"]))


def _model_text() -> str:
    return resources.files("indexer").joinpath("splitter_model.json").read_text("utf-8")


@cache
def default_model() -> Model:
    """The model shipped with the package."""
    return Model.from_dict(json.loads(_model_text()))


@cache
def splitter_version() -> str:
    """Identifies the splitting rules: a build split by other rules must be redone whole."""
    digest = hashlib.sha1(f"{FEATURES_VERSION}\0{_model_text()}".encode()).hexdigest()
    return f"{FEATURES_VERSION}-{digest[:12]}"


@dataclass
class Break:
    """One candidate break: where it is, the model's belief, and the evidence for it."""

    line: int
    text: str
    probability: float
    features: dict[str, float]
    accepted: bool


def normalize_text(text: str) -> str:
    """Unify newlines and spaces so that whitespace-only lines become empty lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    text = re.sub(r"[\u00a0\u2007\u202f\t\u200b\u3000]", " ", text)
    return "\n".join(" ".join(line.split()) for line in text.split("\n"))


def _split_header(lines: list[str]) -> tuple[str | None, int]:
    """Return (institution, index of the first line after the header)."""
    nonblank = [i for i, line in enumerate(lines[:6]) if line]
    if len(nonblank) >= 2 and HEADER_KIND.match(lines[nonblank[1]]):
        first = lines[nonblank[0]]
        _archive, sep, institution = first.partition(" - ")
        return (institution if sep else first).strip(), nonblank[1] + 1
    if nonblank and HEADER_ARCHIVE.match(lines[nonblank[0]]) and " - " in lines[nonblank[0]]:
        return lines[nonblank[0]].partition(" - ")[2].strip(), nonblank[0] + 1
    return None, 0


def _candidates(lines: list[str], start: int) -> list[Candidate]:
    """Every logical line after the header, with the blank lines around it.

    A line that starts in lower case right under another continues it (a hard wrap), as
    does one under a line ending in a hyphen: no headline starts that way.
    """
    out: list[Candidate] = []
    blanks = 0
    for number, line in enumerate(lines[start:], start=start + 1):
        if not line:
            blanks += 1
            continue
        if out and not blanks and (line[0].islower() or out[-1].text.endswith(("-", "–"))):
            joiner = "" if re.search(r"\w-$", out[-1].text) else " "
            out[-1].text = f"{out[-1].text}{joiner}{line}"
            continue
        out.append(Candidate(text=line, line=number, blank_before=blanks if out else 99))
        blanks = 0
    for cand, nxt in zip(out, out[1:], strict=False):
        cand.blank_after = nxt.blank_before
    if out:
        out[-1].blank_after = 99
    return out


def glue_trials(cands: list[Candidate], i: int, stats: DocumentStats):
    """Each way of cutting candidate i at a glued sentence end: (cut, tail's features)."""
    cand = cands[i]
    following = cands[i + 1] if i + 1 < len(cands) else None
    after = cands[i + 2] if i + 2 < len(cands) else None
    # A glued headline ends its line, so only the last MAX_TITLE_CHARS characters can hold one.
    # (A glue point at that limit follows the character before it: the match starts there.)
    for match in GLUE_POINT.finditer(cand.text, max(0, len(cand.text) - MAX_TITLE_CHARS - 1)):
        at = match.end()
        head, tail = cand.text[:at], cand.text[at:]
        trial = Candidate(tail, cand.line, blank_before=0, blank_after=cand.blank_after, glued=True)
        yield at, candidate_features(trial, head, following, stats, after)


def cut(cands: list[Candidate], i: int, at: int) -> None:
    """Split candidate i into the end of its paragraph and a glued headline."""
    cand = cands[i]
    tail = Candidate(cand.text[at:], cand.line, 0, cand.blank_after, glued=True)
    cands[i] = Candidate(cand.text[:at], cand.line, cand.blank_before, 0)
    cands.insert(i + 1, tail)


def _unglue(cands: list[Candidate], stats: DocumentStats, model: Model) -> list[Candidate]:
    """Split 'last sentence.Next headline' where the first reading believes in the tail."""
    for i in range(len(cands) - 1, -1, -1):
        trials = [(model.first.probability(f), at) for at, f in glue_trials(cands, i, stats)]
        best = max(trials, default=None)
        if best and best[0] >= model.threshold:
            cut(cands, i, best[1])
    return cands


def prepare(text: str) -> tuple[str | None, list[Candidate], DocumentStats]:
    """The document's institution, its candidate lines and its layout statistics."""
    lines = normalize_text(text).split("\n")
    institution, start = _split_header(lines)
    cands = _candidates(lines, start)
    return institution, cands, DocumentStats.of(cands)


def line_features(cands: list[Candidate], stats: DocumentStats) -> list[dict[str, float] | None]:
    """First-reading features of every candidate (None: too long to be a headline)."""
    out: list[dict[str, float] | None] = []
    for i, cand in enumerate(cands):
        if len(cand.text) > MAX_TITLE_CHARS:
            out.append(None)
            continue
        prev = cands[i - 1].text if i > 0 else None
        following = cands[i + 1] if i + 1 < len(cands) else None
        after = cands[i + 2] if i + 2 < len(cands) else None
        out.append(candidate_features(cand, prev, following, stats, after))
    return out


def with_profile(
    cands: list[Candidate], feats: list[dict[str, float] | None], stage: Stage
) -> list[dict[str, float] | None]:
    """Second-reading features: each line against the headlines an earlier reading found."""
    probs = [stage.probability(f) if f is not None else 0.0 for f in feats]
    # The first line is a headline whatever its layout: it does not show the house style.
    profile = TitleProfile.of(cands[1:], probs[1:])
    return [
        None if f is None else {**f, **profile_features(c, profile)}
        for c, f in zip(cands, feats, strict=True)
    ]


def score_breaks(text: str, model: Model | None = None) -> tuple[str | None, list[Break]]:
    """Return the document's institution and every candidate break with its evidence."""
    model = model or default_model()
    institution, cands, stats = prepare(text)
    cands = _unglue(cands, stats, model)
    feats = with_profile(cands, line_features(cands, stats), model.first)
    breaks = []
    for cand, f in zip(cands, feats, strict=True):
        if f is None:
            breaks.append(Break(cand.line, cand.text, 0.0, {"too_long": 1.0}, False))
            continue
        p = model.second.probability(f)
        breaks.append(Break(cand.line, cand.text, p, f, p >= model.threshold))
    _resolve_adjacent(breaks)
    return institution, breaks


def _resolve_adjacent(breaks: list[Break]) -> None:
    """An article needs a body: of two headlines in a row, the weaker one becomes text."""
    for i in range(len(breaks) - 1, -1, -1):
        if not breaks[i].accepted:
            continue
        nxt = breaks[i + 1] if i + 1 < len(breaks) else None
        if nxt is None:
            breaks[i].accepted = False  # the document's last line cannot open an article
        elif nxt.accepted:
            weaker = breaks[i] if breaks[i].probability < nxt.probability else nxt
            weaker.accepted = False


def _pieces(paragraph: str) -> list[str]:
    """A paragraph cut between words into pieces of at most MAX_ARTICLE_CHARS (linear time)."""
    out, start, n = [], 0, len(paragraph)
    while n - start > MAX_ARTICLE_CHARS:
        limit = start + MAX_ARTICLE_CHARS
        cut = paragraph.rfind(" ", start + MAX_ARTICLE_CHARS // 2, limit)
        cut = cut if cut > 0 else limit
        out.append(paragraph[start:cut])
        start = cut + 1 if paragraph[cut : cut + 1] == " " else cut
    return [*out, paragraph[start:]] if start < n else out


def _cap(article: RawArticle) -> list[RawArticle]:
    """An article over MAX_ARTICLE_CHARS as parts under it ("… (część 2)"), so that no
    search or snippet has to read an unbounded text; the audit reports it."""
    if len(article.body) <= MAX_ARTICLE_CHARS:
        return [article]
    parts: list[list[str]] = [[]]
    size = 0
    for paragraph in (p for para in article.paragraphs for p in _pieces(para)):
        if parts[-1] and size + len(paragraph) > MAX_ARTICLE_CHARS:
            parts.append([])
            size = 0
        parts[-1].append(paragraph)
        size += len(paragraph) + 2
    out = []
    for n, paragraphs in enumerate(parts, start=1):
        title = article.title if n == 1 else f"{article.title} (część {n})"
        out.append(RawArticle(title, paragraphs, article.line, article.probability, part=n))
    out[0].parts = len(parts)
    return out


def _join_wrapped(lines: list[str]) -> list[str]:
    """Join hard-wrapped lines: a line continues when the next one starts in lower case."""
    paragraphs: list[str] = []
    for line in lines:
        if paragraphs and line and line[0].islower():
            paragraphs[-1] = f"{paragraphs[-1]} {line}"
        else:
            paragraphs.append(line)
    return [p for p in paragraphs if p]


def split_document(text: str, model: Model | None = None) -> ParsedDocument:
    """Parse a document's text into its institution and articles."""
    institution, breaks = score_breaks(text, model)
    articles: list[RawArticle] = []
    preamble: list[Break] = []
    near = [
        (b.line, b.text, b.probability) for b in breaks if not b.accepted and b.probability > NEAR
    ]
    for brk in breaks:
        if brk.accepted:
            articles.append(RawArticle(title=brk.text, line=brk.line, probability=brk.probability))
        elif articles:
            articles[-1].paragraphs.append(brk.text)
        else:
            preamble.append(brk)
    for article in articles:
        article.paragraphs = _join_wrapped(article.paragraphs)
    if preamble:
        # Text before the first headline is kept as an article of its own.
        paragraphs = _join_wrapped([b.text for b in preamble])
        title = paragraphs[0][:MAX_TITLE_CHARS] if len(paragraphs) == 1 else paragraphs.pop(0)
        first = RawArticle(title, paragraphs, line=preamble[0].line, probability=0.0)
        articles.insert(0, first)
    articles = [part for article in articles for part in _cap(article)]
    return ParsedDocument(institution, articles, has_preamble=bool(preamble), near_misses=near)
