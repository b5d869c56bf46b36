"""The stemmer's table as an index build keeps it, so that no process opening it parses it.

The table file parses in 0.1 s (0.3 s for the polimorf table; pystempel's own loader took
0.6 s and 6.5 s). A build keeps the parsed table in a form that loads in less than half of
that (``search.morphology.compiled_table``), so a server starts, and an update of an edited
file runs, without parsing; words the dictionary does not know are then stemmed at once.
"""

from __future__ import annotations

from pathlib import Path

from search.morphology import compiled_table, stemmer_loaded, use_compiled_table

TABLE = "stemmer-table.bin"


def write_table(build: Path) -> None:
    """Keep the stemmer's parsed table in the build (replacing a hard-linked copy)."""
    data = compiled_table()
    if data is None:
        return
    path = build / TABLE
    path.unlink(missing_ok=True)
    path.write_bytes(data)


def load_table(build: Path | None) -> bool:
    """Take the stemmer's table from a build, if this process has none yet and the build's
    is of the same table; return whether the process now has the table."""
    if stemmer_loaded():
        return True
    if build is None:
        return False
    try:
        data = (build / TABLE).read_bytes()
    except OSError:
        return False
    return use_compiled_table(data)
