"""Two checkouts' rebuilds and Lucene 4.10's build, in turn, on one corpus: what a code change
did to the rebuild, and to its ratio to Lucene, on the same machine in the same minutes.

The machine's speed moves by 10-20% within minutes, so the old and new code are run
alternately, with Lucene's build between them, and each round's ratios are taken before the
medians. Each checkout runs ``python -m indexer rebuild`` from its own folder (a ``git
worktree`` of the old commit) into an index of its own.

    git worktree add /tmp/wt-old <commit>
    python -m benchmarks.alternate --old /tmp/wt-old --corpus var/bench/corpus-5000 --rounds 5
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import click

from benchmarks import lucene
from benchmarks.measure import ROOT, run_measured


def _rebuild(tree: Path, corpus: Path, index: Path) -> float:
    command = [sys.executable, "-m", "indexer", "rebuild", "--corpus", str(corpus), "--index",
               str(index)]  # fmt: skip
    return run_measured(command, cwd=tree)["wall_s"]  # (-m: the checkout's own packages)


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


@click.command()
@click.option("--old", type=click.Path(path_type=Path, exists=True), required=True,
              help="A checkout of the old code (git worktree).")  # fmt: skip
@click.option("--new", type=click.Path(path_type=Path, exists=True), default=ROOT,
              show_default=True)  # fmt: skip
@click.option("--corpus", type=click.Path(path_type=Path, exists=True), required=True)
@click.option("--rounds", type=click.IntRange(1, 50), default=5, show_default=True)
def main(old: Path, new: Path, corpus: Path, rounds: int) -> None:
    """Print each round's seconds, then the medians and the ratios to Lucene 4.10."""
    reason = lucene.available()
    if reason:
        raise click.ClickException(f"Lucene 4.10 is needed: {reason}")
    corpus, engine = corpus.resolve(), "lucene-4.10"
    with tempfile.TemporaryDirectory(prefix="alternate-") as scratch:
        work = Path(scratch)
        lucene.prepare(corpus, {}, work, engines=(engine,))
        runs: dict[str, list[float]] = {"lucene": [], "lucene_own": [], "old": [], "new": []}
        for n in range(rounds):
            found = lucene.build(engine, work)
            runs["lucene"].append(found["wall_s"])
            runs["lucene_own"].append(found["own_timer_s"])
            for name, tree in (("old", old), ("new", new)):
                runs[name].append(_rebuild(tree.resolve(), corpus, work / f"index-{name}"))
            seconds = ", ".join(f"{k} {v[-1]:.2f} s" for k, v in runs.items())
            click.echo(f"round {n + 1}: {seconds}")
        shutil.rmtree(work / f"index-{engine}", ignore_errors=True)
    click.echo("median (min-max): " + ", ".join(f"{k} {_spread(v)} s" for k, v in runs.items()))
    for name in ("old", "new"):
        command = [a / b for a, b in zip(runs[name], runs["lucene"], strict=True)]
        own = [a / b for a, b in zip(runs[name], runs["lucene_own"], strict=True)]
        click.echo(f"{name} / Lucene 4.10's command {_spread(command)}, "
                   f"/ its own timer {_spread(own)}")  # fmt: skip


if __name__ == "__main__":
    main()
