"""The array executor must return exactly what Whoosh's own matchers return, on real indexes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index
from whoosh.scoring import BM25F

from indexer.build import rebuild, update
from search.engine import BM25_B, BM25_K1, SearchEngine
from search.executor import Executor, Matches, contains, difference, intersection, union
from search.planner import build_query
from search.postings import IndexView
from search.query import FIELDS, parse
from search.request import Filters
from tests.conftest import copy_corpus

QUERIES = [
    "bezdomność",
    "Bruksela Kopenhaga",
    "wizyta studentów z Danii",
    "Kopenhaga OR Bruksela",
    "Niemcy -Hamburg",
    "NOT Francja",
    '"Uniwersytet Jagielloński"',
    '"grupy roboczej"',
    '"Miejskiego Ośrodka Pomocy Społecznej"',
    '"pomocy społecznej" Kraków',
    '"społecznej pomocy"',
    'title:"Wizyta studyjna"',
    "title:Francja",
    "PomocySpołecznej",
    "wizytaprzedstawicieli",
    "Jakie projekty realizował ośrodek pomocy społecznej w Krakowie z partnerami z zagranicy?",
    "Pustowit",
]


def compare(index_path, queries, mapped=True):
    """The executor against Whoosh's own matchers; ``mapped``: every segment's postings are
    read from its arrays file (else through Whoosh's blocks)."""
    ix = whoosh_index.open_dir(str(index_path.resolve()))
    searcher = ix.searcher(weighting=BM25F(B=BM25_B, K1=BM25_K1))
    view = IndexView(ix, FIELDS, BM25_B, BM25_K1)
    assert all(a is not None for a in view.arrays) == mapped
    checked = 0
    # twice: the second time, words' readings and bonuses come from the view's cache
    for text in queries + queries:
        executor = Executor(view, searcher)
        plan = build_query(searcher.reader(), parse(text))
        for query in (plan.required, plan.partial):
            if query is None:
                continue
            expected = {h.docnum: h.score for h in searcher.search(query, limit=None)}
            found = executor.run(query)
            got = dict(zip(found.ids.tolist(), found.scores.tolist(), strict=True))
            assert got.keys() == expected.keys(), text
            for docnum, score in expected.items():
                assert got[docnum] == pytest.approx(score, rel=1e-5), text
            checked += len(expected)
    assert checked > 50  # the table really exercises matches


def test_same_matches_and_scores_as_whoosh(index_dir):
    compare(index_dir, QUERIES)


def test_same_after_an_update_leaves_deleted_documents(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    rebuild(corpus, index)
    first = sorted(corpus.glob("*.txt"))[0]
    first.write_text(first.read_text(encoding="utf-8").replace("Wizyta", "Odwiedziny", 1))
    update(corpus, index)
    ix = whoosh_index.open_dir(str(index.resolve()))
    assert ix.reader().has_deletions()  # the edited file's old articles are deleted in place
    compare(index, QUERIES + ["Odwiedziny", "Wizyta"])
    same_postings_as_whoosh(index)
    same_position_keys_as_whoosh(index)
    same_texts_as_whoosh(index)


def same_position_keys_as_whoosh(index_path) -> None:
    """Position keys of a term in some documents (all that hold it, every other one, one,
    none, documents that do not) equal the positions Whoosh decodes, over every segment."""
    ix = whoosh_index.open_dir(str(index_path.resolve()))
    view = IndexView(ix, FIELDS, BM25_B, BM25_K1)
    checked = 0
    try:
        for field in FIELDS:
            for raw in list(view.reader.lexicon(field))[::7]:
                term = raw.decode("utf-8")
                held = view.postings(field, term).ids
                others = np.setdiff1d(np.arange(view.doc_count_all), held)[:5]
                for docs in (held, held[::2], held[-1:], held[:0], np.union1d(held[:3], others)):
                    found = view.positions(field, term, docs)
                    expected = sorted(d << 32 | p for d, where in found.items() for p in where)
                    assert view.position_keys(field, term, docs).tolist() == expected
                    checked += 1
    finally:
        view.close()
    assert checked > 100


def same_texts_as_whoosh(index_path) -> None:
    """Every live article's shown fields from the texts files equal its stored fields, the
    body's white space collapsed (what snippets read), and snippets are the same from
    either."""
    from search.snippets import snippet
    from search.textfiles import TEXT_FIELDS, spaced

    ix = whoosh_index.open_dir(str(index_path.resolve()))
    view = IndexView(ix, FIELDS, BM25_B, BM25_K1)
    assert all(t is not None for t in view.texts)
    searcher = ix.searcher()
    checked = 0
    for docnum in range(view.doc_count_all):
        if not view.live[docnum]:
            continue
        stored = searcher.stored_fields(docnum)
        shown = view.shown_fields(docnum, searcher)
        expected = {f: stored.get(f) or "" for f in TEXT_FIELDS}
        assert shown == {**expected, "body": spaced(expected["body"]), "spaced": True}
        for terms in (["pomoc"], ["wizyta", "student"], ["kraków", "rok"]):
            cut = snippet(shown["body"], terms, True, spaced=True)
            assert cut == snippet(stored["body"], terms)
        checked += 1
    assert checked == searcher.doc_count() > 0


def test_texts_files_hold_the_stored_fields(index_dir):
    same_texts_as_whoosh(index_dir)


def same_postings_as_whoosh(index_path) -> None:
    """Every term of the scored fields: its arrays equal Whoosh's decoded blocks."""
    from search import postfiles
    from search.postings import _leaf_postings

    build = index_path.resolve()
    reader = whoosh_index.open_dir(str(build)).reader()
    checked = 0
    for leaf, _ in reader.leaf_readers():
        arrays = postfiles.open_arrays(build, leaf._segment.segment_id())
        assert arrays is not None
        for field in FIELDS:
            for term in leaf.lexicon(field):
                matcher = leaf._terms.matcher(field, term, leaf.schema[field].format)
                ids, weights = _leaf_postings(matcher)
                found = arrays.lookup(field, term.decode("utf-8"))
                assert found is not None, (field, term)
                assert found[0].tolist() == ids.tolist(), (field, term)
                assert found[1].tolist() == weights.tolist(), (field, term)
                # every posting's positions, as Whoosh decodes them
                expected = []
                matcher = leaf._terms.matcher(field, term, leaf.schema[field].format)
                while matcher.is_active():
                    expected += [(matcher.id(), p) for p in matcher.value_as("positions")]
                    matcher.next()
                docs, where = arrays.all_positions(field, term.decode("utf-8"))
                assert list(zip(docs.tolist(), where.tolist(), strict=True)) == expected
                checked += 1
        for absent in ("", "zzzz", "bezdomnośćx", "ż" * 40):
            assert arrays.lookup("body", absent) is None
        assert arrays.lookup("source", "anything") is None  # only the scored fields
    assert checked > 500


def test_posting_arrays_hold_exactly_whoosh_postings(index_dir):
    same_postings_as_whoosh(index_dir)


def test_phrases_over_arrays_without_positions_read_whoosh_positions(tmp_path):
    """Arrays files from before they held positions: phrases read Whoosh's, the same
    matches and scores; with positions, the array arithmetic gives them too."""
    from search import arrayfile, postfiles

    corpus = copy_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    rebuild(corpus, index)
    phrases = [q for q in QUERIES if '"' in q] + ['"pomocy społecznej w Krakowie"', '"w w"']
    compare(index, phrases)
    for path in sorted(index.resolve().glob("*" + postfiles.SUFFIX)):
        kept = {name: values for name, values in postfiles.PostingArrays(path).arrays.items()
                if not name.endswith((".pos", ".pos_end"))}  # fmt: skip
        arrayfile.write(path, postfiles.MAGIC, {k: np.array(v) for k, v in kept.items()})
        assert not postfiles.PostingArrays(path).has_positions("body")
    compare(index, phrases)


def test_segments_without_posting_arrays_are_read_through_whoosh(tmp_path):
    """A build from before the arrays files (or with one unreadable) gives the same results."""
    from search import postfiles

    corpus = copy_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    rebuild(corpus, index)
    files = sorted(index.resolve().glob("*" + postfiles.SUFFIX))
    assert files
    expected = [(h.id, h.score, h.snippet) for h in SearchEngine(index).search("wizyta").hits]
    for path in [*files, *index.resolve().glob("*.texts")]:
        path.unlink()
    compare(index, QUERIES, mapped=False)
    (files[0]).write_bytes(b"not an arrays file")
    compare(index, QUERIES, mapped=False)
    view = IndexView(whoosh_index.open_dir(str(index.resolve())), FIELDS, BM25_B, BM25_K1)
    assert view.texts == [None] * len(view.leaves)
    # An older build has neither file, and its manifest does not list them.
    from search.store import read_manifest, write_manifest

    manifest = read_manifest(index.resolve())
    write_manifest(index.resolve(), {k: v for k, v in manifest.items() if k != "checksums"})
    got = [(h.id, h.score, h.snippet) for h in SearchEngine(index).search("wizyta").hits]
    assert got == expected


# --- filters, date order, facets --------------------------------------------------------


def test_year_facet_counts_cover_every_match(engine):
    result = engine.search("wizyta", per_page=50)
    assert sum(f.count for f in result.years) == result.total
    values = [f.value for f in result.years]  # newest first, unknown ("") last, once each
    assert values == sorted(set(values), key=lambda v: v or "0", reverse=True)
    year = next(f for f in result.years if f.value)
    narrowed = engine.search("wizyta", per_page=50, filters=Filters(year=int(year.value)))
    assert narrowed.total == year.count
    assert all((h.date or "").startswith(year.value) for h in narrowed.hits)
    # The year facet keeps counting every year, so users can switch between them.
    assert narrowed.years == result.years


def test_source_filter_and_facet(engine):
    result = engine.search("wizyta", per_page=50)
    assert len(result.sources) >= 2
    source = result.sources[0]
    narrowed = engine.search("wizyta", per_page=50, filters=Filters(source=source.value))
    assert narrowed.total == source.count
    assert {h.source for h in narrowed.hits} == {source.value}
    assert engine.search("wizyta", filters=Filters(source="no-such-file.txt")).total == 0


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_date_order_undated_last(engine, sort):
    hits = engine.search("wizyta", per_page=50, filters=Filters(sort=sort)).hits
    dates = [h.date for h in hits if h.date and h.date[:4].isdigit()]
    assert dates == sorted(dates, reverse=sort == "newest") and len(dates) >= 5
    dated = [bool(h.date) for h in hits]
    assert dated == sorted(dated, reverse=True)  # undated articles come last


def test_paging_is_consistent(engine):
    first = engine.search("wizyta", per_page=30)
    whole = [h.id for h in first.hits]
    pages = [h.id for p in range(1, -(-first.total // 7) + 1)
             for h in engine.search("wizyta", page=p, per_page=7).hits]  # fmt: skip
    assert pages[: len(whole)] == whole


def test_engine_reopens_views_per_build(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    rebuild(corpus, index)
    engine = SearchEngine(index)
    assert engine.search("Islandia").total == 0
    (corpus / "new.txt").write_text(
        "Wizyta delegacji z Islandii\n\nGoście z Reykjaviku odwiedzili Kraków.\n", encoding="utf-8"
    )
    update(corpus, index)
    assert engine.search("Islandia").total == 1


def test_segments_split_when_the_buffer_fills(tmp_path, monkeypatch):
    import indexer.build

    corpus = copy_corpus(tmp_path / "corpus")
    whole = SearchEngine(rebuild(corpus, tmp_path / "whole").build)
    monkeypatch.setattr(indexer.build, "SEGMENT_FILL", 1e-6)  # a new segment after every file
    index = tmp_path / "index"
    rebuild(corpus, index)
    split = SearchEngine(index)
    assert len(split._searcher().reader().leaf_readers()) == len(list(corpus.glob("*.txt")))
    compare(index, QUERIES)
    same_position_keys_as_whoosh(index)
    for text in ("bezdomność", "wizyta studentów", "Kraków"):
        got = [(h.id, h.score) for h in split.search(text, per_page=50).hits]
        assert got == [(h.id, h.score) for h in whole.search(text, per_page=50).hits]


def test_an_index_without_columns_still_serves(tmp_path, monkeypatch, engine):
    """An index written before source/date became columns (schema 2) keeps working."""
    from whoosh.fields import ID

    import indexer.build

    old_schema = indexer.build.build_schema

    def schema_2():
        schema = old_schema()
        schema.remove("source")
        schema.add("source", ID(stored=True))
        schema.remove("date")
        schema.add("date", ID(stored=True))
        return schema

    monkeypatch.setattr(indexer.build, "build_schema", schema_2)
    corpus = copy_corpus(tmp_path / "corpus")
    rebuild(corpus, tmp_path / "index")
    old = SearchEngine(tmp_path / "index")
    result = old.search("wizyta", per_page=50, filters=Filters(sort="newest"))
    current = engine.search("wizyta", per_page=50, filters=Filters(sort="newest"))
    assert [h.id for h in result.hits] == [h.id for h in current.hits]
    assert result.years == current.years and result.sources == current.sources


def test_date_order_is_strict_across_partial_matches(engine):
    """'newest' orders every match by date, not all-words matches first and then the rest."""
    result = engine.search("pomoc bezdomnym Berlin", per_page=50, filters=Filters(sort="newest"))
    assert result.total_all_words < result.total  # the query has partial matches
    dates = [h.date for h in result.hits if h.date and h.date[:4].isdigit()]
    assert dates == sorted(dates, reverse=True) and len(dates) >= 3


def _matches_strategy():
    """Sorted unique docnums in a range of 0-5000 with scores, sparse or dense."""
    return st.sets(st.integers(0, 5000), max_size=3000).map(
        lambda docs: Matches(
            np.array(sorted(docs), dtype=np.int64),
            np.array([1.0 + (d % 7) / 3 for d in sorted(docs)]),
        )
    )


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(_matches_strategy(), min_size=1, max_size=4))
def test_set_operations_agree_with_sets_sparse_or_dense(parts):
    """Union, intersection and membership take a dense or a binary-search path by size:
    both give what set arithmetic gives, scores summed."""
    expected = {}
    for p in parts:
        for d, s in zip(p.ids.tolist(), p.scores.tolist(), strict=True):
            expected[d] = expected.get(d, 0.0) + s
    both = set.intersection(*(set(p.ids.tolist()) for p in parts))
    found = intersection(parts)
    assert found.ids.tolist() == sorted(both)
    assert np.allclose(found.scores, [expected[d] for d in sorted(both)])
    joined = union(parts)
    assert joined.ids.tolist() == sorted(expected)
    assert np.allclose(joined.scores, [expected[d] for d in sorted(expected)])
    if joined.mask is not None:  # summed over the docnums: the mask marks exactly the ids
        assert np.flatnonzero(joined.mask).tolist() == joined.ids.tolist()
    needles = np.array(sorted(set(range(0, 6000, 7)) | set(parts[-1].ids.tolist())))
    assert contains(parts[0].ids, needles).tolist() == [
        d in set(parts[0].ids.tolist()) for d in needles.tolist()
    ]
    rest = difference(parts[-1], parts[0])
    assert rest.ids.tolist() == sorted(set(parts[-1].ids.tolist()) - set(parts[0].ids.tolist()))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 20_000), st.integers(1, 60), st.integers(0, 3), st.integers(0, 2**32 - 1))
def test_kth_best_is_the_partitions_answer(size, k, rounding, seed):
    """The block bound never changes the k-th best score: ties, many equal scores, sorted
    and reversed runs (one block holding every best score) included."""
    from search.executor import kth_best

    rng = np.random.default_rng(seed)
    values = np.round(rng.exponential(3.0, size), rounding)  # rounding makes ties common
    shape = seed % 3
    if shape == 1:
        values = np.sort(values)
    elif shape == 2:
        values = np.sort(values)[::-1].copy()
    k = min(k, size)
    assert kth_best(values, k) == np.partition(values, size - k)[-k]


def test_texts_keep_whether_older_articles_had_glued_words(tmp_path):
    """Documents merged from a build that recorded only a flag keep it: True stays True
    (snippets then look for any glued word), no words stay none."""
    from search import textfiles

    recorder = textfiles.TextRecorder()

    class Sink:
        def start_doc(self, docnum):
            pass

        def add_field(self, *args):
            pass

    writer = recorder.wrap(Sink())
    for docnum, glued in enumerate([True, False, "PomocySpołecznej", None]):
        writer.start_doc(docnum)
        writer.add_field("title", None, f"Tytuł {docnum}", 2)
        writer.add_field("glued", None, glued, 0)
    path = tmp_path / textfiles.file_name("MAIN_x")
    textfiles.write(path, recorder)
    texts = textfiles.open_texts(tmp_path, "MAIN_x")
    assert [texts.fields(n)["glued"] for n in range(4)] == [True, "", "PomocySpołecznej", ""]
    assert texts.fields(2)["title"] == "Tytuł 2" and texts.fields(1)["body"] == ""


@settings(max_examples=100, deadline=None, derandomize=True)
@given(_matches_strategy(), st.lists(_matches_strategy(), min_size=1, max_size=5))
def test_partial_matches_coverage_is_the_same_dense_or_sparse(rest, groups):
    """The share of the query's IDF a partial match holds: summed over the docnums or by
    membership tests, the same matches are kept."""
    import search.engine

    labelled = [(str(i), g.ids) for i, g in enumerate(groups)]
    kept = {}
    for factor in (0, 10**9):  # never dense, always dense
        search.engine.DENSE_COVERAGE = factor
        try:
            found = search.engine._informative(rest, labelled, 6000, short=True)
        finally:
            search.engine.DENSE_COVERAGE = 8
        kept[factor] = found.ids.tolist()
    assert kept[0] == kept[10**9]


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_facet_counts_by_matches_or_by_the_articles_missed(engine, data):
    """Facets count the matches, or, when they are most of the archive, the archive's
    counts less the articles missed (with or without a union's mask): the same counts."""
    import search.engine

    view = engine._state()[2]
    live = np.flatnonzero(view.live).tolist()
    chosen = sorted(data.draw(st.sets(st.sampled_from(live))))
    in_complete = data.draw(st.lists(st.booleans(), min_size=len(chosen), max_size=len(chosen)))
    complete = np.array([d for d, c in zip(chosen, in_complete, strict=True) if c], np.int64)
    rest_ids = [d for d, c in zip(chosen, in_complete, strict=True) if not c]
    halves = [Matches(np.array(rest_ids[k::2], np.int64), np.ones(len(rest_ids[k::2])))
              for k in (0, 1)]  # fmt: skip
    rest = union(halves) if data.draw(st.booleans()) else Matches(
        np.array(rest_ids, np.int64), np.ones(len(rest_ids)))  # fmt: skip
    years, sources = search.engine._counts_of(view, Matches(complete, np.ones(len(complete))), rest)
    everything = np.array(chosen, dtype=np.int64)
    expected_years = np.bincount(view.column("year")[everything], minlength=len(years))
    expected_sources = np.bincount(view.column("source")[everything], minlength=len(sources))
    assert years.tolist() == expected_years[: len(years)].tolist()
    assert sources.tolist() == expected_sources[: len(sources)].tolist()
    assert expected_years[len(years) :].sum() == expected_sources[len(sources) :].sum() == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 6), max_size=300), st.integers(1, 20))
def test_top_facets_are_the_full_sorts_first(counts, limit):
    """The most frequent values (ties by value), found among the values counted at least
    the limit-th most: what sorting every value gives."""
    from search.engine import _facet

    counts = np.array(counts, dtype=np.int64)
    everything = sorted(((-c, v) for v, c in enumerate(counts.tolist()) if c))
    assert _facet(counts, limit) == [(v, -c) for c, v in everything[:limit]]
    assert _facet(counts) == sorted((v, c) for v, c in enumerate(counts.tolist()) if c)
