"""The one place that picks the search engine behind the web app and the CLI.

Both engines have the same interface (``search``, ``latest``, ``article``, ``related``,
``source_label``, ``manifest``, ``doc_count``, ``warm_up``, ``damaged``, ``close``,
``is_heavy``) and return the same ``SearchResult`` and ``Hit`` objects, so the pages, the
JSON API and its OpenAPI description do not depend on the backend.
"""

from __future__ import annotations

from typing import Protocol

from search.settings import Settings


class Engine(Protocol):
    """What the web app and the CLIs call on a backend (``SearchEngine``, ``SolrEngine``)."""

    def search(self, text: str, page: int = 1, per_page: int = 10, snippets: bool = True,
               filters=None, deadline=None, correct: bool = True): ...  # fmt: skip
    def latest(self, page: int = 1, per_page: int = 10, filters=None): ...
    def article(self, article_id: str, highlight_query: str | None = None) -> dict | None: ...
    def related(self, article_id: str, limit: int = 5) -> list: ...
    def source_label(self, source: str) -> str | None: ...
    def manifest(self) -> dict: ...
    def doc_count(self) -> int: ...
    def warm_up(self) -> None: ...
    def damaged(self) -> dict[str, str]: ...
    def close(self) -> None: ...
    @staticmethod
    def is_heavy(text: str) -> bool: ...


def open_engine(settings: Settings) -> Engine:
    """The embedded Whoosh engine on ``INDEX_DIR``, or the SolrCloud one on ``SOLR_URL``."""
    if settings.search_backend == "solr":
        from search.solr import SolrEngine

        return SolrEngine(settings.solr_url, settings.solr_collection, settings.search_budget_s)
    from search.engine import SearchEngine

    return SearchEngine(settings.index_dir, settings.search_budget_s)
