"""The index schema, shared by the indexer (writes it) and the searcher (reads it)."""

from __future__ import annotations

from whoosh.columns import RefBytesColumn
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

from search.analysis import PolishPositions, polish_analyzer

TITLE_BOOST = 2.0
# Bumped whenever analysis or schema change in a way that needs a rebuild.
SCHEMA_VERSION = 5


def build_schema() -> Schema:
    """Return the article schema: analysed title/body, stored display fields, facets."""
    analyzer = polish_analyzer()
    title = TEXT(analyzer=analyzer, stored=True, field_boost=TITLE_BOOST)
    body = TEXT(analyzer=analyzer, stored=True)
    for field in (title, body):
        field.format = PolishPositions(field_boost=field.format.field_boost)
    return Schema(
        id=ID(stored=True, unique=True),
        # Sortable as reference columns: the engine reads them as arrays for filters,
        # facet counts and date order (search.postings).
        source=ID(stored=True, sortable=RefBytesColumn()),
        institution=STORED(),
        date=ID(stored=True, sortable=RefBytesColumn()),
        year=KEYWORD(stored=True),
        title=title,
        body=body,
        # Whether a word of the title or body is indexed by parts (glued by text extraction):
        # snippets of the other articles need not look for such words (search.snippets).
        glued=STORED(),
    )


def year_of(date: str | None) -> str:
    """The year facet value of an ISO (possibly partial) date, '' when unknown."""
    if date and len(date) >= 4 and date[:4].isdigit():
        return date[:4]
    return ""
