"""The rebuild's workers share the analysis of their words and index what one process does."""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
import time
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from indexer import build
from indexer.build import BuildError, rebuild
from indexer.vocabulary import share_words
from search.analysis import text_words
from search.postings import lexicon_words
from search.store import INDEX_NAME, current_build, read_words
from tests.conftest import DATA, copy_corpus

DOCUMENTS = sorted((DATA / "articles" / "design-a").glob("*.txt"))


def postings_by_article(index: Path) -> set:
    """Every (field, term, article id, posting value) of the index, whatever its segments."""
    reader = whoosh_index.open_dir(str(current_build(index)), indexname=INDEX_NAME).reader()
    ids = [reader.stored_fields(n)["id"] for n in range(reader.doc_count_all())]
    found = set()
    for field, text in reader.all_terms():
        matcher = reader.postings(field, text)
        while matcher.is_active():
            found.add((field, text, ids[matcher.id()], matcher.value()))
            matcher.next()
    return found


@pytest.mark.parametrize("procs", [2, 3])
def test_workers_sharing_their_words_index_what_one_process_indexes(tmp_path, procs):
    corpus = copy_corpus(tmp_path / "corpus", DOCUMENTS)
    rebuild(corpus, tmp_path / "one", procs=1)
    rebuild(corpus, tmp_path / "many", procs=procs)
    expected = postings_by_article(tmp_path / "one")
    assert len({article for _, _, article, _ in expected}) > 50
    assert postings_by_article(tmp_path / "many") == expected
    for index in (tmp_path / "one", tmp_path / "many"):  # the words the writers recorded
        build = current_build(index)
        ix = whoosh_index.open_dir(str(build), indexname=INDEX_NAME)
        assert read_words(build) == lexicon_words(ix)


def test_each_word_is_analysed_by_one_worker():
    shares = [DOCUMENTS[0::3], DOCUMENTS[1::3], DOCUMENTS[2::3]]
    inboxes = [queue.Queue() for _ in shares]
    analysed = [0] * len(shares)

    def work(me: int) -> None:
        analysed[me] = share_words(me, inboxes, shares[me])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(shares))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    words = [text_words(p.read_text(encoding="utf-8") for p in share) for share in shares]
    assert sum(analysed) == len(set().union(*words))
    assert all(0 < n < len(w) for n, w in zip(analysed, words, strict=True))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", set()),
        (
            "Pomoc, pomoc; (pomocy) i 2009-10-01.",
            {"Pomoc", "pomoc", "pomocy", "i", "2009", "10", "01"},
        ),
        ("a_b\tc\u00a0d\u2028e", {"a_b", "c", "d", "e"}),
        ("MOPS—Kraków", {"MOPS", "Kraków"}),
        ("pomocy\ud800rodzinie\x1cdzieci", {"pomocy", "rodzinie", "dzieci"}),
    ],
)
def test_text_words_are_the_word_patterns_matches(text, words):
    assert text_words([text]) == words


def test_a_worker_dying_while_the_others_wait_for_its_words_fails_the_rebuild(
    tmp_path, monkeypatch
):
    corpus = copy_corpus(tmp_path / "corpus", DOCUMENTS)
    index = tmp_path / "index"
    rebuild(corpus, index, procs=1)
    before = current_build(index)

    def share_or_die(me, inboxes, paths):
        if me == 1:
            os._exit(3)  # the other worker waits for this one's words
        return share_words(me, inboxes, paths)

    monkeypatch.setattr(build, "share_words", share_or_die)
    started = time.monotonic()
    with pytest.raises(BuildError, match="an indexing process died"):
        rebuild(corpus, index, procs=2)
    assert time.monotonic() - started < 60
    assert current_build(index) == before
    assert not [p for p in multiprocessing.active_children() if p.is_alive()]


@pytest.mark.parametrize(
    ("sizes", "procs", "expected"),
    [
        ([5, 1, 1, 1, 1, 1], 2, [[0], [1, 2, 3, 4, 5]]),  # bytes, not files, balanced
        ([1, 2, 3, 4], 2, [[0, 3], [1, 2]]),
        ([3, 3, 3], 3, [[0], [1], [2]]),
        ([4, None, 2], 2, [[0], [1, 2]]),  # a file gone before indexing counts as empty
        ([7], 2, [[0], []]),
    ],
)
def test_workers_get_shares_of_about_the_same_bytes_in_corpus_order(
    tmp_path, sizes, procs, expected
):
    files = []
    for n, size in enumerate(sizes):
        path = tmp_path / f"{n:02d}.txt"
        if size is not None:
            path.write_bytes(b"x" * size)
        files.append(path)
    shares = build._shares(files, procs)
    assert [[files.index(p) for p in share] for share in shares] == expected
