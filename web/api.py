"""JSON API: ``/api/search``, ``/api/articles/<id>`` and the OpenAPI document describing them."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request, url_for

from web.openapi import openapi_document
from web.params import engine, search_params

bp = Blueprint("api", __name__, url_prefix="/api")
# Articles change only when the index is rebuilt; clients may reuse them for a while and
# revalidate cheaply with the ETag.
ARTICLE_MAX_AGE = 300


def facet_list(facets) -> list[dict]:
    return [{"value": f.value, "count": f.count} for f in facets]


@bp.get("/search")
def search():
    """Ranked hits as JSON, with facet counts, a spelling suggestion and the next page's link."""
    req = search_params()
    result = engine().search(req.q, page=req.page, per_page=req.per_page, filters=req.filters)
    next_url = None
    if req.page < result.pages:
        next_url = url_for("api.search", **req.url_args(page=req.page + 1))
    return jsonify(
        {
            "query": result.query,
            "total": result.total,
            "total_all_words": result.total_all_words,
            "page": result.page,
            "per_page": result.per_page,
            "filters": {
                "year": req.filters.year,
                "source": req.filters.source,
                "sort": req.filters.sort,
            },
            "results": [
                {
                    "id": hit.id,
                    "title": hit.title,
                    "date": hit.date,
                    "source": hit.source,
                    "url": url_for("views.article", article_id=hit.id, q=result.query),
                    "score": hit.score,
                    "snippet": hit.snippet,
                }
                for hit in result.hits
            ],
            "facets": {"years": facet_list(result.years), "sources": facet_list(result.sources)},
            "suggestion": result.suggestion,
            "corrected": result.corrected,
            "next_url": next_url,
            "took_ms": round(result.seconds * 1000, 1),
        }
    )


@bp.get("/articles/<article_id>")
def article(article_id: str):
    """One article in full; cacheable, with an ETag for conditional requests."""
    found = engine().article(article_id)
    if found is None:
        abort(404, description=f"No article with id '{article_id}'.")
    response = jsonify(
        {
            "id": found["id"],
            "title": found["title"],
            "date": found["date"],
            "source": found["source"],
            "institution": found["institution"],
            "body": found["body"],
            "url": url_for("views.article", article_id=found["id"]),
        }
    )
    response.add_etag()
    response.cache_control.public = True
    response.cache_control.max_age = ARTICLE_MAX_AGE
    return response.make_conditional(request)


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())
