"""Files of named NumPy arrays, written once and memory-mapped by every process that reads
them (the segments' posting arrays and stored texts: ``search.postfiles``,
``search.textfiles``).

Layout: an 8-byte magic naming the kind of file, a little-endian u32 header length, the JSON
header ``{"<name>": [offset, dtype, length], ...}`` (offsets from the end of the header,
padded to 8 bytes), then the arrays, each 8-aligned.
"""

from __future__ import annotations

import json
import mmap
import os
import struct
from pathlib import Path

import numpy as np

_ALIGN = 8


def _aligned(size: int) -> int:
    return -(-size // _ALIGN) * _ALIGN


def write(path: Path, magic: bytes, arrays: dict[str, np.ndarray]) -> None:
    """Write the arrays (through a temporary name: a reader never sees half a file)."""
    header: dict[str, list] = {}
    offset = 0
    for name, values in arrays.items():
        offset = _aligned(offset)
        header[name] = [offset, values.dtype.str, int(values.size)]
        offset += values.nbytes
    head = json.dumps(header, sort_keys=True).encode()
    base = _aligned(len(magic) + 4 + len(head))
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("wb") as out:
        out.write(magic + struct.pack("<I", len(head)) + head)
        for name, values in arrays.items():
            out.write(b"\0" * (base + header[name][0] - out.tell()))
            out.write(np.ascontiguousarray(values).tobytes())
    os.replace(temporary, path)


class ArrayFile:
    """A file's arrays as read-only views of its memory map (``arrays``)."""

    def __init__(self, path: Path, magic: bytes):
        with path.open("rb") as handle:
            self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        if self._map[: len(magic)] != magic:
            raise ValueError(f"{path.name}: not a {magic.decode(errors='replace')} file")
        (size,) = struct.unpack_from("<I", self._map, len(magic))
        header = json.loads(self._map[len(magic) + 4 : len(magic) + 4 + size])
        base = _aligned(len(magic) + 4 + size)
        self.arrays = {
            name: np.frombuffer(self._map, np.dtype(dtype), count=count, offset=base + offset)
            for name, (offset, dtype, count) in header.items()
        }
        # where each array starts in the map (bytes can be sliced from it without NumPy)
        self.starts = {name: base + offset for name, (offset, _, _) in header.items()}

    def close(self) -> None:
        self.arrays = {}
        try:
            self._map.close()
        except BufferError:  # a search still holds a slice: the map goes when it does
            pass


def open_file(path: Path, kind):
    """``kind(path)``, or None when the file is missing or cannot be read (its segment is
    then read through Whoosh)."""
    try:
        return kind(path)
    except (OSError, ValueError, KeyError, TypeError, struct.error):
        return None
