"""Split one archive document's text into articles (title + paragraphs).

The archive text comes from HTML pages flattened to plain text, so its layout is irregular:
titles may be separated from bodies by blank lines, whitespace-only lines or nothing at all;
a title may be glued to the last sentence of the previous article
(``...Komisji Europejskiej.Spotkanie z grupą...``); paragraphs are hard-wrapped mid-sentence;
the last sentence of an article may have no final period. The rules below describe the shape
of a title line in general terms, never a list of known titles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

UPPER = "A-ZĄĆĘŁŃÓŚŹŻ"
LOWER = "a-ząćęłńóśźżäöüßéèáíúý"
SENTENCE_END = (".", "!", "?", "…", ":", ";", ",", "-", "–")
MAX_TITLE_CHARS = 160
MAX_TITLE_WORDS = 22

# "...Komisji Europejskiej.Spotkanie z grupą..." : a sentence end glued to a capitalised word.
GLUED_TITLE = re.compile(rf"(?<=[{LOWER}]{{2}}[.!?])(?=[{UPPER}][{LOWER}])")
HEADER_ARCHIVE = re.compile(r"^\s*archiwum\b", re.IGNORECASE)
HEADER_KIND = re.compile(r"^\s*dokument\s+archiwalny\s*$", re.IGNORECASE)


@dataclass
class RawArticle:
    """An article as found in the text, before ids and dates are assigned."""

    title: str
    paragraphs: list[str] = field(default_factory=list)

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass
class ParsedDocument:
    """The header fields and the articles of one archive document."""

    archive: str | None
    institution: str | None
    articles: list[RawArticle]


def normalize_text(text: str) -> str:
    """Unify newlines and spaces so that whitespace-only lines become empty lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    text = re.sub(r"[\u00a0\u2007\u202f\t\u200b]", " ", text)
    return "\n".join(line.strip() for line in text.split("\n"))


def _split_header(lines: list[str]) -> tuple[str | None, str | None, list[str]]:
    """Return (archive, institution, remaining lines) from the document's header lines."""
    nonblank = [i for i, line in enumerate(lines[:6]) if line]
    if len(nonblank) >= 2 and HEADER_KIND.match(lines[nonblank[1]]):
        first = lines[nonblank[0]]
        archive, sep, institution = first.partition(" - ")
        if not sep:
            archive, institution = first, first
        return archive.strip(), institution.strip(), lines[nonblank[1] + 1 :]
    if nonblank and HEADER_ARCHIVE.match(lines[nonblank[0]]) and " - " in lines[nonblank[0]]:
        archive, _, institution = lines[nonblank[0]].partition(" - ")
        return archive.strip(), institution.strip(), lines[nonblank[0] + 1 :]
    return None, None, lines


def _looks_like_title(line: str) -> bool:
    """Whether a line has the shape of a headline: short, capitalised, no sentence end."""
    if not line or len(line) > MAX_TITLE_CHARS or len(line.split()) > MAX_TITLE_WORDS:
        return False
    if not re.match(rf"[{UPPER}0-9„\"«]", line):
        return False
    if line.endswith(SENTENCE_END):
        return False
    # A headline is one phrase: a full stop followed by more text means running prose.
    return not re.search(rf"[{LOWER}]{{2}}\. [{UPPER}]", line)


def _unglue_titles(lines: list[str]) -> list[str]:
    """Split 'last sentence.Next title' into the sentence and a title line of its own."""
    out: list[str] = []
    for line in lines:
        parts = GLUED_TITLE.split(line)
        if len(parts) > 1 and _looks_like_title(parts[-1]):
            out.append("".join(parts[:-1]))
            out.append("")  # the title starts a new block, as if a blank line preceded it
            out.append(parts[-1])
        else:
            out.append(line)
    return out


def _is_paragraph_start(line: str | None) -> bool:
    return bool(line) and not line[0].islower()


def _next_nonblank(lines: list[str], i: int) -> tuple[int, str | None]:
    for j in range(i + 1, len(lines)):
        if lines[j]:
            return j, lines[j]
    return len(lines), None


def _is_title_at(lines: list[str], i: int) -> bool:
    """Decide whether lines[i] opens a new article, from its shape and its neighbours."""
    line = lines[i]
    if not _looks_like_title(line):
        return False
    j, following = _next_nonblank(lines, i)
    if following is None or not _is_paragraph_start(following):
        return False
    prev = lines[i - 1] if i > 0 else ""
    if prev == "":
        # After a blank line: a title unless the next block is another title-like fragment
        # of the same sentence (then this line is a paragraph continuing below).
        return True
    # No blank line before: only a title when the previous paragraph closed its sentence and
    # a real paragraph follows immediately (otherwise it is a hard-wrapped prose line).
    return (
        prev.endswith((".", "!", "?", "”", '"')) and j == i + 1 and len(following) > 2 * len(line)
    )


def _join_wrapped(lines: list[str]) -> list[str]:
    """Join hard-wrapped lines: a line continues when the next one starts in lower case."""
    paragraphs: list[str] = []
    for line in lines:
        if paragraphs and line and line[0].islower():
            paragraphs[-1] = f"{paragraphs[-1]} {line}"
        else:
            paragraphs.append(line)
    return [p for p in paragraphs if p]


def segment(text: str) -> ParsedDocument:
    """Parse a document's text into its header fields and articles."""
    lines = normalize_text(text).split("\n")
    archive, institution, lines = _split_header(lines)
    lines = _unglue_titles(lines)

    articles: list[RawArticle] = []
    preamble: list[str] = []
    current: list[str] | None = None
    for i, line in enumerate(lines):
        if not line:
            continue
        if _is_title_at(lines, i):
            articles.append(RawArticle(title=line))
            current = []
            articles[-1].paragraphs = current
        elif current is None:
            preamble.append(line)
        else:
            current.append(line)
    for article in articles:
        article.paragraphs[:] = _join_wrapped(article.paragraphs)
    if preamble:
        # Text before the first recognised title is kept as an article of its own.
        paragraphs = _join_wrapped(preamble)
        title = paragraphs[0][:MAX_TITLE_CHARS] if len(paragraphs) == 1 else paragraphs.pop(0)
        articles.insert(0, RawArticle(title=title, paragraphs=paragraphs))
    return ParsedDocument(archive=archive, institution=institution, articles=articles)
