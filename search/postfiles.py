"""Posting arrays beside each Whoosh segment: every term's documents and frequencies as
plain arrays, memory-mapped at search time instead of unpickled block by block.

Whoosh's W3 codec stores a posting list as pickled, zlib-compressed blocks of 128 postings.
Decoding them was most of a search's time whenever a term was not in the decoded-postings
cache (at 100k articles, 200 varied questions: ~80% of their time). The indexer writes, for
each segment it flushes, a ``<segment id>.postings`` file with the same postings of the
scored fields as arrays (local docnums ``uint32`` and weights ``float32``, exactly Whoosh's
own types), and a hash table to find a term's slice. A search maps the file once; reading a
term's postings is a binary search and two slices: no decoding, and the pages are shared by
every process that maps the file.

The file also holds each posting's word positions, so that a phrase is checked with array
arithmetic instead of decoding Whoosh's pickled positions document by document.

The Whoosh segment stays the source of truth (stored fields, the lexicon); a segment without
its arrays file (built by an older version, or by another writer) is read through Whoosh as
before, and so are phrases over a segment whose file has no positions. The file is named
with its segment's id, so Whoosh removes it together with its segment, hard-links it with
it into updated builds, and checksums cover it like the segment.

Arrays (``search.arrayfile``), per field: ``hashes`` (u64, sorted: 8 bytes of BLAKE2b of
the term's bytes), ``entry`` (u32: the term, in Whoosh's order, of each hash), ``start``
(u64, per term in Whoosh's order and one past the last: where its postings begin),
``key_end`` / ``keys`` (the terms' bytes, to check a hash's term exactly), ``ids`` and
``weights``; ``pos`` (u32: every posting's positions, in posting order) and ``pos_end``
(u32 or u64 per posting: where its positions end).
"""

from __future__ import annotations

import hashlib
import pickle
from array import array
from collections.abc import Iterable, Iterator
from itertools import accumulate, chain
from pathlib import Path

import numpy as np

from search import arrayfile
from search.arrayfile import ArrayFile, open_file

SUFFIX = ".postings"
MAGIC = b"MOPSPST1"
_COUNT_BYTES = 4  # Whoosh's Positions value: a u32 count, then the pickled position deltas
DECODED_VALUES = 100_000  # posting values kept decoded while a segment is recorded


def positions_of(value: bytes) -> tuple[int, ...]:
    """The positions in a posting's value, as Whoosh's Positions format encodes them (the
    count, then the pickled deltas)."""
    return tuple(accumulate(pickle.loads(value[_COUNT_BYTES:])))


def term_hash(text: bytes) -> int:
    """The 64-bit hash a term is found by (stable across processes, unlike ``hash``)."""
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little")


def file_name(segment_id: str) -> str:
    return segment_id + SUFFIX


class PostingRecorder:
    """Collects the postings of some fields as Whoosh's writer streams them (sorted by
    field, term and docnum) on their way to the segment: ``tee`` passes every posting on."""

    def __init__(self, fields: Iterable[str]):
        self.fields = frozenset(fields)
        # per field: terms (bytes, Whoosh's order), where each starts, docnums, weights
        self.terms: dict[str, list[bytes]] = {}
        self.starts: dict[str, array] = {}
        self.ids: dict[str, array] = {}
        self.weights: dict[str, array] = {}
        self.positions: dict[str, array] = {}  # every posting's positions in turn
        self.counts: dict[str, array] = {}  # positions per posting
        # Values decoded so far: most postings hold one position, so few values recur often
        self._decoded: dict[bytes, tuple[int, ...]] = {}

    def _positions_of(self, value: bytes) -> tuple[int, ...]:
        found = self._decoded.get(value)
        if found is None:
            if len(self._decoded) >= DECODED_VALUES:
                self._decoded.clear()
            found = self._decoded[value] = positions_of(value)
        return found

    def tee(self, postings: Iterable[tuple]) -> Iterator[tuple]:
        """Pass every posting on, recording the fields' postings term by term."""
        fields = self.fields
        term, held = None, []
        for item in postings:
            yield item
            if item[0] not in fields:
                continue
            if item[:2] != term:
                if held:
                    self._record_items(held)
                term, held = item[:2], []
            held.append(item)
        if held:
            self._record_items(held)

    def _record_items(self, items: list[tuple]) -> None:
        """One term's postings as Whoosh's items (fieldname, term, docnum, weight, value)."""
        self.record(items[0][0], items[0][1], [i[2] for i in items], [i[3] for i in items],
                    [i[4] for i in items])  # fmt: skip

    def record(self, field: str, text: bytes, ids: list[int], weights: list[float],
               values: list[bytes]) -> None:  # fmt: skip
        """One term's postings at once (terms in Whoosh's order, as ``tee`` sees them)."""
        positions = list(map(self._positions_of, values))
        starts = self.starts.setdefault(field, array("Q"))
        all_ids = self.ids.setdefault(field, array("I"))
        self.terms.setdefault(field, []).append(text)
        starts.append(len(all_ids))
        all_ids.extend(ids)
        self.weights.setdefault(field, array("f")).extend(weights)
        self.positions.setdefault(field, array("I")).extend(chain.from_iterable(positions))
        self.counts.setdefault(field, array("I")).extend(map(len, positions))

    def record_field(self, field: str, terms: list[bytes], starts: np.ndarray,
                     ids: np.ndarray, weights: np.ndarray, positions: np.ndarray,
                     ends: np.ndarray) -> None:  # fmt: skip
        """A whole field's postings at once, terms in Whoosh's order: where each term's
        postings start, every posting's docnum, weight and where its positions end."""
        self.terms[field] = list(terms)
        self.starts[field] = starts.astype(np.uint64)
        self.ids[field] = ids.astype(np.uint32)
        self.weights[field] = weights.astype(np.float32)
        self.positions[field] = positions.astype(np.uint32)
        self.counts[field] = np.diff(ends, prepend=0).astype(np.uint32)

    def arrays(self) -> dict[str, np.ndarray]:
        """The file's arrays, by ``<field>.<name>``."""
        out: dict[str, np.ndarray] = {}
        for field, terms in self.terms.items():
            hashes = np.fromiter((term_hash(t) for t in terms), np.uint64, len(terms))
            order = np.argsort(hashes, kind="stable").astype(np.uint32)
            starts = np.frombuffer(self.starts[field], dtype=np.uint64)
            lengths = np.fromiter((len(t) for t in terms), np.uint64, len(terms))
            out[f"{field}.hashes"] = hashes[order]
            out[f"{field}.entry"] = order
            out[f"{field}.start"] = np.append(starts, np.uint64(len(self.ids[field])))
            out[f"{field}.key_end"] = np.cumsum(lengths, dtype=np.uint64)
            out[f"{field}.keys"] = np.frombuffer(b"".join(terms), dtype=np.uint8)
            out[f"{field}.ids"] = np.frombuffer(self.ids[field], dtype=np.uint32)
            out[f"{field}.weights"] = np.frombuffer(self.weights[field], dtype=np.float32)
            out[f"{field}.pos"] = np.frombuffer(self.positions[field], dtype=np.uint32)
            out[f"{field}.pos_end"] = _ends(self.counts[field])
        return out


def _ends(counts: array) -> np.ndarray:
    """Where each posting's positions end, from how many each holds."""
    ends = np.cumsum(np.frombuffer(counts, dtype=np.uint32), dtype=np.int64)
    dtype = np.uint32 if not len(ends) or ends[-1] < 2**32 else np.uint64
    return ends.astype(dtype)


class PostingArrays(ArrayFile):
    """One segment's arrays file, memory-mapped; ``lookup`` finds a term's postings."""

    def __init__(self, path: Path):
        super().__init__(path, MAGIC)
        self.fields = {name.split(".", 1)[0] for name in self.arrays}

    def lookup(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """The term's (local docnums, weights) in this segment; None if the segment does
        not hold it. Read-only views of the map."""
        found = self._range(field, term)
        if found is None:
            return None
        first, last = found
        a = self.arrays
        return a[f"{field}.ids"][first:last], a[f"{field}.weights"][first:last]

    def has_positions(self, field: str) -> bool:
        return f"{field}.pos" in self.arrays

    def all_positions(self, field: str, term: str):
        """Every posting of the term in this segment: its local docnum repeated once per
        position, and the positions (documents in order, positions in order in each);
        None if the segment does not hold the term."""
        found = self._range(field, term)
        if found is None:
            return None
        first, last = found
        a = self.arrays
        ends = a[f"{field}.pos_end"]
        begin = int(ends[first - 1]) if first else 0
        counts = np.diff(ends[first:last].astype(np.int64), prepend=begin)
        return np.repeat(a[f"{field}.ids"][first:last], counts), a[f"{field}.pos"][
            begin : int(ends[last - 1])
        ]

    def _range(self, field: str, term: str) -> tuple[int, int] | None:
        """Where the term's postings begin and end in the field's arrays."""
        if field not in self.fields:
            return None
        a = self.arrays
        hashes = a[f"{field}.hashes"]
        key = term.encode("utf-8")
        wanted = np.uint64(term_hash(key))
        at = int(np.searchsorted(hashes, wanted))
        keys, key_end = a[f"{field}.keys"], a[f"{field}.key_end"]
        while at < len(hashes) and hashes[at] == wanted:
            entry = int(a[f"{field}.entry"][at])
            begin = int(key_end[entry - 1]) if entry else 0
            if keys[begin : int(key_end[entry])].tobytes() == key:
                start = a[f"{field}.start"]
                return int(start[entry]), int(start[entry + 1])
            at += 1
        return None


def open_arrays(folder: Path, segment_id: str) -> PostingArrays | None:
    """The segment's arrays, or None when it has none (or they cannot be read)."""
    return open_file(Path(folder) / file_name(segment_id), PostingArrays)


def write(path: Path, arrays: dict[str, np.ndarray]) -> None:
    arrayfile.write(path, MAGIC, arrays)
