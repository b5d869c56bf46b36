"""Readable names of the corpus's documents, so that no file name reaches the interface.

``corpus/sources.toml`` may name a document and give its original address::

    ["000_a8c119e7a8e6c506.txt"]
    name = "Współpraca zagraniczna – aktualności 2007"
    url = "https://…"

A document without an entry is named from its own header (the institution) and the years of
its articles: "Miejski Ośrodek Pomocy Społecznej – aktualności 2007–2008".
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

SOURCES_FILE = "sources.toml"


def read_sources(corpus: Path) -> tuple[dict[str, dict], str | None]:
    """The entries of the corpus's sources file, and a warning when it cannot be read."""
    path = corpus / SOURCES_FILE
    if not path.is_file():
        return {}, None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return {}, f"{SOURCES_FILE}: cannot be read ({exc}); document names are derived"
    return {k: v for k, v in data.items() if isinstance(v, dict)}, None


def sources_fingerprint(corpus: Path) -> str | None:
    """The sources file's content hash: an update relabels when it changes."""
    try:
        return hashlib.sha1((corpus / SOURCES_FILE).read_bytes()).hexdigest()
    except OSError:
        return None


def derived_name(institution: str | None, years: list[int]) -> str:
    """A document's name from its header and the years of its articles."""
    who = institution or "Archiwum BIP"
    if not years:
        return f"{who} – aktualności"
    low, high = min(years), max(years)
    return f"{who} – aktualności {low}" + (f"–{high}" if high != low else "")


def label_files(files: dict[str, dict], entries: dict[str, dict]) -> None:
    """Give every file of a manifest its ``label`` (unique) and, where known, ``url``."""
    seen: dict[str, int] = {}
    for name in sorted(files):
        entry, meta = entries.get(name, {}), files[name]
        label = str(
            entry.get("name") or derived_name(meta.get("institution"), meta.get("years", []))
        )
        seen[label] = seen.get(label, 0) + 1
        meta["label"] = label if seen[label] == 1 else f"{label} ({seen[label]})"
        if entry.get("url"):
            meta["url"] = str(entry["url"])
        else:
            meta.pop("url", None)
