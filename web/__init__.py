"""Flask front end: adapts HTTP requests to ``search`` and renders the results."""

from __future__ import annotations

import functools
import os

from flask import Flask, url_for
from flask_cors import CORS

from search.engine import SearchEngine

STATIC_MAX_AGE = 7 * 24 * 3600
DEFAULTS = {
    "INDEX_DIR": "var/index",
    "PER_PAGE": 10,
    "CORS_ORIGINS": "",
}


def create_app(config: dict | None = None) -> Flask:
    """Create the app; settings come from ``config``, else environment variables, else defaults."""
    app = Flask(__name__)
    app.config.update(DEFAULTS)
    for key in DEFAULTS:
        if key in os.environ:
            app.config[key] = os.environ[key]
    app.config.update(config or {})
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    app.extensions["search_engine"] = SearchEngine(app.config["INDEX_DIR"])
    # Static files change only with a release; their URLs carry a version (see static_url).
    if app.config.get("SEND_FILE_MAX_AGE_DEFAULT") is None:
        app.config["SEND_FILE_MAX_AGE_DEFAULT"] = STATIC_MAX_AGE
    origins = [o.strip() for o in str(app.config["CORS_ORIGINS"]).split(",") if o.strip()]
    if origins:
        # Integrators' pages on other origins may call the JSON API (read-only, no cookies).
        CORS(
            app,
            resources={r"/api/*": {"origins": origins}},
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

    from web import api, errors, views

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    errors.init_app(app)
    return app
