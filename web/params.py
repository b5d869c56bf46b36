"""Request parameter parsing shared by the HTML and JSON views."""

from __future__ import annotations

from flask import current_app, request

from search.engine import MAX_PAGE_SIZE, MAX_QUERY_CHARS, SearchEngine


class BadParameter(ValueError):
    """A request parameter is missing or invalid; maps to HTTP 400."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


def engine() -> SearchEngine:
    return current_app.extensions["search_engine"]


def _int(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadParameter(name, f"'{name}' must be a whole number.") from None


def search_params(require_query: bool = True) -> tuple[str, int, int]:
    """Return (q, page, per_page) from the query string, raising BadParameter if invalid."""
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
    return q, page, per_page
