"""The SolrCloud backend: the same searches as ``search.engine`` on a Solr collection alias.

``SolrEngine`` has the methods of ``SearchEngine`` that the web app and the CLI call, and gives
the same results (``SearchResult`` of ``Hit``): the project's query language mapped to edismax
(words and phrases over title and body, title boosted, diacritic-free forms through folded
fields), articles with every query word ranked first, year and source facets that exclude their
own filter, date order, snippets and titles highlighted with ``<mark>`` by Solr's unified
highlighter, "did you mean" from Solr's spell checker, related articles by MoreLikeThis.

The collection's schema and Polish analysis are the configset in ``search/configset``.
Requests go to the nodes of ``SOLR_URL`` in turn; a node that does not answer is skipped for
the rest of the request (Solr routes each query to a live replica of every shard itself).
"""

from __future__ import annotations

import itertools
import math
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from cachetools import TTLCache
from markupsafe import Markup, escape

from search.analysis import repair_display
from search.budget import Deadline, SearchTimeout
from search.engine import MIN_COVERAGE, Facet, Hit, IndexUnavailableError, SearchResult
from search.planner import SHORT_QUERY_WORDS, check_limits
from search.query import Clause, ParsedQuery, parse
from search.request import (
    MAX_QUERY_CHARS,
    Filters,
    PageOutOfRange,
    SearchRequest,
    check,
    normalize_query,
)
from search.snippets import SNIPPET_CHARS
from search.stopwords import STOPWORDS

DEFAULT_COLLECTION = "mops"
CONFIGSET_DIR = Path(__file__).resolve().parent / "configset" / "conf"  # schema, analysis
FEW_RESULTS = 3  # as search.engine: below this many complete matches, "did you mean"
SOURCE_FACET_LIMIT = 20
RELATED = 5
# Characters that mean something to the Lucene/edismax query syntax.
_SPECIAL = re.compile(r'([+\-!(){}\[\]^"~*?:\\/&|])')
_OPERATORS = {"AND", "OR", "NOT", "TO"}
WORD = re.compile(r"\w+")
CONNECT_TIMEOUT_S = 2.0
LABELS_TTL_S = 30.0
COUNTS_CACHED = 20_000
COUNTS_TTL_S = 60.0  # how long the collection behind the alias and its source names are kept


class SolrUnavailableError(IndexUnavailableError):
    """No node of the cluster answered, or the collection does not exist yet."""


class SolrRequestError(RuntimeError):
    """Solr refused a request (a bug in the mapping or a configset that does not match)."""


def node_urls(solr_url: str) -> list[str]:
    """The node base URLs of SOLR_URL: comma-separated, each ``http://host:port/solr``."""
    urls = [u.strip().rstrip("/") for u in solr_url.split(",") if u.strip()]
    if not urls:
        raise ValueError("SOLR_URL names no Solr node")
    return urls


class SolrClient:
    """JSON requests to a SolrCloud, trying its nodes in turn (one session per thread)."""

    def __init__(self, urls: list[str]):
        self.urls = list(urls)
        self._next = itertools.count()
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def close(self) -> None:
        """Close this thread's connections."""
        session = getattr(self._local, "session", None)
        if session is not None:
            session.close()
            self._local.session = None

    def request(
        self,
        path: str,
        params: dict | list | None = None,
        *,
        method: str = "GET",
        json_body=None,
        data: bytes | None = None,
        headers: dict | None = None,
        timeout: float = 30.0,
    ) -> dict:
        """Send one request to the first node that answers; return Solr's JSON answer."""
        start = next(self._next) % len(self.urls)
        order = self.urls[start:] + self.urls[:start]
        failures = []
        for base in order:
            try:
                response = self._session().request(
                    method,
                    f"{base}/{path.lstrip('/')}",
                    params=params,
                    json=json_body,
                    data=data,
                    headers=headers,
                    timeout=(min(CONNECT_TIMEOUT_S, timeout), timeout),
                )
            except requests.Timeout as exc:
                raise SearchTimeout(
                    "The search took too long and was stopped; try a simpler query."
                ) from exc
            except requests.ConnectionError as exc:
                failures.append(f"{base}: {type(exc).__name__}")
                continue
            if response.status_code in (502, 503, 504):
                failures.append(f"{base}: HTTP {response.status_code}")
                continue
            try:
                body = response.json()
            except ValueError:
                body = {}
            if response.status_code >= 400:
                message = (body.get("error") or {}).get("msg") or response.text[:300]
                if response.status_code == 404 or "not found" in message.lower():
                    raise SolrUnavailableError(message)
                raise SolrRequestError(f"Solr answered {response.status_code}: {message}")
            return body
        raise SolrUnavailableError("no Solr node answered (" + "; ".join(failures) + ")")


def _escape_word(text: str) -> str:
    if text in _OPERATORS:
        return f'"{text}"'
    return _SPECIAL.sub(r"\\\1", text)


def _clause(clause: Clause) -> str | None:
    """One clause as edismax syntax; None when it holds only stop words."""
    words = WORD.findall(clause.text)
    if not words or all(w.lower() in STOPWORDS for w in words):
        return None
    # Glued words are indexed written apart (the indexer sends repair_display's text): a
    # query word glued the same way ("PomocySpołecznej") is searched as the phrase it stands for.
    repaired = repair_display(clause.text)
    if clause.phrase or repaired != clause.text:
        text = '"' + repaired.replace("\\", " ").replace('"', " ") + '"'
    else:
        text = _escape_word(clause.text)
    if clause.field == "title":
        return f"(title:{text} OR title_folded:{text})"
    return text


@dataclass(frozen=True)
class SolrQuery:
    """A parsed query as edismax strings: any group, every group, and each group alone."""

    any: str
    all: str
    groups: tuple[tuple[str, str], ...]  # (label as typed, the group's query)
    short: bool


def solr_query(parsed: ParsedQuery) -> SolrQuery | None:
    """Map the project's query language to edismax; None when nothing is searchable."""
    words = check_limits(parsed)
    groups = []
    for group in parsed.groups:
        parts = [q for c in group if (q := _clause(c)) is not None]
        if parts:
            label = " OR ".join(c.display() for c in group)
            groups.append((label, parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"))
    excluded = [q for c in parsed.excluded if (q := _clause(c)) is not None]
    not_part = "".join(f" -{q}" for q in excluded)
    if not groups:
        if not excluded:
            return None
        return SolrQuery("*:*" + not_part, "*:*" + not_part, (), True)
    any_q = "+(" + " OR ".join(q for _, q in groups) + ")" + not_part
    all_q = " ".join(f"+{q}" for _, q in groups) + not_part
    short = len(words) <= SHORT_QUERY_WORDS
    return SolrQuery(any_q, all_q, tuple(groups), short)


class SolrEngine:
    """Searches a SolrCloud collection alias; the interface of ``search.engine.SearchEngine``."""

    def __init__(self, solr_url: str, collection: str = DEFAULT_COLLECTION,
                 budget_s: float = 0.9):  # fmt: skip
        self.client = SolrClient(node_urls(solr_url))
        self.collection = collection
        self.budget_s = budget_s
        self._labels: dict[str, dict] = {}
        self._labels_for: tuple[str, float] | None = None
        # Document counts of query groups (for the coverage rule): a rebuild or an update
        # changes them a little; a minute's staleness moves a threshold, never a match.
        self._counts: TTLCache = TTLCache(maxsize=COUNTS_CACHED, ttl=COUNTS_TTL_S)
        self._lock = threading.Lock()

    # -- the collection -------------------------------------------------------------------
    def _select(self, params: dict | list, deadline: Deadline) -> dict:
        remaining = deadline.at - time.monotonic()
        if remaining <= 0:
            raise SearchTimeout("The search took too long and was stopped; try a simpler query.")
        if isinstance(params, dict):
            params = list(params.items())
        params = params + [("timeAllowed", str(max(1, int(remaining * 1000)))), ("wt", "json")]
        body = self.client.request(f"{self.collection}/select", params, timeout=remaining)
        if (body.get("responseHeader") or {}).get("partialResults"):
            raise SearchTimeout("The search took too long and was stopped; try a simpler query.")
        return body

    def current_collection(self) -> str:
        """The collection the alias points at (the collection itself when not an alias)."""
        body = self.client.request("admin/collections", {"action": "LISTALIASES", "wt": "json"})
        return (body.get("aliases") or {}).get(self.collection, self.collection)

    def sources(self) -> dict[str, dict]:
        """Source file -> readable name and address, as the indexer stored them (cached)."""
        with self._lock:
            now = time.monotonic()
            if self._labels_for is not None and now - self._labels_for[1] < LABELS_TTL_S:
                return self._labels
        params = {
            "q": "*:*", "rows": "10000", "fl": "source,source_label,source_url",
            "group": "true", "group.field": "source", "group.limit": "1", "wt": "json",
        }  # fmt: skip
        body = self.client.request(f"{self.collection}/select", params)
        labels = {}
        for group in body.get("grouped", {}).get("source", {}).get("groups", []):
            docs = group.get("doclist", {}).get("docs") or [{}]
            name = group.get("groupValue")
            if name:
                labels[name] = {"label": docs[0].get("source_label") or name,
                                "url": docs[0].get("source_url")}  # fmt: skip
        with self._lock:
            self._labels, self._labels_for = labels, (self.collection, time.monotonic())
        return labels

    def manifest(self) -> dict:
        """What the service reports about the index: the collection's name and build time."""
        name = self.current_collection()
        built = re.search(r"_(\d{8}T\d{6})", name)
        built_at = None
        if built:
            t = built.group(1)
            # the embedded index's format (indexer.build's manifest)
            built_at = f"{t[:4]}-{t[4:6]}-{t[6:8]}T{t[9:11]}:{t[11:13]}:{t[13:15]}+0000"
        return {"collection": name, "built_at": built_at, "backend": "solr"}

    def doc_count(self) -> int:
        body = self._select({"q": "*:*", "rows": "0"}, Deadline.after(self.budget_s * 5))
        return int(body["response"]["numFound"])

    def warm_up(self) -> None:
        """Read the source names before a server forks (its connection is not kept: a
        forked worker must not share the master's socket)."""
        try:
            self.sources()
        except (SolrUnavailableError, SolrRequestError):
            pass  # reported by the first search
        finally:
            self.client.close()

    def damaged(self) -> dict[str, str]:
        return {}  # Solr replicates and recovers its own cores

    def close(self) -> None:
        self.client.close()

    @staticmethod
    def is_heavy(text: str) -> bool:
        parsed = parse(normalize_query(text))
        return any(c.phrase for c in parsed.clauses) or len(parsed.clauses) > SHORT_QUERY_WORDS

    def source_label(self, source: str) -> str | None:
        found = self.sources().get(source)
        return found["label"] if found else None

    # -- searching ------------------------------------------------------------------------
    def search(
        self,
        text: str,
        page: int = 1,
        per_page: int = 10,
        snippets: bool = True,
        filters: Filters | None = None,
        deadline: Deadline | None = None,
        correct: bool = True,
    ):
        started = time.perf_counter()
        req = check(SearchRequest(text, page, per_page, filters or Filters()))
        deadline = deadline or Deadline.after(self.budget_s)
        query = solr_query(parse(req.q))
        result, unmatched = self._run(query, req, snippets, deadline)
        suggestion = None
        if result.total_all_words < FEW_RESULTS and unmatched and query.short:
            suggestion = self._suggest(req.q, unmatched, deadline)
        corrected = False
        if suggestion and result.total_all_words == 0 and correct:
            retry, _ = self._run(solr_query(parse(suggestion)), req, snippets, deadline)
            if retry.total_all_words > 0 or (retry.total and not result.total):
                result, corrected = retry, True
        if page > 1 and (page - 1) * per_page >= result.total:
            raise PageOutOfRange(page, max(1, -(-result.total // per_page)))
        result.query = req.q
        result.suggestion, result.corrected = suggestion, corrected
        result.seconds = time.perf_counter() - started
        return result

    def latest(self, page: int = 1, per_page: int = 10, filters: Filters | None = None):
        req = check(SearchRequest("", page, per_page, filters or Filters(sort="newest")),
                    required=False)  # fmt: skip
        deadline = Deadline.after(self.budget_s)
        result, _ = self._run(SolrQuery("*:*", "*:*", (), True), req, True, deadline)
        if page > 1 and (page - 1) * per_page >= result.total:
            raise PageOutOfRange(page, max(1, -(-result.total // per_page)))
        return result

    def _run(self, query: SolrQuery | None, req: SearchRequest, snippets: bool,
             deadline: Deadline):  # fmt: skip
        result = SearchResult(req.q, 0, req.page, req.per_page, filters=req.filters)
        if query is None:
            return result, []
        f = req.filters
        params: list[tuple[str, str]] = self._coverage(query, deadline) + [
            ("q", query.any), ("allq", "{!edismax v=$all}"), ("all", query.all),
            ("start", str((req.page - 1) * req.per_page)), ("rows", str(req.per_page)),
            ("fl", "id,title,title_source,date,source,source_label,institution,score"),
            ("facet", "true"), ("facet.field", "{!ex=y}year"), ("facet.field", "{!ex=s}source"),
            ("f.year.facet.limit", "-1"), ("f.year.facet.missing", "true"),
            ("f.source.facet.limit", str(SOURCE_FACET_LIMIT)), ("facet.mincount", "1"),
            ("facet.query", "{!edismax v=$all key=all}"),
        ]  # fmt: skip
        for i, (_, group) in enumerate(query.groups):
            params += [(f"g{i}", group), ("fl", f"m{i}:exists(query({{!edismax v=$g{i}}}))")]
            if query.short:  # which words match nothing: the words "did you mean" corrects
                params.append(("facet.query", f"{{!edismax v=$g{i} key=g{i} ex=y,s}}"))
        if f.year is not None:
            params.append(("fq", "{!tag=y}-year:[* TO *]" if f.year == 0 else
                           f"{{!tag=y}}year:{f.year}"))  # fmt: skip
        if f.source:
            params.append(("fq", "{!tag=s}{!term f=source}" + f.source))
        if f.sort == "relevance":
            params.append(("sort", "if(exists(query($allq)),1,0) desc,score desc,id asc"))
        else:
            direction = "desc" if f.sort == "newest" else "asc"
            params.append(("sort", f"date {direction},score desc,id asc"))
        if snippets:
            params += [
                ("hl", "true"), ("hl.fl", "title,body"), ("f.title.hl.bs.type", "WHOLE"),
                ("f.body.hl.fragsize", str(SNIPPET_CHARS)), ("hl.snippets", "1"),
                ("hl.fragsizeIsMinimum", "false"), ("f.body.hl.bs.type", "WORD"),  # ~SNIPPET_CHARS
                ("hl.maxAnalyzedChars", "200000"),
            ]  # fmt: skip  (the handler's hl.defaultSummary: a text's start when no match)
        body = self._select(params, deadline)
        found = body["response"]
        result.total = int(found["numFound"])
        counts = body.get("facet_counts") or {}
        queries = counts.get("facet_queries") or {}
        result.total_all_words = int(queries.get("all", 0))
        unmatched = [label for i, (label, _) in enumerate(query.groups)
                     if query.short and not queries.get(f"g{i}")]  # fmt: skip
        fields = counts.get("facet_fields") or {}
        years = _pairs(fields.get("year") or [])
        result.years = sorted((Facet(v or "", c) for v, c in years if c),
                              key=lambda x: x.value or "0", reverse=True)  # fmt: skip
        labels = self.sources()
        result.sources = [
            Facet(v, c, (labels.get(v) or {}).get("label") or v)
            for v, c in _pairs(fields.get("source") or []) if v and c
        ]  # fmt: skip
        highlighting = body.get("highlighting") or {}
        for doc in found["docs"]:
            result.hits.append(self._hit(doc, highlighting.get(doc["id"]) or {}, query, snippets))
        return result, unmatched

    def _hit(self, doc: dict, marks: dict, query: SolrQuery, snippets: bool):
        missing = []
        if len(query.groups) > 1:
            missing = [label for i, (label, _) in enumerate(query.groups) if not doc.get(f"m{i}")]
            if len(missing) == len(query.groups):
                missing = []
        shown = doc.get("title") or ""  # glued words written apart
        title = doc.get("title_source") or shown
        snippet = title_html = ""
        if snippets:
            title_html = _marked((marks.get("title") or [None])[0], shown)
            # one line, as the embedded engine's snippets (paragraph breaks become spaces)
            snippet = Markup(" ".join(_marked((marks.get("body") or [None])[0], "").split()))
        return Hit(
            id=doc["id"],
            title=title,
            date=doc.get("date") or None,
            source=doc.get("source") or "",
            score=round(float(doc.get("score") or 0.0), 4),
            snippet=snippet,
            title_html=title_html,
            missing=missing,
            source_label=doc.get("source_label") or doc.get("source") or "",
        )

    def _coverage(self, query: SolrQuery, deadline: Deadline) -> list[tuple[str, str]]:
        """The filter that keeps partial matches carrying enough of a short query's
        information, as ``search.engine`` does: the IDF of the words an article has, over the
        IDF of all the query's words, at least MIN_COVERAGE (a word found in most articles
        cannot carry a result by itself). Needs each word's document count: one request."""
        if MIN_COVERAGE <= 0 or not query.short or len(query.groups) < 2:
            return []
        documents, counts = self._document_counts(query.groups, deadline)
        idf = [max(0.0, math.log(max(1, documents) / max(1, n))) for n in counts]
        if sum(idf) <= 0:
            return []
        terms = ",".join(f"product(exists(query({{!edismax v=$g{i}}})),{w:.6f})"
                         for i, w in enumerate(idf) if w > 0)  # fmt: skip
        threshold = MIN_COVERAGE * sum(idf) - 1e-6  # printed to 6 places: never above
        return [("fq", f"{{!frange l={threshold:.6f}}}sum({terms},0)")]

    def _document_counts(self, groups, deadline: Deadline) -> tuple[int, list[int]]:
        """The collection's size and each group's document count, remembered for a minute
        (one request for the groups not remembered)."""
        with self._lock:
            known = {g: self._counts.get(g) for _, g in groups}
            size = self._counts.get("*:*")
        wanted = [g for g, n in known.items() if n is None]
        if wanted or size is None:
            params = [("q", "*:*"), ("rows", "0"), ("facet", "true")]
            for i, group in enumerate(wanted):
                params += [(f"g{i}", group), ("facet.query", f"{{!edismax v=$g{i} key=g{i}}}")]
            body = self._select(params, deadline)
            found = (body.get("facet_counts") or {}).get("facet_queries") or {}
            size = int(body["response"]["numFound"])
            with self._lock:
                self._counts["*:*"] = size
                for i, group in enumerate(wanted):
                    known[group] = self._counts[group] = int(found.get(f"g{i}", 0))
        return size, [known[g] for _, g in groups]

    def _suggest(self, text: str, unmatched: list[str], deadline: Deadline) -> str | None:
        """A corrected query from Solr's spell checker for the words (groups as typed) that
        match nothing; whole words replaced, as typed."""
        words = [w for label in unmatched for w in WORD.findall(label) if w.isalpha()]
        if not words:
            return None
        params = {
            "q": "*:*", "rows": "0", "spellcheck": "true", "spellcheck.q": " ".join(words),
            "spellcheck.count": "1", "spellcheck.collate": "false",
        }  # fmt: skip
        try:
            body = self._select(params, deadline)
        except SearchTimeout:
            return None
        found = (body.get("spellcheck") or {}).get("suggestions") or []
        replaced = {}
        for word, info in _pairs(found):
            options = (info or {}).get("suggestion") or []
            if options:
                best = options[0]["word"] if isinstance(options[0], dict) else options[0]
                replaced[word] = best
        if not replaced:
            return None
        fixed = WORD.sub(lambda m: _cased(m.group(), replaced.get(m.group().lower())), text)
        # Only words of the query's groups are corrected, never an excluded one.
        return fixed if fixed != text else None

    # -- single articles --------------------------------------------------------------------
    def _get(self, article_id: str) -> dict | None:
        body = self.client.request(f"{self.collection}/get", {"id": article_id, "wt": "json"},
                                   timeout=self.budget_s * 5)  # fmt: skip
        return body.get("doc")

    def article(self, article_id: str, highlight_query: str | None = None) -> dict | None:
        doc = self._get(article_id)
        if doc is None:
            return None
        article = {
            "id": doc["id"],
            "title": doc.get("title_source") or doc["title"],
            "date": doc.get("date") or None,
            "source": doc["source"],
            "source_label": doc.get("source_label") or doc["source"],
            "source_url": doc.get("source_url"),
            "institution": doc.get("institution") or None,
            "body": doc.get("body_source") or doc["body"],
        }
        marks: dict = {}
        highlight_query = normalize_query(highlight_query)
        if highlight_query and len(highlight_query) <= MAX_QUERY_CHARS:
            query = solr_query(parse(highlight_query))
            if query is not None:
                params = [
                    ("q", query.any), ("fq", "{!term f=id}" + article_id), ("rows", "1"),
                    ("fl", "id"), ("hl", "true"), ("hl.fl", "title,body"),
                    ("hl.bs.type", "WHOLE"), ("hl.maxAnalyzedChars", "1000000"),
                ]  # fmt: skip
                body = self._select(params, Deadline.after(self.budget_s))
                marks = (body.get("highlighting") or {}).get(article_id) or {}
        article["title_html"] = _marked((marks.get("title") or [None])[0], doc["title"])
        body_html = _marked((marks.get("body") or [None])[0], doc["body"])
        article["body_html"] = [Markup(p) for p in str(body_html).split("\n\n")]
        return article

    def related(self, article_id: str, limit: int = RELATED) -> list:
        """Articles sharing the most distinctive words of this one (Solr's MoreLikeThis query
        parser, which works across shards)."""
        if self._get(article_id) is None:
            return []
        params = {
            "q": "{!mlt qf=title,body mintf=1 mindf=2 maxqt=12}" + article_id,
            "fq": "-{!term f=id}" + article_id, "rows": str(limit),
            "fl": "id,title,title_source,date,source,source_label,score",
        }  # fmt: skip
        try:
            body = self._select(params, Deadline.after(self.budget_s))
        except (SolrRequestError, SearchTimeout):
            return []
        empty = SolrQuery("", "", (), True)
        docs = (body.get("response") or {}).get("docs", [])
        return [self._hit(d, {}, empty, False) for d in docs]


def _pairs(flat: list) -> list[tuple]:
    """Solr's flat [key, value, key, value…] lists as pairs."""
    return list(zip(flat[0::2], flat[1::2], strict=False))


def _marked(fragment: str | None, fallback: str) -> Markup:
    """Solr's highlighted fragment (escaped by its HTML encoder, <mark> around matches), else
    the text escaped."""
    if fragment is None:
        return escape(fallback)
    return Markup(fragment)


def _cased(word: str, fix: str | None) -> str:
    if not fix:
        return word
    return fix[:1].upper() + fix[1:] if word[:1].isupper() else fix
