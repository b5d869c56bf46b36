"""The search entry point used by the web app, the CLI and the evaluation harness."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import query as Q
from whoosh.scoring import BM25F

from search.analysis import WordTerms, analyze_text
from search.morphology import family, is_known, normalize
from search.query import FIELDS, Clause, ParsedQuery, parse
from search.snippets import highlight, snippet
from search.spelling import diacritic_variants, has_diacritics

MAX_QUERY_CHARS = 500
# Below this many complete matches a misspelt word earns a "did you mean" suggestion.
FEW_RESULTS = 3
MAX_PAGE_SIZE = 50
MAX_PREFIX_EXPANSIONS = 20
MAX_PREFIX_EXTRA_CHARS = 2
# Ranking = BM25F + a bonus per query word matched + a large bonus when all words match, so
# articles with all the words always come first and, among partial matches, each extra word
# matched counts about as much as a strong term match. Measured on PoQuAD test A and the seed
# queries (python -m search.evaluate): strict AND-then-fallback 0.771 nDCG@10 on a 1000-query
# sample, plain OR 0.789, this 0.804.
COORDINATION_BONUS = 6.0
ALL_WORDS_BONUS = 1000.0
BM25_B = 0.75
BM25_K1 = 1.2
# A match through the word family only ("bezdomnym" for "bezdomność") counts this much of a
# match of the word itself.
FAMILY_WEIGHT = 0.5
MAX_FAMILY_SCAN = 300


class QueryError(ValueError):
    """The query cannot be run (empty, too long, bad paging); the message says why."""


class IndexUnavailableError(RuntimeError):
    """There is no index to search yet."""


@dataclass
class Hit:
    """One ranked article with its highlighted snippet (safe HTML)."""

    id: str
    title: str
    date: str | None
    source: str
    score: float
    snippet: str


@dataclass
class SearchResult:
    """A page of hits for a query, with paging facts and an optional spelling suggestion."""

    query: str
    total: int
    page: int
    per_page: int
    hits: list[Hit] = field(default_factory=list)
    suggestion: str | None = None
    corrected: bool = False  # the hits are for the suggestion: the query as typed did worse
    total_all_words: int = 0  # hits with every query word; they rank before partial matches
    terms: frozenset[str] = frozenset()
    seconds: float = 0.0

    @property
    def partial(self) -> bool:
        """Whether some hits lack one of the query's words (they follow the complete ones)."""
        return self.total_all_words < self.total

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


class SearchEngine:
    """Searches the index at a path, picking up rebuilt indexes as they are switched in."""

    def __init__(self, index_path: str | Path):
        self.index_path = Path(index_path)
        self._local = threading.local()
        self.coordination_bonus = COORDINATION_BONUS

    # -- index access -------------------------------------------------------------------
    def _searcher(self):
        """This thread's searcher on the current build, reopened when the build changes."""
        try:
            build = self.index_path.resolve(strict=True)
        except OSError as exc:
            raise IndexUnavailableError(f"no index at {self.index_path}") from exc
        state = getattr(self._local, "state", None)
        if state is None or state[0] != build:
            if state is not None:
                state[1].close()
            if not whoosh_index.exists_in(str(build)):
                raise IndexUnavailableError(f"no index at {self.index_path}")
            ix = whoosh_index.open_dir(str(build))
            searcher = ix.searcher(weighting=BM25F(B=BM25_B, K1=BM25_K1))
            state = (build, searcher)
            self._local.state = state
        return state[1]

    def manifest(self) -> dict:
        """The current build's manifest (counts, build time), {} when missing."""
        try:
            build = self.index_path.resolve(strict=True)
            return json.loads((build / "manifest.json").read_text())
        except (OSError, ValueError):
            return {}

    def doc_count(self) -> int:
        return self._searcher().doc_count()

    # -- query construction ---------------------------------------------------------------
    def _exists(self, reader, term: str, fields) -> bool:
        return any((f, term) in reader for f in fields)

    def _alternatives(self, reader, word: WordTerms, fields) -> list[str]:
        """Index terms that stand for one query word: lemmas, diacritic and name variants."""
        return [
            t for t in self._candidates(reader, word, fields) if self._exists(reader, t, fields)
        ]

    def _candidates(self, reader, word: WordTerms, fields) -> list[str]:
        """Terms that may stand for one query word, whether or not the index has them."""
        lower = word.surface.lower()
        candidates = list(word.terms)
        if not has_diacritics(lower) or not is_known(lower):
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
                for raw in reader.expand_prefix(f, stem):
                    term = raw.decode("utf-8")
                    if len(term) - len(stem) > MAX_PREFIX_EXTRA_CHARS:
                        continue
                    candidates.append(term)
                    if len(candidates) > MAX_PREFIX_EXPANSIONS:
                        break
        return list(dict.fromkeys(candidates))

    def _family(self, reader, exact: list[str], fields) -> list[str]:
        """Other lemmas of the index in the same word family as the word's own terms."""
        found: list[str] = []
        for term in exact:
            key = family(term)
            if not key:
                continue
            for f in fields:
                for n, raw in enumerate(reader.expand_prefix(f, key)):
                    if n >= MAX_FAMILY_SCAN:
                        break
                    other = raw.decode("utf-8")
                    if other not in exact and other not in found and family(other) == key:
                        found.append(other)
        return found

    def _word_query(self, reader, word: WordTerms, fields, terms: set[str]):
        candidates = self._candidates(reader, word, fields)
        alternatives = [t for t in candidates if self._exists(reader, t, fields)]
        relatives = self._family(reader, candidates, fields)
        terms.update(alternatives, relatives)
        options = [Q.Or([Q.Term(f, t) for f in fields]) for t in alternatives]
        if relatives:
            family_terms = [Q.Term(f, t) for t in relatives for f in fields]
            options.append(Q.Or(family_terms, boost=FAMILY_WEIGHT))
        if word.parts:
            # The parts of a glued word were adjacent words: match them as a phrase.
            parts = [
                WordTerms(
                    word.surface[start - word.start : end - word.start], start, end, part_terms
                )
                for start, end, part_terms in word.parts
            ]
            options.append(self._phrase_query(reader, parts, fields, terms))
        if not options:
            return Q.NullQuery
        if len(options) == 1:
            return options[0]
        # The mean over a word's readings: taking the max would reward its rarest (and most
        # often wrong) dictionary reading; the sum would reward ambiguity itself.
        return Q.Or(options, boost=1.0 / len(options))

    def _phrase_query(self, reader, words: list[WordTerms], fields, terms: set[str]):
        """Words in adjacent positions, each by its own forms (not its word family)."""
        per_field = []
        for f in fields:
            steps = []
            for word in words:
                alternatives = self._alternatives(reader, word, (f,))
                terms.update(alternatives)
                steps.append(
                    Q.Or([Q.Term(f, t) for t in alternatives]) if alternatives else Q.NullQuery
                )
            per_field.append(Q.Sequence(steps))
        return Q.Or(per_field)

    def _clause_query(self, reader, clause: Clause, terms: set[str]):
        fields = (clause.field,) if clause.field else FIELDS
        words = analyze_text(clause.text)
        if not words:
            return None  # only stop words: nothing to require
        if clause.phrase and len(words) > 1:
            return self._phrase_query(reader, words, fields, terms)
        parts = [self._word_query(reader, word, fields, terms) for word in words]
        return parts[0] if len(parts) == 1 else Q.And(parts)

    def build_query(self, reader, parsed: ParsedQuery):
        """Turn a parsed query into a Whoosh query; also return the terms to highlight.

        Returns (ranking query, all-words query, terms). The all-words query is None for a
        single required group.
        """
        terms: set[str] = set()
        groups = []
        for group in parsed.groups:
            clauses = [q for c in group if (q := self._clause_query(reader, c, terms)) is not None]
            if clauses:
                groups.append(clauses[0] if len(clauses) == 1 else Q.Or(clauses))
        excluded = [q for c in parsed.excluded if (q := self._clause_query(reader, c, set()))]
        all_words = None
        if not groups:
            query = Q.Every() if excluded else Q.NullQuery
        elif len(groups) == 1:
            query = groups[0]
        else:
            all_words = Q.And(groups)
            bonus = self.coordination_bonus
            ranked = [Q.Or([g, Q.ConstantScoreQuery(g, bonus)]) for g in groups]
            ranked.append(Q.ConstantScoreQuery(all_words, ALL_WORDS_BONUS))
            query = Q.Or(ranked)
        if excluded:
            query = Q.AndNot(query, Q.Or(excluded))
            all_words = Q.AndNot(all_words, Q.Or(excluded)) if all_words is not None else None
        return query, all_words, frozenset(terms)

    # -- searching ------------------------------------------------------------------------
    @staticmethod
    def validate(text: str | None, page: int, per_page: int) -> str:
        """Check the request's parameters, raising QueryError with a clear message."""
        text = (text or "").strip()
        if not text:
            raise QueryError("Query is empty.")
        if len(text) > MAX_QUERY_CHARS:
            raise QueryError(f"Query is longer than {MAX_QUERY_CHARS} characters.")
        if page < 1:
            raise QueryError("Page must be 1 or more.")
        if not 1 <= per_page <= MAX_PAGE_SIZE:
            raise QueryError(f"per_page must be between 1 and {MAX_PAGE_SIZE}.")
        return text

    def _run(self, searcher, parsed: ParsedQuery, page: int, per_page: int):
        """Search one parsed query: (results page, terms, number of all-words matches)."""
        query, all_words, terms = self.build_query(searcher.reader(), parsed)
        results = searcher.search_page(query, page, pagelen=per_page)
        if all_words is None:
            total_all = results.total
        else:
            total_all = searcher.search(all_words, limit=1, scored=False).estimated_length()
        return results, terms, total_all

    def search(
        self, text: str, page: int = 1, per_page: int = 10, snippets: bool = True
    ) -> SearchResult:
        """Return the page of ranked, highlighted hits for a query string."""
        started = time.perf_counter()
        text = self.validate(text, page, per_page)
        searcher = self._searcher()
        parsed = parse(text)
        results, terms, total_all = self._run(searcher, parsed, page, per_page)
        suggestion = self.suggest(searcher, parsed) if total_all < FEW_RESULTS else None
        corrected = False
        if suggestion and total_all == 0:
            # Nothing has all the words: show the corrected query's results if it does better.
            retry, retry_terms, retry_all = self._run(searcher, parse(suggestion), page, per_page)
            if retry_all > 0 or (retry.total and not results.total):
                results, terms, total_all, corrected = retry, retry_terms, retry_all, True
        result = SearchResult(
            query=text,
            total=results.total,
            page=page,
            per_page=per_page,
            suggestion=suggestion,
            corrected=corrected,
            total_all_words=total_all,
            terms=terms,
        )
        if results.pagenum == page:  # search_page clamps past-the-end pages to the last one
            for hit in results:
                result.hits.append(
                    Hit(
                        id=hit["id"],
                        title=hit["title"],
                        date=hit.get("date") or None,
                        source=hit["source"],
                        score=round(float(hit.score), 4),
                        snippet=str(snippet(hit["body"], terms)) if snippets else "",
                    )
                )
        result.seconds = time.perf_counter() - started
        return result

    def suggest(self, searcher, parsed: ParsedQuery) -> str | None:
        """A corrected query when some words are not in the index but close to words that are."""
        reader = searcher.reader()
        corrector = searcher.corrector("body")
        changed = False
        replaced: dict[str, str] = {}
        for clause in parsed.clauses:
            for word in analyze_text(clause.text):
                if self._alternatives(reader, word, FIELDS):
                    continue
                lower = word.surface.lower()
                for maxdist in (1, 2):
                    found = corrector.suggest(lower, limit=1, maxdist=maxdist, prefix=1)
                    if found:
                        fix = found[0]
                        if word.surface[:1].isupper():
                            fix = fix[:1].upper() + fix[1:]
                        replaced[word.surface] = fix
                        changed = True
                        break
        if not changed:
            return None
        out = parsed.display()
        for old, new in replaced.items():
            out = out.replace(old, new)
        return out

    def article(self, article_id: str, highlight_query: str | None = None) -> dict | None:
        """Return one article's stored fields (and highlighted body when a query is given)."""
        searcher = self._searcher()
        fields = searcher.document(id=article_id)
        if fields is None:
            return None
        article = {
            "id": fields["id"],
            "title": fields["title"],
            "date": fields.get("date") or None,
            "source": fields["source"],
            "institution": fields.get("institution") or None,
            "body": fields["body"],
        }
        if highlight_query and highlight_query.strip() and len(highlight_query) <= MAX_QUERY_CHARS:
            _, _, terms = self.build_query(searcher.reader(), parse(highlight_query))
            article["title_html"] = str(highlight(fields["title"], terms))
            article["body_html"] = [str(highlight(p, terms)) for p in fields["body"].split("\n\n")]
        return article
