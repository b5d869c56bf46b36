"""JSON API: ``/api/search``."""

from __future__ import annotations

from flask import Blueprint, jsonify, url_for

from web.params import engine, search_params

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/search")
def search():
    """Ranked hits as JSON, with a spelling suggestion and a link to the next page."""
    q, page, per_page = search_params()
    result = engine().search(q, page=page, per_page=per_page)
    next_url = None
    if page < result.pages:
        next_url = url_for("api.search", q=q, page=page + 1, per_page=per_page, _external=False)
    return jsonify(
        {
            "query": result.query,
            "total": result.total,
            "total_all_words": result.total_all_words,
            "page": result.page,
            "per_page": result.per_page,
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
            "suggestion": result.suggestion,
            "corrected": result.corrected,
            "next_url": next_url,
        }
    )
