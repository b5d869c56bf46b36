"""``python -m web``: serve the search service with gunicorn."""

import click

from web.server import serve


@click.command()
@click.option("--index", default="var/index", show_default=True, help="Index location.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=None, type=int, help="Worker processes (default: CPU count).")
def main(index: str, host: str, port: int, workers: int | None) -> None:
    """Serve the MOPS archive search (HTML at /, JSON at /api/search)."""
    serve(index, host, port, workers)


main(prog_name="python -m web")
