"""Best-effort article dates from Polish prose ("W dniu 11 października", "08-11.10.07", "br.")."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

MONTHS = {
    "stycz": 1, "lut": 2, "mar": 3, "kwie": 4, "maj": 5, "czerw": 6,
    "lip": 7, "sierp": 8, "wrze": 9, "paźdz": 10, "pazdz": 10, "listopad": 11, "grud": 12,
}  # fmt: skip
# Month names in the genitive ("11 października") and the locative ("w kwietniu").
MONTH_WORD = (
    r"(stycznia|styczniu|lutego|lutym|marca|marcu|kwietnia|kwietniu|maja|maju|czerwca|czerwcu|"
    r"lipca|lipcu|sierpnia|sierpniu|września|wrześniu|października|październiku|listopada|"
    r"listopadzie|grudnia|grudniu)"
)
YEAR = r"((?:19|20)\d\d)\s*(?:r\.|roku)?"
THIS_YEAR = r"(br\.|b\.r\.|bieżącego roku|tego roku)"

# The patterns starting with a digit start with it, not with "\b" ("(?<!\w\d)" after the
# first digit is the same test): the regular-expression engine then skips to the next digit
# in C instead of trying a match at every character (twice as fast).
# "21 lutego 2007", "4-9 grudnia", "18- 21 marca br.", "11 października"
DAY_MONTH = re.compile(
    rf"(\d(?<!\w\d)\d?)(?:\s*[-–]\s*\d{{1,2}})?\s+{MONTH_WORD}\b(?:\s+(?:{YEAR}|{THIS_YEAR}))?",
    re.IGNORECASE,
)
FULL_YEAR = re.compile(r"(?:19|20)\d\d")
# "08-11.10.07", "15-18.07.07", "12.05.2015"
NUMERIC = re.compile(r"(\d(?<!\w\d)\d?)(?:\s*[-–]\s*\d{1,2})?\.(\d{1,2})\.(\d{4}|\d{2})\b")


def _by_first_letter(alternatives: str) -> str:
    """A group of lower-case words as alternatives by first letter, each starting a word
    ("m(?<!\\wm)(?:arca|aja)" for "marca|maja"): the engine skips in C to the next of those
    letters instead of trying "\\b" and every word at every character."""
    rests: dict[str, list[str]] = {}
    for word in alternatives.strip("()").split("|"):
        rests.setdefault(word[0], []).append(re.escape(word[1:]))
    return "(" + "|".join(rf"{c}(?<!\w{c})(?:{'|'.join(r)})" for c, r in rests.items()) + ")"


# "W styczniu 2007", "w kwietniu": searched in the lower-cased text (2.5 times faster than
# a case-insensitive search), the month's first letter first (1.5 times faster than "\b")
MONTH_ONLY = re.compile(rf"{_by_first_letter(MONTH_WORD)}\b(?:\s+(?:{YEAR}|{THIS_YEAR}))?")


# The only letters that case-insensitive matching takes for a month name's letter though
# lower-casing leaves them as they are (dotless ı for i, long ſ for s; "İ" lower-cases to
# "i" and a combining dot): folded, the lower-cased text matches as the text did.
_FOLDS = str.maketrans({"ı": "i", "ſ": "s"})


def _month(word: str) -> int | None:
    """The month of a month name as the patterns match it, in any case."""
    word = word.lower().translate(_FOLDS).replace("\u0307", "")
    for prefix, number in MONTHS.items():
        if word.startswith(prefix):
            return number
    return None


def _year(text: str) -> int:
    value = int(text)
    return value + 2000 if value < 100 else value


def _iso(year: int | None, month: int | None, day: int | None) -> str | None:
    if year and month and day:
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            return f"{year:04d}-{month:02d}"
    if year and month:
        return f"{year:04d}-{month:02d}"
    if month and day:
        return f"--{month:02d}-{day:02d}"  # ISO 8601 date without a year
    if year:
        return f"{year:04d}"
    if month:
        return f"--{month:02d}"
    return None


# DAY_MONTH over lower-cased text: case-sensitive matching is faster than IGNORECASE.
_DAY_MONTH_LOWER = re.compile(DAY_MONTH.pattern)


class Mentions:
    """The date mentions of one text, each regular expression run over it once (the
    document's year and each article's date both read them): every numeric date, and the
    day-and-month and month-only mentions, all of them when the text writes a full year
    (they count towards the document's year) and the first otherwise (a date needs no
    more). Matched in the lower-cased text, whose positions are the text's when lowering
    keeps its length (else as written, case-insensitively)."""

    __slots__ = ("numeric", "day_month", "month_only")

    def __init__(self, text: str):
        lowered = text.lower()
        same = len(lowered) == len(text)
        day_month = _DAY_MONTH_LOWER if same else DAY_MONTH
        day_text = lowered if same else text
        if same and ("ı" in lowered or "ſ" in lowered):
            day_text = lowered.translate(_FOLDS)  # as DAY_MONTH matches them, ignoring case
        self.numeric = list(NUMERIC.finditer(lowered if same else text))
        if FULL_YEAR.search(text):
            self.day_month = list(day_month.finditer(day_text))
            self.month_only = list(MONTH_ONLY.finditer(lowered))
        else:
            self.day_month = [m for m in (day_month.search(day_text),) if m]
            self.month_only = [m for m in (MONTH_ONLY.search(lowered),) if m]

    def years(self) -> list[int]:
        """Years written next to a day or month (``explicit_years``)."""
        years = [_year(m.group(3)) for m in self.numeric]
        years += [int(m.group(3)) for m in self.day_month if m.group(3)]
        years += [int(m.group(2)) for m in self.month_only if m.group(2)]
        return years

    def date(self, default_year: int | None = None) -> str | None:
        """The first date mentioned (``find_date``)."""
        candidates: list[tuple[int, str | None]] = []  # the first date of each kind is enough
        if self.day_month:
            m = self.day_month[0]
            year = int(m.group(3)) if m.group(3) else default_year
            candidates.append((m.start(), _iso(year, _month(m.group(2)), int(m.group(1)))))
        for m in self.numeric:
            month, day = int(m.group(2)), int(m.group(1))
            if 1 <= month <= 12 and 1 <= day <= 31:
                candidates.append((m.start(), _iso(_year(m.group(3)), month, day)))
                break
        if candidates:
            return min(candidates, key=lambda c: c[0])[1]
        if self.month_only:
            m = self.month_only[0]
            year = int(m.group(2)) if m.group(2) else default_year
            return _iso(year, _month(m.group(1)), None)
        return None


def explicit_years(text: str) -> list[int]:
    """Years written next to a day or month: evidence of when the document was written
    (month names only count with a year written after them)."""
    return Mentions(text).years()


def _most_frequent(years) -> int | None:
    counts = Counter(years)
    if not counts:
        return None
    return max(counts, key=lambda y: (counts[y], y))


def document_year(texts: list[str]) -> int | None:
    """The year most often written with a day or month in the document (latest on a tie)."""
    return _most_frequent(y for text in texts for y in explicit_years(text))


def find_date(text: str, default_year: int | None = None) -> str | None:
    """Return the first date mentioned in the text, as ISO or its known parts, else None."""
    return Mentions(text).date(default_year)


def article_dates(bodies: list[str]) -> list[str | None]:
    """Each article's ``find_date``, its year defaulting to the ``document_year`` of all the
    bodies: each body's mentions found once for both."""
    mentions = [Mentions(body) for body in bodies]
    year = _most_frequent(y for found in mentions for y in found.years())
    return [found.date(year) for found in mentions]
