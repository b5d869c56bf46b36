"""``make bench``: the product against the naive baseline, side by side, in one run.

For each corpus size: full rebuild (articles/s, MB/s, wall and CPU time, peak RSS of the whole
process tree, index size; ours and both Lucene columns' builds run in turn, three times, and
each one's median kept), incremental update of one added / edited / deleted file, query
latency with snippets (keyword queries and long questions; ours and Lucene's in turn, twice,
each query's best kept), HTTP throughput and latency under 1
and 16 connections (wrk, loopback only), and start-up time to the first answered search.
Writes benchmarks/out/results.json and results.md; every figure has its ratio to the baseline.

    python -m benchmarks.run --sizes 2000,20000,100000
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

from benchmarks.generate import generate
from benchmarks.measure import ROOT, dir_mb, run_measured
from benchmarks.queries import keyword_queries, questions

OUT = ROOT / "benchmarks" / "out"
PY = sys.executable


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    return {"p50_ms": at(50), "p95_ms": at(95), "p99_ms": at(99)}


def best_times(search, queries: list[str]) -> list[float]:
    """Each query's best of 3 seconds (after a warm-up round), as the Lucene columns measure
    it."""
    for q in queries:  # warm caches of the process, as a running server has them
        search(q)
    samples = []
    for q in queries:
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            search(q)
            best = min(best, time.perf_counter() - started)
        samples.append(best)
    return samples


def latency(search, queries: list[str]) -> dict:
    """Percentiles of each query's best of 3 (``best_times``)."""
    return percentiles(best_times(search, queries))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(cmd: list[str], port: int, env: dict) -> tuple[subprocess.Popen, float]:
    """Start a server; return it and the seconds until it answered a search."""
    import requests

    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/api/search?q=pomoc"
    while time.perf_counter() - started < 120:
        try:
            # A first search may read a cold index from disk for seconds (the machine's
            # memory manager evicts idle files): wait for it, it is part of the start-up.
            if requests.get(url, timeout=60).status_code == 200:
                return proc, time.perf_counter() - started
        except requests.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"server did not start: {cmd}")


WRK_SCRIPT = """
local queries = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/search?q=" .. queries[(i %% #queries) + 1])
end
"""


def wrk(port: int, connections: int, seconds: int, queries: list[str]) -> dict:
    """Drive a loopback server with wrk for a bounded time; requests/s, latency, errors, and
    the share of the machine's CPU that wrk itself used (it shares the 2 cores)."""
    from urllib.parse import quote

    threads = min(connections, 2)
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "queries.lua"
        script.write_text(WRK_SCRIPT % ", ".join(json.dumps(quote(q)) for q in queries))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
             "--timeout", "10s", "-s", str(script), f"http://127.0.0.1:{port}"],
            capture_output=True, text=True, timeout=seconds + 60,
        ).stdout  # fmt: skip
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    def ms(label: str) -> float | None:
        m = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out)
        if not m:
            return None
        scale = {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
        return float(m.group(1)) * scale

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    maximum = re.search(r"Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)", out)
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50_ms": ms("50%"),
        "p99_ms": ms("99%"),
        "max_ms": float(maximum.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[maximum.group(2)]
        if maximum
        else None,
        "errors": errors + (int(non2xx.group(1)) if non2xx else 0),
        "wrk_cpu_share": cpu / (wall * (os.cpu_count() or 1)),
    }


def incremental(corpus: Path, index: Path) -> dict:
    """Seconds for `indexer update` after one file is added, edited, then deleted."""
    files = sorted(corpus.glob("*.txt"))
    source = files[len(files) // 2]
    added = corpus / "zz_bench_added.txt"
    times = {}
    cmd = [PY, "-m", "indexer", "update", "--corpus", str(corpus), "--index", str(index)]
    shutil.copy(source, added)
    times["added_s"] = run_measured(cmd)["wall_s"]
    added.write_text(added.read_text(encoding="utf-8") + "\n\nNowy artykuł\n\nTreść dopisana.\n")
    times["edited_s"] = run_measured(cmd)["wall_s"]
    added.unlink()
    times["deleted_s"] = run_measured(cmd)["wall_s"]
    return times


def split_seconds(corpus: Path) -> float:
    """CPU seconds to split (and audit) every document into articles, in one process."""
    from indexer.corpus import corpus_files, read_document, read_text

    texts = [(p.name, read_text(p)) for p in corpus_files(corpus)]
    started = time.process_time()
    for name, text in texts:
        read_document(text, name)
    return time.process_time() - started


CONNECTIONS = (1, 4, 16, 64)
STARTS = 3
LUCENE = ("lucene-4.10", "lucene-9.12")
BUILD_ROUNDS = 3  # each engine's build, run in turn with the others', this many times
QUERY_ROUNDS = 2  # each engine's query log (best of 3 a query), in turn, this many times


def _median_run(runs: list[dict]) -> dict:
    """The run of median wall time (its CPU and memory with it), every run's wall time in
    ``wall_runs_s`` and, for Lucene, the median of its own timer's figures."""
    ordered = sorted(runs, key=lambda m: m["wall_s"])
    median = dict(ordered[(len(ordered) - 1) // 2])
    median["wall_runs_s"] = [m["wall_s"] for m in runs]
    if "own_timer_s" in median:
        timers = sorted(m["own_timer_s"] for m in runs)
        median["own_timer_s"] = timers[(len(timers) - 1) // 2]
    return median


def bench_size(n: int, http_seconds: tuple[int, int], work: Path) -> dict:
    corpus = work / f"corpus-{n}"
    if not corpus.exists():
        generate(n, corpus)
    corpus_mb = dir_mb(corpus)
    ours_ix, naive_ix = work / f"ours-{n}", work / f"naive-{n}"
    shutil.rmtree(naive_ix, ignore_errors=True)
    result: dict = {"articles": n, "corpus_mb": corpus_mb}

    from benchmarks import lucene

    logs = {"keywords": keyword_queries(corpus, 200), "questions": questions(200)}
    result["lucene_skipped"] = lucene.available()
    engines = () if result["lucene_skipped"] else LUCENE
    lucene_work = work / f"lucene-{n}"
    if engines:  # Lucene on the same articles (our splitter's) and queries
        lucene.prepare(corpus, logs, lucene_work)
    # The builds compared run in turn, BUILD_ROUNDS times, each one's median kept: the
    # machine's speed moves by 10-20% within minutes, and builds minutes apart (the naive
    # baseline's takes minutes) compared the machine as much as the engines.
    rebuild = [PY, "-m", "indexer", "rebuild", "--corpus", str(corpus), "--index", str(ours_ix)]
    rounds: dict[str, list[dict]] = {name: [] for name in ("ours", *engines)}
    for _ in range(BUILD_ROUNDS):
        rounds["ours"].append(run_measured(rebuild))
        for engine in engines:
            rounds[engine].append(lucene.build(engine, lucene_work))
    naive = run_measured([PY, "-m", "benchmarks.naive", "index", str(corpus), str(naive_ix)])
    ours = _median_run(rounds["ours"])
    for name, m, ix in (("ours", ours, ours_ix), ("naive", naive, naive_ix)):
        m.pop("stdout", None)
        m.update(
            articles_per_s=n / m["wall_s"], mb_per_s=corpus_mb / m["wall_s"], index_mb=dir_mb(ix)
        )
        result[f"rebuild_{name}"] = m
    for engine in engines:
        m = result[f"rebuild_{engine}"] = _median_run(rounds[engine])
        m["articles_per_s"] = m["articles"] / m["wall_s"]
    result["update_ours"] = incremental(corpus, ours_ix)
    result["split_s"] = split_seconds(corpus)

    from benchmarks.naive import NaiveSearcher
    from search.engine import SearchEngine
    from search.morphology import warm_up

    warm_up()
    # No time budget here: the warm-up round may read a cold index from disk for seconds
    # (the machine evicts idle files while the naive baseline builds); the bench measures
    # each query's best of 3 after it, not the budget.
    engine, naive_searcher = SearchEngine(ours_ix, budget_s=600), NaiveSearcher(naive_ix)
    for label, queries in logs.items():  # once: minutes at 100k
        result[f"query_{label}_naive"] = latency(naive_searcher.search, queries)
    # Ours and Lucene's (over the index its last build left) in turn, QUERY_ROUNDS times,
    # each query's best over the rounds kept for every engine alike: one round each, minutes
    # apart, compared the machine's moments as much as the engines.
    times: dict[str, dict[str, list]] = {name: {k: [] for k in logs} for name in ("ours", *engines)}
    for r in range(QUERY_ROUNDS):
        for label, queries in logs.items():
            times["ours"][label].append(best_times(engine.search, queries))
        for name in engines:
            found = lucene.query(name, lucene_work, keep=r + 1 < QUERY_ROUNDS)
            for label, samples in found.items():
                times[name][label].append([t / 1000 for t in samples])
    engine.close()
    for name, by_label in times.items():
        for label, rounds in by_label.items():
            best = [min(ts) for ts in zip(*rounds, strict=True)]
            result[f"query_{label}_{name}"] = percentiles(best)

    if shutil.which("wrk"):
        mixed = logs["keywords"][:100] + logs["questions"][:100]
        servers = {
            "ours": [PY, "-m", "web", "--index", str(ours_ix)],
            "naive": [PY, "-m", "gunicorn", "-w", "1", "benchmarks.naive_app:create()"],
        }
        for name, cmd in servers.items():
            port = free_port()
            cmd = (
                [*cmd, "--port", str(port)] if name == "ours" else [*cmd, "-b", f"127.0.0.1:{port}"]
            )
            env = {**os.environ, "NAIVE_INDEX": str(naive_ix)}
            # Start-up is the median of three starts (one start on a noisy machine is not a
            # figure); the third server stays up for the HTTP runs.
            startups = []
            for attempt in range(STARTS):
                proc, startup = start_server(cmd, port, env)
                startups.append(startup)
                if attempt < STARTS - 1:
                    proc.terminate()
                    proc.wait(timeout=30)
            try:
                result[f"startup_{name}_s"] = sorted(startups)[len(startups) // 2]
                result[f"startups_{name}_s"] = startups
                for c in CONNECTIONS if name == "ours" else (1, 16):
                    seconds = http_seconds[0] if c == 1 else http_seconds[1]
                    result[f"http_{name}_c{c}"] = wrk(port, c, seconds, mixed)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
    return result


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}×" if a and b else "–"


def _fmt(value, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def markdown(results: list[dict]) -> str:
    """One table: the project beside the naive baseline and both Lucene columns, with the
    ratios (project / other: below 1 means the project is faster or smaller)."""
    head = "| size | measure | ours | naive | Lucene 4.10 | Lucene 9.12 | ours/naive | ours/L4.10 | ours/L9.12 |"
    rows = [head, "|---|---|---|---|---|---|---|---|---|"]

    def row(n: str, label: str, values: dict, digits: int = 1, text: str | None = None) -> None:
        cells = [_fmt(values.get(k), digits) for k in ("ours", "naive", *LUCENE)]
        ratios = [ratio(values.get("ours"), values.get(k)) for k in ("naive", *LUCENE)]
        if text is not None:
            cells[0] = text
        rows.append(f"| {n} | {label} | " + " | ".join(cells + ratios) + " |")

    def pick(r: dict, prefix: str, key: str) -> dict:
        return {k: (r.get(f"{prefix}_{k}") or {}).get(key) for k in ("ours", "naive", *LUCENE)}

    for r in results:
        n = f"{r['articles'] // 1000}k"
        row(n, f"rebuild wall s (the whole command; median of {BUILD_ROUNDS}, engines in turn)",
            pick(r, "rebuild", "wall_s"))  # fmt: skip
        walls = [", ".join(f"{w:.1f}" for w in (r.get(f"rebuild_{k}") or {}).get("wall_runs_s", []))
                 for k in ("ours", "naive", *LUCENE)]  # fmt: skip
        rows.append(f"| {n} | rebuild wall s, each round | {' | '.join(walls)} | | | |")
        # Lucene's own timer starts after its JVM and analyzer are up; ours is still the
        # whole command (interpreter, imports and dictionaries included): the stricter ratio.
        row(n, "rebuild wall s, Lucene by its own timer (JVM start excluded)",
            {"ours": r["rebuild_ours"]["wall_s"],
             **{k: (r.get(f"rebuild_{k}") or {}).get("own_timer_s") for k in LUCENE}})  # fmt: skip
        row(n, "rebuild articles/s", pick(r, "rebuild", "articles_per_s"), 0)
        o = r["rebuild_ours"]
        cells = [
            f"{m['cpu_s']:.1f} / {m['peak_rss_mb']:.0f}" if "cpu_s" in m else ""
            for m in (r.get(f"rebuild_{k}") or {} for k in ("ours", "naive", *LUCENE))
        ]
        rows.append(f"| {n} | rebuild CPU s / peak RSS MB | {' | '.join(cells)} | | | |")
        row(n, "index MB", pick(r, "rebuild", "index_mb"), 0)
        share = r["split_s"] / o["cpu_s"] if o["cpu_s"] else 0
        rows.append(f"| {n} | splitting into articles CPU s (share of rebuild CPU) | {r['split_s']:.1f} ({share:.0%}) | | | | | | |")  # fmt: skip
        # Context, not the target: Lucene's build starts from the articles the project's
        # splitter exported (not timed); a Lucene service would split the documents too.
        lucene = (r.get("rebuild_lucene-4.10") or {}).get("wall_s")
        if lucene:
            rows.append(f"| {n} | rebuild ours / (splitting CPU s + Lucene 4.10 build s) | {ratio(o['wall_s'], r['split_s'] + lucene)} | | | | | | |")  # fmt: skip
        u = r["update_ours"]
        rows.append(f"| {n} | update 1 file added / edited / deleted s | {u['added_s']:.2f} / {u['edited_s']:.2f} / {u['deleted_s']:.2f} | | | | | | |")  # fmt: skip
        for label in ("keywords", "questions"):
            for p in ("p50_ms", "p95_ms", "p99_ms"):
                row(
                    n,
                    f"query {label} {p[:3]} ms (top 10 + snippets)",
                    pick(r, f"query_{label}", p),
                    2,
                )
        if r.get("lucene_skipped"):
            rows.append(f"| {n} | Lucene columns skipped: {r['lucene_skipped']} | | | | | | | |")
        if "startup_ours_s" in r:
            row(n, "start-up to first answered search s (median of 3)",
                {"ours": r["startup_ours_s"], "naive": r["startup_naive_s"]}, 2)  # fmt: skip
            for c in CONNECTIONS:
                h = r.get(f"http_ours_c{c}")
                if not h:
                    continue
                b = r.get(f"http_naive_c{c}") or {}
                rows.append(
                    f"| {n} | HTTP {c} conn.: req/s, p50 / p99 / max ms, errors, wrk CPU | "
                    f"{h['rps']:.1f}, {_fmt(h['p50_ms'])} / {_fmt(h['p99_ms'])} / {_fmt(h.get('max_ms'))}, "
                    f"{h['errors']}, {h.get('wrk_cpu_share', 0):.0%} | "
                    + (f"{b['rps']:.1f}, {_fmt(b['p50_ms'])} / {_fmt(b['p99_ms'])}, {b['errors']}" if b else "")
                    + f" | | | {ratio(h['rps'], b.get('rps'))} | | |"
                )  # fmt: skip
            rows.append(
                f"| {n} | HTTP throughput 16 vs 1 connection | {ratio(r['http_ours_c16']['rps'], r['http_ours_c1']['rps'])} | "
                f"{ratio(r['http_naive_c16']['rps'], r['http_naive_c1']['rps'])} | | | | | |"
            )  # fmt: skip
    return "\n".join(rows) + "\n"


def plot(results: list[dict], out: Path) -> None:
    """Latency (p95) and build time against corpus size for every engine (matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["articles"] for r in results]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    panels = [("query_keywords", "p95_ms", "keyword queries p95 (ms)"),
              ("query_questions", "p95_ms", "question queries p95 (ms)"),
              ("rebuild", "wall_s", "full build (s)")]  # fmt: skip
    for ax, (prefix, key, title) in zip(axes, panels, strict=True):
        for engine in ("ours", "naive", *LUCENE):
            ys = [(r.get(f"{prefix}_{engine}") or {}).get(key) for r in results]
            points = [(x, y) for x, y in zip(sizes, ys, strict=True) if y is not None]
            if points:
                ax.plot(*zip(*points, strict=True), marker="o", label=engine)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("articles")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


@click.command()
@click.option("--sizes", default="5000,20000,100000", show_default=True)
@click.option(
    "--http-seconds", default="10,30", show_default=True, help="wrk time for 1 and 16 connections."
)
@click.option(
    "--work", type=click.Path(path_type=Path), default=ROOT / "var" / "bench", show_default=True
)
def main(sizes: str, http_seconds: str, work: Path) -> None:
    """Run the benchmark and write benchmarks/out/results.{json,md}."""
    work.mkdir(parents=True, exist_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    c1, c16 = (int(x) for x in http_seconds.split(","))
    results = []
    for n in (int(s) for s in sizes.split(",")):
        click.echo(f"== {n} articles", err=True)
        results.append(bench_size(n, (c1, c16), work))
        (OUT / "results.json").write_text(json.dumps(results, indent=1))
        (OUT / "results.md").write_text(markdown(results))
        plot(results, OUT / "scaling.png")
    click.echo(markdown(results))


if __name__ == "__main__":
    main()
