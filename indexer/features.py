"""Evidence for and against a line opening a new article: layout, shape, neighbours, document.

Each feature is a number (mostly 0 or 1) with a readable name, so that the splitter's model can
weigh it and ``indexer check`` can show why a line was or was not taken for a headline.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

MIN_PARAGRAPH_CHARS = 100.0
FEATURES_VERSION = 2  # bump when a feature's meaning changes (the model must be retrained)

UPPER = "A-ZĄĆĘŁŃÓŚŹŻÄÖÜÉ"
LOWER = "a-ząćęłńóśźżäöüßéèáíúý"
OPEN_QUOTES = "„\"«»'‚“("
CLOSE_QUOTES = "”\"»«'’)“"

# Polish abbreviations that end with a period without ending a sentence ("ul. Łanowej").
ABBREVIATIONS = frozenset(
    """ul al pl os nr dr hab prof ks św im p pt tel np tj tzn tzw m.in br b.r ok godz mgr inż lek
    red wyd ds wg zob sp ww woj pow gm itp itd in ang min tys mln mld zł gr kl pkt ust art poz
    str s r przyp fot oprac jw dot dn pn płk gen mjr por kpt sierż st ppłk bp abp kard o wsp dyr
    kier zast prez przew sekr tow stow fund zw wz ew cdn""".split()
)

# A sentence end glued to the next capitalised word: "...Europejskiej.Spotkanie z grupą".
# The match is the sentence's last character; the glue point is where the match ends.
# (Matching that character, not the empty point after it, lets the regular-expression
# engine skip in C to the next such character: five times as fast.)
GLUE_POINT = re.compile(
    rf"[.!?…”»](?:(?<=[{LOWER}][.!?…])(?=[„\"«]?[{UPPER}0-9])"
    rf"|(?<=[0-9)”\"»][.!?…])(?=[„\"«]?[{UPPER}])|(?<=[{LOWER}.!?][”»])(?=[{UPPER}][{LOWER}]))"
)
# A sentence break inside a line: "Nowy punkt pomocy. Dyżury we wtorki": the sentence's
# closing punctuation (group 1) and the space after it, found from the punctuation (the
# engine skips to it in C; starting from each word's letters was five times slower).
INNER_BREAK = re.compile(rf"([.!?…]+)[{CLOSE_QUOTES}]*\s+(?=[{OPEN_QUOTES}]?[{UPPER}0-9])")
BULLET = re.compile(r"^([-–—•·*▪►✓]\s|\d{1,2}[.)]\s|[a-z][)]\s)")
CONTACT = re.compile(r"(\btel\.|\bfax\b|@|https?://|www\.|\d{2,3}[ -]\d{2,3}[ -]\d{2})", re.I)
TWO_DIGITS = re.compile(r"\d\d")
# A line holding only a date, perhaps labelled ("Dodano: 2013-03-22", "12.05.2015 r.").
DATELINE = re.compile(
    r"^(?:[^\W\d][\w .]{0,30}:\s*)?(?:\d{4}-\d\d-\d\d|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|"
    r"\d{1,2}\s+[^\W\d]+\s+\d{4})(?:\s*r\.)?(?:,?\s*(?:godz\.\s*)?\d{1,2}[:.]\d\d)?$"
)
TIME_OR_DATE = re.compile(r"^\d{1,2}[.:]\d{2}\b|^\d{1,2}\.\d{1,2}\.\d{2,4}$")


@dataclass
class Candidate:
    """A line (or the tail of a line after a glued sentence end) that may open an article."""

    text: str
    line: int
    blank_before: int = 0
    blank_after: int = 0
    glued: bool = False  # follows a sentence end on the same physical line


@dataclass(frozen=True)
class DocumentStats:
    """What a document's own layout says: its typical paragraph and its use of blank lines."""

    paragraph_chars: float  # median length of the document's longer lines
    blank_rate: float  # share of lines that follow a blank line
    wrap_width: int | None = None  # the width prose is hard-wrapped at, if it is

    @classmethod
    def of(cls, cands: list[Candidate]) -> DocumentStats:
        lengths = [len(c.text) for c in cands]
        longer = [n for n in lengths if n >= 120] or lengths or [200]
        rest = cands[1:]
        blank = sum(1 for c in rest if c.blank_before) / len(rest) if rest else 0.5
        # A document of short lines says little about paragraphs: assume prose-sized ones.
        paragraph = max(float(statistics.median(longer)), MIN_PARAGRAPH_CHARS)
        return cls(paragraph_chars=paragraph, blank_rate=blank, wrap_width=_wrap_width(lengths))


def _wrap_width(lengths: list[int]) -> int | None:
    """The width of a hard-wrapped document: most lines end just short of it."""
    if len(lengths) < 10:
        return None
    width = sorted(lengths)[int(0.9 * (len(lengths) - 1))]
    near = sum(1 for n in lengths if 0.8 * width <= n <= width)
    return width if width <= 120 and near >= 0.4 * len(lengths) else None


def _last_word(text: str) -> str:
    words = text.rsplit(None, 1)
    return words[-1].lower().strip(OPEN_QUOTES + CLOSE_QUOTES) if words else ""


def has_contact(text: str) -> bool:
    """Whether the text holds a phone, fax, e-mail or web address (``CONTACT``), looked for
    only where one of them may be: CONTACT tries every alternative at every character."""
    low = text.lower()
    maybe = "@" in text or "://" in text or "tel." in low or "fax" in low or "www." in low
    return (maybe or TWO_DIGITS.search(text) is not None) and CONTACT.search(text) is not None


def is_abbreviation(word: str) -> bool:
    """Whether a word ending in a period is an abbreviation or an initial ("ul.", "C.")."""
    core = word.lower().strip(OPEN_QUOTES + CLOSE_QUOTES).rstrip(".")
    return core in ABBREVIATIONS or (len(core) == 1 and core.isalpha()) or core.isdigit()


def sentence_breaks(text: str) -> int:
    """How many sentence ends inside the text are followed by another sentence."""
    count = 0
    for match in INNER_BREAK.finditer(text):
        word, punct = _word_before(text, match.start()), match.group(1)
        if not word:  # punctuation alone: its first mark is the "word" the rest ends
            if len(punct) < 2:
                continue
            word, punct = punct[0], punct[1:]
        if punct == "." and is_abbreviation(word):
            continue
        count += 1
    return count


def _word_before(text: str, at: int) -> str:
    """The non-space characters of the text right before ``at``."""
    word = text[text.rfind(" ", 0, at) + 1 : at]
    if word and not word.isprintable():  # white space other than " " (lines are normalised)
        word = "" if word[-1].isspace() else word.split()[-1]
    return word


@lru_cache(maxsize=4096)
def ending(text: str) -> str:
    """The kind of the text's last character: period, abbrev, qe, colon, cont, ellipsis, open.
    Memoised: a line's ending is asked as the line, as a neighbour of two others and by the
    document's profile."""
    stripped = text.rstrip(CLOSE_QUOTES + " ")
    quoted = stripped != text.rstrip()
    last = stripped[-1:] if stripped else ""
    if text.endswith("...") or last == "…":
        return "ellipsis"
    if last == ".":
        return "abbrev" if is_abbreviation(_last_word(stripped)) else "period"
    if last in "!?":
        return "qe"
    if last == ":":
        return "colon"
    if last in ",;-–—(/":
        return "cont"
    return "quote" if quoted else "open"


def ends_sentence(text: str | None) -> bool:
    return text is not None and ending(text) in ("period", "qe", "ellipsis", "quote")


def _length_bucket(n: int) -> str:
    for limit in (12, 30, 60, 100, 150, 220):
        if n <= limit:
            return f"len<={limit}"
    return "len>220"


def _looks_like_headline(text: str, stats: DocumentStats) -> bool:
    """A cheap shape test for a neighbouring line: short and without a closing period."""
    return len(text) < 0.6 * stats.paragraph_chars and ending(text) in ("open", "qe", "quote")


def candidate_features(
    cand: Candidate,
    prev: str | None,
    nxt: Candidate | None,
    stats: DocumentStats,
    after_next: Candidate | None = None,
) -> dict[str, float]:
    """The evidence for ``cand`` opening an article, as named numbers."""
    text = cand.text
    n = len(text)
    f: dict[str, float] = {}

    # Layout: blank lines around the line, or a sentence end glued before it.
    first = prev is None
    f["first_line"] = float(first)
    f["glued"] = float(cand.glued)
    f["blank_before"] = float(cand.blank_before > 0 and not first)
    f["blank_before_2+"] = float(cand.blank_before > 1 and not first)
    f["blank_after"] = float(cand.blank_after > 0 and nxt is not None)
    f["blank_after_2+"] = float(cand.blank_after > 1 and nxt is not None)
    f["no_blank_around"] = float(not cand.blank_before and not cand.blank_after and not first)
    # In a document whose every paragraph follows a blank line, a blank line says less.
    f["blank_before*blank_rate"] = f["blank_before"] * stats.blank_rate
    f["last_line"] = float(nxt is None)

    # Shape: length, first and last characters, sentences inside.
    f[_length_bucket(n)] = 1.0
    ratio = n / max(stats.paragraph_chars, 1.0)
    f["shorter_than_half_paragraph"] = float(ratio < 0.5)
    f["longer_than_paragraph"] = float(ratio >= 1.0)
    f["words<=2"] = float(len(text.split(None, 2)) <= 2)
    f[f"ends_{ending(text)}"] = 1.0
    first_char = text[0]
    f["starts_lower"] = float(first_char.islower())
    f["starts_digit"] = float(first_char.isdigit())
    f["starts_quote"] = float(first_char in OPEN_QUOTES)
    f["starts_bullet"] = float(bool(BULLET.match(text)))
    breaks = sentence_breaks(text)
    f["sentence_breaks=1"] = float(breaks == 1)
    f["sentence_breaks>=2"] = float(breaks >= 2)
    f["all_caps"] = float(text == text.upper() and sum(c.isalpha() for c in text) >= 4)
    f["contact_or_time"] = float(has_contact(text) or bool(TIME_OR_DATE.match(text)))
    f["has_colon_inside"] = float(":" in text[:-1])
    f["dateline"] = float(bool(DATELINE.match(text)))
    if stats.wrap_width:
        # Prose wrapped at a fixed width fills the line; a headline seldom does.
        full = n >= 0.85 * stats.wrap_width and not ends_sentence(text)
        f["fills_wrap_width"] = float(full)

    # Shape weighs less where the layout sets the line apart: a headline may end in "." or "?".
    apart = float(cand.blank_before > 0 and cand.blank_after > 0 and not first)
    f["set_apart"] = apart
    f["set_apart*ends_period"] = apart * f.get("ends_period", 0.0)
    f["set_apart*ends_qe"] = apart * f.get("ends_qe", 0.0)
    f["set_apart*sentence_breaks"] = apart * float(breaks > 0)

    # Neighbours: does the previous line close a sentence, does a paragraph follow?
    if prev is not None:
        f["prev_ends_sentence"] = float(ends_sentence(prev))
        f["prev_ends_open"] = float(ending(prev) in ("open", "cont"))
        f["prev_open*no_blank"] = f["prev_ends_open"] * float(not cand.blank_before)
        f["prev_short"] = float(len(prev) < 0.5 * stats.paragraph_chars)
        if stats.wrap_width and not cand.blank_before and not f["prev_ends_sentence"]:
            # In a hard-wrapped document a line under a full-width line continues it.
            f["prev_fills_wrap_width"] = float(len(prev) >= 0.85 * stats.wrap_width)
    if nxt is not None and after_next is not None and DATELINE.match(nxt.text):
        # "Dodano: 2013-03-22" under a headline: the paragraph follows the date line.
        f["next_is_dateline"] = 1.0
        nxt = after_next
    if nxt is not None:
        m = len(nxt.text)
        f["next_starts_lower"] = float(nxt.text[0].islower())
        f["next_starts_lower*no_blank"] = f["next_starts_lower"] * float(not cand.blank_after)
        f["next_longer_x2"] = float(m >= 2 * n)
        f["next_is_paragraph"] = float(m >= 0.7 * stats.paragraph_chars or m >= 150)
        f["next_looks_like_headline"] = float(_looks_like_headline(nxt.text, stats))
        f["next_is_bullet"] = float(bool(BULLET.match(nxt.text)))
    return f


def _before_class(cand: Candidate) -> str:
    if cand.glued:
        return "glued"
    return str(min(cand.blank_before, 4))


def _after_class(cand: Candidate) -> str:
    return "0" if not cand.blank_after else "1+"


@dataclass(frozen=True)
class TitleProfile:
    """The house style of a document: how the headlines a first reading found differ from
    its other lines (blank lines around them, how they end, how long they are)."""

    titles: float  # the first reading's headlines, each counted by its probability
    lines: int
    counts: dict[str, Counter]  # aspect -> class -> weight among headlines
    base: dict[str, Counter]  # aspect -> class -> count among all lines
    max_chars: int

    @classmethod
    def of(cls, cands: list[Candidate], probs: list[float]) -> TitleProfile:
        counts: dict[str, Counter] = {name: Counter() for name in ASPECTS}
        base: dict[str, Counter] = {name: Counter() for name in ASPECTS}
        for cand, p in zip(cands, probs, strict=True):
            for name, fn in ASPECTS.items():
                cls_ = fn(cand)
                counts[name][cls_] += p
                base[name][cls_] += 1
        likely = [len(c.text) for c, p in zip(cands, probs, strict=True) if p >= 0.5]
        return cls(sum(probs), len(cands), counts, base, max(likely, default=0))

    def log_ratio(self, aspect: str, cand: Candidate) -> float:
        """log P(class | headline) / P(class | any line): 0 when the class tells nothing."""
        cls_ = ASPECTS[aspect](cand)
        p_title = (self.counts[aspect][cls_] + 0.5) / (self.titles + 1)
        p_any = (self.base[aspect][cls_] + 0.5) / (self.lines + 1)
        return max(-3.0, min(3.0, math.log(p_title / p_any)))


ASPECTS = {
    "blank_before": _before_class,
    "blank_after": _after_class,
    "ending": lambda c: ending(c.text),
}


def profile_features(cand: Candidate, profile: TitleProfile) -> dict[str, float]:
    """Whether a candidate looks like the document's other headlines and unlike its text."""
    if profile.titles < 2:
        return {"doc_few_headlines": 1.0}
    out = {}
    for aspect in ASPECTS:
        # Likeness and unlikeness weigh apart: a rare shape among the headlines (one that
        # ends with a period) must not veto as strongly as a common one supports.
        ratio = profile.log_ratio(aspect, cand)
        out[f"doc_{aspect}_like_headlines"] = max(ratio, 0.0)
        out[f"doc_{aspect}_unlike_headlines"] = max(-ratio, 0.0)
    out["doc_longer_than_headlines"] = float(len(cand.text) > 1.2 * profile.max_chars)
    return out
