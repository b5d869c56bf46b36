"""Build the index from a corpus folder into a fresh build and switch to it atomically.

A full rebuild splits the corpus files among one worker process per core; the workers first share
out the analysis of their words (``indexer.vocabulary``), then each reads, segments and indexes its
share into a Whoosh segment of its own, and the segments are then put together under one table of
contents (no merge pass). An update re-indexes only the files that changed
since the current build, in a new build that hard-links the unchanged segments.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import queue
import shutil
import signal
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

from indexer.corpus import (
    Article,
    CorpusError,
    corpus_files,
    decode_file,
    fingerprint,
    read_bytes,
    read_document,
    source_name,
)
from indexer.sources import label_files, read_sources, sources_fingerprint
from indexer.splitter import splitter_version
from indexer.vocabulary import share_words
from indexer.writer import segment_writer
from search.analysis import TermCodes
from search.engine import BM25_B, BM25_K1
from search.morphology import warm_up
from search.postings import IndexView, lexicon_words
from search.query import FIELDS
from search.schema import SCHEMA_VERSION, build_schema, year_of
from search.stemfiles import load_table, write_table
from search.store import (
    INDEX_NAME,
    MANIFEST,
    IndexIncompatibleError,
    check_compatible,
    current_build,
    finish_build,
    new_build_dir,
    prune_old_builds,
    read_manifest,
    rebuild_lock,
    switch_to,
    write_columns,
    write_manifest,
    write_words,
)

WRITER_MB = 256  # per writer process: postings sorted in memory up to this size
SEGMENT_FILL = 0.85  # a worker starts a new segment when its buffer is this full
KEPT = "the previous index is still in place"
PR_SET_PDEATHSIG = 1
OnFile = Callable[[str, str | None], None]  # (file name, error message or None)


class BuildError(Exception):
    """The index could not be built; the previous index (if any) is still in place."""


@dataclass
class BuildReport:
    """What a rebuild or update did: counts, time, and the files it had to skip."""

    documents: int = 0
    articles: int = 0
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    build: Path | None = None
    warnings: int = 0  # doubtful splits found by the audit (``indexer check`` lists them)

    def summary(self) -> str:
        text = (
            f"Indexed {self.documents} documents, {self.articles} articles in {self.seconds:.1f} s"
        )
        if self.skipped:
            text += f" ({len(self.skipped)} files skipped)"
        if self.warnings:
            text += (
                f"\n{self.warnings} doubtful article splits: "
                "run `python -m indexer check` to see them"
            )
        return text


def article_fields(article: Article) -> dict:
    """The index fields of one article."""
    # "glued", the glued words of the title and body, is filled in by the writer (from the
    # codes of their words; "": none; builds before schema 5 have none, before that a
    # bool): snippets look for these words by parts
    return {
        "id": article.id,
        "source": article.source,
        "institution": article.institution or "",
        "date": article.date or "",
        "year": year_of(article.date),
        "title": article.title,
        "body": article.body,
    }


def write_index(build: Path, articles: Iterable[Article]) -> int:
    """Write prepared articles into a new single-segment index; return how many."""
    ix = whoosh_index.create_in(str(build), build_schema(), indexname=INDEX_NAME)
    writer = segment_writer(ix, limitmb=WRITER_MB)
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


def _add_files(writer, paths: list[Path], corpus: Path, report: dict, on_file: OnFile) -> None:
    """Parse and add each file's articles; record skipped files and fingerprints."""
    for path in paths:
        name = source_name(path, corpus)
        try:
            data = read_bytes(path)
            decoded = decode_file(data, path.name)
            articles, findings = read_document(decoded.text, name, decoded.notes)
        except CorpusError as exc:
            report["skipped"].append(str(exc))
            on_file(name, str(exc))
            continue
        for article in articles:
            writer.add_document(**article_fields(article))
        stat = path.stat()
        report["files"][name] = {
            "sha1": fingerprint(data),
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "articles": len(articles),
            "warnings": len(findings),
            "institution": next((a.institution for a in articles if a.institution), None),
            "years": sorted({int(a.date[:4]) for a in articles if a.date and a.date[:4].isdigit()}),
        }
        report["articles"] += len(articles)
        on_file(name, None)


def _new_report() -> dict:
    return {"files": {}, "skipped": [], "articles": 0, "words": set()}


def _write_segments(ix, paths: list[Path], corpus: Path, report: dict, on_file: OnFile) -> None:
    """Add the files' articles to the index, committing a new segment whenever the writer's
    buffer is nearly full: Whoosh would otherwise spill postings to disk in runs and merge
    the runs in Python, the slowest part of indexing 100k articles. More segments cost the
    array executor nothing."""
    codes = TermCodes()  # each word coded once for all the segments
    writer = segment_writer(ix, per_term=True, limitmb=WRITER_MB, codes=codes)
    try:
        for path in paths:
            _add_files(writer, [path], corpus, report, on_file)
            if writer.pool.currentsize > SEGMENT_FILL * writer.pool.limit:
                writer.commit(merge=False)
                report["words"].update(writer.words)
                _collect()
                writer = segment_writer(ix, per_term=True, limitmb=WRITER_MB, codes=codes)
    except BaseException:
        writer.cancel()
        raise
    writer.commit(merge=False)
    report["words"].update(writer.words)


@contextmanager
def _few_collections():
    """Python's cyclic garbage collector off while a build runs, but for a collection after
    each segment a writer commits (``_collect``). Indexing allocates hundreds of millions of
    objects, nearly none of them in cycles, and its memos of words only grow: the
    collector's automatic runs, each full one over every memo, took 4% of a worker's time
    at 100k articles. Forked workers inherit the setting."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def _collect() -> None:
    """Collect what the last segment left in cycles (a writer's buffers), then set every
    object alive aside for good (``gc.freeze``): the next collection looks at new objects
    only, so a rebuild's collections cost time in proportion to what it allocates."""
    gc.collect()
    gc.freeze()


def _die_with_parent() -> None:
    """Ask the kernel to end this process when the rebuild that forked it dies (Linux)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the request was made
        os._exit(1)


def _worker(part: Path, paths: list[Path], corpus: Path, events, me: int, inboxes: list) -> None:
    """Worker process: index a share of the files into a segment of its own, having
    analysed its part of all the workers' words (``indexer.vocabulary``)."""
    _die_with_parent()
    report = _new_report()
    ix = whoosh_index.create_in(str(part), build_schema(), indexname=INDEX_NAME)
    try:
        share_words(me, inboxes, paths)
        gc.freeze()  # the words' analyses, kept for good: collections skip them
        _write_segments(ix, paths, corpus, report, lambda n, err: events.put(("file", n, err)))
    except BaseException as exc:
        events.put(("failed", f"{type(exc).__name__}: {exc}"))
        raise
    events.put(("done", report))


def _assemble(build: Path, parts: list[Path]) -> None:
    """Move the workers' segments into the build and list them all in one TOC."""
    segments = []
    for part in parts:
        toc = TOC.read(FileStorage(str(part)), INDEX_NAME)
        for segment in toc.segments:
            for name in segment.list_files(FileStorage(str(part))):
                os.replace(part / name, build / name)
            segments.append(segment)
        shutil.rmtree(part)
    storage = FileStorage(str(build))
    TOC.create(storage, build_schema(), INDEX_NAME)
    TOC(build_schema(), segments, 1).write(storage, INDEX_NAME)


def _shares(files: list[Path], procs: int) -> list[list[Path]]:
    """The files in ``procs`` shares of about the same bytes, each in the corpus's order:
    the largest file first, each to the share with the fewest bytes so far (every other
    file, as it was, left the shares of a 5k corpus 2% apart, and a worker waited for the
    other). A file that cannot be read counts as empty: indexing reports it."""
    sizes = []
    for path in files:
        try:
            sizes.append(path.stat().st_size)
        except OSError:
            sizes.append(0)
    loads, shares = [0] * procs, [[] for _ in range(procs)]
    for k in sorted(range(len(files)), key=lambda k: (-sizes[k], k)):
        least = loads.index(min(loads))
        shares[least].append(k)
        loads[least] += sizes[k]
    return [[files[k] for k in sorted(share)] for share in shares]


def write_corpus_index(
    build: Path, files: list[Path], corpus: Path, on_file: OnFile, procs: int = 1
) -> dict:
    """Index corpus files into a new index in the empty build folder, in parallel."""
    procs = min(procs, max(1, len(files)))
    if procs == 1:
        report = _new_report()
        ix = whoosh_index.create_in(str(build), build_schema(), indexname=INDEX_NAME)
        _write_segments(ix, files, corpus, report, on_file)
        return report
    warm_up(forms=False)  # load the dictionary once; forked workers share it
    gc.freeze()  # what the workers inherit stays shared: their collections never touch it
    context = multiprocessing.get_context("fork")
    events = context.Queue()
    inboxes = [context.Queue() for _ in range(procs)]
    parts = [build / f".part{i}" for i in range(procs)]
    workers = []
    for i, (part, share) in enumerate(zip(parts, _shares(files, procs), strict=True)):
        part.mkdir()
        args = (part, share, corpus, events, i, inboxes)
        workers.append(context.Process(target=_worker, args=args))
    for worker in workers:
        worker.start()
    report = _new_report()
    finished = 0
    try:
        while finished < procs:
            try:
                event = events.get(timeout=1.0)
            except queue.Empty:
                if any(w.exitcode not in (None, 0) for w in workers):
                    raise BuildError(f"an indexing process died; {KEPT}") from None
                continue
            if event[0] == "file":
                on_file(event[1], event[2])
            elif event[0] == "failed":
                raise BuildError(f"rebuild failed: {event[1]}; {KEPT}")
            else:
                finished += 1
                done = event[1]
                report["files"].update(done["files"])
                report["skipped"] += done["skipped"]
                report["articles"] += done["articles"]
                report["words"] |= done["words"]
    finally:
        for worker in workers:
            worker.join(timeout=0 if finished < procs else None)
            if worker.is_alive():
                worker.terminate()
        for worker in workers:  # reaped before the caller removes the build folder
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()
                worker.join()
    _assemble(build, parts)
    return report


def _write_manifest(
    build: Path, corpus: Path, files: dict, skipped: list[str], known: dict | None = None
) -> dict:
    entries, problem = read_sources(corpus)
    if problem:
        skipped = [*skipped, problem]
    label_files(files, entries)
    return write_manifest(
        build,
        {
            "sources": sources_fingerprint(corpus),
            "schema_version": SCHEMA_VERSION,
            "splitter": splitter_version(),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "corpus": str(corpus.resolve()),
            "documents": len(files),
            "articles": sum(f["articles"] for f in files.values()),
            "skipped": skipped,
            "files": files,
        },
        known,
    )


def _open(build: Path):
    return whoosh_index.open_dir(str(build), indexname=INDEX_NAME)


def _record_words(build: Path, ix, words: set[bytes] | None = None) -> None:
    """The build's words for typo correction (``words``: its segments' body terms, as the
    writers flushed them; None: read from its lexicon) and its per-article columns, so that
    servers need not read its lexicon or every segment's columns (``ix``: the build open)."""
    if words is None:
        write_words(build, lexicon_words(ix))
    else:
        write_words(build, sorted(word.decode("utf-8") for word in words))
    view = IndexView(ix, FIELDS, BM25_B, BM25_K1)
    try:
        write_columns(build, view.compute_columns())
    finally:
        view.close()


def _check(ix, expected: int) -> None:
    indexed = ix.doc_count()
    if indexed != expected:
        raise BuildError(f"index holds {indexed} of {expected} articles")


def _build_and_switch(index: Path, work: Callable[[Path], BuildReport]) -> BuildReport:
    """Run work() in a new build folder; switch to it on success, delete it on failure.

    Call with the rebuild lock held."""
    try:
        build = new_build_dir(index)
    except OSError as exc:
        raise BuildError(f"{exc.strerror}; {KEPT}") from exc
    try:
        report = work(build)
        build = finish_build(build)
    except BaseException as exc:
        shutil.rmtree(build, ignore_errors=True)
        if isinstance(exc, BuildError | KeyboardInterrupt):
            raise
        raise BuildError(f"rebuild failed: {exc}; {KEPT}") from exc
    switch_to(index, build)
    prune_old_builds(index)
    report.build = build
    return report


def _corpus_files(corpus: Path, on_file: OnFile) -> list[Path]:
    """The corpus's files; symbolic links are reported as skipped files."""
    links: list[str] = []
    try:
        files = corpus_files(corpus, links)
    except CorpusError as exc:
        raise BuildError(str(exc)) from exc
    for message in links:
        on_file(message.split(":", 1)[0], message)
    return files


def _warnings(files: dict) -> int:
    return sum(entry.get("warnings", 0) for entry in files.values())


def rebuild(
    corpus: Path, index: Path, on_file: OnFile | None = None, procs: int = 1
) -> BuildReport:
    """Index every readable file of the corpus and make it the live index atomically."""
    with _locked(index), _few_collections():
        return _rebuild(corpus, index, on_file or _quiet, procs, time.perf_counter())


@contextmanager
def _locked(index: Path):
    try:
        with rebuild_lock(index):
            yield
    except OSError as exc:
        raise BuildError(f"{exc.strerror or exc}; {KEPT}") from exc


def _quiet(name: str, error: str | None) -> None:
    pass


def _rebuild(corpus: Path, index: Path, on_file: OnFile, procs: int, started: float) -> BuildReport:
    files = _corpus_files(corpus, on_file)
    load_table(current_build(index))  # the stemmer's table as the last build kept it

    def work(build: Path) -> BuildReport:
        result = write_corpus_index(build, files, corpus, on_file, procs)
        if result["articles"] == 0:
            raise BuildError(
                f"{corpus}: no articles found in {len(files)} files; the index was not replaced"
            )
        ix = _open(build)
        _check(ix, result["articles"])
        _record_words(build, ix, result["words"])
        write_table(build)
        _write_manifest(build, corpus, result["files"], result["skipped"])
        return BuildReport(
            documents=len(result["files"]),
            articles=result["articles"],
            skipped=result["skipped"],
            seconds=time.perf_counter() - started,
            warnings=_warnings(result["files"]),
        )

    return _build_and_switch(index, work)


def _changed_files(corpus: Path, files: list[Path], known: dict) -> tuple[list[Path], list[str]]:
    """Files added or edited since the manifest, and sources deleted since."""
    changed = []
    for path in files:
        name = source_name(path, corpus)
        entry = known.get(name)
        stat = path.stat()
        if entry and entry["size"] == stat.st_size and entry["mtime_ns"] == stat.st_mtime_ns:
            continue
        try:
            if entry and fingerprint(read_bytes(path)) == entry["sha1"]:
                continue  # touched, not changed
        except CorpusError:
            pass
        changed.append(path)
    present = {source_name(p, corpus) for p in files}
    deleted = sorted(name for name in known if name not in present)
    return changed, deleted


def _reusable(manifest: dict | None) -> bool:
    """Whether a build can be updated in place: same schema, analyzer and splitter."""
    if not manifest or "files" not in manifest:
        return False
    if manifest.get("schema_version") != SCHEMA_VERSION:
        return False
    if manifest.get("splitter") != splitter_version():  # unchanged files would split anew
        return False
    try:
        check_compatible(manifest)
    except IndexIncompatibleError:
        return False
    return True


def update(corpus: Path, index: Path, on_file: OnFile | None = None, procs: int = 1) -> BuildReport:
    """Re-index only the files added, edited or deleted since the current build.

    Takes the lock before reading anything; falls back to a full rebuild when there is no
    index yet or it was built by another schema, analyzer or splitter.
    """
    started = time.perf_counter()
    on_file = on_file or _quiet
    with _locked(index), _few_collections():
        current = current_build(index)
        manifest = read_manifest(current)
        if not _reusable(manifest):
            return _rebuild(corpus, index, on_file, procs, started)
        files = _corpus_files(corpus, on_file)
        changed, deleted = _changed_files(corpus, files, manifest["files"])
        renamed = manifest.get("sources") != sources_fingerprint(corpus)
        if not changed and not deleted and not renamed:
            return BuildReport(
                documents=manifest["documents"],
                articles=manifest["articles"],
                seconds=time.perf_counter() - started,
                build=current,
                warnings=_warnings(manifest["files"]),
            )
        work = _Update(corpus, current, manifest, changed, deleted, on_file, started)
        return _build_and_switch(index, work)


@dataclass
class _Update:
    """An incremental build: the current build's segments plus the changed files."""

    corpus: Path
    current: Path
    manifest: dict
    changed: list[Path]
    deleted: list[str]
    on_file: OnFile
    started: float

    def __call__(self, build: Path) -> BuildReport:
        for name in os.listdir(self.current):
            if name != MANIFEST:
                os.link(self.current / name, build / name)  # segments are never rewritten
        load_table(build)  # the changed files' unknown words are stemmed without parsing it
        result = self._write(build)
        write_table(build)
        known = {k: v for k, v in self.manifest["files"].items() if k not in self.deleted}
        known.update(result["files"])
        ix = _open(build)
        _record_words(build, ix)
        manifest = _write_manifest(
            build, self.corpus, known, result["skipped"], self.manifest.get("checksums")
        )
        _check(ix, manifest["articles"])
        return BuildReport(
            documents=manifest["documents"],
            articles=manifest["articles"],
            skipped=result["skipped"],
            changed=[source_name(p, self.corpus) for p in self.changed],
            deleted=self.deleted,
            seconds=time.perf_counter() - self.started,
            warnings=_warnings(known),
        )

    def _write(self, build: Path) -> dict:
        ix = _open(build)
        writer = segment_writer(ix, limitmb=WRITER_MB)
        result = _new_report()
        try:
            _add_files(writer, self.changed, self.corpus, result, self.on_file)
            # Replace only what parsed: an edited file that can no longer be read keeps its
            # previous articles (and is reported as skipped).
            for name in self.deleted + list(result["files"]):
                writer.delete_by_term("source", name)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        return result
