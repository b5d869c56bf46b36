"""The one JSON shape of a search result, shared by the API, the HTML pages and the terminal.

Links are paths relative to the service's root (``/article/<id>?q=…``, ``/api/search?…``);
the web app's routes are these paths.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from search.engine import SearchResult
from search.request import SearchRequest


def article_path(article_id: str, q: str | None = None) -> str:
    """The article page, with the query whose words it should highlight."""
    path = f"/article/{quote(article_id, safe='')}"
    return f"{path}?{urlencode({'q': q})}" if q else path


def search_path(args: dict, api: bool = True) -> str:
    """A results page (the API's, or the HTML one) for query-string arguments."""
    return f"{'/api/search' if api else '/'}?{urlencode(args)}"


def result_json(result: SearchResult, req: SearchRequest, default_per_page: int) -> dict:
    """A search result as the API returns it (``/api/openapi.json`` describes the shape)."""
    shown = result.suggestion if result.corrected and result.suggestion else result.query
    next_url = None
    if result.page < result.pages:
        next_url = search_path(req.url_args(default_per_page, page=result.page + 1))
    return {
        "query": result.query,
        "total": result.total,
        "total_all_words": result.total_all_words,
        "page": result.page,
        "per_page": result.per_page,
        "pages": result.pages,
        "filters": {
            "year": result.filters.year,
            "source": result.filters.source,
            "sort": result.filters.sort,
        },
        "results": [
            {
                "id": hit.id,
                "title": hit.title,
                "title_html": hit.title_html,
                "date": hit.date,
                "source": hit.source,
                "source_label": hit.source_label,
                "url": article_path(hit.id, shown),
                "score": hit.score,
                "snippet": hit.snippet,
                "missing": hit.missing,
            }
            for hit in result.hits
        ],
        "facets": {
            "years": [{"value": f.value, "count": f.count} for f in result.years],
            "sources": [
                {"value": f.value, "count": f.count, "label": f.label} for f in result.sources
            ],
        },
        "suggestion": result.suggestion,
        "corrected": result.corrected,
        "next_url": next_url,
        "took_ms": round(result.seconds * 1000, 1),
    }
