"""Each build records the stems of its unknown words, so servers and updates skip the table."""

from __future__ import annotations

import json

from indexer.build import rebuild, update
from search import morphology
from search.stemfiles import load_stems
from tests.conftest import copy_corpus


def recorded(build) -> dict:
    stems = {}
    for path in build.glob("stems-*.json"):
        stems.update(json.loads(path.read_text(encoding="utf-8"))["stems"])
    return stems


def test_builds_record_stems_and_updates_add_only_new_ones(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    rebuild(corpus, index)
    first = recorded(index.resolve())
    assert first.get("pustowita") == morphology.stem_unknown("pustowita")
    files_before = set(p.name for p in index.resolve().glob("stems-*.json"))

    (corpus / "new.txt").write_text(
        "Wizyta z Xyzzylandii\n\nGoście z Xyzzylandii odwiedzili Kraków.\n", encoding="utf-8"
    )
    update(corpus, index)
    build = index.resolve()
    added = set(p.name for p in build.glob("stems-*.json")) - files_before
    assert len(added) == 1
    new = json.loads((build / added.pop()).read_text(encoding="utf-8"))["stems"]
    assert "xyzzylandii" in new and "pustowita" not in new


def test_loaded_stems_answer_without_the_table(tmp_path, monkeypatch):
    corpus = copy_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    rebuild(corpus, index)
    monkeypatch.setattr(morphology, "_stems", {})
    monkeypatch.setattr(morphology, "_stemmer", None)

    def no_table():
        raise AssertionError("the stemmer's table was loaded")

    monkeypatch.setattr(morphology, "_get_stemmer", no_table)
    stems = load_stems(index.resolve())
    assert stems and all(morphology.stem_unknown(w) == s for w, s in stems.items())
