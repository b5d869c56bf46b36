"""Heavy probes of the running service: slow clients, hostile queries, a huge article.

Loopback only, bounded in count and time. Each probe starts the production server
(``python -m web``) over an index and prints its figures as JSON.

    python -m benchmarks.hostile slow-clients --index var/bench/ours-20000
    python -m benchmarks.hostile hostile-queries --index var/bench/ours-20000
    python -m benchmarks.hostile huge-article --work var/hostile
"""

from __future__ import annotations

import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import click
import requests

ROOT = Path(__file__).resolve().parent.parent
CHEAP = "bezdomność"
HOSTILE = [
    '"' + " ".join(["roku lat"] * 6) + '"',  # a phrase at the word bound
    "RokuLat" * 60,  # a glued word of 120 parts
    " ".join(["roku lat"] * 16),  # 32 words: the query bound
    " OR ".join(["pomoc"] * 16),
    "ą" * 500,
    "Krakowie " * 30,
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(index: Path, workers: int = 2):
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "web", "--index", str(index), "--port", str(port),
           "--workers", str(workers)]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            raise RuntimeError("server did not start")
        for _ in range(20):  # warm up: dictionaries, columns, caches
            requests.get(f"{base}/api/search", params={"q": CHEAP}, timeout=10)
        yield base, port, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def timed_get(base: str, q: str, timeout: float = 30) -> tuple[float, int]:
    started = time.perf_counter()
    try:
        status = requests.get(f"{base}/api/search", params={"q": q}, timeout=timeout).status_code
    except requests.RequestException:
        status = 0
    return (time.perf_counter() - started) * 1000, status


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    at = lambda p: ordered[min(len(ordered) - 1, int(p * len(ordered)))]  # noqa: E731
    return {"n": len(ordered), "p50_ms": round(at(0.5), 1), "p99_ms": round(at(0.99), 1),
            "max_ms": round(ordered[-1], 1)}  # fmt: skip


def cheap_latencies(base: str, seconds: float) -> list[float]:
    out = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        out.append(timed_get(base, CHEAP)[0])
        time.sleep(0.05)
    return out


@click.group()
def main() -> None:
    """Heavy probes of the running service."""


@main.command("slow-clients")
@click.option("--index", type=click.Path(path_type=Path), required=True)
@click.option("--clients", default=50, show_default=True)
@click.option("--seconds", default=20, show_default=True)
def slow_clients(index: Path, clients: int, seconds: int) -> None:
    """Connections that send their request one byte per second, against normal requests."""
    with server(index) as (base, port, _):
        before = cheap_latencies(base, 5)
        stop = threading.Event()

        def slowloris():
            request = b"GET /api/search?q=pomoc HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                    for byte in request:
                        if stop.is_set():
                            return
                        sock.sendall(bytes([byte]))
                        time.sleep(1)
            except OSError:
                return

        threads = [threading.Thread(target=slowloris, daemon=True) for _ in range(clients)]
        for t in threads:
            t.start()
        time.sleep(2)
        during = cheap_latencies(base, seconds)
        stop.set()
    result = {"clients": clients, "before": summary(before), "during": summary(during)}
    result["delay_p99_ms"] = round(result["during"]["p99_ms"] - result["before"]["p99_ms"], 1)
    click.echo(json.dumps(result, indent=1))


@main.command("hostile-queries")
@click.option("--index", type=click.Path(path_type=Path), required=True)
@click.option("--concurrent", default=8, show_default=True)
@click.option("--seconds", default=20, show_default=True)
def hostile_queries(index: Path, concurrent: int, seconds: int) -> None:
    """Eight clients sending the costliest queries allowed, against a cheap query."""
    with server(index) as (base, _, _):
        alone = {q[:40]: timed_get(base, q) for q in HOSTILE}
        before = cheap_latencies(base, 5)
        stop = threading.Event()
        hostile_times: list[float] = []
        statuses: dict[int, int] = {}

        def attack(i: int):
            rng = random.Random(i)
            while not stop.is_set():
                ms, status = timed_get(base, rng.choice(HOSTILE))
                hostile_times.append(ms)
                statuses[status] = statuses.get(status, 0) + 1

        with ThreadPoolExecutor(concurrent) as pool:
            for i in range(concurrent):
                pool.submit(attack, i)
            during = cheap_latencies(base, seconds)
            stop.set()
    result = {
        "each_alone": {q: {"ms": round(ms, 1), "status": st} for q, (ms, st) in alone.items()},
        "cheap_before": summary(before),
        "cheap_during": summary(during),
        "hostile": summary(hostile_times) | {"statuses": statuses},
    }
    click.echo(json.dumps(result, indent=1, ensure_ascii=False))


def worker_rss_mb(master_pid: int) -> list[dict]:
    """Memory of each gunicorn worker (the master's children), in MB: resident (with pages
    shared with the master and mapped index files), proportional (PSS), private (USS: its
    own pages, including pages of the mapped index that no other process has touched, which
    the kernel may drop at will) and anonymous private memory (heap: what the worker alone
    costs and cannot give back)."""
    import psutil

    out = []
    for child in psutil.Process(master_pid).children():
        rollup = {}
        with open(f"/proc/{child.pid}/smaps_rollup") as handle:
            for line in handle:
                parts = line.split()
                if len(parts) == 3 and parts[2] == "kB":
                    rollup[parts[0].rstrip(":")] = int(parts[1]) * 1024
        out.append(
            {
                "rss": round(rollup["Rss"] / 1e6),
                "pss": round(rollup["Pss"] / 1e6),
                "uss": round((rollup["Private_Clean"] + rollup["Private_Dirty"]) / 1e6),
                "private_anonymous": round(rollup["Private_Dirty"] / 1e6),
            }
        )
    return out


@main.command("memory")
@click.option("--index", type=click.Path(path_type=Path), required=True)
@click.option("--corpus", type=click.Path(path_type=Path), required=True)
@click.option("--queries", default=100_000, show_default=True)
@click.option("--workers", default=2, show_default=True)
def memory(index: Path, corpus: Path, queries: int, workers: int) -> None:
    """Per-worker memory after many varied queries (corpus words, invented words, typos)."""
    import re as regex

    words = sorted({w for p in sorted(corpus.glob("*.txt"))[:300]
                    for w in regex.findall(r"\w{4,}", p.read_text("utf-8"))})  # fmt: skip
    rng = random.Random(11)
    letters = "abcdefghijklmnoprstuwyząćęłńóśźż"

    def query() -> str:
        picked = [rng.choice(words) for _ in range(rng.randint(1, 4))]
        if rng.random() < 0.3:  # an unknown word: names, typos
            picked.append("".join(rng.choice(letters) for _ in range(rng.randint(5, 14))))
        return " ".join(picked)

    with server(index, workers=workers) as (base, _, master):
        start = worker_rss_mb(master)
        session = requests.Session()
        rss = {}
        with ThreadPoolExecutor(4) as pool:
            for done in range(0, queries, 10_000):
                batch = [query() for _ in range(min(10_000, queries - done))]
                list(pool.map(lambda q: session.get(f"{base}/api/search", params={"q": q},
                                                    timeout=30), batch))  # fmt: skip
                rss[done + len(batch)] = worker_rss_mb(master)
                print(done + len(batch), rss[done + len(batch)], file=sys.stderr, flush=True)
    click.echo(json.dumps({"after_start_mb": start, "after_queries_mb": rss}, indent=1))


@main.command("huge-article")
@click.option("--work", type=click.Path(path_type=Path), default=Path("var/hostile"))
@click.option("--megabytes", default=31, show_default=True)
def huge_article(work: Path, megabytes: int) -> None:
    """A corpus file of one paragraph, tens of megabytes long: indexing and queries on it."""
    corpus = work / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for seed in (ROOT / "corpus").glob("*.txt"):
        (corpus / seed.name).write_bytes(seed.read_bytes())
    rng = random.Random(7)
    words = ("Krakowie pomoc społeczna mieszkańców rodzina dzieci seniorzy bezdomni wizyta "
             "spotkanie ośrodek projekt").split()  # fmt: skip
    huge = corpus / "huge.txt"
    if not huge.exists():
        with huge.open("w", encoding="utf-8") as out:
            out.write(
                "Archiwum BIP MJO - Miejski Ośrodek Pomocy Społecznej\nDokument archiwalny\n\n"
            )
            written = 0
            while written < megabytes * 1_000_000:
                chunk = " ".join(rng.choice(words) for _ in range(10_000)) + " "
                out.write(chunk)
                written += len(chunk.encode("utf-8"))
    index = work / "index"
    started = time.perf_counter()
    build = subprocess.run(
        [sys.executable, "-m", "indexer", "rebuild", "--corpus", str(corpus),
         "--index", str(index)],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    result = {"rebuild_s": round(time.perf_counter() - started, 1), "rebuild_output": build.stdout}
    with server(index) as (base, _, _):
        queries = {"Krakowie": {}, "pomoc rodzina dzieci seniorzy": {"per_page": 50}}
        for q, extra in queries.items():
            times = []
            for _ in range(5):
                started = time.perf_counter()
                r = requests.get(f"{base}/api/search", params={"q": q, **extra}, timeout=60)
                times.append((time.perf_counter() - started) * 1000)
            result[q] = {"status": r.status_code, "median_ms": round(statistics.median(times), 1),
                         "max_ms": round(max(times), 1)}  # fmt: skip
    click.echo(json.dumps(result, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
