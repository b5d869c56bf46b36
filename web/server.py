"""Run the app under gunicorn (the production WSGI server) from Python."""

from __future__ import annotations

import gc
import os
import threading
import time

from gunicorn.app.base import BaseApplication

from search.morphology import configure, load_stemmer, warm_up
from search.settings import Settings


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


def serve(settings: Settings) -> None:
    """Serve the search app; dictionaries load before forking so every worker shares them."""
    from web import create_app

    configure(settings.stemmer_table)
    warm_up(stemmer=False)  # the dictionary, before forking: workers share it
    app = create_app(settings=settings)
    gc.freeze()  # what the master loaded stays shared: the workers' collector leaves it alone

    def post_fork(server, worker):
        # Each worker opens its index, then parses the stemmer's table in the background: it
        # answers at once, and only queries with words that neither the dictionary nor the
        # corpus knows wait for the table. The table waits a moment (stemmer_delay_s) so that
        # its parsing does not compete with the first requests for the interpreter.
        engine = app.extensions["search_engine"]
        delay = settings.stemmer_delay_s

        def warm():
            engine.warm_up(then=lambda: time.sleep(delay) or load_stemmer())

        threading.Thread(target=warm, name="warm-up", daemon=True).start()

    options = {
        "bind": f"{settings.host}:{settings.port}",
        "workers": settings.workers or max(2, os.cpu_count() or 2),
        "worker_class": "web.worker.SearchWorker",
        "worker_connections": 1000,
        "threads": settings.threads,
        "preload_app": True,
        "post_fork": post_fork,
        "accesslog": "-",
        "timeout": 60,
        "graceful_timeout": 10,
    }
    SearchServer(app, options).run()
