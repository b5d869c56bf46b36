"""The service's settings: one typed object, built once from options and the environment.

Every entry point (``python -m web``, ``python -m indexer``, ``python -m search``) builds its
settings here, from its command-line options (each with the environment variable of the same
meaning as its ``envvar``) over the defaults below. Nothing reads the environment at import
time, and nothing writes it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

STEMMER_TABLE_CHOICES = ("default", "polimorf", "none")
BACKEND_CHOICES = ("whoosh", "solr")


class SettingsError(ValueError):
    """A setting has a value it cannot take; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Every setting of the service; the environment variable is in each field's metadata."""

    index_dir: Path = field(default=Path("var/index"), metadata={"env": "INDEX_DIR"})
    corpus_dir: Path = field(default=Path("corpus"), metadata={"env": "CORPUS_DIR"})
    per_page: int = field(default=10, metadata={"env": "PER_PAGE", "min": 1, "max": 50})
    stemmer_table: str = field(default="default", metadata={"env": "SEARCH_STEMMER_TABLE"})
    host: str = field(default="127.0.0.1", metadata={"env": "HOST"})
    port: int = field(default=8000, metadata={"env": "PORT", "min": 1, "max": 65535})
    workers: int = field(default=0, metadata={"env": "WORKERS", "min": 0, "max": 64})
    threads: int = field(default=4, metadata={"env": "THREADS", "min": 1, "max": 64})
    index_procs: int = field(default=0, metadata={"env": "INDEX_PROCS", "min": 0, "max": 64})
    cors_origins: str = field(default="", metadata={"env": "CORS_ORIGINS"})
    # 0.9 s: with reading the request and writing the answer, no request passes 1 s.
    search_budget_s: float = field(default=0.9, metadata={"env": "SEARCH_BUDGET_S"})
    # The engine: the embedded Whoosh index (no Java), or a SolrCloud collection alias.
    search_backend: str = field(default="whoosh", metadata={"env": "SEARCH_BACKEND"})
    solr_url: str = field(default="", metadata={"env": "SOLR_URL"})  # node URLs, commas
    solr_collection: str = field(default="mops", metadata={"env": "SOLR_COLLECTION"})
    # One shard holds an archive of millions of articles (docs/scaling.md): more shards pay
    # only when a query needs more cores than one node has.
    solr_shards: int = field(default=1, metadata={"env": "SOLR_SHARDS", "min": 1, "max": 64})
    solr_replicas: int = field(default=2, metadata={"env": "SOLR_REPLICAS", "min": 1, "max": 8})

    def __post_init__(self) -> None:
        if self.stemmer_table not in STEMMER_TABLE_CHOICES:
            raise SettingsError(
                f"SEARCH_STEMMER_TABLE must be one of {', '.join(STEMMER_TABLE_CHOICES)}, "
                f"not {self.stemmer_table!r}"
            )
        if self.search_backend not in BACKEND_CHOICES:
            raise SettingsError(
                f"SEARCH_BACKEND must be one of {', '.join(BACKEND_CHOICES)}, "
                f"not {self.search_backend!r}"
            )
        if self.search_backend == "solr" and not self.solr_url.strip():
            raise SettingsError(
                "SOLR_URL must name the Solr nodes (http://host:port/solr, commas between "
                "them) when SEARCH_BACKEND=solr"
            )
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}", self.solr_collection):
            raise SettingsError("SOLR_COLLECTION must be a Solr collection or alias name")
        for f in fields(self):
            value = getattr(self, f.name)
            low, high = f.metadata.get("min"), f.metadata.get("max")
            if low is not None and not low <= value <= high:
                raise SettingsError(f"{f.metadata['env']} must be between {low} and {high}")
        if self.search_budget_s <= 0:
            raise SettingsError("SEARCH_BUDGET_S must be positive")

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, **options) -> Settings:
        """Defaults, overridden by the environment, overridden by options that are not None."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = environ.get(f.metadata["env"])
            if raw not in (None, ""):
                values[f.name] = _convert(f, raw)
        values.update({k: _convert(_field(k), v) for k, v in options.items() if v is not None})
        return cls(**values)

    def with_options(self, **options) -> Settings:
        """These settings with some values replaced (None leaves a value as it is)."""
        return replace(
            self, **{k: _convert(_field(k), v) for k, v in options.items() if v is not None}
        )

    @property
    def process_count(self) -> int:
        """Indexer worker processes: INDEX_PROCS, else one per core."""
        return self.index_procs or os.cpu_count() or 1

    @property
    def origins(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]


def _field(name: str):
    for f in fields(Settings):
        if f.name == name:
            return f
    raise SettingsError(f"unknown setting {name!r}")


def _convert(f, raw):
    kind = {"Path": Path, "int": int, "float": float, "str": str}[str(f.type)]
    if isinstance(raw, kind):
        return raw
    try:
        text = str(raw).strip()
        if kind is int and not (text.isascii() and text.isdigit()):
            raise ValueError(text)
        return kind(text)
    except ValueError:
        raise SettingsError(f"{f.metadata['env']}={raw!r} is not a valid {kind.__name__}") from None
