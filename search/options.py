"""Command-line options shared by ``python -m web``, ``python -m indexer`` and ``python -m
search``: which engine, and where the SolrCloud is (each with its environment variable)."""

from __future__ import annotations

import click

from search.settings import BACKEND_CHOICES


def backend_options(command):
    """Add --backend, --solr-url and --solr-collection (each with its ``envvar``)."""
    for option in reversed(
        (
            click.option(
                "--backend",
                type=click.Choice(BACKEND_CHOICES),
                envvar="SEARCH_BACKEND",
                help="Search engine: the embedded index, or a SolrCloud "
                "[env: SEARCH_BACKEND; default whoosh].",
            ),
            click.option(
                "--solr-url",
                envvar="SOLR_URL",
                help="Solr node URLs, comma-separated, e.g. http://127.0.0.1:8983/solr "
                "[env: SOLR_URL].",
            ),
            click.option(
                "--solr-collection",
                envvar="SOLR_COLLECTION",
                help="Collection alias to search and switch [env: SOLR_COLLECTION; default mops].",
            ),
        )
    ):
        command = option(command)
    return command


def backend_settings(backend, solr_url, solr_collection) -> dict:
    """The options above as ``Settings`` field values (None: leave as configured)."""
    return {"search_backend": backend, "solr_url": solr_url, "solr_collection": solr_collection}
