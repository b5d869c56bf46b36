"""The segment writer's per-term pool writes the same segment as Whoosh's own pool."""

from __future__ import annotations

import string
from itertools import accumulate
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index
from whoosh.formats import Positions

from indexer import writer
from indexer.build import article_fields
from indexer.corpus import read_corpus
from indexer.writer import segment_writer
from search.schema import build_schema
from search.store import INDEX_NAME
from tests.conftest import SEEDS


def build_index(folder: Path, documents: list[dict], per_term: bool):
    folder.mkdir(parents=True)
    ix = whoosh_index.create_in(str(folder), build_schema(), indexname=INDEX_NAME)
    writer = segment_writer(ix, per_term=per_term)
    for fields in documents:
        writer.add_document(**fields)
    writer.commit(merge=False)
    return ix


def build(folder: Path, documents: list[dict], per_term: bool):
    return build_index(folder, documents, per_term).reader()


def segment_file(ix, extension: str) -> bytes:
    """One file of the index's only segment, read from its compound file."""
    (segment,) = ix._segments()
    files = segment.open_compound_file(ix.storage)
    return files.open_file(segment.make_filename(extension)).read()


def segment_contents(reader) -> list:
    """Every term with its term info and every posting with its block's statistics: what a
    query reads, BM25's block bounds included."""
    out = []
    for field, text in reader.all_terms():
        info = reader.term_info(field, text)
        postings = []
        matcher = reader.postings(field, text)
        while matcher.is_active():
            postings.append((matcher.id(), matcher.weight(), matcher.value(),
                             matcher.block_min_length(), matcher.block_max_length(),
                             matcher.block_max_weight()))  # fmt: skip
            matcher.next()
        out.append((field, text, info.doc_frequency(), info.weight(), info.min_length(),
                    info.max_length(), info.max_weight(), info.min_id(), info.max_id(),
                    postings))  # fmt: skip
    stored = [reader.stored_fields(n) for n in range(reader.doc_count_all())]
    lengths = [(n, f, reader.doc_field_length(n, f)) for n in range(reader.doc_count_all())
               for f in ("title", "body")]  # fmt: skip
    return [out, stored, lengths]


def seed_documents(copies: int) -> list[dict]:
    articles = [a for _, found in read_corpus(SEEDS) if isinstance(found, list) for a in found]
    return [article_fields(a) for _ in range(copies) for a in articles]


def test_per_term_pool_writes_the_segment_whoosh_writes(tmp_path):
    documents = seed_documents(copies=15)  # 315 articles: common terms span several blocks
    whoosh = build(tmp_path / "whoosh", documents, per_term=False)
    ours = build(tmp_path / "ours", documents, per_term=True)
    assert max(ours.doc_frequency(f, t) for f, t in ours.all_terms() if f == "body") > 128
    assert segment_contents(ours) == segment_contents(whoosh)


def values_one_by_one(postings: writer.FieldPostings) -> list[bytes]:
    """``FieldPostings.values`` as a call of ``encode_deltas`` per posting."""
    deltas = postings._deltas.tolist()
    bounds = zip(postings._first.tolist(), postings.ends.tolist(), strict=True)
    return [writer.encode_deltas(deltas[begin:end]) for begin, end in bounds]


def test_values_are_each_postings_positions_shared_where_single():
    from search.analysis import TermCodes

    texts = [a.body for _, found in read_corpus(SEEDS) if isinstance(found, list) for a in found]
    texts += ["", "pomoc pomoc pomoc", "i w z"]
    field = writer.FieldCodes(TermCodes(), 1.0)
    for docnum, text in enumerate(texts):
        field.add(docnum, field.table.codes(text))
    postings = writer.FieldPostings(field)
    values = postings.values()
    assert values == values_one_by_one(postings)
    singles = [v for v in values if v[:4] == b"\x00\x00\x00\x01"]
    several = [v for v in values if v[:4] != b"\x00\x00\x00\x01"]
    assert singles and several  # both kinds
    assert len({id(v) for v in singles}) == len(set(singles))  # one object per position


# The postings read as lists at once: the real size (one group per field here), a few
# postings (most groups of a few terms), one (every term with more postings than a group)
@pytest.mark.parametrize("group", [writer.GROUP_POSTINGS, 7, 1])
def test_term_writer_writes_whoosh_bytes_but_for_the_pickle_protocol(tmp_path, monkeypatch,
                                                                     group):
    """With Whoosh's pickle protocol for the blocks' data, a new bytes object for each
    posting's positions and every block compressed, the postings and terms files are byte
    for byte those of Whoosh's own writer. (The tests above show that the faster protocol,
    values shared by postings with the same positions, which pickle then writes once per
    block, and small blocks left uncompressed read back the same.)"""
    documents = seed_documents(copies=15)
    whoosh = build_index(tmp_path / "whoosh", documents, per_term=False)
    monkeypatch.setattr(writer, "GROUP_POSTINGS", group)
    monkeypatch.setattr(writer, "DATA_PROTOCOL", 2)
    monkeypatch.setattr(writer, "MIN_COMPRESSED", 0)
    encode = Positions().encode  # Whoosh's, which makes a new bytes object each time
    monkeypatch.setattr(writer, "encode_deltas", lambda deltas: encode(list(accumulate(deltas))))
    monkeypatch.setattr(writer.FieldPostings, "values", values_one_by_one)
    ours = build_index(tmp_path / "ours", documents, per_term=True)
    for extension in (".pst", ".trm"):
        assert segment_file(ours, extension) == segment_file(whoosh, extension)


WORDS = ["pomoc", "pomocy", "bezdomność", "Kraków", "rodzinie", "świadczenia", "w", "i",
         "PomocySpołecznej", "mieszkańców", "2009", "ośrodek", "MOPS", "ąę",
         "wizytaprzedstawicieli"]  # fmt: skip
texts = st.lists(st.sampled_from(WORDS) | st.text(string.ascii_letters, max_size=6),
                 max_size=40).map(" ".join)  # fmt: skip
# Without "glued": each writer fills in the glued words (per term: from the words' codes).
documents = st.lists(
    st.builds(lambda title, body, n: {"id": f"d{n}", "source": f"s{n % 3}.txt", "title": title,
                                      "body": body, "year": "2009"},
              texts, texts, st.integers(0, 10_000)),  # fmt: skip
    min_size=1,
    max_size=200,
)


@settings(max_examples=25, deadline=None)
@given(documents)
def test_per_term_pool_matches_whoosh_on_any_documents(tmp_path_factory, docs):
    folder = tmp_path_factory.mktemp("pools")
    whoosh = build(folder / "whoosh", docs, per_term=False)
    ours = build(folder / "ours", docs, per_term=True)
    assert segment_contents(ours) == segment_contents(whoosh)


@pytest.mark.parametrize("per_term", [False, True])
def test_writers_fill_in_the_glued_words_of_the_title_and_body(tmp_path, per_term):
    documents = [
        {"id": "a", "title": "Wizyta PomocySpołecznej", "year": "2009",
         "body": "wizytaprzedstawicieli i PomocySpołecznej, pomoc w Krakowie"},
        {"id": "b", "title": "Pomoc", "body": "bezdomność", "year": "2009"},
        {"id": "c", "title": "Pomoc", "body": "PomocySpołecznej", "glued": "", "year": "2009"},
    ]  # fmt: skip
    reader = build(tmp_path / "ix", documents, per_term)
    glued = [reader.stored_fields(n)["glued"] for n in range(3)]
    assert glued == ["PomocySpołecznej wizytaprzedstawicieli", "", ""]


def test_per_term_writer_refuses_boosts_it_cannot_keep(tmp_path):
    tmp_path.mkdir(exist_ok=True)
    ix = whoosh_index.create_in(str(tmp_path), build_schema(), indexname=INDEX_NAME)
    writer = segment_writer(ix, per_term=True)
    document = {"id": "a", "source": "s.txt", "title": "Pomoc", "body": "bezdomność",
                "glued": "", "year": "2009"}  # fmt: skip
    with pytest.raises(ValueError, match="_boost"):
        writer.add_document(**document, _boost=2.0)
    writer.add_document(**document)
    writer.commit(merge=False)
    assert ix.reader().doc_frequency("title", "pomoc") == 1


def test_per_term_writer_without_analysed_fields_reads_the_lengths_back(tmp_path):
    """A schema without the coded title and body: Whoosh's add_document records the
    lengths, which the per-term flush reads back (the same segment as Whoosh's writer)."""
    from whoosh.fields import ID, TEXT, Schema

    schema = Schema(id=ID(stored=True), text=TEXT(stored=True))
    docs = [{"id": f"d{n}", "text": " ".join(["alfa beta"] * (n % 7 + 1))} for n in range(300)]
    readers = []
    for per_term in (False, True):
        folder = tmp_path / str(per_term)
        folder.mkdir()
        ix = whoosh_index.create_in(str(folder), schema, indexname=INDEX_NAME)
        writer = segment_writer(ix, per_term=per_term)
        for fields in docs:
            writer.add_document(**fields)
        writer.commit(merge=False)
        readers.append(ix.reader())
    whoosh, ours = readers
    assert ours.term_info("text", "alfa").max_length() == 7 * 2
    assert segment_contents(ours) == segment_contents(whoosh)


@pytest.mark.parametrize("per_term", [False, True])
def test_stored_records_are_zlib_streams_of_stored_blocks_whoosh_reads(tmp_path, per_term):
    """Both writers keep each stored record as a zlib stream without deflating it (level 0,
    ``writer.STORED_LEVEL``): Whoosh's reader inflates it as any other."""
    import pickle
    import zlib

    from whoosh.codec.whoosh3 import W3Codec
    from whoosh.columns import VarBytesColumn

    documents = seed_documents(copies=1)
    ix = build_index(tmp_path / "ix", documents, per_term=per_term)
    (segment,) = ix._segments()
    files = segment.open_compound_file(ix.storage)
    name = W3Codec.column_filename(segment, "_stored")
    column = files.open_file(name)
    raw = VarBytesColumn().reader(column, 0, files.file_length(name), len(documents))
    with ix.searcher() as searcher:
        for docnum, fields in enumerate(documents):
            record = raw[docnum]
            assert record[:2] == b"\x78\x01"  # zlib's header of a level-0 stream
            assert pickle.loads(zlib.decompress(record)) == searcher.stored_fields(docnum)
            assert searcher.stored_fields(docnum)["body"] == fields["body"]
