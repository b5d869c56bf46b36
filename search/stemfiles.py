"""The stems an index build used for words the dictionary does not know, kept beside it.

Parsing pystempel's table takes 1.2-6.5 s. A build records every stem it computed
(``stems-*.json``, one file per writer; incremental updates add files and hard-link the old
ones), and a process that opens the build loads them: words of the corpus then never need
the table, so a server answers at once and an update of an edited file need not load it.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from search.morphology import remember_stems, remembered_stems, stemmer_table

PATTERN = "stems-*.json"


def write_stems(build: Path, stems: dict[str, str]) -> None:
    """Record stems in a new file of the build (files are never rewritten: builds share them)."""
    if not stems:
        return
    path = build / f"stems-{uuid.uuid4().hex}.json"
    path.write_text(json.dumps({"table": stemmer_table(), "stems": stems}, ensure_ascii=False))


def load_stems(build: Path) -> dict[str, str]:
    """Teach this process the build's recorded stems; return them (unreadable files skipped)."""
    found: dict[str, str] = {}
    for path in sorted(build.glob(PATTERN)):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if data.get("table") == stemmer_table() and isinstance(data.get("stems"), dict):
            found.update(data["stems"])
    remember_stems(found)
    return found


def new_stems(known: dict[str, str]) -> dict[str, str]:
    """Stems this process computed that ``known`` lacks."""
    return {w: s for w, s in remembered_stems().items() if known.get(w) != s}
