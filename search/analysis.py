"""The Polish analyzer shared by indexing, querying and snippets.

Whoosh pickles the schema, analyzers included, into the index, so the classes here are
importable, hold no dictionaries (those live in ``search.morphology``) and are cheap to pickle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from whoosh.analysis import Filter, RegexTokenizer

from search.morphology import index_terms, split_compound
from search.stopwords import STOPWORDS

WORD_PATTERN = r"\w+"
WORD_RE = re.compile(WORD_PATTERN)
# "PomocySpołecznej": a lower-case letter followed by an upper-case one inside a word.
CAMEL_BOUNDARY = re.compile(r"(?<=[a-ząćęłńóśźż])(?=[A-ZĄĆĘŁŃÓŚŹŻ])")


@dataclass(frozen=True)
class WordTerms:
    """How one word of text is indexed: terms at its own position and, if glued, its parts."""

    surface: str
    start: int
    end: int
    terms: tuple[str, ...]
    parts: tuple[tuple[int, int, tuple[str, ...]], ...] = ()  # (start, end, terms) per part


def word_parts(word: str) -> list[tuple[int, str]]:
    """Split a glued word into (offset, part): camel case first, else dictionary words."""
    pieces = CAMEL_BOUNDARY.split(word)
    if len(pieces) > 1:
        out, offset = [], 0
        for piece in pieces:
            out.append((offset, piece))
            offset += len(piece)
        return out
    out, offset = [], 0
    for piece in split_compound(word.lower()):
        out.append((offset, piece))
        offset += len(piece)
    return out


def analyze_word(surface: str, start: int = 0) -> WordTerms | None:
    """Index terms of one word, or None for a stop word."""
    lower = surface.lower()
    if lower in STOPWORDS:
        return None
    parts = []
    for offset, piece in word_parts(surface):
        piece_lower = piece.lower()
        if piece_lower in STOPWORDS:
            continue
        begin = start + offset
        parts.append((begin, begin + len(piece), index_terms(piece_lower)))
    return WordTerms(surface, start, start + len(surface), index_terms(lower), tuple(parts))


def analyze_text(text: str) -> list[WordTerms]:
    """Analyse running text into words with their index terms (stop words dropped)."""
    out = []
    for match in WORD_RE.finditer(text):
        word = analyze_word(match.group(), match.start())
        if word is not None:
            out.append(word)
    return out


class PolishFilter(Filter):
    """Lower-case, drop stop words, lemmatise/stem, and split glued words into their parts.

    A word's terms share one position; a glued word's parts take the following positions, so
    "wizytaprzedstawicieli" matches both itself and the phrase "wizyta przedstawicieli".
    """

    def __eq__(self, other):
        return other is not None and self.__class__ is other.__class__

    def __call__(self, tokens):
        pos = 0
        for token in tokens:
            start = getattr(token, "startchar", 0) if token.chars else 0
            word = analyze_word(token.text, start)
            if word is None:
                continue
            token.stopped = False
            for term in word.terms:
                token.text = term
                if token.positions:
                    token.pos = pos
                if token.chars:
                    token.startchar, token.endchar = word.start, word.end
                yield token
            for k, (begin, end, terms) in enumerate(word.parts):
                for term in terms:
                    token.text = term
                    if token.positions:
                        token.pos = pos + k
                    if token.chars:
                        token.startchar, token.endchar = begin, end
                    yield token
            pos += max(1, len(word.parts))


class SurfaceFilter(Filter):
    """Keep lower-cased alphabetic words of 3+ letters: the vocabulary for spelling help."""

    def __eq__(self, other):
        return other is not None and self.__class__ is other.__class__

    def __call__(self, tokens):
        for token in tokens:
            text = token.text.lower()
            if len(text) >= 3 and text.isalpha():
                token.text = text
                yield token


def polish_analyzer():
    """The analyzer of the title and body fields."""
    return RegexTokenizer(WORD_PATTERN) | PolishFilter()


def surface_analyzer():
    """The analyzer of the spelling vocabulary field (words as written, lower-cased)."""
    return RegexTokenizer(WORD_PATTERN) | SurfaceFilter()
