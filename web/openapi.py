"""The OpenAPI 3 description of the JSON API, served at ``/api/openapi.json``.

Responses are checked against it by a property-based test (schemathesis) in ``make test``.
"""

from __future__ import annotations

from search.request import MAX_PAGE, MAX_PAGE_SIZE, MAX_QUERY_CHARS, MAX_SOURCE_CHARS, SORTS


def _nullable(schema: dict) -> dict:
    return {**schema, "nullable": True}


ERROR = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message"],
            "additionalProperties": False,
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string", "example": "invalid_parameter"},
                "message": {"type": "string"},
                "parameter": {"type": "string", "description": "The parameter at fault."},
            },
        }
    },
}

FACET = {
    "type": "object",
    "required": ["value", "count"],
    "additionalProperties": False,
    "properties": {
        "value": {"type": "string", "description": "Year ('' when unknown) or source file."},
        "count": {"type": "integer", "minimum": 1},
        "label": {"type": "string", "description": "Sources: the document's readable name."},
    },
}

HIT = {
    "type": "object",
    "required": [
        "id",
        "title",
        "title_html",
        "date",
        "source",
        "source_label",
        "url",
        "score",
        "snippet",
    ],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "title_html": {
            "type": "string",
            "description": "The title HTML-escaped, matched words in <mark> elements.",
        },
        "date": _nullable(
            {"type": "string", "description": "ISO 8601, possibly partial: 2007-04, --10-11."}
        ),
        "source": {"type": "string", "description": "The archive file the article is from."},
        "source_label": {"type": "string", "description": "That file's readable name."},
        "url": {"type": "string", "description": "The article's page in the web interface."},
        "score": {"type": "number"},
        "snippet": {
            "type": "string",
            "description": "HTML-escaped passages; matched words in <mark> elements.",
        },
        "missing": {
            "type": "array",
            "items": {"type": "string"},
            "description": "The query's words this article lacks (empty: it has them all).",
        },
    },
}

SEARCH_RESPONSE = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "query", "total", "total_all_words", "page", "per_page", "pages", "filters", "results",
        "facets", "suggestion", "corrected", "next_url", "took_ms",
    ],
    "properties": {
        "query": {"type": "string"},
        "total": {"type": "integer", "minimum": 0},
        "total_all_words": {
            "type": "integer",
            "minimum": 0,
            "description": "Hits containing every query word; they rank before the others.",
        },
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        "pages": {"type": "integer", "minimum": 1, "description": "Number of pages."},
        "filters": {
            "type": "object",
            "required": ["year", "source", "sort"],
            "additionalProperties": False,
            "properties": {
                "year": _nullable({"type": "integer"}),
                "source": _nullable({"type": "string"}),
                "sort": {"type": "string", "enum": list(SORTS)},
            },
        },
        "results": {"type": "array", "items": HIT, "maxItems": MAX_PAGE_SIZE},
        "facets": {
            "type": "object",
            "required": ["years", "sources"],
            "additionalProperties": False,
            "description": "Counts for the query: years with the source filter applied, "
            "sources with the year filter applied.",
            "properties": {
                "years": {"type": "array", "items": FACET},
                "sources": {"type": "array", "items": FACET},
            },
        },
        "suggestion": _nullable({"type": "string", "description": "Did you mean …"}),
        "corrected": {
            "type": "boolean",
            "description": "The results are for the suggestion: the query found nothing.",
        },
        "next_url": _nullable({"type": "string"}),
        "took_ms": {"type": "number", "minimum": 0},
    },
}  # fmt: skip

ARTICLE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "title", "date", "source", "source_label", "institution", "body", "url"],
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "date": _nullable({"type": "string"}),
        "source": {"type": "string"},
        "source_label": {"type": "string"},
        "institution": _nullable({"type": "string"}),
        "body": {"type": "string", "description": "Plain text; blank lines between paragraphs."},
        "url": {"type": "string"},
    },
}


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _param(name: str, schema: dict, description: str, required: bool = False) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }


def openapi_document() -> dict:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "MOPS Kraków archive search",
            "version": "1.0.0",
            "description": "Full-text search over the BIP archive of Kraków's MOPS. Polish "
            "inflection is handled: 'bezdomność' also finds 'bezdomnym'.",
        },
        "paths": {
            "/api/search": {
                "get": {
                    "operationId": "search",
                    "summary": "Ranked articles for a query, with facets and paging.",
                    "parameters": [
                        _param(
                            "q",
                            # At least one character that is not white space (Python's
                            # str.isspace() set, which the server strips).
                            {
                                "type": "string",
                                "minLength": 1,
                                "maxLength": MAX_QUERY_CHARS,
                                "pattern": "[^\\s\\u001c-\\u001f\\u0085]",
                            },
                            'Words (all are looked for), "phrases", OR, -word, title:word.',
                            required=True,
                        ),
                        _param(
                            "page",
                            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
                            "Page.",
                        ),
                        _param(
                            "per_page",
                            {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": MAX_PAGE_SIZE,
                                "default": 10,
                            },
                            "Results per page.",
                        ),
                        _param(
                            "year",
                            {"type": "integer", "minimum": 0, "maximum": 9999},
                            "Only articles from this year (0: articles without a date).",
                        ),
                        _param(
                            "source",
                            {"type": "string", "maxLength": MAX_SOURCE_CHARS},
                            "Only articles from this archive file.",
                        ),
                        _param(
                            "sort",
                            {"type": "string", "enum": list(SORTS), "default": "relevance"},
                            "Order: relevance, or by date (newest / oldest; undated last).",
                        ),
                        _param(
                            "correct",
                            {"type": "string", "enum": ["0", "1"], "default": "1"},
                            "1: a misspelt query with no results is replaced by its correction "
                            "(`corrected` says so); 0: search exactly what was typed.",
                        ),
                    ],
                    "responses": {
                        "200": {
                            "description": "A page of results.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/SearchResponse"}
                                }
                            },
                        },
                        "400": _error("A parameter is missing or invalid."),
                        "404": _error("The page is past the last page of the results."),
                        "503": _error("The index is not ready, or the search ran out of time."),
                    },
                }
            },
            "/api/articles/{article_id}": {
                "get": {
                    "operationId": "getArticle",
                    "summary": "One article in full (ETag and Cache-Control set).",
                    "parameters": [
                        {
                            "name": "article_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The article.",
                            "headers": {
                                "ETag": {"schema": {"type": "string"}},
                                "Cache-Control": {"schema": {"type": "string"}},
                            },
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Article"}
                                }
                            },
                        },
                        "304": {"description": "Not modified (If-None-Match matched)."},
                        "404": _error("No article with this id."),
                        "503": _error("The index is not built yet."),
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "SearchResponse": SEARCH_RESPONSE,
                "Article": ARTICLE,
                "Facet": FACET,
                "Error": ERROR,
            }
        },
    }
