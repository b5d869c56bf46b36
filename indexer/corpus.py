"""Read archive documents from a corpus folder and turn them into articles."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from charset_normalizer import from_bytes

from indexer.audit import Finding, find_problems
from indexer.dates import document_year, find_date
from indexer.splitter import ParsedDocument, split_document

# Encodings Polish archives are found in; detection is limited to these so that a
# Windows-1250 file is never mistaken for, say, a Cyrillic code page.
POLISH_ENCODINGS = ["utf_8", "cp1250", "iso8859_2"]
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


def decode(data: bytes, name: str) -> str:
    """Decode a corpus file's bytes (UTF-8, Windows-1250 or ISO-8859-2) or raise CorpusError."""
    if b"\0" in data[:4096]:
        raise CorpusError(f"{name}: looks like a binary file, not plain text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data, cp_isolation=POLISH_ENCODINGS).best()
    if best is None:
        raise CorpusError(
            f"{name}: not valid text in UTF-8, Windows-1250 or ISO-8859-2; "
            "convert it to UTF-8 and rebuild"
        )
    return str(best)


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


def read_document(text: str, source: str) -> tuple[list[Article], list[Finding]]:
    """Split a document's text into articles, with the audit's warnings about the split."""
    doc = split_document(text)
    articles = _articles(doc, source)
    return articles, find_problems(doc, [a.date for a in articles])


def _articles(doc: ParsedDocument, source: str) -> list[Article]:
    bodies = [raw.body for raw in doc.articles]
    year = document_year(bodies)
    seen: dict[str, int] = {}
    articles = []
    for raw, body in zip(doc.articles, bodies, strict=True):
        occurrence = seen.get(raw.title, 0)
        seen[raw.title] = occurrence + 1
        articles.append(
            Article(
                id=article_id(source, raw.title, occurrence),
                source=source,
                institution=doc.institution,
                title=raw.title,
                date=find_date(body, year),
                body=body,
            )
        )
    return articles


def corpus_files(corpus: Path) -> list[Path]:
    """The corpus's document files (*.txt, recursively), in a stable order."""
    if not corpus.is_dir():
        raise CorpusError(f"{corpus}: corpus folder not found")
    return sorted(p for p in corpus.rglob("*.txt") if p.is_file())


def source_name(path: Path, corpus: Path) -> str:
    return path.relative_to(corpus).as_posix()


def read_corpus(corpus: Path) -> Iterator[tuple[Path, list[Article] | CorpusError]]:
    """Yield each file with its articles, or with the error that made it unreadable."""
    for path in corpus_files(corpus):
        try:
            yield path, parse_document(read_text(path), source_name(path, corpus))
        except CorpusError as exc:
            yield path, exc
