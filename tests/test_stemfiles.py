"""Each build keeps the stemmer's parsed table, so servers and updates never parse it."""

from __future__ import annotations

import pystempel

from indexer.build import rebuild, update
from search import morphology
from search.engine import SearchEngine
from search.stemfiles import TABLE, load_table
from tests.conftest import copy_corpus


def test_opening_a_build_takes_its_table_without_parsing(tmp_path, monkeypatch):
    corpus = copy_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    rebuild(corpus, index)
    expected = morphology.stem_unknown("pustowitowi")
    monkeypatch.setattr(morphology, "_stemmer", None)
    morphology._safe_stem.cache_clear()  # forget the stems made so far
    monkeypatch.setattr(morphology, "_parse_table", _fail)
    engine = SearchEngine(index)
    assert engine.search("Pustowita").total >= 1
    assert morphology.stemmer_loaded()
    assert morphology.stem_unknown("pustowitowi") == expected
    engine.close()


def _fail(*args, **kwargs):
    raise AssertionError("the stemmer's table was parsed")


def test_an_update_stems_new_words_without_parsing(tmp_path, monkeypatch):
    corpus = copy_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    rebuild(corpus, index)
    monkeypatch.setattr(morphology, "_stemmer", None)
    morphology._safe_stem.cache_clear()  # forget the stems made so far
    monkeypatch.setattr(morphology, "_parse_table", _fail)
    (corpus / "new.txt").write_text(
        "Wizyta z Xyzzylandii\n\nGoście z Xyzzylandii odwiedzili Kraków.\n", encoding="utf-8"
    )
    update(corpus, index)
    assert (index.resolve() / TABLE).is_file()
    engine = SearchEngine(index)
    assert engine.search("Xyzzylandia").total == 1
    engine.close()


def test_a_rebuild_keeps_the_table_it_loaded_as_it_was(tmp_path, monkeypatch):
    corpus = copy_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    rebuild(corpus, index)
    kept = (index.resolve() / TABLE).read_bytes()
    monkeypatch.setattr(morphology, "_stemmer", None)
    monkeypatch.setattr(morphology, "_parse_table", _fail)
    monkeypatch.setattr(morphology, "_row_data", _fail)  # not compiled again either
    rebuild(corpus, index)
    assert (index.resolve() / TABLE).read_bytes() == kept
    monkeypatch.undo()
    monkeypatch.setattr(morphology, "_stemmer", None)  # parsed anew: compiled, to the same bytes
    compiled, row_data = [], morphology._row_data
    monkeypatch.setattr(morphology, "_row_data", lambda row: compiled.append(row) or row_data(row))
    assert morphology.compiled_table() == kept
    assert compiled


def test_parsed_and_kept_tables_stem_exactly_like_pystempel(tmp_path, monkeypatch):
    """The stemmer's table is read by our own parser, and a build keeps it parsed; both
    hold pystempel's rows (its own loader and classes) cell for cell and stem every word
    the same way, names and nonsense included."""
    import gzip
    import io
    import random
    import re

    from pystempel.streams import DataInputStream

    corpus = copy_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    monkeypatch.setattr(morphology, "_stemmer", None)
    rebuild(corpus, index)
    assert (index.resolve() / TABLE).is_file()
    parsed = morphology._get_stemmer()
    monkeypatch.setattr(morphology, "_stemmer", None)
    assert load_table(index.resolve())
    kept = morphology._get_stemmer()
    assert kept is not parsed
    data = gzip.decompress(morphology._table_bytes())  # pystempel's default table
    reference = pystempel.Stemmer.from_stream(DataInputStream(io.BytesIO(data)))  # its classes
    expected = [
        (
            t.forward,
            t.root,
            t.cmds,
            [{k: (c.cmd, c.ref) for k, c in r.cells.items()} for r in t.rows],
        )
        for t in reference.stemmer_trie.tries
    ]
    for stemmer in (parsed, kept):
        tries = stemmer.stemmer_trie.tries
        assert [(t.forward, t.root, t.cmds, t.rows) for t in tries] == expected
    text = " ".join(p.read_text(encoding="utf-8") for p in corpus.glob("*.txt"))
    words = sorted({w.lower() for w in re.findall(r"[^\W\d_]{2,}", text)})
    rng = random.Random(5)
    letters = "aąbcćdeęfghijklłmnńoóprsśtuwyzźżqvx"
    words += ["".join(rng.choice(letters) for _ in range(rng.randint(1, 16))) for _ in range(3000)]
    assert len(words) > 3500
    stems = [reference(w) for w in words]
    assert [parsed(w) for w in words] == stems
    assert [kept(w) for w in words] == stems


def test_a_table_of_another_kind_is_not_taken(tmp_path, monkeypatch):
    corpus = copy_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    rebuild(corpus, index)
    from search.stemfiles import TABLE

    (index.resolve() / TABLE).write_bytes(b"\x00not a table")
    monkeypatch.setattr(morphology, "_stemmer", None)
    assert not load_table(index.resolve())
    assert morphology._stemmer is None


def test_recorded_columns_are_what_the_segments_hold(tmp_path):
    """A build records its per-article columns (year, date order, source) so that opening
    it reads three arrays; after an update that deletes and adds documents they still equal
    what the segments' own columns give."""
    import numpy as np
    from whoosh import index as whoosh_index

    from search.engine import BM25_B, BM25_K1
    from search.postings import IndexView
    from search.query import FIELDS
    from search.store import read_columns

    corpus = copy_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    rebuild(corpus, index)
    first = sorted(corpus.glob("*.txt"))[0]
    first.write_text(
        first.read_text(encoding="utf-8") + "\n\nNowy artykuł\n\nTreść z 2021-05-04.\n",
        encoding="utf-8",
    )
    update(corpus, index)
    build = index.resolve()
    view = IndexView(whoosh_index.open_dir(str(build), indexname="MAIN"), FIELDS, BM25_B, BM25_K1)
    computed, recorded = view.compute_columns(), read_columns(build)
    view.close()
    assert set(recorded) == set(computed)
    for key in ("year", "date_rank", "source"):
        assert np.array_equal(recorded[key], computed[key])
    assert list(recorded["source_names"]) == computed["source_names"]
    engine = SearchEngine(index)
    hits = engine.search("pomocy", per_page=50).hits
    assert hits and all(h.source_label for h in hits)
    assert engine.search("Kraków", filters=None).years  # facets from the recorded columns
    engine.close()
