"""The request's search parameters, checked by ``search.request`` (the one set of checks)."""

from __future__ import annotations

from flask import current_app, request

from search.engine import SearchEngine
from search.request import SearchRequest, parse_request


def engine() -> SearchEngine:
    return current_app.extensions["search_engine"]


def default_per_page() -> int:
    return current_app.extensions["settings"].per_page


def search_params(required: bool = True) -> SearchRequest:
    """q, page, per_page, year, source and sort from the query string; QueryError if invalid."""
    return parse_request(request.args, default_per_page(), required)
