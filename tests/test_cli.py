"""The indexer command line, through click's CliRunner, and failure safety of rebuilds."""

import gc
import json
import shutil

import pytest
from click.testing import CliRunner

import indexer.build
from indexer.cli import main
from search.engine import SearchEngine
from tests.conftest import copy_corpus

NEW_DOC = (
    "Archiwum BIP MJO - Miejski Ośrodek Pomocy Społecznej\nDokument archiwalny\n\n"
    "Wizyta delegacji z Islandii\n\nW dniu 5 maja 2016 gościliśmy delegację z Reykjaviku.\n"
)


@pytest.fixture()
def corpus(tmp_path):
    return copy_corpus(tmp_path / "corpus")


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_articles_prints_json_lines(corpus):
    result = run("articles", "--corpus", str(corpus))
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == 21
    assert set(rows[0]) == {"id", "source", "institution", "title", "date", "body"}


def test_rebuild_then_new_document_is_found(corpus, tmp_path):
    index = tmp_path / "index"
    result = run("rebuild", "--corpus", str(corpus), "--index", str(index))
    assert result.exit_code == 0, result.output
    assert "2 documents, 21 articles" in result.output
    engine = SearchEngine(index)
    assert engine.search("Islandia").total == 0
    (corpus / "003_new.txt").write_text(NEW_DOC, encoding="utf-8")
    result = run("rebuild", "--corpus", str(corpus), "--index", str(index))
    assert "3 documents, 22 articles" in result.output
    assert engine.search("Islandia").hits[0].title == "Wizyta delegacji z Islandii"


def test_bad_file_is_named_and_skipped(corpus, tmp_path):
    (corpus / "broken.txt").write_bytes(b"\x00\x01" * 50)
    result = CliRunner().invoke(
        main, ["rebuild", "--corpus", str(corpus), "--index", str(tmp_path / "i")]
    )
    assert result.exit_code == 0
    assert "broken.txt" in result.output and "1 files skipped" in result.output
    assert result.output.count("warning: skipped") == 1  # once, also when not on a terminal


def test_failed_rebuild_keeps_previous_index(corpus, tmp_path):
    index = tmp_path / "index"
    assert run("rebuild", "--corpus", str(corpus), "--index", str(index)).exit_code == 0
    before = index.resolve()
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "junk.txt").write_bytes(b"\x00" * 10)
    result = CliRunner().invoke(main, ["rebuild", "--corpus", str(empty), "--index", str(index)])
    assert result.exit_code != 0
    assert "no articles" in result.output
    assert index.resolve() == before
    assert SearchEngine(index).search("bezdomność").total >= 2


def test_crash_half_way_keeps_previous_index(corpus, tmp_path, monkeypatch):
    index = tmp_path / "index"
    assert run("rebuild", "--corpus", str(corpus), "--index", str(index)).exit_code == 0
    before = index.resolve()
    calls = {"n": 0}
    real = indexer.build.article_fields

    def crash_after_five(article):
        calls["n"] += 1
        if calls["n"] > 5:
            raise OSError(28, "No space left on device")
        return real(article)

    monkeypatch.setattr(indexer.build, "article_fields", crash_after_five)
    result = CliRunner().invoke(main, ["rebuild", "--corpus", str(corpus), "--index", str(index)])
    assert result.exit_code != 0
    assert "No space left on device" in result.output and "previous index" in result.output
    assert index.resolve() == before
    builds = list((tmp_path / "index.builds").iterdir())
    assert builds == [before]  # the half-written build was removed


@pytest.mark.parametrize("crash", [False, True])
def test_a_build_gives_the_garbage_collector_back_as_it_found_it(corpus, tmp_path, crash):
    """Builds run with the collector off and freeze what they keep (indexer.build): the
    calling process gets it back on, with nothing left frozen, also after a failure."""
    if crash:
        (corpus / "003_bad.txt").write_bytes(b"\x00" * 10)
        for path in corpus.glob("0*.txt"):
            if path.name != "003_bad.txt":
                path.unlink()
    assert gc.isenabled() and gc.get_freeze_count() == 0
    for command in ("rebuild", "update"):
        result = CliRunner().invoke(
            main, [command, "--corpus", str(corpus), "--index", str(tmp_path / "i")]
        )
        assert (result.exit_code != 0) == crash, result.output
        assert gc.isenabled() and gc.get_freeze_count() == 0


def test_missing_corpus_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["rebuild", "--corpus", str(tmp_path / "nope")])
    assert result.exit_code != 0 and "corpus folder not found" in result.output


def test_old_builds_are_pruned(corpus, tmp_path):
    index = tmp_path / "index"
    for _ in range(5):
        assert run("rebuild", "--corpus", str(corpus), "--index", str(index)).exit_code == 0
    assert len(list((tmp_path / "index.builds").iterdir())) <= 3
    shutil.rmtree(tmp_path / "index.builds")


def test_update_reindexes_only_changed_files(corpus, tmp_path):
    index = tmp_path / "index"
    assert run("rebuild", "--corpus", str(corpus), "--index", str(index)).exit_code == 0
    engine = SearchEngine(index)
    first = index.resolve()

    unchanged = run("update", "--corpus", str(corpus), "--index", str(index))
    assert "21 articles" in unchanged.output and index.resolve() == first

    (corpus / "003_new.txt").write_text(NEW_DOC, encoding="utf-8")  # added
    added = run("update", "--corpus", str(corpus), "--index", str(index))
    assert "Changed: 1 files, deleted: 0 files" in added.output, added.output
    assert [h.title for h in engine.search("Islandia").hits] == ["Wizyta delegacji z Islandii"]

    edited = NEW_DOC.replace("z Islandii", "z Norwegii").replace("Reykjaviku", "Oslo")
    (corpus / "003_new.txt").write_text(edited, encoding="utf-8")  # edited
    run("update", "--corpus", str(corpus), "--index", str(index))
    assert engine.search("Islandia").total == 0
    assert [h.title for h in engine.search("Norwegia").hits] == ["Wizyta delegacji z Norwegii"]

    (corpus / "003_new.txt").write_bytes(b"\x00" * 64)  # edited into garbage: keep old articles
    broken = CliRunner().invoke(main, ["update", "--corpus", str(corpus), "--index", str(index)])
    assert "003_new.txt" in broken.output
    assert engine.search("Norwegia").total == 1

    (corpus / "003_new.txt").unlink()  # deleted
    deleted = run("update", "--corpus", str(corpus), "--index", str(index))
    assert "deleted: 1 files" in deleted.output
    assert engine.search("Norwegia").total == 0
    assert engine.search("bezdomność").total >= 2
    assert engine.doc_count() == 21


def test_compare_builds_tells_an_index_of_the_same_content_from_another(corpus, tmp_path):
    """``benchmarks.compare_builds`` (the check that an indexer change indexes the same):
    two builds of one corpus by two workers hold the same; one more article, or the
    articles cut into other segments, make a difference."""
    from benchmarks.compare_builds import main as compare
    from indexer.build import rebuild

    rebuild(corpus, tmp_path / "one", procs=2)
    rebuild(corpus, tmp_path / "two", procs=2)
    rebuild(corpus, tmp_path / "single", procs=1)
    assert compare([str(tmp_path / "one"), str(tmp_path / "single")]) == 1
    (corpus / "003_new.txt").write_text(NEW_DOC, encoding="utf-8")
    rebuild(corpus, tmp_path / "three", procs=2)
    assert compare([str(tmp_path / "one"), str(tmp_path / "two")]) == 0
    assert compare([str(tmp_path / "two"), str(tmp_path / "three")]) == 1
