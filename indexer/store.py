"""Index builds on disk and the atomic switch between them.

``<index>`` is a symbolic link to one complete build under ``<index>.builds/``. A rebuild
writes a new build beside the current one and then renames a fresh link over ``<index>``
(an atomic ``rename(2)``), so readers see either the old index or the new one, never a
half-written one, and a failed build leaves the old one in place.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

KEEP_OLD_BUILDS = 2  # builds a still-running reader may have open


class IndexLockedError(Exception):
    """Another rebuild of the same index is running."""


def builds_dir(index: Path) -> Path:
    return index.parent / f"{index.name}.builds"


def new_build_dir(index: Path) -> Path:
    """Create and return an empty, uniquely named folder for a new build."""
    root = builds_dir(index)
    root.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    path = root / f"{stamp}-{os.getpid()}-{time.monotonic_ns() % 1_000_000:06d}"
    path.mkdir()
    return path


def current_build(index: Path) -> Path | None:
    """The build folder the index link points to, or None if there is no index yet."""
    if index.is_symlink() or index.is_dir():
        resolved = index.resolve()
        return resolved if resolved.is_dir() else None
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
    """Delete builds older than the current one and the few before it."""
    current = current_build(index)
    root = builds_dir(index)
    if not root.is_dir():
        return
    old = sorted((p for p in root.iterdir() if p.is_dir() and p != current), key=os.path.getmtime)
    for path in old[: max(0, len(old) - KEEP_OLD_BUILDS)]:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def rebuild_lock(index: Path) -> Iterator[None]:
    """Hold an exclusive lock so that two rebuilds of one index never interleave."""
    index.parent.mkdir(parents=True, exist_ok=True)
    with open(index.parent / f".{index.name}.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IndexLockedError(f"{index}: another rebuild is running") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
