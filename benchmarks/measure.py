"""How the benchmarks measure a command: wall and CPU time and the peak memory of its process
tree (``run_measured``), and how much room a folder takes (``dir_mb``). Used by ``make bench``
for every engine's build alike, by the Lucene columns and by ``benchmarks.alternate``."""

from __future__ import annotations

import resource
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


def run_measured(cmd: list[str], env: dict | None = None, cwd: Path = ROOT) -> dict:
    """Run a command; return wall and CPU seconds and the peak RSS of its process tree.

    The wall time ends when the command does: this thread waits for it, blocked, while
    another samples its memory (polling its end between samples added up to 0.1 s)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # Output goes to files, not pipes: a pipe nobody reads could fill and block the command.
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out_file, stderr=err_file)
        peak, done = [0], threading.Event()
        sampler = threading.Thread(target=_sample_rss, args=(proc.pid, peak, done), daemon=True)
        sampler.start()
        proc.wait()
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        out_file.seek(0)
        err_file.seek(0)
        out, err = out_file.read(), err_file.read()
    if proc.returncode:
        raise RuntimeError(f"{cmd} failed: {err.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": peak[0] / 1e6, "stdout": out.decode()}


def _sample_rss(pid: int, peak: list[int], done: threading.Event) -> None:
    """Every 0.1 s until done: the process tree's resident memory, its peak into peak[0]."""
    try:
        root = psutil.Process(pid)
    except psutil.Error:
        return
    while not done.is_set():
        try:
            tree = [root, *root.children(recursive=True)]
            peak[0] = max(peak[0], sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        done.wait(0.1)


def dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.resolve().rglob("*") if p.is_file()) / 1e6
