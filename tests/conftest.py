"""Fixtures: a real index built from the seed corpus (plus a hostile-HTML document)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexer.build import rebuild
from search.engine import SearchEngine
from web import create_app

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "corpus"
DATA = Path(__file__).resolve().parent / "data"


def copy_corpus(target: Path, extra: list[Path] = ()) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(SEEDS.glob("*.txt")):
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


@pytest.fixture()
def app(index_dir):
    return create_app({"TESTING": True, "INDEX_DIR": str(index_dir)})


@pytest.fixture()
def client(app):
    return app.test_client()
