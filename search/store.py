"""The index on disk: builds, the current-build link, the manifest and the rebuild lock.

``<index>`` is a symbolic link to one complete build under ``<index>.builds/``. A rebuild
writes a new build (named ``….pending`` until it is complete) beside the current one and then
renames a fresh link over ``<index>`` (an atomic ``rename(2)``), so readers see either the old
index or the new one, never a half-written one, and a failed or killed build leaves the old one
in place. Each build holds the Whoosh index (``MAIN``; beside each segment its posting arrays
and shown texts, named after it by ``search.postfiles`` and ``search.textfiles``), the
stemmer's parsed table and a manifest that records what built it (schema, analyzer,
splitter) and the corpus files it read.

This module is the only one that knows these names; the indexer writes through it and the
search engine reads through it.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout
from whoosh import index as whoosh_index

from search import postfiles, segfiles, textfiles
from search.morphology import analyzer_identity

MANIFEST = "manifest.json"
WORDS = "words.txt"  # the body's terms, one per line, for typo correction
COLUMNS = "columns.npz"  # per-article year, date order and source, as arrays
MANIFEST_FORMAT = 2
INDEX_NAME = "MAIN"
KEEP_OLD_BUILDS = 2  # finished builds a still-running reader may have open
PENDING = ".pending"  # suffix of a build that is still being written


class IndexLockedError(Exception):
    """Another rebuild or update of the same index is running."""


class IndexIncompatibleError(RuntimeError):
    """The index was built by another analyzer; its terms do not match this one's."""


class IndexDamagedError(RuntimeError):
    """A build's files do not match the checksums its manifest recorded."""


def builds_dir(index: Path) -> Path:
    return index.parent / f"{index.name}.builds"


def new_build_dir(index: Path) -> Path:
    """Create and return an empty, uniquely named folder for a build still being written."""
    root = builds_dir(index)
    try:
        root.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S")
        path = root / f"{stamp}-{os.getpid()}-{time.monotonic_ns() % 1_000_000:06d}{PENDING}"
        path.mkdir()
    except OSError as exc:
        raise OSError(exc.errno, f"cannot write the index in {root}: {exc.strerror}") from exc
    return path


def finish_build(build: Path) -> Path:
    """Mark a completely written build as finished; return its final path."""
    final = build.with_name(build.name.removesuffix(PENDING))
    os.rename(build, final)
    return final


def current_build(index: Path) -> Path | None:
    """The build folder the index link points to, or None if there is no index yet."""
    if index.is_symlink() or index.is_dir():
        resolved = index.resolve()
        return resolved if resolved.is_dir() else None
    return None


def link_target(index: Path) -> str | None:
    """What the index link says (one system call: a cheap check that the current build is
    still the one a reader has open); None when the index is not a link."""
    try:
        return os.readlink(index)
    except OSError:
        return None


def switch_to(index: Path, build: Path) -> None:
    """Point the index link at a finished build in one atomic rename."""
    index.parent.mkdir(parents=True, exist_ok=True)
    if index.is_dir() and not index.is_symlink():
        # An index folder from before builds were linked: keep it as an old build.
        index.rename(builds_dir(index) / f"legacy-{time.monotonic_ns()}")
    tmp_link = index.parent / f".{index.name}.link-{os.getpid()}"
    if tmp_link.is_symlink():
        tmp_link.unlink()
    os.symlink(os.path.relpath(build, index.parent), tmp_link)
    os.replace(tmp_link, index)


def prune_old_builds(index: Path) -> None:
    """Delete unfinished builds and finished ones older than the current one and the few
    before it. Call with the rebuild lock held: no other build is then being written."""
    current = current_build(index)
    root = builds_dir(index)
    if not root.is_dir():
        return
    builds = [p for p in root.iterdir() if p.is_dir() and p != current]
    for path in builds:
        if path.name.endswith(PENDING):
            shutil.rmtree(path, ignore_errors=True)  # left by a killed rebuild or update
    finished = sorted((p for p in builds if not p.name.endswith(PENDING)), key=os.path.getmtime)
    for path in finished[: max(0, len(finished) - KEEP_OLD_BUILDS)]:
        shutil.rmtree(path, ignore_errors=True)


def lock_path(index: Path) -> Path:
    return index.parent / f".{index.name}.lock"


@contextmanager
def rebuild_lock(index: Path) -> Iterator[None]:
    """Hold an exclusive OS lock so that two rebuilds of one index never interleave.

    The kernel releases the lock when its holder dies, so a killed rebuild never blocks the
    next one (indexer worker processes die with their parent)."""
    try:
        index.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(lock_path(index), timeout=0)
        lock.acquire()
    except Timeout as exc:
        raise IndexLockedError(f"{index}: another rebuild or update is running") from exc
    except OSError as exc:
        raise OSError(
            exc.errno, f"cannot write the index in {index.parent}: {exc.strerror}"
        ) from exc
    try:
        yield
    finally:
        lock.release()


def _sha1(path: Path) -> str:
    """SHA-1 of a file, hashed from its memory map in one call: the interpreter lock is
    released once per file, not once per block, so hashing keeps its pace beside a thread
    that holds the lock (the server imports and loads while it verifies)."""
    digest = hashlib.sha1()
    with path.open("rb") as handle:
        if os.fstat(handle.fileno()).st_size:
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                digest.update(mapped)
    return digest.hexdigest()


# Whoosh's segment files and their posting arrays: uniquely named, never rewritten.
SEGMENT_SUFFIXES = (".seg", postfiles.SUFFIX, textfiles.SUFFIX)
# A file last written this close to the moment it was hashed gets no stamp: a later write
# within the same tick of the filesystem's clock could leave the same mtime. Timestamps
# finer than a millisecond come from a clock ticking every few milliseconds at most
# (ext4, xfs, btrfs, tmpfs); whole milliseconds or seconds may be a coarse filesystem's.
SETTLED_NS = 2_000_000_000
FINE_SETTLED_NS = 50_000_000


def _stamp(stat: os.stat_result) -> list[int]:
    """What identifies one version of a file without reading it: its inode and mtime (any
    write moves the mtime; a copy gets a new inode). Not the ctime: hard-linking a segment
    into the next build changes it."""
    return [stat.st_ino, stat.st_mtime_ns]


def checksums(build: Path, known: dict | None = None) -> dict[str, dict]:
    """Size, SHA-1 and stamp of every file of a build (but the manifest). Segments named in
    ``known`` with the same size are taken from it: they are never rewritten, only
    hard-linked. Other files (word list, table of contents, stemmer's table) may be rewritten
    with the same size, so they are always read.

    The stamp (``_stamp``) lets ``verify`` trust a file that nothing has written since it was
    hashed; a file written just before (``FINE_SETTLED_NS``, ``SETTLED_NS`` on a filesystem
    with coarse timestamps) gets none and is hashed whenever the build is verified."""
    known = known or {}
    hashed_at = time.time_ns()  # before any file is read: no later than each one's hashing
    found: dict[str, tuple[Path, os.stat_result]] = {}
    for path in sorted(build.iterdir()):
        if path.is_file() and path.name != MANIFEST:
            found[path.name] = (path, path.stat())
    reused = {}
    for name, (_, stat) in found.items():
        old = known.get(name) if name.endswith(SEGMENT_SUFFIXES) else None
        if old and old["size"] == stat.st_size:
            reused[name] = old
    fresh = sorted(set(found) - set(reused), key=lambda n: -found[n][1].st_size)
    digests = _per_core(fresh, lambda name: _sha1(found[name][0]))
    out = {}
    for name, (_, stat) in found.items():
        old = reused.get(name)
        if old:
            # A hard link of the last build's segment: its stamp carries over only if nothing
            # wrote it since it was hashed; otherwise it is hashed when the build is verified.
            entry = {"size": old["size"], "sha1": old["sha1"]}
            settled = old.get("stamp") == _stamp(stat)
        else:
            entry = {"size": stat.st_size, "sha1": digests[name]}
            fine = stat.st_mtime_ns % 1_000_000 != 0
            settled = stat.st_mtime_ns < hashed_at - (FINE_SETTLED_NS if fine else SETTLED_NS)
        if settled:
            entry["stamp"] = _stamp(stat)
        out[name] = entry
    return out


def _per_core(names: list[str], work) -> dict[str, object]:
    """``work(name)`` for each name, by one thread per core, each taking every n-th name (give
    them largest first): hashing releases the interpreter lock. Plain threads, no executor:
    a server worker patches ``queue`` for gevent, which an executor's native threads must not
    wait on. The first error raised by any thread is raised here."""
    shares = max(1, min(len(names), os.cpu_count() or 1))
    results: dict[str, object] = {}
    errors: list[BaseException] = []

    def run(share: list[str]) -> None:
        try:
            for name in share:
                results[name] = work(name)
        except BaseException as exc:  # re-raised by the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(names[i::shares],)) for i in range(shares)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


_verified: set[tuple[str, str]] = set()  # (build, digest of its recorded checksums)
_verified_lock = threading.Lock()


def verify(build: Path, manifest: dict | None, full: bool = False) -> None:
    """Check a build's files against its manifest's checksums; raise IndexDamagedError.

    Every file's size is checked. A file whose stamp (inode and mtime) is the one recorded
    when it was hashed has not been written since, and is not read again; any other file is
    hashed. ``full`` hashes every file (``python -m indexer verify``): what a write that
    restored the mtime, or the disk itself, could have damaged.

    A build found whole is remembered for this process and the workers it forks: the server
    verifies the current build once, in the master, while it loads the dictionary."""
    recorded = (manifest or {}).get("checksums")
    if recorded is None:
        return  # built before checksums were recorded
    key = (str(build), hashlib.sha1(json.dumps(recorded, sort_keys=True).encode()).hexdigest())
    with _verified_lock:
        if key in _verified and not full:
            return
        _check_files(build, recorded, full)
        _verified.add(key)


def verify_current(index: Path) -> None:
    """Verify the current build ahead of opening it (errors are left for the opener)."""
    build = current_build(Path(index))
    if build is None:
        return
    try:
        verify(build, read_manifest(build))
    except (IndexDamagedError, OSError, ValueError):
        pass


def start_verifying(index: Path) -> threading.Thread:
    """Verify the current build in a thread (hashing releases the interpreter lock, so it
    runs beside whatever the process does meanwhile); join it before opening the build."""
    thread = threading.Thread(target=verify_current, args=(index,), daemon=True)
    thread.start()
    return thread


def _check_files(build: Path, recorded: dict, full: bool) -> None:
    """Compare each file with its recorded size and SHA-1 (unless its stamp is the recorded
    one and not ``full``); the files are hashed by one thread per core (``_per_core``),
    largest first."""

    def damage(name: str) -> str | None:
        path, entry = build / name, recorded[name]
        try:
            stat = path.stat()
        except OSError:
            return f"{build.name}: {name} is missing"
        if stat.st_size != entry["size"]:
            return f"{build.name}: {name} is damaged (size differs)"
        if not full and entry.get("stamp") == _stamp(stat):
            return None
        try:
            digest = _sha1(path)
        except OSError as exc:
            return f"{build.name}: {name} cannot be read ({exc.strerror or exc})"
        if digest != entry["sha1"]:
            return f"{build.name}: {name} is damaged (checksum differs)"
        return None

    names = sorted(recorded, key=lambda n: -recorded[n].get("size", 0))
    problems = [p for p in _per_core(names, damage).values() if p]
    if problems:
        raise IndexDamagedError(sorted(problems)[0])


def write_manifest(build: Path, manifest: dict, known_checksums: dict | None = None) -> dict:
    """Write a build's manifest, stamped with the format and the analyzer that built it and
    the checksums of its files."""
    manifest = {
        "format": MANIFEST_FORMAT,
        "analyzer": analyzer_identity(),
        **manifest,
        "checksums": checksums(build, known_checksums),
    }
    (build / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    return manifest


def write_words(build: Path, words: list[str]) -> None:
    """Record the build's words (replacing a hard-linked copy, never writing through it)."""
    path = build / WORDS
    path.unlink(missing_ok=True)
    path.write_text("\n".join(words), encoding="utf-8")


def write_columns(build: Path, columns: dict) -> None:
    """Record the build's per-article columns (replacing a hard-linked copy)."""
    import numpy as np

    path = build / COLUMNS
    path.unlink(missing_ok=True)
    with path.open("wb") as handle:
        np.savez(handle, **{k: np.asarray(v) for k, v in columns.items()})


def read_columns(build: Path) -> dict | None:
    """The build's recorded columns; None when it has none (or they cannot be read)."""
    import numpy as np

    try:
        with np.load(build / COLUMNS, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError, KeyError, EOFError):
        return None


def read_words(build: Path) -> list[str] | None:
    """The build's recorded words; None when it has none (built before they were recorded)."""
    try:
        return (build / WORDS).read_text(encoding="utf-8").split("\n")
    except (OSError, ValueError):
        return None


def open_index(build: Path):
    """Open a build's Whoosh index; its segment files are read in place from their memory
    maps, which all processes share (``search.segfiles``)."""
    segfiles.install()
    return whoosh_index.open_dir(str(build), indexname=INDEX_NAME)


def has_index(build: Path | None) -> bool:
    return build is not None and whoosh_index.exists_in(str(build), indexname=INDEX_NAME)


def read_manifest(build: Path | None) -> dict | None:
    """A build's manifest, or None when there is none or it cannot be read."""
    try:
        return json.loads((build / MANIFEST).read_text()) if build else None
    except (OSError, ValueError):
        return None


def check_compatible(manifest: dict | None) -> None:
    """Refuse an index whose terms were made by another analyzer than this process's."""
    built = (manifest or {}).get("analyzer")
    running = analyzer_identity()
    if built != running:
        differences = sorted(
            key for key in running if not isinstance(built, dict) or built.get(key) != running[key]
        )
        raise IndexIncompatibleError(
            "index built with another analyzer "
            f"({', '.join(differences) or 'not recorded'} differ): rebuild needed "
            "(python -m indexer rebuild)"
        )
