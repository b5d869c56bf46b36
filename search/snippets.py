"""Highlighted snippets: the best passages of a text with matched words in ``<mark>``.

A word matches when any of its index terms (lemma, stem or glued part) is among the query's
terms, so "bezdomność" marks "bezdomnym" and "bezdomności" as they are written. Everything
other than the ``<mark>`` tags is HTML-escaped.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Collection
from functools import lru_cache

from markupsafe import Markup, escape

from search.analysis import CAMEL_BOUNDARY, WORD_RE, repair_display, surface_terms
from search.morphology import PREFIX, prefixes
from search.textfiles import spaced

SNIPPET_CHARS = 260
CONTEXT_BEFORE = 70
MAX_FRAGMENTS = 2
SCAN_CHARS = 20_000
MAX_SCAN_CHARS = 200_000
MAX_SPANS = 200  # window choice is quadratic in the matches weighed


MIN_GLUED = 8  # split_compound: two dictionary words of 4+ letters


def _escape(text: str) -> str:
    """HTML-escaped text as a plain string: markupsafe's entities, without its objects."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("'", "&#39;")
    )


@lru_cache(maxsize=1024)
def _starts(terms: frozenset[str]) -> frozenset[str]:
    """The first letters of every form of the terms (once per query, not per snippet)."""
    return frozenset().union(*(prefixes(t) for t in terms)) if terms else frozenset()


@lru_cache(maxsize=1024)
def _inner_starts(starts: frozenset[str]) -> re.Pattern:
    return re.compile(_alternation(starts))


def _alternation(starts: frozenset[str]) -> str:
    """The forms as one regular-expression alternation, longest first (never matching when
    there are none)."""
    return "|".join(map(re.escape, sorted(starts, key=len, reverse=True))) or "(?!)"


def _word_start_branch(starts: frozenset[str]) -> str:
    """Words starting like a form, in any case; a form shorter than PREFIX only as a whole
    word (a longer word starting with it starts like another form, or like none)."""
    longer = frozenset(f for f in starts if len(f) >= PREFIX)
    return rf"(?i:{_alternation(longer)})\w*|(?i:{_alternation(starts - longer)})(?!\w)"


@lru_cache(maxsize=1024)
def _candidates(starts: frozenset[str]) -> re.Pattern:
    """Whole words that may match, found by the regex engine instead of a Python loop over
    every word: words starting like a form of a term (``_word_start_branch``), words of
    MIN_GLUED+ letters holding a form from their 5th letter on (maybe glued), and camel-case
    words. A superset of what match_spans keeps (it checks each candidate as before)."""
    forms = _alternation(starts)
    return re.compile(
        rf"(?<!\w)(?:{_word_start_branch(starts)}"
        rf"|(?=\w{{{MIN_GLUED}}})\w{{4}}\w*?(?:{forms})\w*"
        r"|\w*?[a-ząćęłńóśźż][A-ZĄĆĘŁŃÓŚŹŻ]\w*)"
    )


_WORD_END = re.compile(r"\w*")
_WORD_FORM = re.compile(r"\w+")
_CAMEL_PAIR = re.compile(r"[a-ząćęłńóśźż][A-ZĄĆĘŁŃÓŚŹŻ]")


def _is_word_char(char: str) -> bool:
    r"""What ``\w`` matches (the regular-expression engine's own definition)."""
    return char.isalnum() or char == "_"


@lru_cache(maxsize=1024)
def _findable(starts: frozenset[str]) -> bool:
    """Whether every form is made of word characters (``_words`` relies on it)."""
    return all(_WORD_FORM.fullmatch(form) for form in starts)


Glued = bool | frozenset  # True: may hold glued words; or the glued words it holds


def glued_of(stored) -> Glued:
    """An article's recorded ``glued`` value as snippets take it: its glued words (a
    space-separated string), or whether it has any (builds before the words were kept;
    unknown, None, counts as having some)."""
    if isinstance(stored, str):
        return frozenset(stored.split())
    return True if stored is None else bool(stored)


def _words(text: str, starts: frozenset[str], glued: Glued):
    """(start, end) of the candidate words of a text, in order: the words that
    ``_candidates(starts)`` (``glued``) or ``_whole_words_pattern(starts)`` finds, found
    instead with ``str.find`` for each form in the lower-cased text, which is two to three
    times as fast as a regular expression alternating the forms (it tries every form at
    every word; the glued branch at every letter of long words). A text whose length changes
    when lower-cased (a rare letter such as "İ"), or forms that are not plain words, go
    through the regular expression. ``glued`` as the words: the words that start like a
    form and every occurrence of those words (no scan for inner forms or camel case)."""
    if isinstance(glued, frozenset):
        if glued:
            yield from _listed_words(text, starts, glued)
            return
        glued = False  # an article without glued words
    lowered = text.lower()
    if len(lowered) != len(text) or not _findable(starts):
        pattern = _candidates(starts) if glued else _whole_words_pattern(starts)
        yield from _regex_words(pattern, text)
        return
    whole: set[int] = set()  # word starts of candidates
    long_only: set[int] = set()  # word starts of candidates if the word has MIN_GLUED+ chars
    size = len(lowered)
    find = lowered.find
    for form in starts:
        # A form shorter than PREFIX ("r", rok's abbreviation) is a candidate as a whole
        # word only: a longer word starting with it starts like another form or like none.
        short = len(form) < PREFIX
        at = find(form)
        while at >= 0:
            before = lowered[at - 1] if at else " "
            if not (before.isalnum() or before == "_"):  # _is_word_char, inlined (hot)
                after = at + len(form)
                if not short or after == size or not _is_word_char(lowered[after]):
                    whole.add(at)
            elif glued and text.startswith(form, at):  # a glued part: case as written
                begin = _word_start(text, at)
                if at - begin >= 4:
                    long_only.add(begin)
            at = find(form, at + 1)
    if glued:
        for pair in _CAMEL_PAIR.finditer(text):
            whole.add(_word_start(text, pair.start()))
    for begin in sorted(whole | long_only):
        end = _WORD_END.match(text, begin).end()
        if begin in whole or end - begin >= MIN_GLUED:
            yield begin, end


def _listed_words(text: str, starts: frozenset[str], glued: frozenset[str]):
    """Words starting like a form, and the listed glued words wherever they stand whole."""
    found = dict(_words(text, starts, False)) if starts else {}
    for word in glued:
        at = text.find(word)
        while at >= 0:
            end = at + len(word)
            if (not at or not _is_word_char(text[at - 1])) and (
                end == len(text) or not _is_word_char(text[end])
            ):
                found[at] = end
            at = text.find(word, end)
    for begin in sorted(found):
        yield begin, found[begin]


def _word_start(text: str, at: int) -> int:
    while at > 0 and _is_word_char(text[at - 1]):
        at -= 1
    return at


@lru_cache(maxsize=1024)
def _whole_words_pattern(starts: frozenset[str]) -> re.Pattern:
    return re.compile(rf"(?<!\w)(?:{_word_start_branch(starts)})")


def _regex_words(pattern: re.Pattern, text: str):
    for match in pattern.finditer(text):
        yield match.start(), match.end()


def match_spans(
    text: str, terms: Collection[str], prefilter: bool = True, glued: Glued = True
) -> list[tuple[int, int, frozenset[str]]]:
    """Character spans of the words in text that match the terms, with the terms matched.

    ``glued=False``: the text has no word that the analyzer splits into parts (the indexer
    records it per article), so only words starting like a form can match: those alone are
    looked for (40% of a snippet's time was the search for glued and camel-case words).
    ``glued`` as a set of words: the article's glued words (recorded by the indexer), the
    only words besides those that a part can match."""
    terms = terms if isinstance(terms, frozenset) else frozenset(terms)
    # Analysing every word of an article is most of a snippet's cost; a word none of whose
    # possible parts starts like one of the terms' forms cannot match. Parts: the word itself,
    # camel-case pieces, and for long lower-case words the dictionary words they may be glued
    # from (each 4+ letters, so from the 5th letter on).
    starts = _starts(terms)
    inner = _inner_starts(starts)
    spans = []
    words = _words(text, starts, glued) if prefilter else _regex_words(WORD_RE, text)
    for start, end in words:
        word = text[start:end]
        if prefilter and word[:PREFIX].lower() not in starts:
            # Only a glued lower-case word or a camel-case one may still hold a match.
            if word.islower():
                if len(word) < MIN_GLUED or not inner.search(word, 4):
                    continue
            elif word[1:].islower() or not CAMEL_BOUNDARY.search(word):
                continue
        found = surface_terms(word)  # memoised per word as written
        if found is None:
            continue
        word_terms, parts = found
        hit = terms.intersection(word_terms)
        if hit:
            spans.append((start, end, frozenset(hit)))
            continue
        for begin, finish, part_terms in parts:
            part_hit = terms.intersection(part_terms)
            if part_hit:
                spans.append((start + begin, start + finish, frozenset(part_hit)))
    return spans


def _as_is(text: str) -> str:
    return text


def _camel_apart(text: str) -> str:
    """The cheap part of the repair: "PomocySpołecznej" -> "Pomocy Społecznej"."""
    return CAMEL_BOUNDARY.sub(" ", text)


def _render(text: str, start: int, end: int, spans, repair=repair_display) -> Markup:
    """text[start:end] escaped, spans in <mark>. Words glued by text extraction are shown
    apart, as the index reads them (only the shown text is repaired)."""
    out, cursor = [], start
    for s, e, _ in spans:
        if s < start or e > end:
            continue
        if s == cursor and out and text[s - 1 : s].isalpha():
            out.append(" ")  # two marked parts of one glued word
        out.append(_escape(repair(text[cursor:s])))
        out.append(f"<mark>{_escape(repair(text[s:e]))}</mark>")
        cursor = e
    out.append(_escape(repair(text[cursor:end])))
    return Markup("".join(out))  # every piece above is escaped text or our own tag


def _word_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen/narrow a window so it neither starts nor ends in the middle of a word."""
    start = max(0, start)
    end = min(len(text), end)
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    return start, end


def _best_window(
    text: str, spans, wanted: frozenset[str], bounds: dict | None = None
) -> tuple[int, int, set[str]]:
    """The window (about SNIPPET_CHARS, starting CONTEXT_BEFORE before one of the matches)
    that covers the most wanted terms, then the most matches, the earliest on ties.

    Spans are in text order and do not overlap, so the matches inside a window are a run
    of them, found by bisection: the cost grows with the matches times those in a window,
    not with the square of the matches. ``bounds``: each anchor's window, kept between the
    calls for one snippet's fragments."""
    bounds = {} if bounds is None else bounds
    starts = [sp[0] for sp in spans]
    ends = [sp[1] for sp in spans]
    best = None
    for anchor in starts:
        window = bounds.get(anchor)
        if window is None:
            window = bounds[anchor] = _word_bounds(
                text, anchor - CONTEXT_BEFORE, anchor - CONTEXT_BEFORE + SNIPPET_CHARS
            )
        start, end = window
        lo, hi = bisect_left(starts, start), bisect_right(ends, end)
        if hi - lo == 1:
            covered = spans[lo][2] & wanted
        else:
            covered = set().union(*(sp[2] for sp in spans[lo:hi])) & wanted
        score = (len(covered), max(0, hi - lo), -anchor)
        if best is None or score > best[0]:
            best = (score, start, end, covered)
            if len(covered) == len(wanted) and hi - lo == len(spans):
                break  # every term and every match: no later anchor scores higher
    _, start, end, covered = best
    return start, end, covered


def _scan(
    text: str, terms: Collection[str], glued: Glued = True, is_spaced: bool = False
) -> tuple[str, list, bool]:
    """The part of a text a snippet is taken from, its matches, and whether text follows it.

    Windows of SCAN_CHARS from the start until one holds a match (at most MAX_SCAN_CHARS),
    so that the cost is bounded whatever the article's length; at most MAX_SPANS matches
    are weighed. The window's white space is collapsed (``search.textfiles.spaced``), unless
    the text ``is_spaced`` already."""
    end = min(len(text), SCAN_CHARS)
    while True:
        if end < len(text):  # end the window between words, not inside one
            space = text.rfind(" ", end - 200, end)
            end = space if space > 0 else end
        part = text[:end] if is_spaced else spaced(text[:end])
        spans = match_spans(part, terms, glued=glued)
        if spans or end >= min(len(text), MAX_SCAN_CHARS):
            return part, spans[:MAX_SPANS], end < len(text)
        end = min(len(text), end + SCAN_CHARS)


def snippet(
    text: str, terms: Collection[str], glued: Glued = True, spaced: bool = False
) -> Markup:
    """Return up to two passages of text around the query's terms, marked and escaped
    (``glued``: see match_spans; ``spaced``: the text's white space is collapsed already)."""
    text, spans, cut = _scan(text, terms, glued, is_spaced=spaced)
    if not spans:
        start, end = _word_bounds(text, 0, SNIPPET_CHARS)
        more = end < len(text) or cut
        shown = _camel_apart(text[start:end]) if glued else text[start:end]
        return escape(shown) + (Markup(" …") if more else Markup(""))
    wanted = frozenset().union(*(sp[2] for sp in spans))
    windows = []
    remaining = list(spans)
    bounds: dict[int, tuple[int, int]] = {}
    for _ in range(MAX_FRAGMENTS):
        if not remaining or not wanted:
            break
        start, end, covered = _best_window(text, remaining, wanted, bounds)
        windows.append((start, end))
        wanted = wanted - covered
        remaining = [sp for sp in remaining if sp[2] & wanted]
    merged: list[list[int]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts = []
    for start, end in merged:
        # Snippets are on every results page: only camel-case glue is undone there (the
        # dictionary split of lower-case glue costs a lookup per long word).
        piece = _render(text, start, end, spans, _camel_apart if glued else _as_is)
        prefix = "… " if start > 0 else ""
        suffix = " …" if end < len(text) or cut else ""
        parts.append(f"{prefix}{piece}{suffix}")
    return Markup(" ".join(parts).replace("… …", "…"))  # pieces are escaped by _render


def highlight(text: str, terms: Collection[str], glued: Glued = True) -> Markup:
    """Return the whole text escaped, with every matching word in ``<mark>`` (and glued
    words apart: a text without glued words needs no repair)."""
    spans = match_spans(text, terms, glued=glued)
    return _render(text, 0, len(text), spans, repair_display if glued else _as_is)
