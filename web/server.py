"""Run the app under gunicorn (the production WSGI server) from Python."""

from __future__ import annotations

import gc
import os
import threading

from gunicorn.app.base import BaseApplication

from search.morphology import configure, load_stemmer, warm_up
from search.settings import Settings
from search.store import start_verifying


class SearchServer(BaseApplication):
    """Gunicorn with our options: the app is loaded once in the master, then forked."""

    def __init__(self, app, options: dict):
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.application


def serve(settings: Settings, verifying: threading.Thread | None = None) -> None:
    """Serve the search app; dictionaries load before forking so every worker shares them.

    ``verifying``: the current build's verification, if the caller started it already
    (``search.store.start_verifying``)."""
    from web import create_app

    # The current build's checksums are read while the dictionary loads; then the build is
    # opened here, before forking, so that every worker starts with it (and shares its
    # pages) instead of opening it on its first request.
    whoosh = settings.search_backend == "whoosh"
    checked = verifying or (start_verifying(settings.index_dir) if whoosh else None)
    configure(settings.stemmer_table)
    warm_up(stemmer=False)  # the dictionary
    app = create_app(settings=settings)
    if checked is not None:
        checked.join()
    engine = app.extensions["search_engine"]
    # The current build, its columns and word list, and the stemmer's table as the indexer
    # parsed it (0.04 s instead of parsing it: 0.1 s), before forking: the workers share
    # them, and no early query waits for a worker to load anything.
    engine.warm_up()
    load_stemmer()  # a build from before the table was kept: parse it
    gc.freeze()  # what the master loaded stays shared: the workers' collector leaves it alone

    options = {
        "bind": f"{settings.host}:{settings.port}",
        "workers": settings.workers or max(2, os.cpu_count() or 2),
        "worker_class": "web.worker.SearchWorker",
        "worker_connections": 1000,
        "threads": settings.threads,
        "preload_app": True,
        "accesslog": "-",
        "timeout": 60,
        "graceful_timeout": 10,
    }
    SearchServer(app, options).run()
