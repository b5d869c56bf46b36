"""Query planning: from a parsed query to the Whoosh queries that run it.

Each query word becomes a disjunction of index terms (its lemmas, diacritic variants, the
endings of unknown names, glued parts as a phrase, and for keyword queries its word family at
half weight); the words are then combined so that articles with all of them come first.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from cachetools import LRUCache
from whoosh import query as Q

from search.analysis import WordTerms, analyze_clause
from search.morphology import family, is_known, normalize
from search.query import FIELDS, Clause, ParsedQuery
from search.ranking import BonusQuery
from search.request import QueryError
from search.spelling import diacritic_variants, has_diacritics

# Queries of at most this many words are keyword queries: they get word families and
# spelling help; longer ones are questions.
SHORT_QUERY_WORDS = 4
MAX_PREFIX_EXPANSIONS = 20
MAX_PREFIX_EXTRA_CHARS = 2
# Ranking: articles with all the words first (BM25F among them), then partial matches ranked
# by BM25F + this bonus per query word matched, so each extra word matched counts about as
# much as a strong term match. Measured on PoQuAD test A and the seed queries (python -m
# benchmarks.evaluate): strict AND with an OR fallback only when AND finds nothing 0.771 nDCG@10
# on a 1000-query sample, plain OR 0.789, this 0.804.
COORDINATION_BONUS = 6.0
# A match through the word family only ("bezdomnym" for "bezdomność") counts this much of a
# match of the word itself.
FAMILY_WEIGHT = 0.5
MAX_FAMILY_SCAN = 300
# Bounds on what one query may ask for: past them the query is refused with a clear message
# (a question has 10-20 words; a phrase longer than this is a pasted paragraph).
MAX_QUERY_WORDS = 32
MAX_PHRASE_WORDS = 12
MAX_LIGHT_WORDS = 10  # longer queries take turns with other costly ones (see is_heavy)
MAX_GLUED_PARTS = 4  # "PomocySpołecznej": more parts than this is not a glued word


@dataclass(frozen=True)
class QueryContext:
    """Facts about the whole query that shape how each word is expanded."""

    short: bool  # a keyword query (few words), not a question
    typed_diacritics: bool  # the user typed Polish letters somewhere in the query
    term_cache: TermCache | None = field(default=None, compare=False)  # the build's, if any


@dataclass(frozen=True)
class QueryPlan:
    """How a query runs: all words required; partial matches ranked by words matched."""

    required: Q.Query
    partial: Q.Query | None
    terms: frozenset[str]
    ctx: QueryContext
    groups: tuple[tuple[str, Q.Query], ...] = ()  # (the words as typed, their query)


def exists(reader, term: str, fields, cache: TermCache | None = None) -> bool:
    if cache is not None:
        return cache.exists(reader, term, fields)
    return any((f, term) in reader for f in fields)


def alternatives(reader, word: WordTerms, fields, ctx: QueryContext) -> list[str]:
    """Index terms that stand for one query word: lemmas, diacritic and name variants."""
    possible = candidates(reader, word, fields, ctx)
    return [t for t in possible if exists(reader, t, fields, ctx.term_cache)]


def candidates(reader, word: WordTerms, fields, ctx: QueryContext) -> list[str]:
    """Terms that may stand for one query word, whether or not the index has them."""
    lower = word.surface.lower()
    candidates = list(word.terms)
    # Restore diacritics for unknown words, and for any word of a keyword query typed
    # without Polish letters at all ("swiadczenia socjalne"): then "sad" may mean "sąd".
    if not is_known(lower) or not (ctx.typed_diacritics or not ctx.short):
        for variant in diacritic_variants(lower):
            candidates.extend(normalize(variant))
    if not is_known(lower) and lower.isalpha() and len(word.terms[0]) >= 4:
        # Unknown words (names): other endings of the same stem found in the index, and
        # the word without a short case ending ("Öndera" finds "Önder").
        stem = word.terms[0]
        for cut in range(1, MAX_PREFIX_EXTRA_CHARS + 1):
            if len(lower) - cut >= 4:
                candidates.append(lower[:-cut])
        for f in fields:
            for term in endings(reader, f, stem, ctx.term_cache):
                candidates.append(term)
                if len(candidates) > MAX_PREFIX_EXPANSIONS:
                    break
    return list(dict.fromkeys(candidates))


class TermCache:
    """What query planning asks of a build's terms, remembered (bounded LRUs): whether a term
    exists, word families and endings found by prefix scans, typo corrections. A repeated
    query word then costs a dictionary lookup, not a walk of Whoosh's term index. One per
    build and process."""

    _MISSING = object()

    def __init__(self, size: int = 20_000, terms: int = 100_000):
        self._found: LRUCache = LRUCache(maxsize=size)
        self._exists: LRUCache = LRUCache(maxsize=terms)
        self._lock = threading.Lock()  # cachetools' caches are not thread-safe

    def remembered(self, key: tuple, compute, cache: LRUCache | None = None):
        """compute()'s value for key, computed once while it stays in the cache."""
        cache = self._found if cache is None else cache
        with self._lock:
            found = cache.get(key, self._MISSING)
        if found is self._MISSING:
            found = compute()
            with self._lock:
                cache[key] = found
        return found

    def endings(self, reader, fieldname: str, stem: str) -> tuple[str, ...]:
        return self.remembered(
            ("endings", fieldname, stem), lambda: endings(reader, fieldname, stem)
        )

    def exists(self, reader, term: str, fields) -> bool:
        return self.remembered(
            (term, tuple(fields)), lambda: any((f, term) in reader for f in fields), self._exists
        )

    def members(self, reader, fieldname: str, key: str) -> tuple[str, ...]:
        return self.remembered(
            ("family", fieldname, key), lambda: _scan_family(reader, fieldname, key)
        )


def endings(reader, fieldname: str, stem: str, cache: TermCache | None = None) -> tuple[str, ...]:
    """Index terms that are the stem with at most MAX_PREFIX_EXTRA_CHARS more letters (the
    first MAX_PREFIX_EXPANSIONS + 1 of them: no query takes more)."""
    if cache is not None:
        return cache.endings(reader, fieldname, stem)
    found = []
    for raw in reader.expand_prefix(fieldname, stem):
        term = raw.decode("utf-8")
        if len(term) - len(stem) <= MAX_PREFIX_EXTRA_CHARS:
            found.append(term)
            if len(found) > MAX_PREFIX_EXPANSIONS:
                break
    return tuple(found)


def _scan_family(reader, fieldname: str, key: str) -> tuple[str, ...]:
    members = []
    for n, raw in enumerate(reader.expand_prefix(fieldname, key)):
        if n >= MAX_FAMILY_SCAN:
            break
        other = raw.decode("utf-8")
        if family(other) == key:
            members.append(other)
    return tuple(members)


def family_terms(reader, exact: list[str], fields, cache: TermCache | None = None) -> list[str]:
    """Other lemmas of the index in the same word family as the word's own terms."""
    found: list[str] = []
    for term in exact:
        key = family(term)
        if not key:
            continue
        for f in fields:
            members = cache.members(reader, f, key) if cache else _scan_family(reader, f, key)
            found += [m for m in members if m not in exact and m not in found]
    return found


def word_query(reader, word: WordTerms, fields, terms: set[str], ctx: QueryContext):
    possible = candidates(reader, word, fields, ctx)
    found = [t for t in possible if exists(reader, t, fields, ctx.term_cache)]
    # Word families widen short keyword queries; questions have words enough.
    relatives = family_terms(reader, possible, fields, ctx.term_cache) if ctx.short else []
    terms.update(found, relatives)
    options = [Q.Or([Q.Term(f, t) for f in fields]) for t in found]
    if relatives:
        related = [Q.Term(f, t) for t in relatives for f in fields]
        options.append(Q.Or(related, boost=FAMILY_WEIGHT))
    if word.parts and len(word.parts) <= MAX_GLUED_PARTS:
        # The parts of a glued word were adjacent words: match them as a phrase.
        parts = [
            WordTerms(word.surface[start - word.start : end - word.start], start, end, part_terms)
            for start, end, part_terms in word.parts
        ]
        options.append(phrase_query(reader, parts, fields, terms, ctx))
    if not options:
        return Q.NullQuery
    if len(options) == 1:
        return options[0]
    # The mean over a word's readings: taking the max would reward its rarest (and most
    # often wrong) dictionary reading; the sum would reward ambiguity itself.
    return Q.Or(options, boost=1.0 / len(options))


def phrase_query(reader, words: list[WordTerms], fields, terms: set[str], ctx):
    """Words in adjacent positions, each by its own forms (not its word family)."""
    per_field = []
    for f in fields:
        steps = []
        for word in words:
            found = alternatives(reader, word, (f,), ctx)
            terms.update(found)
            steps.append(Q.Or([Q.Term(f, t) for t in found]) if found else Q.NullQuery)
        per_field.append(Q.Sequence(steps))
    return Q.Or(per_field)


def clause_query(reader, clause: Clause, terms: set[str], ctx: QueryContext):
    fields = (clause.field,) if clause.field else FIELDS
    words = analyze_clause(clause.text)
    if not words:
        return None  # only stop words: nothing to require
    if clause.phrase and len(words) > 1:
        return phrase_query(reader, words, fields, terms, ctx)
    parts = [word_query(reader, word, fields, terms, ctx) for word in words]
    return parts[0] if len(parts) == 1 else Q.And(parts)


def is_heavy(parsed: ParsedQuery) -> bool:
    """Whether a query may cost far more than a search: phrases (positions are read), glued
    words (matched as phrases) and word lists longer than questions are (99% of PoQuAD's
    questions have at most 10 words). The service runs one at a time."""
    words = [w for c in parsed.clauses for w in analyze_clause(c.text)]
    if len(words) > MAX_LIGHT_WORDS:
        return True
    return any(c.phrase for c in parsed.clauses) or any(w.parts for w in words)


def check_limits(parsed: ParsedQuery) -> list[WordTerms]:
    """The query's words (excluded ones left out); QueryError when the query or one of its
    phrases holds too many (every backend applies the same bounds)."""
    words = [w for c in parsed.clauses for w in analyze_clause(c.text)]
    excluded_words = sum(len(analyze_clause(c.text)) for c in parsed.excluded)
    if len(words) + excluded_words > MAX_QUERY_WORDS:
        raise QueryError(f"A query may hold at most {MAX_QUERY_WORDS} words.", "q")
    for clause in parsed.clauses + parsed.excluded:
        if clause.phrase and len(analyze_clause(clause.text)) > MAX_PHRASE_WORDS:
            raise QueryError(f"A phrase may hold at most {MAX_PHRASE_WORDS} words.", "q")
    return words


def build_query(
    reader,
    parsed: ParsedQuery,
    coordination_bonus: float = COORDINATION_BONUS,
    term_cache: TermCache | None = None,
) -> QueryPlan:
    """Turn a parsed query into the Whoosh queries that run it (see QueryPlan)."""
    words = check_limits(parsed)
    ctx = QueryContext(
        short=len(words) <= SHORT_QUERY_WORDS,
        typed_diacritics=any(has_diacritics(w.surface.lower()) for w in words),
        term_cache=term_cache,
    )
    terms: set[str] = set()
    groups = []
    labels = []
    for group in parsed.groups:
        clauses = [q for c in group if (q := clause_query(reader, c, terms, ctx)) is not None]
        if clauses:
            groups.append(clauses[0] if len(clauses) == 1 else Q.Or(clauses))
            labels.append(" OR ".join(c.display() for c in group))
    excluded = [q for c in parsed.excluded if (q := clause_query(reader, c, set(), ctx))]
    if not groups:
        required = Q.Every() if excluded else Q.NullQuery
    else:
        required = groups[0] if len(groups) == 1 else Q.And(groups)
    partial = None
    if len(groups) > 1:
        partial = Q.Or([BonusQuery(g, coordination_bonus) for g in groups])
    if excluded:
        required = Q.AndNot(required, Q.Or(excluded))
        partial = Q.AndNot(partial, Q.Or(excluded)) if partial is not None else None
    return QueryPlan(
        required, partial, frozenset(terms), ctx, tuple(zip(labels, groups, strict=True))
    )
