"""The search entry point used by the web app, the CLI and the evaluation harness."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.scoring import BM25F

from search.analysis import analyze_text
from search.planner import (
    COORDINATION_BONUS,
    QueryContext,
    alternatives,
    build_query,
)
from search.query import FIELDS, ParsedQuery, parse
from search.snippets import highlight, snippet

MAX_QUERY_CHARS = 500
# Below this many complete matches a misspelt word earns a "did you mean" suggestion.
FEW_RESULTS = 3
MAX_PAGE_SIZE = 50
BM25_B = 0.75
BM25_K1 = 1.2


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


@dataclass
class RunResult:
    hits: list
    total: int
    total_all: int
    terms: frozenset[str]
    ctx: QueryContext


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

    def _run(self, searcher, parsed: ParsedQuery, page: int, per_page: int) -> RunResult:
        """Run a parsed query: articles with all the words first, then partial matches.

        The all-words query (an AND: cheap, it skips through posting lists) runs first; the
        partial-match query (an OR with a bonus per matched word) only when the requested
        page reaches past the complete matches, masking those out.
        """
        plan = build_query(searcher.reader(), parsed, self.coordination_bonus)
        start, end = (page - 1) * per_page, page * per_page
        # optimize=False: Whoosh then counts matches while collecting them; with its block
        # skipping on, len() needs a second pass, which cost more than the skipping saved
        # (keyword p95 288 -> 134 ms, questions 557 -> 299 ms at 20k articles).
        complete = searcher.search(plan.required, limit=end, optimize=False)
        total_all = len(complete)
        hits = list(complete)[start:end]
        total = total_all
        if plan.partial is not None:
            # Complete matches score highest in the partial query too: fetch enough to drop
            # them and still fill the page (no Whoosh mask: counting with one is very slow).
            rest = searcher.search(plan.partial, limit=end + total_all, optimize=False)
            total = max(total_all, len(rest))
            need = end - total_all
            if need > 0:
                seen = {hit.docnum for hit in complete}
                partial_hits = [hit for hit in rest if hit.docnum not in seen]
                hits += partial_hits[max(0, start - total_all) : need]
        return RunResult(hits, total, total_all, plan.terms, plan.ctx)

    def search(
        self, text: str, page: int = 1, per_page: int = 10, snippets: bool = True
    ) -> SearchResult:
        """Return the page of ranked, highlighted hits for a query string."""
        started = time.perf_counter()
        text = self.validate(text, page, per_page)
        searcher = self._searcher()
        parsed = parse(text)
        run = self._run(searcher, parsed, page, per_page)
        suggestion = None
        corrected = False
        if run.total_all < FEW_RESULTS and run.ctx.short:
            suggestion = self.suggest(searcher.reader(), parsed)
        if suggestion and run.total_all == 0:
            # Nothing has all the words: show the corrected query's results if it does better.
            retry = self._run(searcher, parse(suggestion), page, per_page)
            if retry.total_all > 0 or (retry.total and not run.total):
                run, corrected = retry, True
        result = SearchResult(
            query=text,
            total=run.total,
            page=page,
            per_page=per_page,
            suggestion=suggestion,
            corrected=corrected,
            total_all_words=run.total_all,
            terms=run.terms,
        )
        for hit in run.hits:
            result.hits.append(
                Hit(
                    id=hit["id"],
                    title=hit["title"],
                    date=hit.get("date") or None,
                    source=hit["source"],
                    score=round(float(hit.score), 4),
                    snippet=str(snippet(hit["body"], run.terms)) if snippets else "",
                )
            )
        result.seconds = time.perf_counter() - started
        return result

    def _corrections(self, reader, word: str) -> str | None:
        """The index term closest to a word (edit distance 1, else 2), the most frequent first."""
        for maxdist in (1, 2):
            found: dict[str, int] = {}
            # Per segment: a segment reader walks its term index with a Levenshtein automaton,
            # the multi-segment reader would compare every term.
            for leaf, _ in reader.leaf_readers():
                for term in leaf.terms_within("body", word, maxdist, prefix=1):
                    found[term] = found.get(term, 0) + leaf.doc_frequency("body", term)
            if found:
                return max(sorted(found), key=found.get)
        return None

    def suggest(self, reader, parsed: ParsedQuery) -> str | None:
        """A corrected query when some words are not in the index but close to words that are."""
        ctx = QueryContext(short=True, typed_diacritics=False)
        replaced: dict[str, str] = {}
        for clause in parsed.clauses:
            for word in analyze_text(clause.text):
                if alternatives(reader, word, FIELDS, ctx):
                    continue
                fix = self._corrections(reader, word.surface.lower())
                if fix:
                    if word.surface[:1].isupper():
                        fix = fix[:1].upper() + fix[1:]
                    replaced[word.surface] = fix
        if not replaced:
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
            terms = build_query(searcher.reader(), parse(highlight_query)).terms
            article["title_html"] = str(highlight(fields["title"], terms))
            article["body_html"] = [str(highlight(p, terms)) for p in fields["body"].split("\n\n")]
        return article
