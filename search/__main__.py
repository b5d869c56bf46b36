"""``python -m search "bezdomność"``: query the index from a terminal (or as JSON).

For administrators checking an index without a browser: ranked results with the matched
words highlighted (bold and reversed on a terminal, *starred* otherwise).
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

import click

from search.engine import IndexUnavailableError
from search.morphology import configure
from search.options import backend_options, backend_settings
from search.request import MAX_PAGE, MAX_PAGE_SIZE, SORTS, Filters, QueryError, SearchRequest
from search.serialize import result_json
from search.settings import STEMMER_TABLE_CHOICES, Settings, SettingsError
from search.store import IndexIncompatibleError

MARK = re.compile(r"<mark>(.*?)</mark>", re.S)
TAG = re.compile(r"<[^>]+>")


def terminal_text(snippet_html: str, color: bool) -> str:
    """A snippet's HTML as terminal text, matched words highlighted."""

    out = []
    for i, part in enumerate(MARK.split(snippet_html)):  # odd parts were inside <mark>
        word = html.unescape(TAG.sub("", part))
        if i % 2:
            word = click.style(word, bold=True, reverse=True) if color else f"*{word}*"
        out.append(word)
    return "".join(out)


@click.command()
@click.argument("query")
@click.option(
    "--index",
    type=click.Path(path_type=Path),
    envvar="INDEX_DIR",
    help="Index location [env: INDEX_DIR; default var/index].",
)
@click.option("--page", default=1, show_default=True, type=click.IntRange(1, MAX_PAGE))
@click.option(
    "--per-page",
    type=click.IntRange(1, MAX_PAGE_SIZE),
    envvar="PER_PAGE",
    help="Results per page [env: PER_PAGE; default 10].",
)
@click.option("--year", type=click.IntRange(0, 9999), help="Only this year (0: undated).")
@click.option("--source", help="Only articles from this archive file.")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option(
    "--stemmer-table",
    type=click.Choice(STEMMER_TABLE_CHOICES),
    envvar="SEARCH_STEMMER_TABLE",
    help="Must match the index's.",
)
@backend_options
@click.option("--json", "as_json", is_flag=True, help="Print the result as /api/search does.")
@click.option("--color/--no-color", default=None, help="Highlight with terminal colours.")
def main(query, index, page, per_page, year, source, sort, stemmer_table, backend, solr_url,
         solr_collection, as_json, color):  # fmt: skip
    """Search the index for QUERY and print the ranked results."""
    from search.engines import open_engine

    try:
        settings = Settings.load(
            index_dir=index, per_page=per_page, stemmer_table=stemmer_table,
            **backend_settings(backend, solr_url, solr_collection),
        )  # fmt: skip
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc
    configure(settings.stemmer_table)
    engine = open_engine(settings)
    req = SearchRequest(query, page, settings.per_page, Filters(year, source, sort))
    try:
        result = engine.search(req.q, page=req.page, per_page=req.per_page, filters=req.filters)
    except QueryError as exc:
        raise click.UsageError(exc.message) from exc
    except IndexUnavailableError as exc:
        if settings.search_backend == "solr":
            raise click.ClickException(f"Solr: {exc}") from None
        raise click.ClickException(
            f"no index at {settings.index_dir}: build it with `python -m indexer rebuild`"
        ) from None
    except IndexIncompatibleError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.close()
    if as_json:
        data = result_json(result, req, settings.per_page)
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    color = sys.stdout.isatty() if color is None else color
    if result.suggestion:
        lead = "Pokazano wyniki dla" if result.corrected else "Czy chodziło Ci o"
        click.echo(f"{lead}: {result.suggestion}\n")
    click.echo(
        f"Znaleziono: {result.total} (wszystkie słowa: {result.total_all_words}), "
        f"strona {result.page} z {result.pages}, {result.seconds * 1000:.0f} ms\n"
    )
    first = (result.page - 1) * result.per_page + 1
    for n, hit in enumerate(result.hits, start=first):
        title = click.style(hit.title, bold=True) if color else hit.title
        click.echo(f"{n}. {title}", color=color)
        click.echo(f"   {hit.date or 'bez daty'} · {hit.source_label} · id {hit.id}")
        click.echo(f"   {terminal_text(hit.snippet, color)}\n", color=color)


if __name__ == "__main__":
    main(prog_name="python -m search")
