"""The one place that picks the search engine behind the web app and the CLI.

Both engines have the same interface (``search``, ``latest``, ``article``, ``related``,
``source_label``, ``manifest``, ``doc_count``, ``warm_up``, ``damaged``, ``close``,
``is_heavy``) and return the same ``SearchResult`` and ``Hit`` objects, so the pages, the
JSON API and its OpenAPI description do not depend on the backend.
"""

from __future__ import annotations

from search.settings import Settings


def open_engine(settings: Settings):
    """The embedded Whoosh engine on ``INDEX_DIR``, or the SolrCloud one on ``SOLR_URL``."""
    if settings.search_backend == "solr":
        from search.solr import SolrEngine

        return SolrEngine(settings.solr_url, settings.solr_collection, settings.search_budget_s)
    from search.engine import SearchEngine

    return SearchEngine(settings.index_dir, settings.search_budget_s)
