"""Posting lists and per-article columns of one index build, as NumPy arrays.

Whoosh walks postings one document at a time in Python, which made matching 94% of query
time. Here a term's postings are decoded block by block into arrays once, kept in a bounded
cache, and the query is then scored with vector arithmetic (``search.executor``). Docnums are
the index-wide numbers Whoosh's searcher uses (segment offset + local number).

Reads go through the private block layout of Whoosh 2.7's W3 codec (whoosh is pinned to
2.7.4, its last release); any other matcher falls back to the public one-posting-at-a-time API.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections import OrderedDict
from dataclasses import dataclass
from math import log

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.columns import FixedBytesColumn, RefBytesColumn
from whoosh.util.numeric import byte_to_length

from search import postfiles, textfiles
from search.planner import TermCache

# The decoded postings kept per build and process, counted in postings (16 bytes each: ~32 MB).
CACHE_POSTINGS = 2_000_000
# An entry's own cost (key, arrays' headers) counted as this many postings: without it, many
# tiny lists (rare words, name variants) would keep the cache far above its budget in bytes.
ENTRY_OVERHEAD = 40
_BYTE_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
# RefBytesColumn's code types (struct, network byte order) as NumPy types.
_REF_DTYPES = {"B": ">u1", "H": ">u2", "I": ">u4", "L": ">u4", "Q": ">u8"}
EMPTY_IDS = np.empty(0, dtype=np.int64)
EMPTY_SCORES = np.empty(0, dtype=np.float64)


@dataclass
class Postings:
    ids: np.ndarray  # sorted index-wide docnums, deleted documents left out
    scores: np.ndarray  # BM25F per document, as Whoosh's BM25F gives it (fixed per build)


def _leaf_postings(matcher) -> tuple[np.ndarray, np.ndarray]:
    """Decode one segment's posting list for a term into (local ids, weights)."""
    if not isinstance(matcher, W3LeafMatcher):  # inlined short lists, other codecs
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        return np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64)
    id_blocks, weight_blocks = [], []
    while True:
        matcher._read_data()  # the block's (ids, weights, values), unpickled
        ids, weights = matcher._data[0], matcher._data[1]
        count = matcher._blocklength
        ids = np.asarray(ids, dtype=np.int64)
        id_blocks.append(ids if matcher._byteids else np.cumsum(ids))  # ids are deltas
        if weights is None:
            weight_blocks.append(np.ones(count))
        elif isinstance(weights, float):
            weight_blocks.append(np.full(count, weights))
        else:
            weight_blocks.append(np.asarray(weights, dtype=np.float64))
        if matcher._lastblock:
            break
        matcher._goto(matcher._nextoffset)
    return np.concatenate(id_blocks), np.concatenate(weight_blocks)


def _encode(values: list[str]) -> tuple[np.ndarray, list[str]]:
    distinct = sorted(set(values))
    index = {v: i for i, v in enumerate(distinct)}
    return np.array([index[v] for v in values], dtype=np.int64), distinct


def _column_codes(leaf, field: str) -> tuple[np.ndarray, list[str]]:
    """A sortable column of one segment as (per-document codes, distinct values).

    Our columns are RefBytesColumns (see search.schema): the codes are read as one array.
    Other column types fall back to reading document by document.
    """
    if not leaf.has_column(field):
        # An index built before the column existed (schema 2): read the stored values.
        # Slower, and only until the next rebuild (`indexer update` rebuilds such indexes).
        return _encode(
            [
                "" if leaf.is_deleted(n) else leaf.stored_fields(n).get(field) or ""
                for n in range(leaf.doc_count_all())
            ]
        )
    reader = leaf.column_reader(field)
    inner = getattr(reader, "_reader", reader)
    translate = getattr(reader, "_translate", lambda v: v)
    if isinstance(inner, RefBytesColumn.Reader) and inner._typecode in _REF_DTYPES:
        size = inner._doccount * inner._itemsize
        codes = np.frombuffer(
            inner._dbfile.get(inner._basepos, size), dtype=_REF_DTYPES[inner._typecode]
        ).astype(np.int64)
        return codes, [translate(u) or "" for u in inner._uniques]
    return _encode([v or "" for v in reader])


WORDS_FIELD = "body"  # whose terms are a build's words (the typo vocabulary)


def lexicon_words(ix) -> list[str]:
    """Every term of the words field, sorted (what an index build records as its words)."""
    words: set[str] = set()
    with ix.reader() as reader:
        for leaf, _ in reader.leaf_readers():
            words.update(t.decode("utf-8") for t in leaf.lexicon(WORDS_FIELD))
    return sorted(words)


class IndexView:
    """Array access to one opened index build, shared by all threads of a process."""

    def __init__(self, ix, scorable_fields, b: float, k1: float):
        self.ix = ix
        self.reader = reader = ix.reader()
        self.b, self.k1 = b, k1
        self._lock = threading.RLock()
        self._cache: OrderedDict[tuple[str, str], Postings] = OrderedDict()
        self._cached = 0
        self.doc_count_all = reader.doc_count_all()
        self.leaves = []  # (leaf reader, docnum offset, deleted local ids)
        for leaf, offset in reader.leaf_readers():
            deleted = np.array(sorted(leaf._perdoc.deleted_docs()), dtype=np.int64)
            self.leaves.append((leaf, offset, deleted))
        # Each segment's posting arrays and shown texts, memory-mapped (None: read through
        # Whoosh's blocks and stored fields).
        folder = getattr(ix.storage, "folder", None)
        self.arrays, self.texts = [], []
        for leaf, _, _ in self.leaves:
            segment_id = leaf._segment.segment_id()
            texts = textfiles.open_texts(folder, segment_id) if folder else None
            if texts is not None and texts.count != leaf.doc_count_all():
                texts = None
            self.arrays.append(postfiles.open_arrays(folder, segment_id) if folder else None)
            self.texts.append(texts)
        self._offsets = [offset for _, offset, _ in self.leaves]
        self.live = np.ones(self.doc_count_all, dtype=bool)
        for _, offset, deleted in self.leaves:
            self.live[deleted + offset] = False
        self.lengths = {f: self._field_lengths(f) for f in scorable_fields}
        self.avg_length = {
            f: (reader.field_length(f) / (self.doc_count_all or 1)) or 1 for f in scorable_fields
        }
        self._columns: dict[str, object] = {}
        self._norms: dict[str, np.ndarray] = {}
        self._vocabulary = None
        self.words = None  # a function giving the build's recorded words, if any
        self.recorded_columns = None  # a function giving the build's recorded columns, if any
        self.term_cache = TermCache()  # term lookups and word families of this build
        self._vocabulary_lock = threading.Lock()
        self.users = 0  # threads searching this build (kept by the engine)
        self.sources: dict[str, dict] = {}  # file -> readable name and address (manifest)
        self.retired = False  # a newer build was switched in

    def close(self) -> None:
        """Release the build's files (the engine calls this when no thread uses it)."""
        with self._lock:
            self.reader.close()
            self._cache.clear()
            self._cached = 0
            for mapped in (*self.arrays, *self.texts):
                if mapped is not None:
                    mapped.close()

    def vocabulary(self):
        """The body's words for typo correction: the build's recorded list (``words``, set
        by the engine), else read from the lexicon (segment by segment, through a reader of
        its own, so that searches sharing ``self.reader`` go on meanwhile)."""
        from search.spelling import Vocabulary

        with self._vocabulary_lock:
            if self._vocabulary is None:
                recorded = self.words() if self.words else None
                self._vocabulary = Vocabulary(recorded or lexicon_words(self.ix))
            return self._vocabulary

    def _field_lengths(self, field: str) -> np.ndarray:
        lengths = np.ones(self.doc_count_all, dtype=np.float64)
        for leaf, offset, _ in self.leaves:
            column = leaf._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
            if column is None:
                continue
            if isinstance(column, FixedBytesColumn.Reader) and column._fixedlen == 1:
                raw = np.frombuffer(column._dbfile.get(column._basepos, column._count), np.uint8)
            else:
                raw = np.frombuffer(bytes(column.load()), dtype=np.uint8)
            lengths[offset : offset + len(raw)] = _BYTE_LENGTHS[raw]
        return lengths

    # -- postings -------------------------------------------------------------------------
    def postings(self, field: str, term: str) -> Postings:
        return self._cached_postings((field, term), lambda: self._load(field, term))

    def across(self, fields: tuple[str, ...], term: str) -> Postings:
        """A term's documents in any of the fields, with its scores summed over them (what
        the planner's ``title:t OR body:t`` gives): one cached entry per term, not a union
        per query."""
        return self._cached_postings((fields, term), lambda: self._load_across(fields, term))

    def _load_across(self, fields: tuple[str, ...], term: str) -> Postings:
        parts = [found for f in fields if len((found := self._load(f, term)).ids)]
        if len(parts) <= 1:
            return parts[0] if parts else Postings(EMPTY_IDS, EMPTY_SCORES)
        ids, inverse = np.unique(np.concatenate([p.ids for p in parts]), return_inverse=True)
        scores = np.bincount(inverse, weights=np.concatenate([p.scores for p in parts]))
        ids.flags.writeable = scores.flags.writeable = False
        return Postings(ids, scores)

    def cached(self, key: tuple, load) -> Postings:
        """Matches derived from postings alone (a word's readings united), cached with the
        terms' postings and under the same bound; ``load`` gives (ids, scores)."""

        def frozen() -> Postings:
            found = load()
            found.ids.flags.writeable = found.scores.flags.writeable = False  # shared now
            return Postings(found.ids, found.scores)

        return self._cached_postings(("derived", key), frozen)

    def _cached_postings(self, key: tuple, load) -> Postings:
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
            found = load()
            self._cache[key] = found
            self._cached += len(found.ids) + ENTRY_OVERHEAD
            while self._cached > CACHE_POSTINGS and len(self._cache) > 1:
                _, old = self._cache.popitem(last=False)
                self._cached -= len(old.ids) + ENTRY_OVERHEAD
            return found

    def _load(self, field: str, term: str) -> Postings:
        ids, weights = [], []
        df = 0  # postings in every segment, deleted documents included (as Whoosh counts)
        mapped = True
        for (leaf, offset, deleted), arrays in zip(self.leaves, self.arrays, strict=True):
            if arrays is not None and field in arrays.fields:
                found = arrays.lookup(field, term)
                if found is None:
                    continue
                local, w = found
            else:
                mapped = False
                if (field, term) not in leaf:
                    continue
                local, w = _leaf_postings(
                    leaf._terms.matcher(field, term.encode("utf-8"), leaf.schema[field].format)
                )
            df += len(local)
            local = local.astype(np.int64)
            if len(deleted):
                keep = ~np.isin(local, deleted, assume_unique=True)
                local, w = local[keep], w[keep]
            local += offset
            ids.append(local)
            weights.append(w)
        if not ids:
            return Postings(EMPTY_IDS, EMPTY_SCORES)
        if not mapped:
            df = self.reader.doc_frequency(field, term)
        ids = np.concatenate(ids)
        # A term's scores depend only on the build: computed once, when its postings are
        # read, not on every query that uses it.
        idf = log(self.doc_count_all / (df + 1)) + 1
        tf = np.concatenate(weights).astype(np.float64)
        scores = idf * (tf * (self.k1 + 1)) / (tf + self._k1_norm(field)[ids])
        ids.flags.writeable = scores.flags.writeable = False  # shared by every query
        return Postings(ids, scores)

    def positions(
        self, field: str, term: str, docs: np.ndarray, check=lambda: None
    ) -> dict[int, frozenset[int]]:
        """Word positions of a term in each of the given documents (sorted docnums) that
        holds it; ``check`` is called now and then (the search's deadline)."""
        found: dict[int, frozenset[int]] = {}
        key = term.encode("utf-8")
        with self._lock:
            for leaf, offset, _ in self.leaves:
                local = docs[(docs >= offset) & (docs < offset + leaf.doc_count_all())] - offset
                if not len(local) or (field, term) not in leaf:
                    continue
                matcher = leaf._terms.matcher(field, key, leaf.schema[field].format)
                for n, doc in enumerate(local.tolist()):
                    if n % 256 == 0:
                        check()
                    if not matcher.is_active():
                        break
                    if matcher.id() < doc:
                        matcher.skip_to(doc)
                        if not matcher.is_active():
                            break
                    if matcher.id() == doc:
                        found[doc + offset] = frozenset(matcher.value_as("positions"))
        return found

    def position_keys(self, field: str, term: str, docs: np.ndarray) -> np.ndarray | None:
        """``docnum << 32 | position`` of each position of the term in the given documents
        (sorted docnums), in order; None when a segment holding the term has no positions
        in its arrays (then ``positions`` reads Whoosh's). The term's keys over the whole
        index are read once and cached with the postings (a phrase's words recur: a
        question's quoted title costs ten segments' lookups per word otherwise); those of
        the documents are found in them by binary search."""
        keys = self._cached_position_keys(field, term)
        if keys is None:
            return None
        if not len(keys) or not len(docs):
            return EMPTY_IDS
        docs = docs.astype(np.int64, copy=False)  # shifted by 32 below
        lo = np.searchsorted(keys, docs << 32)
        hi = np.searchsorted(keys, (docs + 1) << 32)
        counts = hi - lo
        # each document's run of keys, run after run: each start counted up to its end
        index = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        return keys[index]

    def _cached_position_keys(self, field: str, term: str) -> np.ndarray | None:
        key = ("positions", field, term)
        with self._lock:
            keys = self._cache.get(key)
        if keys is None:
            keys = self._load_position_keys(field, term)
            if keys is None:
                return None  # not cached: builds without positions in their arrays
            keys = Postings(keys, EMPTY_SCORES)
        # kept as Postings whose ids are the keys, against the postings' budget (a hit
        # becomes the most recently used)
        return self._cached_postings(key, lambda: keys).ids

    def _load_position_keys(self, field: str, term: str) -> np.ndarray | None:
        keys = []
        for (leaf, offset, _), arrays in zip(self.leaves, self.arrays, strict=True):
            if arrays is None or not arrays.has_positions(field):
                if (field, term) in leaf:
                    return None
                continue
            found = arrays.all_positions(field, term)
            if found is not None:
                local, where = found
                keys.append(((local.astype(np.int64) + offset) << 32) | where.astype(np.int64))
        if not keys:
            return EMPTY_IDS
        found = np.concatenate(keys)
        found.flags.writeable = False  # shared by every query
        return found

    def shown_fields(self, docnum: int, searcher) -> dict:
        """What a results page shows of an article (id, source, date, title, body, glued):
        from its segment's texts file, else from Whoosh's stored fields."""
        at = bisect_right(self._offsets, docnum) - 1
        texts = self.texts[at] if at >= 0 else None
        if texts is None:
            return searcher.stored_fields(docnum)
        return texts.fields(docnum - self._offsets[at])

    def bm25(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """The term's documents and their BM25F scores, exactly as Whoosh's BM25F gives them."""
        found = self.postings(field, term)
        return found.ids, found.scores

    def _k1_norm(self, field: str) -> np.ndarray:
        """k1 x BM25's length normalisation per document, computed once per field."""
        norm = self._norms.get(field)
        if norm is None:
            norm = (1 - self.b) + self.b * self.lengths[field] / self.avg_length[field]
            norm = self._norms[field] = self.k1 * norm
        return norm

    # -- per-article columns (facets and sorting) ------------------------------------------
    def column(self, name: str):
        """A per-docnum array: 'year' (int, 0 when unknown), 'date_rank' (order of the date,
        -1 when unknown), 'source' (code); also 'source_names' (code -> file name),
        'source_codes' (file name -> code), and the live articles' 'year_counts' and
        'source_counts' (per year, per source code)."""
        with self._lock:
            if not self._columns:
                self._load_columns()
            return self._columns[name]

    def _codes(self, field: str) -> tuple[np.ndarray, list[str]]:
        """A text column over the whole index: codes per docnum into its sorted values.

        Works on each segment's distinct values, not on every document's text."""
        per_leaf = [(offset, *_column_codes(leaf, field)) for leaf, offset, _ in self.leaves]
        distinct = sorted({v for _, _, values in per_leaf for v in values} | {""})
        index = {v: i for i, v in enumerate(distinct)}
        out = np.zeros(self.doc_count_all, dtype=np.int64)  # distinct[0] == ""
        for offset, codes, values in per_leaf:
            if len(codes):
                mapping = np.array([index[v] for v in values], dtype=np.int64)
                out[offset : offset + len(codes)] = mapping[codes]
        return out, distinct

    def _load_columns(self) -> None:
        recorded = self.recorded_columns() if self.recorded_columns else None
        if recorded is None or len(recorded["year"]) != self.doc_count_all:
            recorded = self.compute_columns()  # a build from before they were recorded
        names = [str(n) for n in recorded["source_names"]]
        # Gathers index with platform integers (NumPy's fast path), and bincount counts them
        # without a conversion.
        years = recorded["year"].astype(np.intp)
        sources = recorded["source"].astype(np.intp)
        self._columns = {
            "year": years,
            "date_rank": recorded["date_rank"],
            "source": sources,
            "source_names": names,
            "source_codes": {name: code for code, name in enumerate(names)},
            # per year and per source code, the live articles: facets of a query that
            # matches most of them are these counts less those of the articles it misses
            "year_counts": np.bincount(years[self.live], minlength=1),
            "source_counts": np.bincount(sources[self.live], minlength=len(names)),
        }

    def compute_columns(self) -> dict:
        """The per-article columns from the segments' own columns (what a build records, so
        that opening it reads three arrays instead of every segment's distinct values)."""
        codes, dates = self._codes("date")
        years = np.array([int(d[:4]) if d[:4].isdigit() else 0 for d in dates], np.int32)
        sources, names = self._codes("source")
        return {
            "year": years[codes],
            "date_rank": (codes - 1).astype(np.int32),  # dates[0] is "": undated rank -1
            "source": sources.astype(np.int32),
            "source_names": names,
        }
