"""Command line: ``python -m indexer rebuild`` and ``python -m indexer articles``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from tqdm import tqdm

from indexer.build import BuildError, rebuild, update
from indexer.corpus import CorpusError, corpus_files, read_corpus
from indexer.store import IndexLockedError

DEFAULT_CORPUS = Path("corpus")
DEFAULT_INDEX = Path("var/index")

corpus_option = click.option(
    "--corpus",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_CORPUS,
    show_default=True,
    help="Folder of archive documents (*.txt).",
)


@click.group()
def main() -> None:
    """Build and inspect the MOPS archive search index."""


index_option = click.option(
    "--index",
    type=click.Path(path_type=Path),
    default=DEFAULT_INDEX,
    show_default=True,
    help="Index location (a link switched atomically to each new build).",
)


def _run(build, corpus: Path, index: Path) -> None:
    """Run a rebuild or update with a progress bar on a terminal and a summary line."""
    try:
        total = len(corpus_files(corpus))
    except CorpusError as exc:
        raise click.ClickException(str(exc)) from exc
    bar = tqdm(total=total, unit="file", desc="Indexing", disable=not sys.stderr.isatty())

    def on_file(name: str, error: str | None) -> None:
        bar.update(1)
        if error is not None:
            tqdm.write(f"warning: skipped {error}", file=sys.stderr)

    try:
        report = build(corpus, index, on_file=on_file)
    except (BuildError, IndexLockedError) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        bar.close()
    for warning in report.skipped:
        if not sys.stderr.isatty():
            click.echo(f"warning: skipped {warning}", err=True)
    click.echo(report.summary())
    if report.changed or report.deleted:
        click.echo(f"Changed: {len(report.changed)} files, deleted: {len(report.deleted)} files")


@main.command("rebuild")
@corpus_option
@index_option
def rebuild_command(corpus: Path, index: Path) -> None:
    """Rebuild the index from the corpus; the old index serves until the new one is ready."""
    _run(rebuild, corpus, index)


@main.command("update")
@corpus_option
@index_option
def update_command(corpus: Path, index: Path) -> None:
    """Re-index only files added, edited or deleted since the last build (fast)."""
    _run(update, corpus, index)


@main.command("articles")
@corpus_option
def articles_command(corpus: Path) -> None:
    """Print the parsed articles as JSON lines, without touching the index."""
    failed = False
    try:
        for _path, result in read_corpus(corpus):
            if isinstance(result, CorpusError):
                click.echo(f"warning: skipped {result}", err=True)
                failed = True
                continue
            for article in result:
                click.echo(json.dumps(article.to_dict(), ensure_ascii=False))
    except CorpusError as exc:
        raise click.ClickException(str(exc)) from exc
    if failed:
        sys.exit(1)
