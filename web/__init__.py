"""Flask front end: adapts HTTP requests to ``search`` and renders the results."""

from __future__ import annotations

import os

from flask import Flask

from search.engine import SearchEngine

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

    from web import api, errors, views

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    errors.init_app(app)
    return app
