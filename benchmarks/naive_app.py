"""The naive baseline as a web service: one process, Whoosh parser and highlighter."""

import os
from pathlib import Path

from flask import Flask, jsonify, request

from benchmarks.naive import NaiveSearcher


def create() -> Flask:
    app = Flask(__name__)
    searcher = NaiveSearcher(Path(os.environ["NAIVE_INDEX"]))

    @app.get("/api/search")
    def search():
        hits = searcher.search(request.args.get("q", ""))
        return jsonify({"total": len(hits), "results": hits})

    return app
