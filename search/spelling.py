"""Help for words as people type them: missing diacritics and typos.

Diacritics: "lotwa", "wegry", "swiadczenia" are matched to "Łotwa", "Węgry", "świadczenia" by
trying the Polish diacritic variants of each letter and keeping those the dictionary knows
(so inflected forms that never occur in the corpus are still restored). Typos ("Brukseal") are
corrected against the index's own vocabulary of words as written.
"""

from __future__ import annotations

from bisect import bisect_left
from functools import lru_cache
from itertools import product

from search.morphology import fold, is_known

VARIANTS = {
    "a": "aą", "c": "cć", "e": "eę", "l": "lł", "n": "nń", "o": "oó", "s": "sś", "z": "zźż",
}  # fmt: skip
MAX_VARIANTS = 4096


@lru_cache(maxsize=20_000)
def diacritic_variants(word: str) -> tuple[str, ...]:
    """Dictionary words that differ from a lower-case word only in Polish diacritics.

    Letters already carrying diacritics are kept; the word itself is not included.
    """
    choices = [VARIANTS.get(ch, ch) for ch in word]
    total = 1
    for options in choices:
        total *= len(options)
    if total > MAX_VARIANTS or total == 1:
        return ()
    found = []
    for letters in product(*choices):
        candidate = "".join(letters)
        if candidate != word and is_known(candidate):
            found.append(candidate)
    return tuple(found)


def has_diacritics(word: str) -> bool:
    return fold(word) != word


class Vocabulary:
    """The index's words as written (body lemma lexicon), for typo correction.

    Candidates share the first letter when one is close enough (rapidfuzz's compiled
    Levenshtein over the words of that letter: ~10 ms at 170k terms, where Whoosh's automaton
    walk over the term file took ~200 ms), else any letter. The most frequent candidate wins.
    The words are kept sorted, so the words of a letter are one slice (found by bisection):
    nothing is built when a build is opened.
    """

    def __init__(self, terms):
        self.terms = sorted(terms)  # recorded word lists are sorted already: a linear pass

    def _letter(self, letter: str) -> tuple[int, int]:
        """Where the words starting with ``letter`` lie in the sorted list."""
        start = bisect_left(self.terms, letter)
        return start, bisect_left(self.terms, chr(ord(letter) + 1), start)

    def corrections(self, word: str, doc_frequency) -> str | None:
        """The most frequent word of the index within an edit distance that grows with the
        word's length (1 up to 4 letters, 2 up to 8, then 3); words starting with another
        letter are tried when none starting with the same one is close enough."""
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        if not word:
            return None
        limit = 1 if len(word) <= 4 else 2 if len(word) <= 8 else 3
        start, end = self._letter(word[0])
        same = self.terms[start:end]
        others = self.terms[:start] + self.terms[end:]
        for bucket in (same, others):
            for maxdist in range(1, limit + 1):
                found = process.extract(
                    word, bucket, scorer=Levenshtein.distance, score_cutoff=maxdist, limit=None
                )
                if found:
                    return max(sorted(term for term, _, _ in found), key=doc_frequency)
        return None
