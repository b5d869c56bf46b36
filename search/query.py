"""Parse the user's query language into clauses; never fails on broken syntax.

Supported: plain words (all must match), ``"exact phrases"``, ``OR`` between clauses,
``-word`` / ``NOT word`` to exclude, ``title:word`` / ``title:"phrase"`` to restrict a clause
to titles. Anything malformed (an unbalanced quote, a lone ``-``, an unknown ``field:``) is read
as plain text, so every input yields a search, never an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FIELDS = ("title", "body")
TOKEN = re.compile(
    r"""(?P<neg>-(?=\S))?
        (?:(?P<field>[A-Za-z]+):(?=\S))?
        (?:"(?P<phrase>[^"]*)"|(?P<word>[^\s"]+)|(?P<stray>"))""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Clause:
    """One searchable unit: a word or a phrase, maybe restricted to a field or excluded."""

    text: str
    phrase: bool = False
    field: str | None = None
    negated: bool = False

    def display(self) -> str:
        text = f'"{self.text}"' if self.phrase else self.text
        if self.field:
            text = f"{self.field}:{text}"
        return f"-{text}" if self.negated else text


@dataclass
class ParsedQuery:
    """Required groups (each an OR of clauses) and excluded clauses."""

    groups: list[list[Clause]] = field(default_factory=list)
    excluded: list[Clause] = field(default_factory=list)

    @property
    def clauses(self) -> list[Clause]:
        return [c for group in self.groups for c in group]

    def display(self) -> str:
        parts = [" OR ".join(c.display() for c in group) for group in self.groups]
        parts += [c.display() for c in self.excluded]
        return " ".join(parts)


def _balance_quotes(text: str) -> str:
    """Drop the last quote mark when quotes are unbalanced, so the rest is read as words."""
    if text.count('"') % 2:
        i = text.rfind('"')
        text = text[:i] + " " + text[i + 1 :]
    return text


def parse(text: str) -> ParsedQuery:
    """Parse a query string into required OR-groups and excluded clauses."""
    text = _balance_quotes(text.replace("„", '"').replace("”", '"').replace("“", '"'))
    parsed = ParsedQuery()
    pending_or = False
    negate_next = False
    for m in TOKEN.finditer(text):
        if m.group("stray"):
            continue
        word, phrase = m.group("word"), m.group("phrase")
        if word == "OR" and not m.group("neg") and not m.group("field"):
            pending_or = bool(parsed.groups)
            continue
        if word == "NOT" and not m.group("neg") and not m.group("field"):
            negate_next = True
            continue
        fld = (m.group("field") or "").lower() or None
        if fld not in FIELDS:
            # Not a field we know ("ul.:", "http:"): the whole thing is plain text.
            if fld is not None:
                word = f"{m.group('field')}:{word}" if word is not None else None
                phrase = f"{m.group('field')} {phrase}" if phrase is not None else None
            fld = None
        content = phrase if phrase is not None else word
        if not content or not re.search(r"\w", content):
            negate_next = False
            continue
        clause = Clause(
            text=content.strip(),
            phrase=phrase is not None,
            field=fld,
            negated=bool(m.group("neg")) or negate_next,
        )
        negate_next = False
        if clause.negated:
            parsed.excluded.append(clause)
            pending_or = False
        elif pending_or:
            parsed.groups[-1].append(clause)
            pending_or = False
        else:
            parsed.groups.append([clause])
    return parsed
