"""The search entry point used by the web app, the CLI and the evaluation harness."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from whoosh import query as Q
from whoosh.scoring import BM25F

from search.analysis import analyze_clause, analyze_text
from search.budget import NO_DEADLINE, Deadline
from search.executor import NONE, Executor, Matches, contains, difference, kept
from search.planner import (
    QueryContext,
    QueryPlan,
    alternatives,
    build_query,
    is_heavy,
)
from search.postings import IndexView
from search.query import FIELDS, ParsedQuery, parse
from search.request import (
    MAX_QUERY_CHARS,
    Filters,
    PageOutOfRange,
    SearchRequest,
    check,
    normalize_query,
)
from search.snippets import glued_of, highlight, snippet
from search.stemfiles import load_table
from search.store import (
    IndexDamagedError,
    IndexIncompatibleError,
    check_compatible,
    current_build,
    has_index,
    link_target,
    open_index,
    read_columns,
    read_manifest,
    read_words,
    verify,
)

# Below this many complete matches a misspelt word earns a "did you mean" suggestion.
FEW_RESULTS = 3
# Source documents listed in the facet: the ones with the most matches (a city's archive
# has thousands of files; years are few and all listed).
SOURCE_FACET_LIMIT = 20
WORD = re.compile(r"\w+")
DEFAULT_BUDGET_S = 0.9
RELATED_TERMS = 12  # the article's most distinctive words that find its related articles
RELATED_SCAN_CHARS = 20_000
# Partial matches of keyword queries must hold this share of the query's information (IDF).
# Measured (python -m benchmarks.evaluate): seed-dev stays 1.000 up to 0.5; on PoQuAD A
# (applied to its short questions) 0.1 keeps nDCG@10 0.785 and R@10 0.899 (0.898 without),
# 0.3 gives 0.784 / 0.894, 0.5 gives 0.748 / 0.836. Words in most articles have IDF ~0, so
# they never carry a result alone at any positive threshold.
MIN_COVERAGE = 0.1
DENSE_COVERAGE = 8  # coverage summed over the docnums when the matches hold 1/8 of them
BM25_B = 0.75
BM25_K1 = 1.2


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
    title_html: str = ""  # the title escaped, query words in <mark>
    missing: list[str] = field(default_factory=list)  # query words the article lacks
    source_label: str = ""  # the document's readable name (corpus/sources.toml or derived)


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
    filters: Filters = field(default_factory=lambda: Filters())
    years: list[Facet] = field(default_factory=list)  # counts for the query (source applied)
    sources: list[Facet] = field(default_factory=list)  # top counts for the query (year applied)

    @property
    def partial(self) -> bool:
        """Whether some hits lack one of the query's words (they follow the complete ones)."""
        return self.total_all_words < self.total

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(slots=True)
class Facet:
    value: str  # year ("" when unknown) or source file name
    count: int
    label: str = ""  # for sources: the document's readable name


EVERYTHING = QueryPlan(
    Q.Every(), None, frozenset(), QueryContext(short=True, typed_diacritics=False)
)


@dataclass
class RunResult:
    hits: list  # docnums of the requested page, in order
    scores: list
    total: int
    total_all: int
    terms: frozenset[str]
    ctx: QueryContext
    years: list[Facet] = field(default_factory=list)
    sources: list[Facet] = field(default_factory=list)
    missing: list = field(default_factory=list)  # per hit: the query's words it lacks


def _facet(counts: np.ndarray, limit: int | None = None) -> list[tuple[int, int]]:
    """(value, count) pairs of a bincount over small non-negative codes (years, source
    codes), zero counts left out; with a limit, the most frequent ones (ties by value)."""
    found = np.flatnonzero(counts)
    counts = counts[found]
    if limit is not None:
        if len(found) > limit:  # sort only the values counted at least the limit-th most
            head = counts >= np.partition(counts, len(counts) - limit)[len(counts) - limit]
            found, counts = found[head], counts[head]
        order = np.lexsort((found, -counts))[:limit]
        found, counts = found[order], counts[order]
    return list(zip(found.tolist(), counts.tolist(), strict=True))


def _count(column: np.ndarray, ids: np.ndarray) -> np.ndarray:
    return np.bincount(np.take(column, ids), minlength=1)


def _counts_of(view: IndexView, complete: Matches, rest: Matches):
    """Per year and per source code, the matches (bincounts). When they are most of the
    archive, the archive's counts less those of the articles they miss: a gather and a
    count over the few that miss instead of the many that match."""
    years, sources = view.column("year"), view.column("source")
    if 2 * (len(complete) + len(rest)) <= len(view.live):
        everything = np.concatenate([complete.ids, rest.ids])
        return _count(years, everything), _count(sources, everything)
    missed = view.live.copy()
    if rest.mask is not None and len(rest.mask) <= len(missed):
        missed[: len(rest.mask)] &= ~rest.mask
    else:
        missed[rest.ids] = False
    missed[complete.ids] = False
    missed = np.flatnonzero(missed)
    all_years, all_sources = view.column("year_counts"), view.column("source_counts")
    return (
        all_years - np.bincount(np.take(years, missed), minlength=len(all_years)),
        all_sources - np.bincount(np.take(sources, missed), minlength=len(all_sources)),
    )


def _filter_and_count(view: IndexView, complete: Matches, rest: Matches, filters: Filters):
    """Apply the year and source filters; count the facets, each with the other filter applied
    (so users can switch between values). Return (complete, rest, years, sources)."""
    if filters.year is None and not filters.source:
        year_counts, source_counts = _counts_of(view, complete, rest)
    else:
        years, sources = view.column("year"), view.column("source")
        everything = np.concatenate([complete.ids, rest.ids])
        in_year = years[everything] == filters.year if filters.year is not None else None
        in_source = None
        if filters.source:
            code = view.column("source_codes").get(filters.source, -1)
            in_source = sources[everything] == code
        of_source = everything if in_source is None else kept(everything, in_source)
        of_year = everything if in_year is None else kept(everything, in_year)
        year_counts, source_counts = _count(years, of_source), _count(sources, of_year)
        masks = [m for m in (in_year, in_source) if m is not None]
        keep, split = np.logical_and.reduce(masks), len(complete)
        complete, rest = complete.where(keep[:split]), rest.where(keep[split:])
    # Newest first, unknown ("", code 0) last: years are four-digit (search.schema.year_of),
    # so numeric order is the order of their text; _facet gives them in year order.
    year_facet = [Facet(str(v) if v else "", c) for v, c in reversed(_facet(year_counts))]
    names = view.column("source_names")
    source_facet = [Facet(names[v], c) for v, c in _facet(source_counts, SOURCE_FACET_LIMIT)]
    return complete, rest, year_facet, source_facet


def _informative(rest: Matches, groups: list, documents: int, short: bool) -> Matches:
    """Partial matches whose matched words carry enough of the query's information: the
    IDF of the words an article has, over the IDF of all the query's words, at least
    MIN_COVERAGE. A word found in most articles (the institution's own name) has an IDF near
    zero, so it cannot carry a result by itself. ``groups``: (words, their documents)."""
    if not len(rest) or MIN_COVERAGE <= 0 or not short:
        return rest  # questions: every word of a long question need not be informative
    size = max([int(rest.ids[-1])] + [int(ids[-1]) for _, ids in groups if len(ids)]) + 1
    dense = len(rest) * DENSE_COVERAGE >= size
    # Many partial matches: the IDF each article holds summed over the docnums (a scatter
    # per word, one gather), not a membership test of every match per word.
    held = np.zeros(size) if dense else np.zeros(len(rest))
    total = 0.0
    for _, ids in groups:
        idf = max(0.0, float(np.log(max(1, documents) / max(1, len(ids)))))
        total += idf
        if dense:
            np.add.at(held, ids, idf)  # in place: twice as fast as held[ids] += idf
        else:
            held += contains(ids, rest.ids) * idf
    if total <= 0:
        return rest
    covered = held[rest.ids] if dense else held
    return rest.where(covered >= MIN_COVERAGE * total)


def _missing(groups: list, page_ids: list[int], complete: Matches) -> list:
    """For each hit of the page, the query's words (groups) it does not contain."""
    page = np.array(page_ids, dtype=np.int64)
    partial = page[~contains(complete.ids, page)]
    if not len(partial) or len(groups) < 2:
        return [[] for _ in page_ids]
    lacking: dict[int, list[str]] = {int(d): [] for d in partial}
    for label, found in groups:
        for doc in partial[~contains(found, partial)].tolist():
            lacking[doc].append(label)
    return [lacking.get(d, []) for d in page_ids]


def _order(view: IndexView, complete: Matches, rest: Matches, sort: str, end: int):
    """The first ``end`` matches in order: by relevance, articles with all the words first;
    by date, strictly by date among all matches (undated articles last either way)."""
    if sort != "relevance":
        matches = Matches(
            np.concatenate([complete.ids, rest.ids]),
            np.concatenate([complete.scores, rest.scores]),
        )
        rank = view.column("date_rank")[matches.ids]
        key = rank if sort == "newest" else np.where(rank >= 0, len(view.live) - rank, -1)
        order = matches.top(end, key)
        return matches.ids[order].tolist(), matches.scores[order].tolist()
    ids: list[int] = []
    scores: list[float] = []
    for matches in (complete, rest):
        if len(ids) >= end or not len(matches):
            continue
        order = matches.top(end - len(ids))
        ids += matches.ids[order].tolist()
        scores += matches.scores[order].tolist()
    return ids, scores


class SearchEngine:
    """Searches the index at a path, picking up rebuilt indexes as they are switched in.

    Each thread has its own Whoosh searcher; the posting arrays and columns of a build
    (``IndexView``) are shared by the threads of a process. When a new build is switched in,
    each thread closes its searcher on its next search, and the old build's view is closed
    when its last thread has left it.
    """

    def __init__(self, index_path: str | Path, budget_s: float = DEFAULT_BUDGET_S):
        self.index_path = Path(index_path)
        self.budget_s = budget_s
        self._local = threading.local()
        self._views: dict[Path, IndexView] = {}
        self._views_lock = threading.Lock()
        self._damaged: dict[Path, str] = {}

    # -- index access -------------------------------------------------------------------
    def _searcher(self):
        """This thread's searcher on the current build, reopened when the build changes."""
        return self._state()[1]

    def _state(self):
        """(build, this thread's searcher, the build's shared IndexView)."""
        target = link_target(self.index_path)
        state = getattr(self._local, "state", None)
        if state is not None and target is not None and target == self._local.target:
            return state  # the hot path: the link still says what it said (one readlink)
        build = current_build(self.index_path)
        if state is not None and state[0] == build:
            self._local.target = target
            return state  # this thread's searcher on the current build
        if not has_index(build):
            raise IndexUnavailableError(f"no index at {self.index_path}")
        if build in self._damaged:
            build = self._last_good(build)
        if state is None or state[0] != build:
            try:
                view = self._view(build)
            except IndexDamagedError as exc:
                self._damaged[build] = str(exc)
                return self._state()
            if state is not None:
                self._leave(state)
            searcher = view.ix.searcher(weighting=BM25F(B=BM25_B, K1=BM25_K1))
            state = (build, searcher, view)
            self._local.state = state
        self._local.target = target
        return state

    def _leave(self, state) -> None:
        """A thread leaves an old build: close its searcher, and the view if it was the last."""
        _, searcher, view = state
        searcher.close()
        with self._views_lock:
            view.users -= 1
            if view.users == 0 and view.retired:
                view.close()

    def _last_good(self, damaged: Path) -> Path:
        """The build this process served before a damaged one was switched in."""
        with self._views_lock:
            good = [b for b in self._views if b not in self._damaged]
        if not good:
            raise IndexUnavailableError(self._damaged[damaged])
        return good[-1]

    def damaged(self) -> dict[str, str]:
        """Builds refused as damaged in this process (name -> reason)."""
        return {b.name: reason for b, reason in self._damaged.items()}

    def _view(self, build: Path) -> IndexView:
        """The build's posting arrays and columns, one per process, shared by threads."""
        with self._views_lock:
            view = self._views.get(build)
            if view is None:
                manifest = read_manifest(build)
                check_compatible(manifest)
                verify(build, manifest)  # a damaged build is refused; the last good one serves
                load_table(build)  # the stemmer's table as the indexer parsed it (if needed)
                ix = open_index(build)
                view = IndexView(ix, FIELDS, BM25_B, BM25_K1)
                view.words = lambda: read_words(build)
                view.recorded_columns = lambda: read_columns(build)
                view.sources = {
                    name: {"label": meta.get("label") or name, "url": meta.get("url")}
                    for name, meta in ((manifest or {}).get("files") or {}).items()
                }
                for old in self._views.values():
                    old.retired = True
                    if old.users == 0:
                        old.close()
                self._views = {build: view}
            view.users += 1
            return view

    def close(self) -> None:
        """Close this thread's searcher and every view (tests and short-lived tools)."""
        state = getattr(self._local, "state", None)
        if state is not None:
            state[1].close()
            self._local.state = None
        with self._views_lock:
            for view in self._views.values():
                view.close()
            self._views = {}

    def warm_up(self) -> None:
        """Open the current build and read what queries need now, not on the first search:
        its columns and its typo vocabulary (a server does it before forking its workers).
        An unusable index is left for the first search to report."""
        try:
            view = self._state()[2]
        except (IndexUnavailableError, IndexIncompatibleError, OSError):
            return
        view.column("year")
        view.vocabulary()

    def manifest(self) -> dict:
        """The current build's manifest (counts, build time), {} when missing."""
        return read_manifest(current_build(self.index_path)) or {}

    def doc_count(self) -> int:
        return self._searcher().doc_count()

    # -- searching ------------------------------------------------------------------------
    def _run(
        self,
        state,
        parsed: ParsedQuery | None,
        page: int,
        per_page: int,
        filters: Filters,
        deadline: Deadline = NO_DEADLINE,
    ) -> RunResult:
        """Run a parsed query: articles with all the words first, then partial matches.

        Both the all-words query (an AND) and the partial-match one (an OR with a bonus per
        matched word) are evaluated in full over cached posting arrays (search.executor), so
        totals, facet counts and date order cover every match, not just the first page.
        """
        _, searcher, view = state
        plan = (
            build_query(searcher.reader(), parsed, term_cache=view.term_cache)
            if parsed is not None
            else EVERYTHING
        )
        deadline.check()
        executor = Executor(view, searcher, deadline)
        complete = executor.run(plan.required)
        rest = NONE
        groups: list = []  # (words as typed, the documents holding them), once per query
        if plan.partial is not None:
            groups = [(label, executor.run(q).ids) for label, q in plan.groups]
            rest = difference(executor.run(plan.partial), complete)
            rest = _informative(rest, groups, len(view.live), plan.ctx.short)
        complete, rest, years, sources = _filter_and_count(view, complete, rest, filters)
        start, end = (page - 1) * per_page, page * per_page
        ids, scores = _order(view, complete, rest, filters.sort, end)
        page_ids = ids[start:end]
        return RunResult(
            hits=page_ids,
            missing=_missing(groups, page_ids, complete),
            scores=scores[start:end],
            total=len(complete) + len(rest),
            total_all=len(complete),
            terms=plan.terms,
            ctx=plan.ctx,
            years=years,
            sources=sources,
        )

    def search(
        self,
        text: str,
        page: int = 1,
        per_page: int = 10,
        snippets: bool = True,
        filters: Filters | None = None,
        deadline: Deadline | None = None,
        correct: bool = True,
    ) -> SearchResult:
        """Return the page of ranked, highlighted hits for a query string.

        Raises QueryError for a bad request and SearchTimeout past the time budget."""
        started = time.perf_counter()
        req = check(SearchRequest(text, page, per_page, filters or Filters()))
        text, filters = req.q, req.filters
        # Opening a build (once per process and build: verifying its checksums, reading its
        # columns) is not the query's cost: the budget starts once the build is open.
        state = self._state()
        deadline = deadline or Deadline.after(self.budget_s)
        parsed = parse(text)
        run = self._run(state, parsed, page, per_page, filters, deadline)
        suggestion = None
        corrected = False
        if run.total_all < FEW_RESULTS and run.ctx.short:
            suggestion = self.suggest(state, parsed)
        if suggestion and run.total_all == 0 and correct:
            # Nothing has all the words: show the corrected query's results if it does better.
            retry = self._run(state, parse(suggestion), page, per_page, filters, deadline)
            if retry.total_all > 0 or (retry.total and not run.total):
                run, corrected = retry, True
        if page > 1 and (page - 1) * per_page >= run.total:
            raise PageOutOfRange(page, max(1, -(-run.total // per_page)))
        result = SearchResult(
            query=text,
            total=run.total,
            page=page,
            per_page=per_page,
            suggestion=suggestion,
            corrected=corrected,
            total_all_words=run.total_all,
            terms=run.terms,
            filters=filters,
            years=run.years,
            sources=run.sources,
        )
        self._fill(result, state, run, snippets, deadline)
        result.seconds = time.perf_counter() - started
        return result

    @staticmethod
    def _fill(result: SearchResult, state, run: RunResult, snippets: bool, deadline=NO_DEADLINE):
        """The page's hits: stored fields, readable source names, highlighted title and snippet."""
        _, searcher, view = state
        labels = view.sources
        for facet in result.sources:
            facet.label = labels.get(facet.value, {}).get("label") or facet.value
        missing = run.missing or [[] for _ in run.hits]
        for docnum, score, lacks in zip(run.hits, run.scores, missing, strict=False):
            deadline.check()
            stored = view.shown_fields(docnum, searcher)
            body = stored["body"]
            glued = glued_of(stored.get("glued"))  # unknown in builds before it was recorded
            result.hits.append(
                Hit(
                    id=stored["id"],
                    title=stored["title"],
                    date=stored.get("date") or None,
                    source=stored["source"],
                    score=round(float(score), 4),
                    snippet=str(snippet(body, run.terms, glued, stored.get("spaced", False)))
                    if snippets
                    else "",
                    title_html=str(highlight(stored["title"], run.terms, glued))
                    if snippets
                    else "",
                    source_label=labels.get(stored["source"], {}).get("label") or stored["source"],
                    missing=lacks,
                )
            )

    def suggest(self, state, parsed: ParsedQuery) -> str | None:
        """A corrected query when some words are not in the index but close to words that are."""
        _, searcher, view = state
        reader = searcher.reader()
        ctx = QueryContext(short=True, typed_diacritics=False, term_cache=view.term_cache)
        replaced: dict[str, str] = {}
        frequency = lambda term: reader.doc_frequency("body", term)  # noqa: E731
        for clause in parsed.clauses:
            for word in analyze_clause(clause.text):
                if not word.surface.isalpha():
                    continue  # numbers and codes are not misspelt words ("1" is not "12")
                if alternatives(reader, word, FIELDS, ctx):
                    continue
                # The word as typed, else its stem: the lexicon holds dictionary forms, so an
                # inflected typo ("stdentów") is closer to them once its ending is cut.
                fix = None
                for form in dict.fromkeys((word.surface.lower(), *word.terms)):
                    fix = fix or view.term_cache.remembered(
                        ("correction", form),
                        lambda form=form: view.vocabulary().corrections(form, frequency),
                    )
                if fix:
                    if word.surface[:1].isupper():
                        fix = fix[:1].upper() + fix[1:]
                    replaced[word.surface] = fix
        if not replaced:
            return None
        # Whole words only: "Brukseal Brukseala" must not become "Bruksela Brukselaa".
        return WORD.sub(lambda m: replaced.get(m.group(), m.group()), parsed.display())

    def related(self, article_id: str, limit: int = 5) -> list[Hit]:
        """Articles sharing the most distinctive words (TF-IDF) of an article's title and text."""
        state = self._state()
        _, searcher, view = state
        fields = searcher.document(id=article_id)
        if fields is None:
            return []
        reader = searcher.reader()
        n = max(1, reader.doc_count())
        counts: dict[str, int] = {}
        text = f"{fields['title']} {fields['title']} {fields['body'][:RELATED_SCAN_CHARS]}"
        for word in analyze_text(text):
            for term in word.terms:
                counts[term] = counts.get(term, 0) + 1
        weights = {}
        for term, tf in counts.items():
            df = reader.doc_frequency("body", term)
            if 1 < df < n * 0.5:  # in other articles, but not in most
                weights[term] = tf * np.log(n / df)
        chosen = sorted(weights, key=lambda t: -weights[t])[:RELATED_TERMS]
        if not chosen:
            return []
        query = Q.Or([Q.Term(f, t) for t in chosen for f in FIELDS])
        deadline = Deadline.after(self.budget_s)
        found = Executor(view, searcher, deadline).run(query)
        own = searcher.document_number(id=article_id)
        found = found.where(found.ids != own)
        order = found.top(limit)
        run = RunResult(found.ids[order].tolist(), found.scores[order].tolist(), len(found),
                        len(found), frozenset(), EVERYTHING.ctx)  # fmt: skip
        result = SearchResult("", len(found), 1, limit)
        self._fill(result, state, run, snippets=False, deadline=deadline)
        return result.hits

    def source_label(self, source: str) -> str | None:
        """The readable name of a corpus document, None when the index does not hold it."""
        found = self._state()[2].sources.get(source)
        return found["label"] if found else None

    def latest(self, page: int = 1, per_page: int = 10, filters: Filters | None = None):
        """Every article, newest first (or as ``filters`` sort them): browsing the archive."""
        started = time.perf_counter()
        filters = filters or Filters(sort="newest")
        req = check(SearchRequest("", page, per_page, filters), required=False)
        state = self._state()
        run = self._run(
            state, None, req.page, req.per_page, req.filters, Deadline.after(self.budget_s)
        )
        if page > 1 and (page - 1) * per_page >= run.total:
            raise PageOutOfRange(page, max(1, -(-run.total // per_page)))
        result = SearchResult(
            "", run.total, page, per_page, total_all_words=run.total, filters=req.filters,
            years=run.years, sources=run.sources,
        )  # fmt: skip
        self._fill(result, state, run, snippets=True)
        result.seconds = time.perf_counter() - started
        return result

    @staticmethod
    def is_heavy(text: str) -> bool:
        """Whether a query may be costly (phrases, glued words, long questions)."""
        return is_heavy(parse(normalize_query(text)))

    def article(self, article_id: str, highlight_query: str | None = None) -> dict | None:
        """Return one article's stored fields (and highlighted body when a query is given)."""
        _, searcher, view = self._state()
        fields = searcher.document(id=article_id)
        if fields is None:
            return None
        source = view.sources.get(fields["source"], {})
        article = {
            "id": fields["id"],
            "title": fields["title"],
            "date": fields.get("date") or None,
            "source": fields["source"],
            "source_label": source.get("label") or fields["source"],
            "source_url": source.get("url"),
            "institution": fields.get("institution") or None,
            "body": fields["body"],
        }
        highlight_query = normalize_query(highlight_query)
        terms: frozenset[str] = frozenset()
        if highlight_query and len(highlight_query) <= MAX_QUERY_CHARS:
            terms = build_query(searcher.reader(), parse(highlight_query)).terms
        # Shown repaired (glued words apart, as the index reads them); the page also offers
        # the text as stored ("tekst źródłowy").
        article["title_html"] = str(highlight(fields["title"], terms))
        article["body_html"] = [str(highlight(p, terms)) for p in fields["body"].split("\n\n")]
        return article
