"""Machine-facing pages: the Atom feed of a query, the OpenSearch description, robots.txt."""

from __future__ import annotations

from datetime import UTC, datetime

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, current_app, render_template, request, url_for

from search.request import Filters, SearchRequest, check
from search.serialize import result_json
from web.params import default_per_page, engine, offload_search

bp = Blueprint("feeds", __name__)
FEED_ENTRIES = 20
FEED_MAX_AGE = 600


def _when(iso: str | None, fallback: datetime) -> datetime:
    """An entry's date: the article's, at noon UTC, or the build's when it has none."""
    try:
        parts = [int(p) for p in (iso or "").split("-")]
        if len(parts) == 3:
            return datetime(*parts, 12, tzinfo=UTC)
        if len(parts) == 2:
            return datetime(*parts, 1, 12, tzinfo=UTC)
    except ValueError:
        pass
    return fallback


@bp.get("/feed.atom")
def feed():
    """The newest articles matching a query as an Atom feed, to subscribe to a topic."""
    q = request.args.get("q", "")
    req = check(SearchRequest(q, 1, FEED_ENTRIES, Filters(sort="newest"), correct=False))
    data = result_json(offload_search(req), req, default_per_page())
    root = request.url_root.rstrip("/")
    built = engine().manifest().get("built_at")
    updated = datetime.strptime(built, "%Y-%m-%dT%H:%M:%S%z") if built else datetime.now(UTC)
    fg = FeedGenerator()
    fg.id(f"{root}{url_for('feeds.feed', q=req.q)}")
    fg.title(f"Archiwum MOPS Kraków: {req.q}")
    fg.subtitle(f"Najnowsze artykuły archiwum dla zapytania „{req.q}”")
    fg.link(href=f"{root}{url_for('feeds.feed', q=req.q)}", rel="self")
    fg.link(href=f"{root}{url_for('views.index', q=req.q, sort='newest')}", rel="alternate")
    fg.language("pl")
    fg.updated(updated)
    for hit in reversed(data["results"]):  # feedgen lists the last added first
        entry = fg.add_entry()
        entry.id(f"{root}{hit['url']}")
        entry.title(hit["title"])
        entry.link(href=f"{root}{hit['url']}")
        entry.updated(_when(hit["date"], updated))
        entry.summary(hit["snippet"], type="html")
    response = Response(fg.atom_str(pretty=False), mimetype="application/atom+xml")
    response.cache_control.public = True
    response.cache_control.max_age = FEED_MAX_AGE
    return response


@bp.get("/opensearch.xml")
def opensearch():
    """Lets a browser add this search to its search bar."""
    xml = render_template("opensearch.xml", root=request.url_root.rstrip("/"))
    return Response(xml, mimetype="application/opensearchdescription+xml")


@bp.get("/robots.txt")
def robots():
    return current_app.send_static_file("robots.txt")


@bp.get("/favicon.ico")
def favicon():
    return current_app.send_static_file("favicon.svg")
