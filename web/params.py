"""Request parameter parsing shared by the HTML and JSON views."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request

from search.engine import MAX_PAGE_SIZE, MAX_QUERY_CHARS, SORTS, Filters, SearchEngine

MAX_SOURCE_CHARS = 300


class BadParameter(ValueError):
    """A request parameter is missing or invalid; maps to HTTP 400."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class SearchRequest:
    q: str
    page: int
    per_page: int
    filters: Filters

    def url_args(self, **changes) -> dict:
        """The request's state as query-string arguments (defaults left out), with changes."""
        args = {
            "q": self.q,
            "year": self.filters.year,
            "source": self.filters.source,
            "sort": self.filters.sort if self.filters.sort != "relevance" else None,
            "page": self.page if self.page != 1 else None,
            "per_page": self.per_page if self.per_page != current_app.config["PER_PAGE"] else None,
        }
        args.update(changes)
        return {k: v for k, v in args.items() if v is not None and v != ""}


def engine() -> SearchEngine:
    return current_app.extensions["search_engine"]


def _int(name: str, default: int | None) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadParameter(name, f"'{name}' must be a whole number.") from None


def search_params(require_query: bool = True) -> SearchRequest:
    """Parse q, page, per_page, year, source and sort, raising BadParameter if invalid."""
    q = (request.args.get("q") or "").strip()
    if require_query and not q:
        raise BadParameter("q", "Parameter 'q' is required and must not be empty.")
    if len(q) > MAX_QUERY_CHARS:
        raise BadParameter("q", f"Parameter 'q' must be at most {MAX_QUERY_CHARS} characters.")
    page = _int("page", 1)
    if page < 1:
        raise BadParameter("page", "Parameter 'page' must be 1 or more.")
    per_page = _int("per_page", int(current_app.config["PER_PAGE"]))
    if not 1 <= per_page <= MAX_PAGE_SIZE:
        raise BadParameter(
            "per_page", f"Parameter 'per_page' must be between 1 and {MAX_PAGE_SIZE}."
        )
    year = _int("year", None)
    if year is not None and not 0 <= year <= 9999:
        raise BadParameter("year", "Parameter 'year' must be a year (0: articles without one).")
    source = (request.args.get("source") or "").strip() or None
    if source is not None and len(source) > MAX_SOURCE_CHARS:
        raise BadParameter(
            "source", f"Parameter 'source' must be at most {MAX_SOURCE_CHARS} characters."
        )
    sort = request.args.get("sort") or "relevance"
    if sort not in SORTS:
        raise BadParameter("sort", f"Parameter 'sort' must be one of: {', '.join(SORTS)}.")
    return SearchRequest(q, page, per_page, Filters(year=year, source=source, sort=sort))
