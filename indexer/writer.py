"""A Whoosh segment writer with a faster flush, which also writes the segment's posting
arrays (``search.postfiles``) and shown texts (``search.textfiles``).

When it flushes a segment, Whoosh 2.7.4 looks up a document's field length once per posting
(for the block statistics that speed up BM25 at query time), each time through a column
reader: a third of the flush on our corpora. This writer reads each field's lengths once per
document instead. On their way into the segment, the scored fields' postings and the
stored texts are recorded, and written beside the segment once it is assembled (never into
Whoosh's compound file). Whoosh 2.7.4 is the final release, so the overridden methods are stable.

With ``per_term=True`` (a writer whose caller commits a segment before its pool is full, as
the rebuild's workers do), the rebuild's fast path:

- the title and body are kept as the codes of their words (``FieldCodes`` over
  ``search.analysis.TermCodes``) and turned into postings, values and positions with NumPy
  at the flush (``FieldPostings``); the other fields' postings are pooled per term
  (``TermPool``);
- the terms are written as the Whoosh 3 codec's bytes directly (``_write_terms``): the
  same files as Whoosh's writer but for the pickle protocol of the blocks' data
  (``DATA_PROTOCOL``) and values shared between postings (tests compare the bytes).
"""

from __future__ import annotations

import struct
import zlib
from array import array
from bisect import bisect_right
from functools import partial
from operator import sub
from pathlib import Path
from pickle import dumps

import numpy as np
from whoosh.columns import CompressedBytesColumn
from whoosh.fields import UnknownFieldError
from whoosh.system import pack_int, pack_long, pack_uint, pack_ushort
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from search import postfiles, textfiles
from search.analysis import PolishPositions, TermCodes, glued_words
from search.postings import WORDS_FIELD
from search.query import FIELDS


class _LengthCache:
    """doc_field_length() from per-field lists read once from the per-document reader."""

    def __init__(self, reader, doc_count: int):
        self._reader = reader
        self._doc_count = doc_count
        self._fields: dict[str, list[int]] = {}

    def field(self, fieldname: str) -> list[int]:
        """Every document's length of the field (0 where it has none)."""
        lengths = self._fields.get(fieldname)
        if lengths is None:
            read = self._reader.doc_field_length
            lengths = [read(n, fieldname, 0) for n in range(self._doc_count)]
            self._fields[fieldname] = lengths
        return lengths

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        return self.field(fieldname)[docnum] or default


# What a pooled term and posting are counted as against the pool's limit (bytes, roughly
# what they take in memory, as Whoosh's pool counts about 150 bytes a posting)
TERM_BYTES = 200
POSTING_BYTES = 150


class TermPool:
    """Postings pooled per term, each term's in the order they arrive, which is docnum order:
    Whoosh numbers documents as they are added or merged, one after the other. At flush only
    the terms are sorted (Whoosh's pool sorts every posting, then streams them one by one).
    A term's postings are three lists: docnums, weights and values (Whoosh's bytes).

    It never spills to disk: the writer's caller commits a segment before ``currentsize``
    reaches ``limit``. Postings kept elsewhere until the flush (``FieldCodes``) are counted
    with ``count``."""

    def __init__(self, limitmb: int):
        self.limit = limitmb * 1024 * 1024
        self.fields: dict[str, dict[bytes, tuple[list, list, list]]] = {}
        self._terms = 0
        self._postings = 0

    @property
    def currentsize(self) -> int:
        return self._terms * TERM_BYTES + self._postings * POSTING_BYTES

    def count(self, postings: int) -> None:
        self._postings += postings

    def add(self, item: tuple) -> None:
        """Whoosh's pool interface: item = (fieldname, term bytes, docnum, weight, value)."""
        fieldname, text, docnum, weight, value = item
        self._postings += 1
        terms = self.fields.get(fieldname)
        if terms is None:
            terms = self.fields[fieldname] = {}
        postings = terms.get(text)
        if postings is None:
            terms[text] = ([docnum], [weight], [value])
            self._terms += 1
        else:
            postings[0].append(docnum)
            postings[1].append(weight)
            postings[2].append(value)

    def sorted_terms(self, fieldname: str):
        """(term bytes, (docnums, weights, values)) of a field, sorted by term."""
        terms = self.fields.get(fieldname, {})
        for text in sorted(terms):
            yield text, terms[text]

    def cleanup(self) -> None:
        self.fields = {}


# Whoosh's Positions value of a single position, for the single positions most postings
# hold (encoded once each)
_ONE_POSITION: dict[int, bytes] = {}


def encode_deltas(deltas: list[int]) -> bytes:
    """``whoosh.formats.Positions.encode`` given the deltas: the count, then the pickled
    deltas."""
    if len(deltas) == 1:
        found = _ONE_POSITION.get(deltas[0])
        if found is None:
            found = _ONE_POSITION[deltas[0]] = pack_uint(1) + dumps(deltas, 2)
        return found
    return pack_uint(len(deltas)) + dumps(deltas, 2)


class FieldCodes:
    """A title or body field of a segment's documents as the codes of their words
    (``TermCodes``), turned into postings all at once at the flush."""

    def __init__(self, codes: TermCodes, boost: float):
        self.table = codes
        self.boost = boost
        self.codes = array("i")  # every document's word codes in turn
        self.starts = array("q")  # where each document's codes start
        self.docnums = array("i")

    def add(self, docnum: int, codes: array) -> int:
        """Add a document's text as its codes (``self.table.codes``); return its length
        (entries)."""
        self.docnums.append(docnum)
        self.starts.append(len(self.codes))
        self.codes.extend(codes)
        return self.table.entry_count(codes)


class FieldPostings:
    """A ``FieldCodes``'s postings, sorted by term (in bytes), docnum and position:
    Whoosh's values and the posting arrays' positions made for all the terms at once."""

    def __init__(self, field: FieldCodes):
        terms, texts, positions = field.table.entries(
            np.frombuffer(field.codes, dtype=np.int32), np.frombuffer(field.starts, dtype=np.int64)
        )
        names = field.table.terms
        present = np.unique(terms)
        texts_of = [names[n].encode() for n in present.tolist()]
        by_bytes = sorted(range(len(present)), key=texts_of.__getitem__)
        self.texts = [texts_of[i] for i in by_bytes]
        rank = np.empty(len(names), dtype=np.int64)
        rank[present[by_bytes]] = np.arange(len(present))
        ranked = rank[terms]
        order = np.argsort(ranked, kind="stable")
        terms = ranked[order]
        docs = np.frombuffer(field.docnums, dtype=np.int32)[texts[order]]
        self.positions = positions[order].astype(np.uint32)
        starts_posting = np.ones(len(terms), dtype=bool)
        starts_posting[1:] = (terms[1:] != terms[:-1]) | (docs[1:] != docs[:-1])
        self._first = first = np.flatnonzero(starts_posting)
        # where each posting's positions end
        self.ends = np.append(first[1:], len(terms)) if len(first) else first
        self.ids = docs[first]
        self.weights = (self.ends - first) * field.boost
        self.starts = np.flatnonzero(np.diff(terms[first], prepend=-1))  # each term's first posting
        self._deltas = np.diff(self.positions.astype(np.int64), prepend=0)
        self._deltas[first] = self.positions[first]  # each posting's first position as it is

    def values(self) -> list[bytes]:
        """Every posting's value as Whoosh's Positions format encodes it (``encode_deltas``).
        Most postings hold one position: their values are encoded once per position and
        shared, as ``encode_deltas`` shares them, and put in place with one gather."""
        first, ends = self._first, self.ends
        single = (ends - first) == 1
        positions, which = np.unique(self._deltas[first[single]], return_inverse=True)
        table = [encode_deltas([p]) for p in positions.tolist()]
        multi = np.flatnonzero(~single)
        index = np.empty(len(first), dtype=np.int64)
        index[single] = which
        index[multi] = np.arange(len(table), len(table) + len(multi))
        deltas = self._deltas.tolist()
        table += [
            encode_deltas(deltas[begin:end])
            for begin, end in zip(first[multi].tolist(), ends[multi].tolist(), strict=True)
        ]
        return list(map(table.__getitem__, index.tolist()))

    def term_bytes(self, field_lengths: bytes | None, limit: int, compression: int):
        """Every term's postings as the Whoosh 3 codec writes them, in term order:
        (term bytes, chunks, (total weight, min and max length, max weight), postings, first
        and last docnum), what ``_pooled_term_bytes`` gives of a pooled field. What
        ``_block`` computes posting by posting (docnum deltas, weights as float32, lengths)
        is made for the field at once, as arrays, and read as lists a group of terms at a
        time (``GROUP_POSTINGS``: Python's lists of a whole field's postings were a fifth of
        a worker's peak memory); a block's values are its postings' values (``values``:
        never empty, never joined)."""
        ids = self.ids.astype(np.int64)
        deltas = np.diff(ids, prepend=0)
        deltas[self.starts] = ids[self.starts]  # a term's first docnum as it is
        rounded = self.weights.astype(np.float32)
        values = self.values()
        lengths = None
        if field_lengths is not None:
            lengths = np.frombuffer(field_lengths, dtype=np.uint8)[ids]
        bounds = [*self.starts.tolist(), len(ids)]
        first = 0
        while first < len(self.texts):
            # the terms from ``first`` whose postings fit in a group (one term at least)
            last = max(first + 1, bisect_right(bounds, bounds[first] + GROUP_POSTINGS) - 1)
            at, to = bounds[first], bounds[last]
            yield from self._group_bytes(
                self.texts[first:last], [b - at for b in bounds[first : last + 1]],
                deltas[at:to].tolist(), ids[at:to].tolist(), self.weights[at:to].tolist(),
                rounded[at:to].tolist(), values[at:to],
                None if lengths is None else lengths[at:to].tolist(), limit, compression,
            )  # fmt: skip
            first = last

    @staticmethod
    def _group_bytes(texts, bounds, deltas, id_list, weights, rounded, values, lengths,
                     limit: int, compression: int):  # fmt: skip
        """``term_bytes`` of a group of terms, from lists of their postings' docnum deltas
        (a term's first docnum as it is), docnums, weights, float32 weights, values and
        length bytes (None: no lengths); ``bounds``: where each term's postings start, and
        where the last one's end."""
        for i, text in enumerate(texts):
            begin, end = bounds[i], bounds[i + 1]
            if end - begin == 1:  # half of all terms: one posting, the loop below unrolled
                weight, docnum = rounded[begin], id_list[begin]
                max_weight = max(0, weights[begin])
                length = (lengths[begin] or None) if lengths is not None else None
                block = _block_bytes((docnum,), None if weight == 1.0 else weight,
                                     (values[begin],), docnum, max_weight, length, length or 0,
                                     compression, True)  # fmt: skip
                stats = (weight, length, length or 0, max_weight)
                yield text, [BLOCK_MAGIC, *block], stats, 1, docnum, docnum
                continue
            chunks = [BLOCK_MAGIC]
            stats = NO_POSTINGS
            for b in range(begin, end, limit):
                e = min(b + limit, end)
                block_weights = rounded[b:e]
                block_max = max(0, max(weights[b:e]))
                block_min, block_max_length = None, 0
                if lengths is not None:
                    block_min, block_max_length = _length_bounds(lengths[b:e])
                block_deltas = deltas[b:e]
                block_deltas[0] = id_list[b]  # a block's first docnum as it is
                mini_weights = _mini_weights(block_weights)
                chunks += _block_bytes(tuple(block_deltas), mini_weights, tuple(values[b:e]),
                                       id_list[e - 1], block_max, block_min, block_max_length,
                                       compression, e >= end)  # fmt: skip
                block_stats = (sum(block_weights), block_min, block_max_length, block_max)
                stats = _with_block(stats, block_stats)
            yield text, chunks, stats, end - begin, id_list[begin], id_list[end - 1]

    def record(self, recorder: postfiles.PostingRecorder, field: str) -> None:
        recorder.record_field(field, self.texts, self.starts, self.ids, self.weights,
                              self.positions, self.ends)  # fmt: skip


BLOCK_MAGIC = b"W3Bl"  # whoosh.codec.whoosh3.WHOOSH3_HEADER_MAGIC
GROUP_POSTINGS = 1 << 16  # FieldPostings.term_bytes reads this many postings' lists at once
TERM_INFO = struct.Struct("!BfIBBfII")  # W3TermInfo's packed statistics
KEY_VALUE_LENGTHS = struct.Struct("!ii")  # a hash file's record header
# The pickle protocol of a block's data. Whoosh writes protocol 2 (for Python 2), which
# pickles each bytes value (a posting's positions) as a call to codecs.encode: protocol 4
# writes them as bytes, which pickles five times faster, compresses to half the size and
# loads twice as fast. Whoosh's reader takes any protocol (``pickle.loads``).
DATA_PROTOCOL = 4
# Blocks whose pickled data is shorter are written uncompressed (the block's statistics say
# so, and Whoosh's reader reads each block by its own flag). Whoosh meant to skip blocks under
# 20 bytes and, through a bug, compresses all: on this archive a block under 50 bytes comes
# out of zlib no smaller, and a call costs ~6-18 us, a tenth of a worker's time. Blocks of
# 50-200 bytes shrink by a third at the same cost per call: leaving them as they are takes
# a third of the calls (a tenth of zlib's time: 2% of a 5k rebuild) for 2% more room.
MIN_COMPRESSED = 200


def _length_bounds(lengths) -> tuple[int | None, int]:
    """The least and greatest of the length bytes that are not 0 (no length): (None, 0)
    when all are."""
    found = list(filter(None, lengths))
    return (min(found), max(found)) if found else (None, 0)


def _mini_weights(weights: array | list[float]):
    """W3PostingsWriter._mini_weights: None when all are 1, the one value if all equal
    (the weights as float32, an array("f") or a list of its values)."""
    first = weights[0]
    if weights.count(first) == len(weights):
        return None if first == 1.0 else first
    return tuple(weights)


def _block(ids: list[int], weights: list[float], values: list[bytes] | None,
           joins_values: bool, field_lengths: bytes | None, compression: int,
           last: bool) -> tuple[tuple[bytes, ...], float, int | None, int, float]:  # fmt: skip
    """One block of postings as the Whoosh 3 codec writes it (its length, negative for the
    term's last block; its pickled statistics; its pickled, maybe compressed data), and its
    total weight, min and max length (min None: no lengths) and max weight. Lengths are
    Whoosh's length bytes (``length_to_byte``, which keeps their order) throughout:
    ``field_lengths`` holds each document's, 0 for none."""
    block_weights = array("f", weights)
    max_weight = max(weights)
    if max_weight <= 0:
        max_weight = 0  # (Whoosh's max(0, *weights))
    min_length, max_length = None, 0
    if field_lengths is not None:
        if len(ids) == 1:
            min_length = field_lengths[ids[0]] or None
            max_length = min_length or 0
        else:
            min_length, max_length = _length_bounds(map(field_lengths.__getitem__, ids))
    block_values = None
    if values is not None:
        block_values = tuple(filter(None, values))
        if joins_values:
            block_values = b"".join(block_values)
    deltas = tuple(map(sub, ids, [0, *ids[:-1]])) if len(ids) > 1 else (ids[0],)
    chunks = _block_bytes(deltas, _mini_weights(block_weights), block_values, ids[-1],
                          max_weight, min_length, max_length, compression, last)  # fmt: skip
    return chunks, sum(block_weights), min_length, max_length, max_weight


def _block_bytes(deltas: tuple, mini_weights, values, last_id: int, max_weight: float,
                 min_length: int | None, max_length: int, compression: int,
                 last: bool) -> tuple[bytes, bytes, bytes]:  # fmt: skip
    """A block's length (negative for the term's last), pickled statistics and pickled,
    maybe compressed data (``_block``): what the Whoosh 3 codec writes."""
    data = dumps((deltas, mini_weights, values), DATA_PROTOCOL)
    level = compression if len(data) >= MIN_COMPRESSED else 0
    if level:
        data = zlib.compress(data, level)
    info = dumps((len(deltas), last_id, max_weight, level, min_length or 0, max_length), 2)
    length = len(info) + len(data)
    return pack_int(-length if last else length), info, data


def _postings_bytes(ids: list[int], weights: list[float], values: list[bytes] | None,
                    joins_values: bool, field_lengths: bytes | None, limit: int,
                    compression: int) -> tuple[list[bytes], tuple]:  # fmt: skip
    """A term's postings as the Whoosh 3 codec writes them (the header, then blocks of
    ``limit`` postings: the length, the pickled statistics, the compressed pickled data),
    and the term's statistics: total weight, min and max length, max weight. ``values``
    None: the format keeps none (``fixed_value_size`` 0); ``joins_values``: fixed-size
    values, written joined."""
    count = len(ids)
    if count <= limit:  # nearly every term: one block
        block, *stats = _block(ids, weights, values, joins_values, field_lengths,
                               compression, True)  # fmt: skip
        return [BLOCK_MAGIC, *block], tuple(stats)
    chunks = [BLOCK_MAGIC]
    stats = NO_POSTINGS
    for begin in range(0, count, limit):
        end = begin + limit
        block, *block_stats = _block(
            ids[begin:end], weights[begin:end], None if values is None else values[begin:end],
            joins_values, field_lengths, compression, end >= count,
        )  # fmt: skip
        chunks += block
        stats = _with_block(stats, block_stats)
    return chunks, stats


NO_POSTINGS = (0, None, 0, 0)  # a term's statistics before its first block


def _with_block(stats: tuple, block: tuple) -> tuple:
    """A term's statistics (total weight, min and max length, max weight; min None: no
    lengths) with a block's added."""
    total, min_length, max_length, max_weight = stats
    block_total, block_min, block_max, block_max_weight = block
    if min_length is None:
        min_length = block_min
    elif block_min is not None:
        min_length = min(min_length, block_min)
    return (total + block_total, min_length, max(max_length, block_max),
            max(max_weight, block_max_weight))  # fmt: skip


def _pooled_term_bytes(sorted_terms, keeps_values: bool, joins_values: bool,
                       field_lengths: bytes | None, limit: int, compression: int, record):
    """``FieldPostings.term_bytes`` of a pooled field's terms (``TermPool.sorted_terms``),
    each term's postings passed to ``record`` (None: not recorded) on the way."""
    for text, (ids, weights, values) in sorted_terms:
        chunks, stats = _postings_bytes(
            ids, weights, values if keeps_values else None, joins_values,
            field_lengths, limit, compression,
        )  # fmt: skip
        if record is not None:
            record(text, ids, weights, values)
        yield text, chunks, stats, len(ids), ids[0], ids[-1]


def _write_terms(fieldwriter, schema, lengths: dict[str, bytes] | None, fields,
                 recorder: postfiles.PostingRecorder) -> None:  # fmt: skip
    """Write the fields' terms to the segment's postings and terms files: the bytes
    ``FieldWriter.add_postings`` writes (Whoosh 3 codec: blocks of ``blocklimit`` postings,
    each a pickled, compressed tuple of id deltas, weights and values after a pickled tuple
    of its statistics; one term info per term in the ordered hash file), made here a term
    at a time without Whoosh's per-posting calls and written in large runs.

    ``fields`` gives (fieldname, its terms, recorded) in field order, the terms a
    ``FieldPostings`` or as ``TermPool.sorted_terms`` gives them. A recorded field pooled
    here is recorded term by term (``FieldPostings`` record theirs at once)."""
    codec = fieldwriter._codec
    limit, compression = codec._blocklimit, codec._compression
    postfile, terms_file = fieldwriter._postfile, fieldwriter._tindex
    fieldmap, offsets, buckets = fieldwriter._fieldmap, terms_file.index, terms_file.buckets
    hash_key = terms_file.hashfn
    post_at, term_at = postfile.tell(), terms_file.dbfile.tell()
    posts: list[bytes] = []
    terms: list[bytes] = []
    pending = 0
    key = b""
    for fieldname, source, recorded in fields:
        prefix = pack_ushort(fieldmap.setdefault(fieldname, len(fieldmap)))
        field_lengths = lengths.get(fieldname) if lengths else None
        if isinstance(source, FieldPostings):
            term_bytes = source.term_bytes(field_lengths, limit, compression)
        else:
            size = schema[fieldname].format.fixed_value_size()
            keeps_values = size != 0  # (W3PostingsWriter._mini_values)
            joins_values = size is not None and size > 0
            record = None
            if recorded:
                record = partial(recorder.record, fieldname)
            term_bytes = _pooled_term_bytes(source, keeps_values, joins_values, field_lengths,
                                            limit, compression, record)  # fmt: skip
        for text, chunks, stats, count, first_id, last_id in term_bytes:
            total, min_length, max_length, max_weight = stats
            start = post_at
            posts += chunks
            post_at += sum(map(len, chunks))
            term_info = TERM_INFO.pack(
                0, total, count, min_length or 0, max_length, max_weight, first_id, last_id,
            ) + pack_long(start) + pack_int(post_at - start)  # fmt: skip
            key = prefix + text
            offsets.append(term_at)
            hashed = hash_key(key)
            buckets[hashed & 255].append((hashed, term_at))
            terms += (KEY_VALUE_LENGTHS.pack(len(key), len(term_info)), key, term_info)
            term_at += 8 + len(key) + len(term_info)
            pending += 1
            if pending >= 4096:
                postfile.write(b"".join(posts))
                terms_file.dbfile.write(b"".join(terms))
                posts.clear()
                terms.clear()
                pending = 0
    postfile.write(b"".join(posts))
    terms_file.dbfile.write(b"".join(terms))
    if key:
        terms_file.lastkey = key


# The deflate level of a document's stored record. Whoosh deflates each record at level 3:
# ~27 us per article of the benchmark's corpus (records of ~1.1 KB, deflated to 0.69), the
# same at any level, 4% of a rebuild. Level 0 writes the same zlib stream format (stored
# blocks), which Whoosh's reader inflates as any other, 7 times faster; the records take
# a third more room (a build 7% more).
STORED_LEVEL = 0


def _store_uncompressed(perdocwriter) -> None:
    """Have Whoosh's per-document writer deflate stored records at ``STORED_LEVEL``."""
    stored = getattr(perdocwriter, "_colwriters", {}).get("_stored")
    inner = getattr(stored, "_child", None)
    if isinstance(inner, CompressedBytesColumn.Writer):
        inner._level = STORED_LEVEL


MAX_INDEXED_VALUES = 100_000  # (field, value) pairs whose postings a writer remembers

# The stored field of a document's glued words (``search.analysis.glued_words`` of its
# analysed texts, space-separated): filled in here when a document comes without it.
GLUED_FIELD = "glued"


class FastSegmentWriter(SegmentWriter):
    """SegmentWriter whose flush serves document lengths from memory and records the
    scored fields' postings as arrays; with ``per_term``, the fast path of the module's
    docstring. A document without a ``GLUED_FIELD`` value gets its analysed texts' glued
    words there (with ``per_term``, read from the codes of their words)."""

    _recorded: postfiles.PostingRecorder | None = None

    def __init__(self, ix, per_term: bool = False, codes: TermCodes | None = None, **kwargs):
        """``codes``: the table of word codes to use (per term), shared by the segments a
        process writes one after another, which then code each word once."""
        super().__init__(ix, **kwargs)
        _store_uncompressed(self.perdocwriter)
        self._texts = textfiles.TextRecorder()
        self.perdocwriter = self._texts.wrap(self.perdocwriter)
        self._columnar: dict[str, FieldCodes] = {}
        # The segment's WORDS_FIELD terms once flushed (per-term writer): what reading its
        # lexicon back through Whoosh would give (a third of a second at 5k articles).
        self.words: list[bytes] = []
        # Per scored field, each document's length byte as Whoosh records it (per term)
        self._length_bytes: dict[str, bytearray] = {}
        self._indexed: dict[tuple[str, str], tuple] = {}  # (field, value) -> its postings
        if per_term:
            self.pool.cleanup()
            self.pool = TermPool(kwargs.get("limitmb", 128))
            self._codes = codes or TermCodes()  # one table of word codes, title and body
            self._columnar = {
                name: FieldCodes(self._codes, field.format.field_boost)
                for name, field in self.schema.items()
                if isinstance(field.format, PolishPositions)
            }

    def add_document(self, **fields):
        """Whoosh's ``add_document``, with the title and body (``PolishPositions``) kept as
        their words' codes until the flush (``FieldCodes``), and the other fields' postings
        pooled as lists. Boosts (``_boost`` and the like) are refused: the codes keep none,
        and Whoosh's own path would pool postings the flush does not read."""
        derive_glued = GLUED_FIELD not in fields and GLUED_FIELD in self.schema
        if not self._columnar:
            if derive_glued:
                fields[GLUED_FIELD] = self._glued_words(fields)
            return super().add_document(**fields)
        boosts = sorted(name for name in fields if name.startswith("_"))
        if boosts:
            raise ValueError(f"the per-term writer takes no boosts ({', '.join(boosts)})")
        self._check_state()
        coded = {
            name: self._codes.codes(fields[name])
            for name in self._columnar
            if fields.get(name) is not None
        }
        if derive_glued:
            fields[GLUED_FIELD] = " ".join(self._codes.glued_words(*coded.values()))
        schema, perdocwriter, docnum, pool = self.schema, self.perdocwriter, self.docnum, self.pool
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in sorted(fields):
                value = fields[fieldname]
                if value is None:
                    continue
                if fieldname not in schema:
                    raise UnknownFieldError(f"No field named {fieldname!r} in {schema}")
                field = schema[fieldname]
                length = 0
                columnar = self._columnar.get(fieldname)
                if columnar is not None:
                    length = columnar.add(docnum, coded[fieldname])
                    pool.count(length)
                elif field.indexed:
                    for text, freq, weight, vbytes in self._postings_of(fieldname, field, value):
                        if field.scorable:
                            length += freq
                        pool.add((fieldname, text, docnum, weight, vbytes))
                if length:
                    self._record_length(fieldname, docnum, length)
                perdocwriter.add_field(fieldname, field, value if field.stored else None, length)
                if field.column_type:
                    perdocwriter.add_column_value(fieldname, field.column_type,
                                                  field.to_column_value(value))  # fmt: skip
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def _postings_of(self, fieldname: str, field, value) -> tuple:
        """``field.index(value)``, memoised for the fields whose values repeat (all but
        unique ones, such as the id): an article's source, date and year are mostly those
        of the article before it."""
        if field.unique or not isinstance(value, str):
            return tuple(field.index(value))
        key = (fieldname, value)
        found = self._indexed.get(key)
        if found is None:
            found = tuple(field.index(value))
            if len(self._indexed) < MAX_INDEXED_VALUES:
                self._indexed[key] = found
        return found

    def _record_length(self, fieldname: str, docnum: int, length: int) -> None:
        """Keep a document's length byte of a field (what ``add_field`` records)."""
        found = self._length_bytes.get(fieldname)
        if found is None:
            found = self._length_bytes[fieldname] = bytearray()
        if len(found) < docnum:
            found.extend(bytes(docnum - len(found)))
        found.append(length_to_byte(length))

    def _field_lengths(self) -> dict[str, bytes]:
        """Every scored field's length bytes, one per document (0: none): as recorded while
        adding (``_record_length``), or else read back from the documents written."""
        count = self.docnum
        if not self._columnar:  # added by Whoosh's add_document
            reader = self.per_document_reader()
            try:
                lengths = _LengthCache(reader, count)
                return {
                    name: bytes(map(length_to_byte, lengths.field(name)))
                    for name, field in self.schema.items()
                    if field.scorable
                }
            finally:
                reader.close()
        return {
            name: bytes(found) + bytes(count - len(found))
            for name, found in self._length_bytes.items()
        }

    def _glued_words(self, fields: dict) -> str:
        """The glued words of a document's analysed texts, space-separated."""
        texts = [
            value
            for name, value in fields.items()
            if value is not None
            and name in self.schema
            and isinstance(self.schema[name].format, PolishPositions)
        ]
        return " ".join(sorted({word for text in texts for word in glued_words(text)}))

    def _flush_segment(self):
        self.perdocwriter.close()
        recorder = self._recorded = postfiles.PostingRecorder(FIELDS)
        if isinstance(self.pool, TermPool):
            lengths = self._field_lengths() if self.codec.length_stats else None
            fields = []
            for name in sorted({*self.pool.fields, *self._columnar}):
                if name in self._columnar:
                    postings = FieldPostings(self._columnar[name])
                    if name == WORDS_FIELD:
                        self.words = postings.texts
                    if name in recorder.fields:
                        postings.record(recorder, name)
                    fields.append((name, postings, False))
                else:
                    fields.append((name, self.pool.sorted_terms(name), name in recorder.fields))
            _write_terms(self.fieldwriter, self.schema, lengths, fields, recorder)
            self.fieldwriter.close()
            return
        reader = self.per_document_reader() if self.codec.length_stats else None
        postings = recorder.tee(self.pool.iter_postings())
        self.fieldwriter.add_postings(
            self.schema, _LengthCache(reader, self.docnum) if reader else None, postings
        )
        self.fieldwriter.close()
        if reader:
            reader.close()

    def _finalize_segment(self):
        segment = super()._finalize_segment()
        folder = Path(self.storage.folder)
        segment_id = segment.segment_id()
        postfiles.write(folder / postfiles.file_name(segment_id), self._recorded.arrays())
        textfiles.write(folder / textfiles.file_name(segment_id), self._texts)
        self._recorded = None
        return segment


def segment_writer(ix, **kwargs) -> FastSegmentWriter:
    """Open a writer on the index (as ix.writer() would) with the faster flush."""
    return FastSegmentWriter(ix, **kwargs)
