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

The Whoosh segment stays the source of truth (stored fields, positions for phrases, the
lexicon); a segment without its arrays file (built by an older version, or by another
writer) is read through Whoosh as before. The file is named with its segment's id, so
Whoosh removes it together with its segment, hard-links it with it into updated builds,
and checksums cover it like the segment.

Arrays (``search.arrayfile``), per field: ``hashes`` (u64, sorted: 8 bytes of BLAKE2b of
the term's bytes), ``entry`` (u32: the term, in Whoosh's order, of each hash), ``start``
(u64, per term in Whoosh's order and one past the last: where its postings begin),
``key_end`` / ``keys`` (the terms' bytes, to check a hash's term exactly), ``ids`` and
``weights``.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from search import arrayfile
from search.arrayfile import ArrayFile, open_file

SUFFIX = ".postings"
MAGIC = b"MOPSPST1"


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

    def tee(self, postings: Iterable[tuple]) -> Iterator[tuple]:
        fields = self.fields
        last_field, last_text = None, None
        terms = starts = ids = weights = None
        for item in postings:
            yield item
            field = item[0]
            if field not in fields:
                continue
            if field != last_field:
                terms = self.terms.setdefault(field, [])
                starts = self.starts.setdefault(field, array("Q"))
                ids = self.ids.setdefault(field, array("I"))
                weights = self.weights.setdefault(field, array("f"))
                last_field, last_text = field, None
            if item[1] != last_text:
                last_text = item[1]
                terms.append(last_text)
                starts.append(len(ids))
            ids.append(item[2])
            weights.append(item[3])

    def record(self, field: str, text: bytes, ids: list[int], weights: list[float]) -> None:
        """One term's postings at once (terms in Whoosh's order, as ``tee`` sees them)."""
        starts = self.starts.setdefault(field, array("Q"))
        all_ids = self.ids.setdefault(field, array("I"))
        self.terms.setdefault(field, []).append(text)
        starts.append(len(all_ids))
        all_ids.extend(ids)
        self.weights.setdefault(field, array("f")).extend(weights)

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
        return out


class PostingArrays(ArrayFile):
    """One segment's arrays file, memory-mapped; ``lookup`` finds a term's postings."""

    def __init__(self, path: Path):
        super().__init__(path, MAGIC)
        self.fields = {name.split(".", 1)[0] for name in self.arrays}

    def lookup(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """The term's (local docnums, weights) in this segment; None if the segment does
        not hold it. Read-only views of the map."""
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
                first, last = int(start[entry]), int(start[entry + 1])
                return a[f"{field}.ids"][first:last], a[f"{field}.weights"][first:last]
            at += 1
        return None

def open_arrays(folder: Path, segment_id: str) -> PostingArrays | None:
    """The segment's arrays, or None when it has none (or they cannot be read)."""
    return open_file(Path(folder) / file_name(segment_id), PostingArrays)


def write(path: Path, arrays: dict[str, np.ndarray]) -> None:
    arrayfile.write(path, MAGIC, arrays)
