"""The production server (gunicorn) end to end: a rebuild while it serves fails no request."""

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT, copy_corpus, indexer_command, live_server
from tests.test_cli import NEW_DOC

pytestmark = pytest.mark.slow


def rebuild(corpus: Path, index: Path, env: dict) -> None:
    """Rebuild through the command line, in a process of its own, as an administrator would."""
    cmd = indexer_command("rebuild", corpus, index)
    subprocess.run(cmd, check=True, env=env, cwd=ROOT, capture_output=True)


@pytest.fixture()
def server(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rebuild(corpus, index, env)
    with live_server(index, env) as base:
        yield base, corpus, index, env


def test_rebuild_while_serving_fails_no_request(server):
    base, corpus, index, env = server
    statuses, stop = [], threading.Event()

    def hammer():
        session = requests.Session()
        while not stop.is_set():
            for q in ("bezdomność", "Islandia", "Kraków"):
                r = session.get(f"{base}/api/search", params={"q": q}, timeout=30)
                statuses.append(r.status_code)

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        Path(corpus / "003_new.txt").write_text(NEW_DOC, encoding="utf-8")
        rebuild(corpus, index, env)
        time.sleep(1.0)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert statuses and set(statuses) == {200}, statuses
    found = requests.get(f"{base}/api/search", params={"q": "Islandia"}, timeout=10).json()
    assert found["results"][0]["title"] == "Wizyta delegacji z Islandii"  # no restart needed


def test_html_search_through_the_real_server(server):
    base = server[0]
    html = requests.get(base + "/", params={"q": "bezdomność"}, timeout=10).text
    assert "Studenci z Francji w Miejskim Ośrodku Pomocy Społecznej" in html
