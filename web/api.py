"""JSON API: ``/api/search``, ``/api/articles/<id>`` and the OpenAPI document describing them."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request, url_for

from search.serialize import result_json
from web.openapi import openapi_document
from web.params import default_per_page, engine, offload, offload_search, search_params

bp = Blueprint("api", __name__, url_prefix="/api")
# Articles change only when the index is rebuilt; clients may reuse them for a while and
# revalidate cheaply with the ETag.
ARTICLE_MAX_AGE = 300


@bp.get("/search")
def search():
    """Ranked hits as JSON, with facet counts, a spelling suggestion and the next page's link."""
    req = search_params()
    result = offload_search(req)
    return jsonify(result_json(result, req, default_per_page()))


@bp.get("/articles/<article_id>")
def article(article_id: str):
    """One article in full; cacheable, with an ETag for conditional requests."""
    found = offload(engine().article, article_id)
    if found is None:
        abort(404, description=f"No article with id '{article_id}'.")
    response = jsonify(
        {
            "id": found["id"],
            "title": found["title"],
            "date": found["date"],
            "source": found["source"],
            "source_label": found["source_label"],
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
