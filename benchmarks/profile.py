"""Where a search's time goes: cProfile over the benchmark's query logs, by stage.

    python -m benchmarks.profile --index var/bench/ours-20000 --corpus var/bench/corpus-20000
    python -m benchmarks.profile --timed …   # stage times without the profiler's overhead

Prints, for keyword queries and for questions, the mean milliseconds per query and the share
of each stage of ``SearchEngine.search`` (cumulative time of the functions named below),
then the functions with the most time of their own. For a flame graph of the same loop:
``py-spy record -o profile.svg -- python -m benchmarks.profile …``.
"""

from __future__ import annotations

import cProfile
import pstats
import time
from pathlib import Path

import click

from benchmarks.queries import keyword_queries, questions

# Stage -> (file suffix, function name) whose cumulative time it is.
STAGES = {
    "query analysis and planning": ("search/planner.py", "build_query"),
    "evaluation (executor)": ("search/executor.py", "run"),
    "facets and filters": ("search/engine.py", "_filter_and_count"),
    "order (top-k)": ("search/engine.py", "_order"),
    "words missing per hit": ("search/engine.py", "_missing"),
    "stored fields": ("whoosh/reading.py", "stored_fields"),
    "snippets": ("search/snippets.py", "snippet"),
    "highlighted titles": ("search/snippets.py", "highlight"),
    "did-you-mean": ("search/engine.py", "suggest"),
}


def stage_table(stats: pstats.Stats, total: float) -> list[tuple[str, float]]:
    found = dict.fromkeys(STAGES, 0.0)
    for (path, _, name), (_, _, _, cumulative, _) in stats.stats.items():
        for stage, (suffix, function) in STAGES.items():
            if name == function and path.endswith(suffix):
                found[stage] = max(found[stage], cumulative)
    return [(stage, seconds / total) for stage, seconds in found.items()]


# Stage -> (module, function) timed by --timed: each query's best of 3, as the bench takes it.
TIMED = {
    "query analysis and planning": ("search.engine", "build_query"),
    "evaluation (executor)": ("search.executor", "Executor.run"),
    "coverage of partial matches": ("search.engine", "_informative"),
    "facets and filters": ("search.engine", "_filter_and_count"),
    "order (top-k)": ("search.engine", "_order"),
    "words missing per hit": ("search.engine", "_missing"),
    "shown fields": ("search.postings", "IndexView.shown_fields"),
    "snippets": ("search.engine", "snippet"),
    "highlighted titles": ("search.engine", "highlight"),
}


def _timer(spent: dict, stage: str, function):
    depth = [0]  # only the outermost call counts (the executor recurses)

    def timed(*args, **kwargs):
        if depth[0]:
            return function(*args, **kwargs)
        depth[0] += 1
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            depth[0] -= 1
            spent[stage] = spent.get(stage, 0.0) + time.perf_counter() - started

    return timed


def install_timers() -> dict[str, float]:
    """Wrap the stages' functions once; they add their time to the returned dict."""
    import importlib

    spent: dict[str, float] = {}
    for stage, (module_name, name) in TIMED.items():
        module = importlib.import_module(module_name)
        owner, _, attribute = name.rpartition(".")
        target = getattr(module, owner) if owner else module
        setattr(target, attribute, _timer(spent, stage, getattr(target, attribute)))
    return spent


def timed_stages(engine, queries: list[str], spent: dict[str, float]) -> None:
    """Print the mean and the slowest decile's mean of each stage, per query (ms), from
    each query's fastest of 3 runs."""
    import numpy as np

    once = []
    for q in queries:  # one pass: what a varied log costs once the cache has turned over
        started = time.perf_counter()
        engine.search(q)
        once.append(time.perf_counter() - started)
    click.echo(f"one pass over the log: mean {1000 * np.mean(once):.2f} ms")
    rows = []
    for q in queries:
        best = None
        for _ in range(3):
            spent.clear()
            started = time.perf_counter()
            engine.search(q)
            total = time.perf_counter() - started
            if best is None or total < best[0]:
                best = (total, dict(spent))
        rows.append(best)
    rows.sort(key=lambda row: row[0])
    totals = np.array([row[0] for row in rows]) * 1000
    tail = rows[int(len(rows) * 0.9) :]
    click.echo(f"p50 {np.percentile(totals, 50):.2f} ms, p95 {np.percentile(totals, 95):.2f} ms")
    click.echo("| stage | mean ms | slowest 10%: mean ms |\n|---|---|---|")
    for stage in [*TIMED, "total"]:
        mean = np.mean([r[0] if stage == "total" else r[1].get(stage, 0) for r in rows])
        slow = np.mean([r[0] if stage == "total" else r[1].get(stage, 0) for r in tail])
        click.echo(f"| {stage} | {1000 * mean:.2f} | {1000 * slow:.2f} |")


@click.command()
@click.option("--index", type=click.Path(path_type=Path), required=True)
@click.option("--corpus", type=click.Path(path_type=Path), required=True)
@click.option("--rounds", default=2, show_default=True)
@click.option("--timed", is_flag=True, help="Stage times (best of 3), no profiler.")
def main(index: Path, corpus: Path, rounds: int, timed: bool) -> None:
    """Profile the search over keyword queries and questions."""
    from search.engine import SearchEngine
    from search.morphology import warm_up

    warm_up()
    engine = SearchEngine(index, budget_s=60)
    logs = {"keywords": keyword_queries(corpus, 200), "questions": questions(200)}
    spent = install_timers() if timed else {}
    for label, queries in logs.items():
        if timed:
            for q in queries:  # warm caches, as a running server has them
                engine.search(q)
            click.echo(f"\n{label}:")
            timed_stages(engine, queries, spent)
            continue
        for q in queries:  # warm caches, as a running server has them
            engine.search(q)
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        for _ in range(rounds):
            for q in queries:
                engine.search(q)
        profile.disable()
        wall = time.perf_counter() - started
        stats = pstats.Stats(profile)
        total = stats.total_tt
        per_query = 1000 * wall / (rounds * len(queries))
        click.echo(f"\n{label}: {per_query:.1f} ms per query (profiled)")
        click.echo("| stage | share of search time |\n|---|---|")
        for stage, share in stage_table(stats, total):
            click.echo(f"| {stage} | {share:.0%} |")
        own = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:8]
        click.echo("\nmost time of their own:")
        for (path, line, name), (_, _, tottime, _, _) in own:
            click.echo(f"  {tottime / total:5.1%}  {name}  ({Path(path).name}:{line})")


if __name__ == "__main__":
    main()
