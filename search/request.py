"""What a search asks for, and the one place that checks it.

The HTML pages, the JSON API and the terminal all build a ``SearchRequest`` here (from query
string arguments or command-line options); the engine checks what it is given with the same
functions, so a bad parameter gets the same message wherever it comes from.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

MAX_QUERY_CHARS = 500
MAX_PAGE_SIZE = 50
MAX_PAGE = 10_000  # deeper pages are never useful and only cost
MAX_SOURCE_CHARS = 300
MAX_DIGITS = 6
SORTS = ("relevance", "newest", "oldest")


class QueryError(ValueError):
    """A search cannot be run as asked; the message says why (and ``parameter`` which one)."""

    def __init__(self, message: str, parameter: str | None = None):
        super().__init__(message)
        self.message = message
        self.parameter = parameter


class PageOutOfRange(QueryError):
    """A page past the last page of the results (answered 404, with a link to the last)."""

    def __init__(self, page: int, last: int):
        super().__init__(f"Page {page} is past the last page of the results ({last}).", "page")
        self.page = page
        self.last = last


@dataclass(frozen=True)
class Filters:
    """Narrowing and ordering of a result list; all optional."""

    year: int | None = None  # 0: articles without a known year
    source: str | None = None
    sort: str = "relevance"


@dataclass(frozen=True)
class SearchRequest:
    """A checked search: query text, page, page size and filters."""

    q: str
    page: int = 1
    per_page: int = 10
    filters: Filters = Filters()
    correct: bool = True  # may a misspelt query be replaced by its correction

    def url_args(self, default_per_page: int, **changes) -> dict:
        """The request as query-string arguments (defaults left out), with changes."""
        args = {
            "q": self.q,
            "year": self.filters.year,
            "source": self.filters.source,
            "sort": self.filters.sort if self.filters.sort != "relevance" else None,
            "page": self.page if self.page != 1 else None,
            "per_page": self.per_page if self.per_page != default_per_page else None,
            "correct": None if self.correct else "0",
        }
        args.update(changes)
        return {k: v for k, v in args.items() if v is not None and v != ""}


def normalize_query(text: str | None) -> str:
    """The query as the engine sees it: NFC, surrounding whitespace removed."""
    return unicodedata.normalize("NFC", text or "").strip()


def check_query(text: str | None, required: bool = True) -> str:
    q = normalize_query(text)
    if required and not q:
        raise QueryError("Parameter 'q' is required and must not be empty.", "q")
    if len(q) > MAX_QUERY_CHARS:
        raise QueryError(f"Parameter 'q' must be at most {MAX_QUERY_CHARS} characters.", "q")
    return q


def check_page(page: int) -> int:
    if not 1 <= page <= MAX_PAGE:
        raise QueryError(f"Parameter 'page' must be between 1 and {MAX_PAGE}.", "page")
    return page


def check_per_page(per_page: int) -> int:
    if not 1 <= per_page <= MAX_PAGE_SIZE:
        raise QueryError(f"Parameter 'per_page' must be between 1 and {MAX_PAGE_SIZE}.", "per_page")
    return per_page


def check_filters(filters: Filters) -> Filters:
    if filters.year is not None and not 0 <= filters.year <= 9999:
        raise QueryError("Parameter 'year' must be a year (0: articles without one).", "year")
    if filters.source is not None and len(filters.source) > MAX_SOURCE_CHARS:
        raise QueryError(
            f"Parameter 'source' must be at most {MAX_SOURCE_CHARS} characters.", "source"
        )
    if filters.sort not in SORTS:
        raise QueryError(f"Parameter 'sort' must be one of: {', '.join(SORTS)}.", "sort")
    return filters


def check(req: SearchRequest, required: bool = True) -> SearchRequest:
    """Check every part of a request; raise QueryError naming the first bad parameter."""
    return SearchRequest(
        check_query(req.q, required),
        check_page(req.page),
        check_per_page(req.per_page),
        check_filters(req.filters),
        req.correct,
    )


def _int(args: Mapping[str, str], name: str, default: int | None) -> int | None:
    """A whole number written in ASCII digits only ('1_0', '١٠' and '+5' are refused)."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= MAX_DIGITS):
        raise QueryError(f"Parameter '{name}' must be a whole number.", name)
    return int(raw)


def parse_request(
    args: Mapping[str, str], default_per_page: int, required: bool = True
) -> SearchRequest:
    """Build and check a request from query-string arguments."""
    source = (args.get("source") or "").strip() or None
    filters = Filters(_int(args, "year", None), source, args.get("sort") or "relevance")
    correct = args.get("correct") or "1"
    if correct not in ("0", "1"):
        raise QueryError("Parameter 'correct' must be 0 or 1.", "correct")
    req = SearchRequest(
        args.get("q") or "",
        _int(args, "page", 1),
        _int(args, "per_page", default_per_page),
        filters,
        correct == "1",
    )
    return check(req, required)
