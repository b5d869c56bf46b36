"""HTML pages: the search form with results, the article page, and the health check."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, abort, current_app, jsonify, render_template, request, url_for

from search.engine import IndexUnavailableError
from search.request import MAX_QUERY_CHARS, Filters, QueryError, SearchRequest, normalize_query
from search.serialize import result_json
from search.store import IndexIncompatibleError
from web.params import default_per_page, engine, offload, offload_search, search_params

bp = Blueprint("views", __name__)


def page_links(req: SearchRequest, pages: int, window: int = 2) -> list[dict]:
    """Links for the pagination bar: first, previous, nearby page numbers, next."""

    def link(n: int) -> str:
        return url_for("views.index", **req.url_args(default_per_page(), page=n if n > 1 else None))

    page = req.page
    links = []
    if page > 1:
        links.append({"label": "« Pierwsza", "url": link(1), "rel": "first"})
        links.append({"label": "‹ Poprzednia", "url": link(page - 1), "rel": "prev"})
    for n in range(max(1, page - window), min(pages, page + window) + 1):
        links.append({"label": str(n), "url": link(n), "current": n == page})
    if page < pages:
        links.append({"label": "Następna ›", "url": link(page + 1), "rel": "next"})
    return links


SORT_LABELS = {"relevance": "trafności", "newest": "daty: od najnowszych",
               "oldest": "daty: od najstarszych"}  # fmt: skip
BROWSE_SORT_LABELS = {k: v for k, v in SORT_LABELS.items() if k != "relevance"}
MAX_SOURCES_SHOWN = 12


@bp.get("/")
def index():
    """The search form, and the results when a query is given."""
    try:
        req = search_params(required=False)
    except QueryError as exc:
        if exc.parameter == "q":
            return render_template(
                "search.html", q=request.args.get("q", "")[:MAX_QUERY_CHARS], error=exc.message
            ), 400
        # A mangled page, year or sort in a hand-edited link: show the query's first page.
        q = normalize_query(request.args.get("q"))
        req = SearchRequest(q, 1, default_per_page(), Filters())
    if not req.q:
        # No query: browse the archive, newest first, with the same filters and paging.
        sort = req.filters.sort if req.filters.sort != "relevance" else "newest"
        req = SearchRequest("", req.page, req.per_page, replace(req.filters, sort=sort))
        result = offload(engine().latest, req.page, req.per_page, req.filters)
    else:
        result = offload_search(req)
    data = result_json(result, req, default_per_page())
    chosen_source = req.filters.source and offload(engine().source_label, req.filters.source)
    return render_template(
        "search.html",
        q=req.q,
        req=req,
        result=data,
        links=page_links(req, data["pages"]),
        url_args=lambda **changes: req.url_args(default_per_page(), **changes),
        sort_labels=SORT_LABELS if req.q else BROWSE_SORT_LABELS,
        max_sources=MAX_SOURCES_SHOWN,
        chosen_source=chosen_source or "wybrany dokument",
    )


@bp.get("/article/<article_id>")
def article(article_id: str):
    """One article in full, with the query's words highlighted when coming from results."""
    try:
        req = search_params(required=False)
    except QueryError:
        req = None  # a mangled link back to results: show the article without them
    q = req.q if req else ""
    found = offload(engine().article, article_id, highlight_query=q or None)
    if found is None:
        abort(404)
    back = url_for("views.index", **req.url_args(default_per_page())) if q else None
    related = offload(engine().related, article_id)
    return render_template("article.html", article=found, q=q, back=back, related=related)


@bp.get("/healthz")
def healthz():
    """Readiness: 200 when a search runs on the index (``degraded`` when a damaged new build
    was refused and the previous one serves); 503 JSON when there is no usable index."""
    try:
        articles = offload(engine().doc_count)
        offload(engine().search, "pomoc", per_page=1, snippets=False)  # reads postings
    except IndexUnavailableError as exc:
        body = {"status": "unavailable", "articles": 0, "message": str(exc)}
        return jsonify(body), 503
    except IndexIncompatibleError as exc:
        return jsonify({"status": "incompatible", "articles": 0, "message": str(exc)}), 503
    except Exception as exc:  # a damaged index that passed its checksums: still unhealthy
        current_app.logger.exception("health check failed")
        body = {"status": "error", "articles": 0, "message": type(exc).__name__}
        return jsonify(body), 503
    damaged = engine().damaged()
    body = {
        "status": "degraded" if damaged else "ok",
        "articles": articles,
        "built_at": engine().manifest().get("built_at"),
    }
    if damaged:
        body["damaged_builds"] = damaged
    return jsonify(body)
