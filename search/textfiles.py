"""The stored fields a results page shows, beside each Whoosh segment, as memory-mapped text.

Whoosh keeps a document's stored fields as one pickled record in a zlib stream: reading one
cost ~20 us (decompressing 10, unpickling 6), two tenths of a millisecond per page of ten
hits, when the records were deflated (builds since ``indexer.writer.STORED_LEVEL`` store them
as they are: ~8 us). The indexer also writes each segment's ``TEXT_FIELDS`` to
``<segment id>.texts``: per field the UTF-8 bytes of every document end to end and where each
ends, ``glued``
(the article's glued words) included; a hit's fields are then a few slices and decodes
(~3 us). The Whoosh record stays the source of truth (the article page, related articles);
a segment without the file is read through Whoosh.

Arrays (``search.arrayfile``): ``<field>.end`` (u64 per document: where its bytes end) and
``<field>.bytes`` (u8) for each text field. The body is kept with its white space collapsed
to single spaces, what snippets read (files that hold ``body.spaced``, an empty array; in
older files it is as written).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from search import arrayfile
from search.arrayfile import ArrayFile, open_file

SUFFIX = ".texts"
GLUED_UNKNOWN = "\x00"
MAGIC = b"MOPSTXT2"
TEXT_FIELDS = ("id", "source", "date", "title", "body", "glued")
SPACED = "body.spaced"  # present: the body's white space is collapsed (``spaced``)


def spaced(text: str) -> str:
    """Runs of white space as one space, none at either end (what a snippet is cut from)."""
    return " ".join(text.split())


def file_name(segment_id: str) -> str:
    return segment_id + SUFFIX


class TextRecorder:
    """Collects the stored values of a segment's documents as Whoosh's per-document writer
    receives them (``wrap`` returns the writer, recording on the way)."""

    def __init__(self):
        self.values: dict[str, dict[int, object]] = {f: {} for f in TEXT_FIELDS}
        self.count = 0

    def wrap(self, writer) -> _RecordingWriter:
        return _RecordingWriter(writer, self)

    def arrays(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for field in TEXT_FIELDS:
            values = self.values[field]
            texts = (_text(values.get(n)) for n in range(self.count))
            encoded = [(spaced(t) if field == "body" else t).encode("utf-8") for t in texts]
            lengths = np.fromiter(map(len, encoded), np.uint64, self.count)
            out[f"{field}.end"] = np.cumsum(lengths, dtype=np.uint64)
            out[f"{field}.bytes"] = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        out[SPACED] = np.zeros(0, dtype=np.uint8)
        return out


class _RecordingWriter:
    """Whoosh's per-document writer, recording the stored values of the fields we keep."""

    def __init__(self, writer, recorder: TextRecorder):
        self._writer = writer
        self._recorder = recorder
        self._docnum = 0

    def start_doc(self, docnum: int) -> None:
        self._docnum = docnum
        self._recorder.count = max(self._recorder.count, docnum + 1)
        self._writer.start_doc(docnum)

    def add_field(self, fieldname, fieldobj, value, length) -> None:
        kept = self._recorder.values.get(fieldname)
        if kept is not None and value is not None:
            kept[self._docnum] = value
        self._writer.add_field(fieldname, fieldobj, value, length)

    def __getattr__(self, name):
        return getattr(self._writer, name)


def _text(value) -> str:
    """A stored value as kept here: "" for none; ``glued`` True (documents merged from a
    build that recorded only whether an article has glued words) as GLUED_UNKNOWN."""
    if value is True:
        return GLUED_UNKNOWN
    return str(value) if value else ""


def write(path: Path, recorder: TextRecorder) -> None:
    arrayfile.write(path, MAGIC, recorder.arrays())


class SegmentTexts(ArrayFile):
    """One segment's texts file; ``fields(local)`` gives a document's shown fields."""

    def __init__(self, path: Path):
        super().__init__(path, MAGIC)
        a = self.arrays
        # per field: where each document's bytes end, and where the field's bytes start in
        # the map (a document's text is then one slice of the map and a decode)
        self._columns = [(f, a[f"{f}.end"], self.starts[f"{f}.bytes"]) for f in TEXT_FIELDS]
        self.count = len(self._columns[0][1])
        self.spaced = SPACED in a
        if any(len(end) != self.count for _, end, _ in self._columns):
            raise ValueError(f"{path.name}: fields of different lengths")

    def fields(self, local: int) -> dict:
        out: dict[str, object] = {}
        mapped = self._map
        for field, end, at in self._columns:
            start = at + int(end[local - 1]) if local else at
            out[field] = mapped[start : at + int(end[local])].decode("utf-8")
        if out["glued"] == GLUED_UNKNOWN:
            out["glued"] = True
        out["spaced"] = self.spaced
        return out


def open_texts(folder: Path, segment_id: str) -> SegmentTexts | None:
    """The segment's texts, or None when it has none (or they cannot be read)."""
    return open_file(Path(folder) / file_name(segment_id), SegmentTexts)
