"""Command line: ``python -m indexer rebuild|update|verify|articles|check``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from indexer.build import BuildError, BuildReport, rebuild, update
from indexer.corpus import (
    CorpusError,
    corpus_files,
    decode_file,
    read_bytes,
    read_corpus,
    read_document,
    read_text,
    source_name,
)
from indexer.splitter import default_model, score_breaks
from search.morphology import configure
from search.options import backend_options, backend_settings
from search.settings import Settings, SettingsError
from search.store import (
    IndexDamagedError,
    IndexLockedError,
    current_build,
    read_manifest,
    verify,
)

corpus_option = click.option(
    "--corpus",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="CORPUS_DIR",
    default=Path("corpus"),
    show_default=True,
    help="Folder of archive documents (*.txt). [env: CORPUS_DIR]",
)
index_option = click.option(
    "--index",
    type=click.Path(path_type=Path),
    envvar="INDEX_DIR",
    default=Path("var/index"),
    show_default=True,
    help="Index location (a link switched atomically to each new build). [env: INDEX_DIR]",
)
procs_option = click.option(
    "--procs",
    type=click.IntRange(0, 64),
    envvar="INDEX_PROCS",
    default=0,
    help="Indexing processes (0: one per core). [env: INDEX_PROCS]",
)


def settings_from(**options) -> Settings:
    """The settings of this run: options (and their environment variables) over defaults."""
    try:
        settings = Settings.load(**options)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc
    configure(settings.stemmer_table)
    return settings


@click.group()
def main() -> None:
    """Build and inspect the MOPS archive search index."""


def _progress_bar(total: int):
    """A tqdm progress bar on a terminal; None otherwise, and tqdm (30 ms of imports) not
    imported for it (pystempel's modules still import it when a command stems words)."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="file", desc="Indexing")


def _report_file(name: str, error: str | None, bar=None) -> None:
    """Warn of a skipped file on stderr (above the progress bar, if there is one)."""
    if error is None:
        return
    if bar is None:
        click.echo(f"warning: skipped {error}", err=True)
    else:
        bar.write(f"warning: skipped {error}", file=sys.stderr)


def _run(build, settings: Settings) -> None:
    """Run a rebuild or update with a progress bar on a terminal and a summary line."""
    try:
        total = len(corpus_files(settings.corpus_dir))
    except CorpusError as exc:
        raise click.ClickException(str(exc)) from exc
    bar = _progress_bar(total)

    def on_file(name: str, error: str | None) -> None:
        if bar is not None:
            bar.update(1)
        _report_file(name, error, bar)

    try:
        report = build(
            settings.corpus_dir, settings.index_dir, on_file=on_file, procs=settings.process_count
        )
    except (BuildError, IndexLockedError) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        if bar is not None:
            bar.close()
    _print_summary(report)


def _print_summary(report: BuildReport) -> None:
    click.echo(report.summary())
    if report.changed or report.deleted:
        click.echo(f"Changed: {len(report.changed)} files, deleted: {len(report.deleted)} files")


@main.command("rebuild")
@corpus_option
@index_option
@procs_option
@backend_options
@click.option("--shards", type=click.IntRange(1, 64), envvar="SOLR_SHARDS",
              help="Solr: shards of the new collection [env: SOLR_SHARDS; default 1].")
@click.option("--replicas", type=click.IntRange(1, 8), envvar="SOLR_REPLICAS",
              help="Solr: replicas of each shard [env: SOLR_REPLICAS; default 2].")  # fmt: skip
def rebuild_command(corpus: Path, index: Path, procs: int, shards, replicas, **backend) -> None:
    """Rebuild the index from the corpus; the old index serves until the new one is ready.

    With --backend solr: a new collection, then the alias switched to it."""
    settings = settings_from(corpus_dir=corpus, index_dir=index, index_procs=procs,
                             solr_shards=shards, solr_replicas=replicas,
                             **backend_settings(**backend))  # fmt: skip
    if settings.search_backend == "solr":
        _run_solr("rebuild", settings)
    else:
        _run(rebuild, settings)


@main.command("update")
@corpus_option
@index_option
@procs_option
@backend_options
def update_command(corpus: Path, index: Path, procs: int, **backend) -> None:
    """Re-index only files added, edited or deleted since the last build (fast).

    With --backend solr: only changed articles are sent to the alias's collection."""
    settings = settings_from(corpus_dir=corpus, index_dir=index, index_procs=procs,
                             **backend_settings(**backend))  # fmt: skip
    if settings.search_backend == "solr":
        _run_solr("update", settings)
    else:
        _run(update, settings)


@main.command("verify")
@index_option
def verify_command(index: Path) -> None:
    """Hash every file of the current build and compare it with the manifest's checksums.

    The server hashes only files written since the build recorded them (their inode or mtime
    changed); this reads them all, as a check of the disk itself."""
    build = current_build(index)
    if build is None:
        raise click.ClickException(f"{index}: no index (python -m indexer rebuild)")
    manifest = read_manifest(build)
    if not (manifest or {}).get("checksums"):
        raise click.ClickException(f"{build.name}: the manifest records no checksums")
    try:
        verify(build, manifest, full=True)
    except IndexDamagedError as exc:
        raise click.ClickException(f"{exc}: rebuild needed (python -m indexer rebuild)") from exc
    files = manifest["checksums"]
    size = sum(entry["size"] for entry in files.values())
    click.echo(f"{build.name}: {len(files)} files, {size / 1e6:.1f} MB, all whole")


def _run_solr(action: str, settings: Settings) -> None:
    """Index into the SolrCloud named by the settings, with a summary line."""
    from indexer import solr
    from search.solr import SolrRequestError, SolrUnavailableError

    try:
        if action == "rebuild":
            report = solr.rebuild(settings.corpus_dir, settings.solr_url,
                                  settings.solr_collection, settings.solr_shards,
                                  settings.solr_replicas, on_file=_report_file,
                                  procs=settings.process_count)  # fmt: skip
        else:
            report = solr.update(settings.corpus_dir, settings.solr_url,
                                 settings.solr_collection, on_file=_report_file,
                                 procs=settings.process_count)  # fmt: skip
    except (CorpusError, SolrUnavailableError, SolrRequestError) as exc:
        raise click.ClickException(f"Solr {action} failed: {exc}") from exc
    click.echo(report.summary())


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


def _audit(path: Path, corpus: Path) -> dict:
    """One document's line of the audit: its article count and warnings."""
    source = source_name(path, corpus)
    try:
        decoded = decode_file(read_bytes(path), path.name)
        articles, findings = read_document(decoded.text, source, decoded.notes)
    except CorpusError as exc:
        warning = {"line": 0, "kind": "unreadable", "message": str(exc)}
        return {"source": source, "articles": 0, "warnings": [warning], "readable": False}
    warnings = [f.to_dict() for f in findings]
    return {"source": source, "articles": len(articles), "warnings": warnings, "readable": True}


def _print_evidence(path: Path) -> None:
    """Every headline decision of a document with the evidence that weighed most."""
    model = default_model()
    _institution, breaks = score_breaks(read_text(path))
    for brk in breaks:
        if not brk.accepted and brk.probability < 0.2:
            continue
        verdict = "HEADLINE" if brk.accepted else "text    "
        click.echo(f"  {brk.line:>5} {verdict} p={brk.probability:.2f}  {brk.text[:70]}")
        top = model.evidence(brk.features)[:6]
        click.echo("        " + ", ".join(f"{name} {value:+.2f}" for name, value in top))


@main.command("check")
@corpus_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per document per line.")
@click.option("--evidence", is_flag=True, help="Show the evidence behind each headline.")
def check_command(corpus: Path, as_json: bool, evidence: bool) -> None:
    """Audit how the corpus splits into articles, before a rebuild (warnings are not errors)."""
    links: list[str] = []
    try:
        paths = corpus_files(corpus, links)
    except CorpusError as exc:
        raise click.ClickException(str(exc)) from exc
    for message in links:
        click.echo(f"warning: skipped {message}", err=True)
    if not paths:
        raise click.ClickException(f"{corpus}: no *.txt documents found")
    rows = []
    for path in paths:
        row = _audit(path, corpus)
        rows.append(row)
        if as_json:
            click.echo(
                json.dumps(
                    {k: row[k] for k in ("source", "articles", "warnings")}, ensure_ascii=False
                )
            )
    if not as_json:
        _print_table(rows)
        if evidence:
            for path in paths:
                click.echo(f"\n{source_name(path, corpus)}")
                try:
                    _print_evidence(path)
                except CorpusError as exc:
                    click.echo(f"  {exc}")
    if not any(row["readable"] for row in rows):
        raise click.ClickException(f"{corpus}: no document could be read")


def _print_table(rows: list[dict]) -> None:
    width = max([len("document")] + [len(r["source"]) for r in rows])
    click.echo(f"{'document':<{width}}  articles  warnings")
    for row in rows:
        click.echo(f"{row['source']:<{width}}  {row['articles']:>8}  {len(row['warnings']):>8}")
    for row in rows:
        for w in row["warnings"]:
            click.echo(f"{row['source']}:{w['line']}: {w['kind']}: {w['message']}")
    total = sum(len(r["warnings"]) for r in rows)
    articles = sum(r["articles"] for r in rows)
    click.echo(f"{len(rows)} documents, {articles} articles, {total} warnings")
