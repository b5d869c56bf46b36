"""Read archive documents from a corpus folder and turn them into articles."""

from __future__ import annotations

import hashlib
import os
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from indexer.audit import Finding, find_problems
from indexer.dates import article_dates
from indexer.splitter import ParsedDocument, split_document

MAX_FILE_BYTES = 50 * 1024 * 1024


class CorpusError(Exception):
    """A corpus file that cannot be read; the message names the file and the reason."""


@dataclass(frozen=True)
class Article:
    """One news article of an archive document: the unit that is indexed and returned."""

    id: str
    source: str
    institution: str | None
    title: str
    date: str | None
    body: str

    def to_dict(self) -> dict:
        return asdict(self)


def article_id(source: str, title: str, occurrence: int) -> str:
    """A stable id: the same file name and title give the same id on every rebuild."""
    digest = hashlib.sha1(f"{source}\0{title}\0{occurrence}".encode()).hexdigest()
    return digest[:16]


@dataclass(frozen=True)
class Decoded:
    """A file's text (NFC) and how it was read."""

    text: str
    encoding: str  # "utf-8", "utf-16", "cp1250", "iso8859_2", or "mixed"
    notes: tuple[str, ...] = ()  # what an archivist should know (not errors)


POLISH_LETTERS = set("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ")
# Characters a single-byte Polish text decoded with the wrong code page shows instead of
# letters (ISO-8859-2 read as Windows-1250, and the other way round), and C1 controls.
WRONG_PAGE = set("±¶ˇ¦¬Ľš") | {chr(c) for c in range(0x80, 0xA0)}


def _single_byte(data: bytes) -> tuple[str, str]:
    """Windows-1250 or ISO-8859-2, whichever reads as more Polish letters and fewer signs of
    the other code page (charset detection guesses poorly on short texts)."""
    best = None
    for encoding in ("cp1250", "iso8859_2"):
        text = data.decode(encoding, errors="replace")
        score = sum(c in POLISH_LETTERS for c in text) - 3 * sum(
            c in WRONG_PAGE or c == "\ufffd" for c in text
        )
        if best is None or score > best[0]:
            best = (score, encoding, text)
    return best[2], best[1]


def decode_file(data: bytes, name: str) -> Decoded:
    """Decode a corpus file's bytes (UTF-8, UTF-16 with a BOM, Windows-1250 or ISO-8859-2,
    or lines of both UTF-8 and one of those) or raise CorpusError saying why not."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return Decoded(_nfc(data.decode("utf-16")), "utf-16", ("read as UTF-16",))
        except UnicodeDecodeError:
            raise CorpusError(f"{name}: starts like UTF-16 but is not valid UTF-16") from None
    if b"\0" in data[:4096]:
        raise CorpusError(f"{name}: looks like a binary file, not plain text")
    try:
        return Decoded(_nfc(data.decode("utf-8-sig")), "utf-8")
    except UnicodeDecodeError:
        pass
    lines = data.split(b"\n")
    utf8 = [_utf8_with_letters(line) for line in lines]
    if not any(utf8) and _garbled(data[:65536].decode("cp1250", errors="replace")):
        raise CorpusError(
            f"{name}: not valid text in UTF-8, Windows-1250 or ISO-8859-2; "
            "convert it to UTF-8 and rebuild"
        )
    if any(utf8):
        # Some lines are UTF-8 with Polish letters, others are not UTF-8: a file pasted
        # together from sources in two encodings. Each line is read in its own.
        other = [line for line, u in zip(lines, utf8, strict=True) if not u]
        _, encoding = _single_byte(b"\n".join(other))
        text = "\n".join(
            line.decode("utf-8") if u else line.decode(encoding, errors="replace")
            for line, u in zip(lines, utf8, strict=True)
        )
        note = f"mixes UTF-8 lines with {encoding} lines: each line read in its own encoding"
        return Decoded(_nfc(text), "mixed", (note,))
    text, encoding = _single_byte(data)
    return Decoded(_nfc(text), encoding, (f"read as {encoding} (not UTF-8)",))


def _garbled(text: str) -> bool:
    """Whether text read in a single-byte code page is not text at all (binary data)."""
    odd = sum(
        1
        for c in text
        if c == "\ufffd"
        or (unicodedata.category(c) in ("Cc", "Co", "Cn") and c not in "\t\n\r\f\v")
    )
    return odd > 0.01 * max(1, len(text))


def _utf8_with_letters(line: bytes) -> bool:
    try:
        return not line.isascii() and bool(line.decode("utf-8"))
    except UnicodeDecodeError:
        return False


def _nfc(text: str) -> str:
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def decode(data: bytes, name: str) -> str:
    """A corpus file's text (see decode_file)."""
    return decode_file(data, name).text


def read_bytes(path: Path) -> bytes:
    """Read one corpus file's bytes, raising CorpusError with the file's name on failure."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CorpusError(f"{path.name}: {size} bytes is over the {MAX_FILE_BYTES} byte limit")
        return path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{path.name}: cannot be read ({exc.strerror or exc})") from exc


def read_text(path: Path) -> str:
    """Read one corpus file as text, raising CorpusError with the file's name on failure."""
    return decode(read_bytes(path), path.name)


def fingerprint(data: bytes) -> str:
    """Content hash of a corpus file, to tell changed files from touched ones."""
    return hashlib.sha1(data).hexdigest()


def parse_document(text: str, source: str) -> list[Article]:
    """Split a document's text into articles with ids, institution and dates."""
    return read_document(text, source)[0]


def read_document(
    text: str, source: str, notes: tuple[str, ...] = ()
) -> tuple[list[Article], list[Finding]]:
    """Split a document's text into articles, with the audit's warnings about the split (and
    the notes of its decoding)."""
    doc = split_document(text)
    articles = _articles(doc, source)
    findings = [Finding(0, "encoding", note) for note in notes]
    return articles, findings + find_problems(doc, [a.date for a in articles])


def _articles(doc: ParsedDocument, source: str) -> list[Article]:
    bodies = [raw.body for raw in doc.articles]
    dates = article_dates(bodies)
    seen: dict[str, int] = {}
    articles = []
    for raw, body, date in zip(doc.articles, bodies, dates, strict=True):
        occurrence = seen.get(raw.title, 0)
        seen[raw.title] = occurrence + 1
        articles.append(
            Article(
                id=article_id(source, raw.title, occurrence),
                source=source,
                institution=doc.institution,
                title=raw.title,
                date=date,
                body=body,
            )
        )
    return articles


def corpus_files(corpus: Path, skipped: list[str] | None = None) -> list[Path]:
    """The corpus's document files (*.txt, recursively), in a stable order.

    Symbolic links are not followed (a link could bring in any file of the machine); each
    one is named in ``skipped``."""
    if not corpus.is_dir():
        raise CorpusError(f"{corpus}: corpus folder not found")
    found = []
    for folder, dirs, files in os.walk(corpus, followlinks=False):
        base = Path(folder)
        for name in sorted(dirs):
            if (base / name).is_symlink() and skipped is not None:
                skipped.append(
                    f"{(base / name).relative_to(corpus)}: a symbolic link, not followed"
                )
        for name in files:
            path = base / name
            if not name.endswith(".txt"):
                continue
            if path.is_symlink():
                if skipped is not None:
                    skipped.append(f"{path.relative_to(corpus)}: a symbolic link, not followed")
                continue
            if path.is_file():
                found.append(path)
    return sorted(found)


def source_name(path: Path, corpus: Path) -> str:
    return path.relative_to(corpus).as_posix()


def read_file(path: Path, corpus: Path) -> tuple[Path, list[Article] | CorpusError]:
    """One file with its articles, or with the error that made it unreadable."""
    try:
        return path, parse_document(read_text(path), source_name(path, corpus))
    except CorpusError as exc:
        return path, exc


def read_corpus(corpus: Path) -> Iterator[tuple[Path, list[Article] | CorpusError]]:
    """Yield each file with its articles, or with the error that made it unreadable."""
    for path in corpus_files(corpus):
        yield read_file(path, corpus)
