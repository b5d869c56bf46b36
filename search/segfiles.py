"""Whoosh's compound segment files read in place from the memory map, never copied.

Whoosh 2.7 maps a segment's compound file, then wraps each inner file (postings, term
index…) in a ``BufferFile`` whose ``io.BytesIO`` copies it: every process that opened the
index held a private copy of its postings (about 100 MB per process at 20k articles, the
largest part of a server worker's memory). Here the inner files read straight from the map,
whose pages the kernel shares among all workers (they show as shared, not private, memory).

``install()`` replaces ``CompoundStorage.open_file`` (Whoosh 2.7.x is the final series; the
replaced method is the one shown in its source).
"""

from __future__ import annotations

import os

from whoosh.filedb import compound
from whoosh.filedb.structfile import BufferFile


class _MapSlice:
    """A read-only, seekable file over ``length`` bytes of a map from ``offset``."""

    __slots__ = ("_map", "_start", "_end", "_pos", "closed")

    def __init__(self, source, offset: int, length: int):
        self._map = source
        self._start = offset
        self._end = offset + length
        self._pos = offset
        self.closed = False

    def read(self, size: int | None = -1) -> bytes:
        start = self._pos
        end = self._end if size is None or size < 0 else min(self._end, start + size)
        if end <= start:
            return b""
        self._pos = end
        return self._map[start:end]

    def readline(self, size: int | None = -1) -> bytes:  # pickle.load needs it
        newline = self._map.find(b"\n", self._pos, self._end)
        end = self._end if newline < 0 else newline + 1
        wanted = end - self._pos
        return self.read(wanted if size is None or size < 0 else min(size, wanted))

    def seek(self, position: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_CUR:
            position += self._pos - self._start
        elif whence == os.SEEK_END:
            position += self._end - self._start
        self._pos = self._start + max(0, position)
        return position

    def tell(self) -> int:
        return self._pos - self._start

    def close(self) -> None:
        self.closed = True


class MappedFile(BufferFile):
    """A ``BufferFile`` over part of a map, without BufferFile's copy into BytesIO."""

    def __init__(self, source, offset: int, length: int, name=None):
        self._buf = memoryview(source)[offset : offset + length]
        self._name = name
        self.file = _MapSlice(source, offset, length)
        self.onclose = None
        self.is_real = False
        self.is_closed = False

    def close(self):
        # Release the view so that the storage can close its map.
        if not self.is_closed:
            self._buf.release()
        super().close()


def _open_file(self, name, *args, **kwargs):
    if self.is_closed:
        raise compound.StorageError("Storage was closed")
    if self._source is None:
        return _original_open_file(self, name, *args, **kwargs)
    offset, length = self.range(name)
    return MappedFile(self._source, offset, length, name=name)


_original_open_file = compound.CompoundStorage.open_file


def install() -> None:
    """Read compound segment files in place (idempotent)."""
    compound.CompoundStorage.open_file = _open_file
