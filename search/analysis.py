"""The Polish analyzer shared by indexing, querying and snippets.

Whoosh pickles the schema, analyzers included, into the index, so the classes here are
importable, hold no dictionaries (those live in ``search.morphology``) and are cheap to pickle.
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from whoosh.analysis import Filter, RegexTokenizer
from whoosh.formats import Positions

from search.morphology import (
    CACHE_WORDS,
    MIN_STEM_LENGTH,
    depends_on_table,
    normalize,
    prefetch_lemmas,
    split_compound,
)
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
    if not word.islower():  # (a lower-case word has no camel case)
        pieces = CAMEL_BOUNDARY.split(word)
        if len(pieces) == 1:
            # Capitalised unknown words are names ("Kowarzyńskiego"), not two words glued by
            # text extraction; probing them for dictionary prefixes costs time and finds
            # false splits.
            return []
        out, offset = [], 0
        for piece in pieces:
            out.append((offset, piece))
            offset += len(piece)
        return out
    out, offset = [], 0
    for piece in split_compound(word):
        out.append((offset, piece))
        offset += len(piece)
    return out


def repair_display(text: str) -> str:
    """The text as readers should see it: words glued by text extraction written apart, the
    same way the index reads them ("PomocySpołecznej" -> "Pomocy Społecznej")."""

    def apart(match: re.Match) -> str:
        word = match.group()
        if len(word) < 6:
            return word
        parts = word_parts(word)
        if len(parts) < 2 or len(parts) > 4:
            return word
        return " ".join(piece for _, piece in parts)

    return WORD_RE.sub(apart, text)


@depends_on_table
@lru_cache(maxsize=CACHE_WORDS)
def surface_terms(surface: str) -> tuple[tuple[str, ...], tuple] | None:
    """(terms, parts) of a word as written, parts at offsets relative to the word; None for a
    stop word. Memoised: this is the analyzer's hot path."""
    return _surface_terms(surface)


def _surface_terms(surface: str, pieces=None) -> tuple[tuple[str, ...], tuple] | None:
    """``surface_terms`` (``pieces``: the word's ``word_parts``, if known)."""
    lower = surface.lower()
    if lower in STOPWORDS:
        return None
    parts = []
    for offset, piece in word_parts(surface) if pieces is None else pieces:
        piece_lower = piece.lower()
        if piece_lower not in STOPWORDS:
            parts.append((offset, offset + len(piece), normalize(piece_lower)))
    return normalize(lower), tuple(parts)


def analyze_word(surface: str, start: int = 0) -> WordTerms | None:
    """Index terms of one word, or None for a stop word."""
    found = surface_terms(surface)
    if found is None:
        return None
    terms, parts = found
    shifted = tuple((start + b, start + e, t) for b, e, t in parts)
    return WordTerms(surface, start, start + len(surface), terms, shifted)


CAMEL_PAIR = re.compile(r"[a-ząćęłńóśźż][A-ZĄĆĘŁŃÓŚŹŻ]")  # CAMEL_BOUNDARY, found faster
LONG_WORD = re.compile(rf"\w{{{8},}}")  # split_compound: only lower-case words this long


def has_glued_words(text: str) -> bool:
    """Whether some word of the text is glued, as the analyzer and the display repair read
    it: a camel-case pair, or a long lower-case word made of dictionary words (``word_parts``
    splits nothing else). Cheap: only those are looked at. A text without glued words has
    no word indexed by parts and nothing to repair for display."""
    if CAMEL_PAIR.search(text):
        return True
    return any(word.islower() and split_compound(word) for word in LONG_WORD.findall(text))


def glued_words(text: str) -> list[str]:
    """The distinct glued words of a text (those ``word_parts`` splits), sorted: the only
    words a query can match by a part, so snippets look for these alone beside the words
    that start like the query's."""
    if CAMEL_PAIR.search(text):
        words = set(WORD_RE.findall(text))
    else:
        words = {w for w in LONG_WORD.findall(text) if w.islower()}
    return sorted(filter(is_glued, words))


class WordMemo(dict):
    """A memo of what indexing asks of every word of every article (the archive's
    vocabulary is larger than the analyzer's LRU caches, which then keep missing): plain
    dict lookups, emptied when it holds ``limit`` words (None: never) or the stemmer's
    table changes."""

    def __init__(self, compute, limit: int | None = 1_000_000):
        super().__init__()
        self.compute = compute
        self.limit = limit

    def __missing__(self, word):
        if self.limit is not None and len(self) >= self.limit:
            self.clear()
        found = self[word] = self.compute(word)
        return found

    cache_clear = dict.clear  # (depends_on_table)


def is_glued(word: str) -> bool:
    """Whether ``word_parts`` splits the word (memoised: every article's words are asked)."""
    return _glued[word]


_glued = depends_on_table(WordMemo(lambda word: len(word_parts(word)) > 1))


def analyze_text(text: str) -> list[WordTerms]:
    """Analyse running text into words with their index terms (stop words dropped)."""
    out = []
    for match in WORD_RE.finditer(text):
        word = analyze_word(match.group(), match.start())
        if word is not None:
            out.append(word)
    return out


@depends_on_table
@lru_cache(maxsize=4096)
def analyze_clause(text: str) -> tuple[WordTerms, ...]:
    """``analyze_text`` of a query's clause, memoised: planning asks for each clause three
    times (the query's limits, its phrases' limits, the clause's query), and a service sees
    the same queries often. Only for query text, whose length the request bounds."""
    return tuple(analyze_text(text))


@depends_on_table
@lru_cache(maxsize=CACHE_WORDS)
def indexed(surface: str) -> tuple[tuple[tuple[str, int, int, int], ...], int] | None:
    """How one word is indexed: its (term, position offset, start, end) entries, offsets and
    characters relative to the word, and how many positions it takes; None for a stop word.
    A word's terms share its position; a glued word's parts take the following ones. The
    one rule behind the analyzer (``PolishFilter``) and the index's positions
    (``PolishPositions``)."""
    return _entries_of(surface, surface_terms(surface))


def _entries_of(surface: str, found) -> tuple[tuple[tuple[str, int, int, int], ...], int] | None:
    if found is None:
        return None
    terms, parts = found
    entries = [(term, 0, 0, len(surface)) for term in terms]
    entries += [(t, k, begin, end) for k, (begin, end, part) in enumerate(parts) for t in part]
    return tuple(entries), len(parts) or 1


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
            found = indexed(token.text)
            if found is None:
                continue
            entries, width = found
            chars = token.chars
            start = token.startchar if chars else 0
            token.stopped = False
            for term, offset, begin, end in entries:
                token.text = term
                token.pos = pos + offset
                if chars:
                    token.startchar, token.endchar = start + begin, start + end
                yield token
            pos += width


def polish_analyzer():
    """The analyzer of the title and body fields."""
    return RegexTokenizer(WORD_PATTERN) | PolishFilter()


class PolishPositions(Positions):
    """Whoosh's positions format for the title and body, whose index terms and positions are
    computed here straight from the words (what ``polish_analyzer`` gives token by token,
    without Whoosh's token objects: a fifth of indexing time). Queries and snippets still
    go through the analyzer's functions; tests compare both ways on real text."""

    def word_values(self, value, analyzer, **kwargs):
        boost = self.field_boost
        for term, found in term_positions(value).items():
            yield term, len(found), len(found) * boost, self.encode(found)


def _word_entries(word: str, pieces=None) -> tuple[tuple[tuple[str, int], ...], int] | None:
    """``indexed`` without characters: ((term, position offset), ...), width. Computed past
    the analyzer's LRU caches of words (``indexed``, ``surface_terms``): the indexing memo
    keeps every word, and a rebuild's vocabulary would only churn them. (``pieces``: the
    word's ``word_parts``, if known.)"""
    found = _entries_of(word, _surface_terms(word, pieces))
    if found is None:
        return None
    entries, width = found
    return tuple((term, offset) for term, offset, _, _ in entries), width


_entries = depends_on_table(WordMemo(_word_entries))


def term_positions(text: str) -> dict[str, list[int]]:
    """Each index term of the text with its positions, in order of first occurrence: what
    the analyzer gives token by token (``indexed`` is the rule), in one pass over the words."""
    positions: dict[str, list[int]] = {}
    get = positions.get
    entries_of = _entries
    pos = 0
    for word in WORD_RE.findall(text):
        found = entries_of[word]
        if found is None:
            continue
        entries, width = found
        for term, offset in entries:
            held = get(term)
            if held is None:
                positions[term] = [pos + offset]
            else:
                held.append(pos + offset)
        pos += width
    return positions


class TermCodes:
    """Running text as the codes of its words, and the index entries of many texts at once
    as arrays: how the indexer analyses the title and body (``term_positions`` gives the
    same entries text by text; tests compare the two).

    Each distinct word has a code; each code the index terms of its entries (a word's
    lemmas at its position, a glued word's parts at the following ones), their position
    offsets and how many positions the word takes (none for a stop word)."""

    def __init__(self):
        self.terms: list[str] = []  # term number -> term
        self._numbers: dict[str, int] = {}
        self._codes = WordMemo(self._new_code, limit=None)  # word -> code, kept for good
        # chunk (UTF-8) -> its words' codes, as the bytes of an array("i")
        self._chunks = WordMemo(self._chunk_codes, limit=None)
        self._first = array("i")  # per code: its first entry
        self._count = array("i")  # per code: how many entries
        self._width = array("i")  # per code: how many positions it takes
        self._entry_term = array("i")  # per entry: the term's number
        self._entry_offset = array("i")  # per entry: position offset within the word
        self._words: list[str] = []  # per code: the word
        self._glued = bytearray()  # per code: whether the word is glued (``is_glued``)

    def _new_code(self, word: str) -> int:
        found = _entries[word]
        self._words.append(word)
        self._glued.append(_glued[word])
        self._first.append(len(self._entry_term))
        if found is None:
            self._count.append(0)
            self._width.append(0)
        else:
            entries, width = found
            self._count.append(len(entries))
            self._width.append(width)
            for term, offset in entries:
                number = self._numbers.get(term)
                if number is None:
                    number = self._numbers[term] = len(self.terms)
                    self.terms.append(term)
                self._entry_term.append(number)
                self._entry_offset.append(offset)
        return len(self._count) - 1

    def codes(self, text: str) -> array:
        """The codes of the text's words, in order: read from a memo of its white-space
        separated chunks (a word never spans white space, and running text repeats most of
        its chunks: a fifth faster than matching every word of every text; the chunks' codes
        are kept as bytes and joined, a third faster than an array made of their tuples). The
        chunks are UTF-8, split at ASCII white space (a memo of bytes is faster to fill and
        read); the words are found in them as in the text."""
        codes = array("i")
        chunks = text.encode("utf-8", "surrogatepass").split()
        codes.frombytes(b"".join(map(self._chunks.__getitem__, chunks)))
        return codes

    def _chunk_codes(self, chunk: bytes) -> bytes:
        words = WORD_RE.findall(chunk.decode("utf-8", "surrogatepass"))
        return array("i", map(self._codes.__getitem__, words)).tobytes()

    def glued_words(self, *texts: array) -> list[str]:
        """The distinct glued words among the codes of the texts, sorted: ``glued_words``
        of the texts, read from their codes instead of matching their words again."""
        distinct = set().union(*texts)
        return sorted(map(self._words.__getitem__, filter(self._glued.__getitem__, distinct)))

    def entry_count(self, codes: array) -> int:
        """How many (term, position) entries the words make: the field's length."""
        return sum(map(self._count.__getitem__, codes))

    def entries(self, codes: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, ...]:
        """(term number, text, position) of every entry of texts whose codes are
        concatenated, text i's from ``starts[i]``: in text order, and in each text in
        position order (entries of one word in the order ``indexed`` gives them)."""
        count = np.frombuffer(self._count, dtype=np.int32)[codes]
        width = np.frombuffer(self._width, dtype=np.int32)[codes]
        first = np.frombuffer(self._first, dtype=np.int32)[codes]
        words_per_text = np.diff(np.append(starts, len(codes)))
        text_of_word = np.repeat(np.arange(len(starts)), words_per_text)
        after = np.cumsum(width, dtype=np.int64)  # positions taken up to each word, running
        before_text = np.concatenate([[0], after])[starts]
        position_of_word = after - width - before_text[text_of_word]
        word_of_entry = np.repeat(np.arange(len(codes)), count)
        total = len(word_of_entry)
        within = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
        entry = first[word_of_entry] + within
        terms = np.frombuffer(self._entry_term, dtype=np.int32)[entry]
        offsets = np.frombuffer(self._entry_offset, dtype=np.int32)[entry]
        return terms, text_of_word[word_of_entry], position_of_word[word_of_entry] + offsets


def text_words(texts) -> set[str]:
    """The distinct words (``WORD_RE``'s matches) of the texts. Found in their distinct
    white-space separated chunks, joined: a word never spans white space, and running text
    repeats most of its chunks, so this is several times faster than matching every word.
    (The chunks are split at ASCII white space; the words, at any other.)"""
    chunks: set[bytes] = set()
    for text in texts:  # as UTF-8: a set of bytes is built in three quarters of the time
        chunks.update(text.encode("utf-8", "surrogatepass").split())
    return set(WORD_RE.findall(b" ".join(chunks).decode("utf-8", "surrogatepass")))


def word_analyses(words) -> dict[str, tuple]:
    """What indexing asks of each word (its entries, and whether it is glued), for another
    process to adopt (``adopt_word_analyses``) instead of analysing the word again. The
    dictionary reads the words in batches (``prefetch_lemmas``)."""
    words = list(words)
    out = {}
    for begin in range(0, len(words), PREFETCHED_WORDS):
        batch = words[begin : begin + PREFETCHED_WORDS]
        lower = (word.lower() for word in batch)
        prefetch_lemmas([w for w in lower if len(w) >= MIN_STEM_LENGTH and w.isalpha()])
        for word in batch:
            found = out[word] = _analysis(word)
            _entries[word], _glued[word] = found  # (the memos as they would compute them)
    return out


def _analysis(word: str) -> tuple:
    """A word's (``_entries``, ``_glued``), its ``word_parts`` found once for both."""
    if word in _entries and word in _glued:
        return _entries[word], _glued[word]
    pieces = word_parts(word)
    return _word_entries(word, pieces), len(pieces) > 1


PREFETCHED_WORDS = 2000  # words read by the dictionary at once


def adopt_word_analyses(found: dict[str, tuple]) -> None:
    """Take ``word_analyses`` computed elsewhere (by the same analyzer and stemmer table)."""
    for word, (entries, glued) in found.items():
        _entries[word] = entries
        _glued[word] = glued
