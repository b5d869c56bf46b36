"""HTML pages: the search form with results, the article page, and the health check."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request, url_for

from search.engine import IndexUnavailableError
from web.params import BadParameter, engine, search_params

bp = Blueprint("views", __name__)


def page_links(q: str, page: int, pages: int, per_page: int, window: int = 2) -> list[dict]:
    """Links for the pagination bar: first, previous, nearby page numbers, next."""

    def link(n: int) -> str:
        return url_for("views.index", q=q, page=n, per_page=per_page if per_page != 10 else None)

    links = []
    if page > 1:
        links.append({"label": "« Pierwsza", "url": link(1), "rel": "first"})
        links.append({"label": "‹ Poprzednia", "url": link(page - 1), "rel": "prev"})
    for n in range(max(1, page - window), min(pages, page + window) + 1):
        links.append({"label": str(n), "url": link(n), "current": n == page})
    if page < pages:
        links.append({"label": "Następna ›", "url": link(page + 1), "rel": "next"})
    return links


@bp.get("/")
def index():
    """The search form, and the results when a query is given."""
    try:
        q, page, per_page = search_params(require_query=False)
    except BadParameter as exc:
        if exc.parameter == "q":
            return render_template(
                "search.html",
                q=request.args.get("q", "")[:500],
                error="Zapytanie jest za długie (maksymalnie 500 znaków).",
            ), 400
        q, page, per_page = (request.args.get("q") or "").strip(), 1, 10
    if not q:
        return render_template("search.html", q="", result=None)
    result = engine().search(q, page=page, per_page=per_page)
    return render_template(
        "search.html",
        q=q,
        result=result,
        links=page_links(q, page, result.pages, per_page),
    )


@bp.get("/article/<article_id>")
def article(article_id: str):
    """One article in full, with the query's words highlighted when coming from results."""
    q = (request.args.get("q") or "").strip()
    found = engine().article(article_id, highlight_query=q or None)
    if found is None:
        abort(404)
    return render_template("article.html", article=found, q=q)


@bp.get("/healthz")
def healthz():
    """Liveness and readiness: 200 with the index's size, 503 while there is no index."""
    try:
        articles = engine().doc_count()
    except IndexUnavailableError:
        return jsonify({"status": "unavailable", "articles": 0}), 503
    manifest = engine().manifest()
    return jsonify({"status": "ok", "articles": articles, "built_at": manifest.get("built_at")})
