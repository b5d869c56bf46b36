"""One settings object, one index layout, one result shape; imports that point one way."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.build import rebuild
from search.engine import SearchEngine
from search.morphology import configure
from search.settings import Settings, SettingsError
from search.store import read_manifest
from tests.conftest import ROOT, copy_corpus
from web import create_app


def run_search(*args, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, "-m", "search", *args], env=env, cwd=cwd, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip


def test_index_dir_from_the_environment_from_any_folder(index_dir, tmp_path, client):
    done = run_search("bezdomność", "--json", env={"INDEX_DIR": str(index_dir)}, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    cli = json.loads(done.stdout)
    api = client.get("/api/search", query_string={"q": "bezdomność"}).get_json()
    assert list(cli) == list(api)
    assert [list(r) for r in cli["results"]] == [list(r) for r in api["results"]]
    assert [r["id"] for r in cli["results"]] == [r["id"] for r in api["results"]]
    assert cli["results"][0]["url"] == api["results"][0]["url"]


def test_per_page_from_the_environment_is_a_number(index_dir, monkeypatch):
    monkeypatch.setenv("PER_PAGE", "20")
    client = create_app({"TESTING": True, "INDEX_DIR": str(index_dir)}).test_client()
    data = client.get("/api/search", query_string={"q": "wizyta"}).get_json()
    assert data["per_page"] == 20
    assert len(data["results"]) == min(20, data["total"])


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"PER_PAGE": "abc"}, "PER_PAGE='abc' is not a valid int"),
        ({"PER_PAGE": "500"}, "PER_PAGE must be between 1 and 50"),
        ({"PORT": "1_0"}, "PORT='1_0' is not a valid int"),
        ({"SEARCH_STEMMER_TABLE": "big"}, "SEARCH_STEMMER_TABLE must be one of"),
    ],
)
def test_bad_settings_name_the_variable(environ, message):
    with pytest.raises(SettingsError, match=message):
        Settings.load(environ)


def test_options_override_the_environment():
    settings = Settings.load({"INDEX_DIR": "/srv/ix", "PER_PAGE": "7"}, per_page=12)
    assert settings.index_dir == Path("/srv/ix") and settings.per_page == 12


def test_no_module_reads_or_writes_the_environment_outside_settings():
    offenders = []
    for package in ("search", "indexer", "web"):
        for path in (ROOT / package).glob("*.py"):
            if path.name == "settings.py":
                continue
            if "os.environ" in path.read_text(encoding="utf-8"):
                offenders.append(path.name)
    assert offenders == []


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("search", {"indexer", "web", "flask", "benchmarks"}), ("indexer", {"web", "flask"})],
)
def test_imports_point_one_way(package, forbidden):
    for path in (ROOT / package).glob("*.py"):
        assert not imported_packages(path) & forbidden, path.name


def test_an_index_of_another_analyzer_is_refused(tmp_path, monkeypatch):
    index = tmp_path / "ix"
    rebuild(copy_corpus(tmp_path / "c"), index)
    assert read_manifest(index.resolve())["analyzer"]["stemmer_table"] == "default"
    monkeypatch.setenv("SEARCH_STEMMER_TABLE", "polimorf")
    try:
        client = create_app({"TESTING": True, "INDEX_DIR": str(index)}).test_client()
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.get_json()["status"] == "incompatible"
        found = client.get("/api/search", query_string={"q": "bezdomność"})
        assert found.status_code == 503
        error = found.get_json()["error"]
        assert error["code"] == "index_incompatible"
        assert "stemmer_table" in error["message"] and "rebuild needed" in error["message"]
        page = client.get("/", query_string={"q": "bezdomność"})
        assert page.status_code == 503 and "przebudować" in page.get_data(as_text=True)
    finally:
        configure("default")
    done = run_search(
        "bezdomność", "--index", str(index), env={"SEARCH_STEMMER_TABLE": "polimorf"}, cwd=tmp_path
    )
    assert done.returncode != 0 and "rebuild needed" in done.stderr


def test_update_of_an_index_from_another_analyzer_rebuilds(tmp_path):
    from indexer.cli import main

    corpus, index = copy_corpus(tmp_path / "c"), tmp_path / "ix"
    rebuild(corpus, index)
    manifest_path = index.resolve() / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["analyzer"]["morfeusz"] = "0.0"
    manifest_path.write_text(json.dumps(manifest))
    result = CliRunner().invoke(main, ["update", "--corpus", str(corpus), "--index", str(index)])
    assert result.exit_code == 0, result.output
    assert read_manifest(index.resolve())["analyzer"]["morfeusz"] != "0.0"
    assert "Changed:" not in result.output  # a full rebuild, not an update


def test_suggestions_replace_whole_words(engine):
    result = engine.search("Brukseal Brukseala")
    assert result.suggestion is not None
    assert result.suggestion.split() == ["Bruksela", "Bruksela"]


def test_many_threads_search_while_the_index_is_swapped(tmp_path):
    corpus, index = copy_corpus(tmp_path / "c"), tmp_path / "ix"
    rebuild(corpus, index)
    engine = SearchEngine(index)
    errors: list[BaseException] = []
    stop = threading.Event()

    def search_loop():
        try:
            while not stop.is_set():
                assert engine.search("bezdomność").total == 2
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=search_loop) for _ in range(6)]
    for t in threads:
        t.start()
    try:
        for _ in range(3):
            rebuild(corpus, index)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert errors == []
    engine.search("bezdomność")  # this thread moves to the newest build too
    views = engine._views
    assert list(views) == [index.resolve()]  # old builds' views were released
    engine.close()
