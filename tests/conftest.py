"""Fixtures: a real index built from the seed corpus (plus a hostile-HTML document)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from indexer.build import rebuild
from search.engine import SearchEngine
from search.settings import Settings
from web import create_app

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "corpus"
DATA = Path(__file__).resolve().parent / "data"


def indexer_command(command: str, corpus: Path, index: Path) -> list[str]:
    """``python -m indexer rebuild|update`` as an administrator types it."""
    return [sys.executable, "-m", "indexer", command, "--corpus", str(corpus),
            "--index", str(index)]  # fmt: skip


def copy_corpus(target: Path, extra: list[Path] = ()) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(SEEDS.glob("*.txt")) + [SEEDS / "sources.toml"]:
        shutil.copy(path, target / path.name)
    for path in extra:
        shutil.copy(path, target / path.name)
    return target


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory) -> Path:
    return copy_corpus(tmp_path_factory.mktemp("corpus"), [DATA / "hostile.txt"])


@pytest.fixture(scope="session")
def index_dir(corpus_dir, tmp_path_factory) -> Path:
    index = tmp_path_factory.mktemp("var") / "index"
    rebuild(corpus_dir, index)
    return index


@pytest.fixture(scope="session")
def engine(index_dir) -> SearchEngine:
    return SearchEngine(index_dir)


@pytest.fixture(scope="session")
def solr_cluster(tmp_path_factory):
    """A real SolrCloud on loopback (ZooKeeper and two Solr nodes, each its own JVM), from
    ``cluster/``; skipped, saying why, on a machine without a JDK and Maven."""
    from cluster.launcher import running_cluster

    skip_without_cluster_tools()
    with running_cluster(tmp_path_factory.mktemp("cluster")) as info:
        yield info


CLUSTER_SKIPPED: list[str] = []


def skip_without_cluster_tools() -> None:
    """Skip (or, with REQUIRE_CLUSTER=1 as in CI, fail) when no cluster can start here."""
    from cluster.launcher import missing_tools

    reason = missing_tools()
    if reason:
        if os.environ.get("REQUIRE_CLUSTER") == "1":
            pytest.fail(f"REQUIRE_CLUSTER=1 but {reason}")
        CLUSTER_SKIPPED.append(reason)
        pytest.skip(f"SolrCloud suites skipped: {reason}")


def pytest_terminal_summary(terminalreporter):
    if CLUSTER_SKIPPED:
        terminalreporter.write_line(
            f"NOTE: the SolrCloud suites were skipped: {CLUSTER_SKIPPED[0]}. "
            "Install a JDK 17 and Maven to run them (the Whoosh suites ran).",
            yellow=True,
        )


@pytest.fixture(scope="session")
def solr_url(solr_cluster, corpus_dir) -> str:
    """SOLR_URL of the cluster, its ``mops`` alias holding the test corpus (2 shards x 2)."""
    from cluster.launcher import solr_url as url_of
    from indexer import solr

    url = url_of(solr_cluster)
    solr.rebuild(corpus_dir, url, shards=2, replicas=2)
    return url


@pytest.fixture(params=["whoosh", pytest.param("solr", marks=pytest.mark.cluster)])
def backend(request) -> str:
    """The engine behind the app: every test using ``app`` or ``client`` runs on both."""
    return request.param


@pytest.fixture()
def app(backend, index_dir, request):
    if backend == "solr":
        url = request.getfixturevalue("solr_url")
        # The budget raised from 0.9 s to 10 s, as in test_cluster.solr_env: two Solr JVMs
        # and ZooKeeper share two cores with the tests, and a first query over the budget
        # would be this machine's slowness, not what these tests are about (the latency is
        # the benchmark's).
        settings = Settings.load(search_backend="solr", solr_url=url, search_budget_s=10.0)
        return create_app({"TESTING": True}, settings=settings)
    return create_app({"TESTING": True, "INDEX_DIR": str(index_dir)})


@pytest.fixture()
def client(app):
    return app.test_client()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def live_server(index: Path, env: dict | None = None, workers: int = 2):
    """The production server (gunicorn, ``python -m web``) on a free port; yields its URL."""
    env = env or {**os.environ, "PYTHONPATH": str(ROOT)}
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "web", "--index", str(index), "--port", str(port),
         "--workers", str(workers)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail("server did not start")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
