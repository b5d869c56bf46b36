"""Polish dates and number words for the pages, with Babel's CLDR data (no hand-made tables)."""

from __future__ import annotations

from datetime import date

from babel import Locale
from babel.dates import format_date

LOCALE = Locale("pl")


def polish_date(iso: str | None) -> str:
    """An ISO date in Polish words: '2007-12-12' -> '12 grudnia 2007', '2007-12', '--12-12'."""
    if not iso:
        return ""
    try:
        if iso.startswith("--"):
            month, day = map(int, iso[2:].split("-"))
            return format_date(date(2000, month, day), format="d MMMM", locale=LOCALE)
        parts = [int(p) for p in iso.split("-")]
        if len(parts) == 3:
            return format_date(date(*parts), format="long", locale=LOCALE)
        if len(parts) == 2:
            return format_date(date(parts[0], parts[1], 1), format="LLLL y", locale=LOCALE)
    except ValueError:
        pass
    return iso


def plural(count: int, one: str, few: str, many: str) -> str:
    """'1 wynik', '2 wyniki', '5 wyników': the form CLDR's Polish plural rules choose."""
    form = LOCALE.plural_form(count)
    word = one if form == "one" else few if form == "few" else many
    return f"{count} {word}"
