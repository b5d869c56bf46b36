"""``python -m web``: serve the search service with gunicorn."""

from pathlib import Path

import click

from search.options import backend_options, backend_settings
from search.settings import STEMMER_TABLE_CHOICES, Settings, SettingsError


@click.command()
@click.option(
    "--index",
    type=click.Path(path_type=Path),
    envvar="INDEX_DIR",
    help="Index location [env: INDEX_DIR; default var/index].",
)
@click.option("--host", envvar="HOST", help="Address to bind [env: HOST; default 127.0.0.1].")
@click.option("--port", type=int, envvar="PORT", help="Port [env: PORT; default 8000].")
@click.option(
    "--workers",
    type=int,
    envvar="WORKERS",
    help="Worker processes [env: WORKERS; default: CPU count, at least 2].",
)
@click.option(
    "--threads", type=int, envvar="THREADS", help="Threads per worker [env: THREADS; default 4]."
)
@click.option(
    "--per-page",
    type=int,
    envvar="PER_PAGE",
    help="Results per page by default [env: PER_PAGE; default 10].",
)
@click.option(
    "--cors-origins",
    envvar="CORS_ORIGINS",
    help="Origins allowed to call /api/* [env: CORS_ORIGINS; default: none].",
)
@click.option(
    "--stemmer-table",
    type=click.Choice(STEMMER_TABLE_CHOICES),
    envvar="SEARCH_STEMMER_TABLE",
    help="pystempel table; must match the index [env: SEARCH_STEMMER_TABLE].",
)
@backend_options
def main(index, host, port, workers, threads, per_page, cors_origins, stemmer_table, backend,
         solr_url, solr_collection) -> None:  # fmt: skip
    """Serve the MOPS archive search (HTML at /, JSON at /api/search)."""
    try:
        settings = Settings.load(
            index_dir=index,
            host=host,
            port=port,
            workers=workers,
            threads=threads,
            per_page=per_page,
            cors_origins=cors_origins,
            stemmer_table=stemmer_table,
            **backend_settings(backend, solr_url, solr_collection),
        )
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc
    # The index's checksums are read while the rest of the service is imported (hashing
    # releases the interpreter lock): start-up costs the longer of the two, not their sum.
    from search.store import start_verifying

    verifying = start_verifying(settings.index_dir) if settings.search_backend == "whoosh" else None
    from web.server import serve

    serve(settings, verifying)


main(prog_name="python -m web")
