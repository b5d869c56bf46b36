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
from collections import OrderedDict
from dataclasses import dataclass
from math import log

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.util.numeric import byte_to_length

# The decoded postings kept per build, counted in postings (12 bytes each): ~48 MB.
CACHE_POSTINGS = 4_000_000
_BYTE_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
EMPTY_IDS = np.empty(0, dtype=np.int64)
EMPTY_SCORES = np.empty(0, dtype=np.float64)


@dataclass
class Postings:
    ids: np.ndarray  # sorted index-wide docnums, deleted documents left out
    weights: np.ndarray  # Whoosh's posting weights: term frequency x field boost


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


class IndexView:
    """Array access to one opened index build, shared by all threads of a process."""

    def __init__(self, reader, scorable_fields, b: float, k1: float):
        self.reader = reader
        self.b, self.k1 = b, k1
        self._lock = threading.RLock()
        self._cache: OrderedDict[tuple[str, str], Postings] = OrderedDict()
        self._cached = 0
        self.doc_count_all = reader.doc_count_all()
        self.leaves = []  # (leaf reader, docnum offset, deleted local ids)
        for leaf, offset in reader.leaf_readers():
            deleted = np.array(sorted(leaf._perdoc.deleted_docs()), dtype=np.int64)
            self.leaves.append((leaf, offset, deleted))
        self.live = np.ones(self.doc_count_all, dtype=bool)
        for _, offset, deleted in self.leaves:
            self.live[deleted + offset] = False
        self.lengths = {f: self._field_lengths(f) for f in scorable_fields}
        self.avg_length = {
            f: (reader.field_length(f) / (self.doc_count_all or 1)) or 1 for f in scorable_fields
        }
        self._columns: dict[str, object] = {}
        self._vocabulary = None

    def vocabulary(self):
        """The body's lexicon for typo correction, read on first use."""
        from search.spelling import Vocabulary

        with self._lock:
            if self._vocabulary is None:
                words = (t.decode("utf-8") for t in self.reader.lexicon("body"))
                self._vocabulary = Vocabulary(words)
            return self._vocabulary

    def _field_lengths(self, field: str) -> np.ndarray:
        lengths = np.ones(self.doc_count_all, dtype=np.float64)
        for leaf, offset, _ in self.leaves:
            column = leaf._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
            if column is None:
                continue
            raw = np.frombuffer(bytes(column.load()), dtype=np.uint8)
            lengths[offset : offset + len(raw)] = _BYTE_LENGTHS[raw]
        return lengths

    # -- postings -------------------------------------------------------------------------
    def postings(self, field: str, term: str) -> Postings:
        key = (field, term)
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
            found = self._load(field, term)
            self._cache[key] = found
            self._cached += len(found.ids)
            while self._cached > CACHE_POSTINGS and len(self._cache) > 1:
                _, old = self._cache.popitem(last=False)
                self._cached -= len(old.ids)
            return found

    def _load(self, field: str, term: str) -> Postings:
        ids, weights = [], []
        for leaf, offset, deleted in self.leaves:
            if (field, term) not in leaf:
                continue
            local, w = _leaf_postings(
                leaf._terms.matcher(field, term.encode("utf-8"), leaf.schema[field].format)
            )
            if len(deleted):
                keep = ~np.isin(local, deleted, assume_unique=True)
                local, w = local[keep], w[keep]
            ids.append(local + offset)
            weights.append(w)
        if not ids:
            return Postings(EMPTY_IDS, EMPTY_SCORES)
        return Postings(np.concatenate(ids), np.concatenate(weights))

    def bm25(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """The term's documents and their BM25F scores, exactly as Whoosh's BM25F gives them."""
        found = self.postings(field, term)
        if not len(found.ids):
            return EMPTY_IDS, EMPTY_SCORES
        with self._lock:
            df = self.reader.doc_frequency(field, term)
        idf = log(self.doc_count_all / (df + 1)) + 1
        tf = found.weights
        norm = (1 - self.b) + self.b * self.lengths[field][found.ids] / self.avg_length[field]
        return found.ids, idf * (tf * (self.k1 + 1)) / (tf + self.k1 * norm)

    # -- per-article columns (facets and sorting) ------------------------------------------
    def column(self, name: str):
        """A per-docnum array: 'date' (ISO text, '' when unknown), 'year' (int, 0 when
        unknown), 'date_rank' (order of the date, -1 when unknown), 'source' (code) with
        'source_names' (code -> file name)."""
        with self._lock:
            if not self._columns:
                self._load_columns()
            return self._columns[name]

    def _load_columns(self) -> None:
        dates = (
            np.array([d or "" for d in self.reader.column_reader("date")], dtype=object)
            if self.doc_count_all
            else np.empty(0, dtype=object)
        )
        years = np.array([int(d[:4]) if d[:4].isdigit() else 0 for d in dates], dtype=np.int32)
        distinct = sorted(set(dates) - {""})
        rank = {d: i for i, d in enumerate(distinct)}
        date_rank = np.array([rank.get(d, -1) for d in dates], dtype=np.int64)
        sources = np.full(self.doc_count_all, -1, dtype=np.int64)
        names = []
        for code, raw in enumerate(self.reader.lexicon("source")):
            names.append(raw.decode("utf-8"))
            sources[self.postings("source", names[-1]).ids] = code
        self._columns = {
            "date": dates,
            "year": years,
            "date_rank": date_rank,
            "source": sources,
            "source_names": names,
        }
