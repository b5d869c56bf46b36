"""The app factory: the Flask app that adapts HTTP requests to ``search``."""

from __future__ import annotations

import functools
import os

from flask import Flask, request, url_for
from flask_compress import Compress
from flask_cors import CORS

from search.engines import open_engine
from search.morphology import configure
from search.settings import Settings
from web.format import plural, polish_date

STATIC_MAX_AGE = 7 * 24 * 3600
HTML_MAX_AGE = 60
COMPRESSED = ["text/html", "text/css", "image/svg+xml", "application/atom+xml",
              "application/opensearchdescription+xml"]  # fmt: skip
CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
# Flask-style config keys tests and embedders may pass, and the settings they set.
CONFIG_KEYS = {"INDEX_DIR": "index_dir", "PER_PAGE": "per_page", "CORS_ORIGINS": "cors_origins"}


def create_app(config: dict | None = None, settings: Settings | None = None) -> Flask:
    """Create the app from ``settings`` (default: the environment's), ``config`` over them."""
    config = dict(config or {})
    overrides = {CONFIG_KEYS[k]: config.pop(k) for k in list(config) if k in CONFIG_KEYS}
    settings = (settings or Settings.load()).with_options(**overrides)
    configure(settings.stemmer_table)
    app = Flask(__name__)
    app.config.update(config)
    app.config["PER_PAGE"] = settings.per_page
    app.config.setdefault("MAX_CONTENT_LENGTH", 64 * 1024)  # the service takes no uploads
    app.extensions["settings"] = settings
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    app.extensions["search_engine"] = open_engine(settings)
    # Static files change only with a release; their URLs carry a version (see static_url).
    if app.config.get("SEND_FILE_MAX_AGE_DEFAULT") is None:
        app.config["SEND_FILE_MAX_AGE_DEFAULT"] = STATIC_MAX_AGE
    if settings.origins:
        # Integrators' pages on other origins may call the JSON API (read-only, no cookies).
        CORS(
            app,
            resources={r"/api/*": {"origins": settings.origins}},
            methods=["GET", "OPTIONS"],
            expose_headers=["ETag"],
            max_age=3600,
        )

    @functools.cache
    def version(filename: str) -> int:
        # The file's time, read once per file: static files change only with a release,
        # which restarts the server.
        path = os.path.join(app.static_folder, filename)
        return int(os.path.getmtime(path)) if os.path.exists(path) else 0

    def static(filename: str) -> str:
        return url_for("static", filename=filename, v=version(filename))

    @app.context_processor
    def static_url():
        return {"static_url": static}

    app.jinja_env.filters["polish_date"] = polish_date
    app.jinja_env.globals["plural"] = plural

    # Pages, styles and feeds are compressed (gzip or brotli, as the client accepts); API
    # answers are small and stay plain for the simplest clients.
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED)
    Compress(app)

    @app.after_request
    def cacheable_pages(response):
        # HTML changes only with the index: let browsers revalidate cheaply.
        if (
            request.method == "GET"
            and response.status_code == 200
            and response.mimetype == "text/html"
        ):
            response.cache_control.public = True
            response.cache_control.max_age = HTML_MAX_AGE
            response.add_etag(weak=True)
            response.make_conditional(request)
        return response

    @app.after_request
    def security_headers(response):
        # Everything the pages use comes from this origin; nothing may frame them.
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    from web import api, errors, feeds, views

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(feeds.bp)
    errors.init_app(app)
    return app
