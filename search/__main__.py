"""``python -m search "bezdomność"``: query the index from a terminal (or as JSON).

For administrators checking an index without a browser: ranked results with the matched
words highlighted (bold and reversed on a terminal, *starred* otherwise).
"""

from __future__ import annotations

import html
import json
import re
import sys
from dataclasses import asdict

import click

from search.engine import MAX_PAGE_SIZE, SORTS, Filters, IndexUnavailableError, QueryError

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
@click.option("--index", default="var/index", show_default=True, help="Index location.")
@click.option("--page", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--per-page", default=10, show_default=True,
              type=click.IntRange(1, MAX_PAGE_SIZE))  # fmt: skip
@click.option("--year", type=click.IntRange(0, 9999), help="Only this year (0: undated).")
@click.option("--source", help="Only articles from this archive file.")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--color/--no-color", default=None, help="Highlight with terminal colours.")
def main(query, index, page, per_page, year, source, sort, as_json, color) -> None:
    """Search the index for QUERY and print the ranked results."""
    from search.engine import SearchEngine

    engine = SearchEngine(index)
    filters = Filters(year=year, source=source, sort=sort)
    try:
        result = engine.search(query, page=page, per_page=per_page, filters=filters)
    except QueryError as exc:
        raise click.UsageError(str(exc)) from exc
    except IndexUnavailableError:
        raise click.ClickException(
            f"no index at {index}: build it with `python -m indexer rebuild`"
        ) from None
    if as_json:
        data = {
            "query": result.query,
            "total": result.total,
            "total_all_words": result.total_all_words,
            "page": result.page,
            "per_page": result.per_page,
            "results": [asdict(hit) for hit in result.hits],
            "years": [asdict(f) for f in result.years],
            "sources": [asdict(f) for f in result.sources],
            "suggestion": result.suggestion,
            "corrected": result.corrected,
            "took_ms": round(result.seconds * 1000, 1),
        }
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
        click.echo(f"   {hit.date or 'bez daty'} · {hit.source} · id {hit.id}")
        click.echo(f"   {terminal_text(hit.snippet, color)}\n", color=color)


if __name__ == "__main__":
    main(prog_name="python -m search")
