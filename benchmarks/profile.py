"""Where a search's time goes: cProfile over the benchmark's query logs, by stage.

    python -m benchmarks.profile --index var/bench/ours-20000 --corpus var/bench/corpus-20000

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


@click.command()
@click.option("--index", type=click.Path(path_type=Path), required=True)
@click.option("--corpus", type=click.Path(path_type=Path), required=True)
@click.option("--rounds", default=2, show_default=True)
def main(index: Path, corpus: Path, rounds: int) -> None:
    """Profile the search over keyword queries and questions."""
    from search.engine import SearchEngine
    from search.morphology import warm_up

    warm_up()
    engine = SearchEngine(index, budget_s=60)
    logs = {"keywords": keyword_queries(corpus, 200), "questions": questions(200)}
    for label, queries in logs.items():
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
