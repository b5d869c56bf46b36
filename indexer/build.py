"""Build a complete index from a corpus folder into a fresh build and switch to it."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index

from indexer.corpus import Article, CorpusError, corpus_files, read_corpus
from indexer.store import current_build, new_build_dir, prune_old_builds, rebuild_lock, switch_to
from search.schema import SCHEMA_VERSION, build_schema, year_of

MANIFEST = "manifest.json"


class BuildError(Exception):
    """The index could not be built; the previous index (if any) is still in place."""


@dataclass
class BuildReport:
    """What a rebuild did: counts, time, and the files it had to skip."""

    documents: int = 0
    articles: int = 0
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)
    build: Path | None = None

    def summary(self) -> str:
        text = (
            f"Indexed {self.documents} documents, {self.articles} articles in {self.seconds:.1f} s"
        )
        if self.skipped:
            text += f" ({len(self.skipped)} files skipped)"
        return text


def article_fields(article: Article) -> dict:
    """The index fields of one article."""
    return {
        "id": article.id,
        "source": article.source,
        "institution": article.institution or "",
        "date": article.date or "",
        "year": year_of(article.date),
        "title": article.title,
        "body": article.body,
        "words": f"{article.title}\n{article.body}",
    }


def write_index(build: Path, articles: Iterable[Article]) -> int:
    """Write articles into a new Whoosh index in an empty folder; return how many."""
    ix = whoosh_index.create_in(str(build), build_schema())
    writer = ix.writer(limitmb=256)
    count = 0
    try:
        for article in articles:
            writer.add_document(**article_fields(article))
            count += 1
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    return count


def rebuild(
    corpus: Path,
    index: Path,
    on_file: Callable[[Path, CorpusError | None], None] | None = None,
) -> BuildReport:
    """Index every readable file of the corpus and make it the live index atomically."""
    started = time.perf_counter()
    report = BuildReport()
    with rebuild_lock(index):
        try:
            files = corpus_files(corpus)
        except CorpusError as exc:
            raise BuildError(str(exc)) from exc
        build = new_build_dir(index)
        try:

            def articles():
                for path, result in read_corpus(corpus):
                    if isinstance(result, CorpusError):
                        report.skipped.append(str(result))
                    else:
                        report.documents += 1
                        yield from result
                    if on_file:
                        on_file(path, result if isinstance(result, CorpusError) else None)

            report.articles = write_index(build, articles())
            if report.articles == 0:
                raise BuildError(
                    f"{corpus}: no articles found in {len(files)} files; the index was not replaced"
                )
            report.seconds = time.perf_counter() - started
            manifest = {
                "schema_version": SCHEMA_VERSION,
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "corpus": str(corpus.resolve()),
                "documents": report.documents,
                "articles": report.articles,
                "skipped": report.skipped,
            }
            (build / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
        except BaseException as exc:
            shutil.rmtree(build, ignore_errors=True)
            if isinstance(exc, BuildError | KeyboardInterrupt):
                raise
            raise BuildError(
                f"rebuild failed: {exc}; the previous index is still in place"
            ) from exc
        switch_to(index, build)
        prune_old_builds(index)
        report.build = build
    return report


def index_exists(index: Path) -> bool:
    """Whether a complete index is in place at this path."""
    build = current_build(index)
    return build is not None and whoosh_index.exists_in(str(build))
