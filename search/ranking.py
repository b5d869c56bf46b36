"""A query wrapper that adds a constant to its child's score when the child matches.

Used for coordination: each query word that matches adds a bonus, so among partial matches
documents with more of the words rank higher. Unlike ``Or([q, ConstantScoreQuery(q)])`` the
child is matched once, and block-quality skipping keeps working (qualities shift by the bonus).
"""

from __future__ import annotations

from whoosh.matching.wrappers import WrappingMatcher
from whoosh.query.wrappers import WrappingQuery


class BonusMatcher(WrappingMatcher):
    def __init__(self, child, bonus: float):
        super().__init__(child)
        self.bonus = bonus

    def copy(self):
        return BonusMatcher(self.child.copy(), self.bonus)

    def _replacement(self, newchild):
        return BonusMatcher(newchild, self.bonus)

    def replace(self, minquality=0):
        r = self.child.replace(max(0, minquality - self.bonus))
        return self if r is self.child else self._replacement(r)

    def skip_to_quality(self, minquality):
        return self.child.skip_to_quality(minquality - self.bonus)

    def max_quality(self):
        return self.child.max_quality() + self.bonus

    def block_quality(self):
        return self.child.block_quality() + self.bonus

    def score(self):
        return self.child.score() + self.bonus


class BonusQuery(WrappingQuery):
    """Match like the child; score = child's score + bonus."""

    def __init__(self, child, bonus: float):
        super().__init__(child)
        self.bonus = bonus

    def __eq__(self, other):
        return (
            isinstance(other, BonusQuery)
            and self.child == other.child
            and self.bonus == other.bonus
        )

    def __hash__(self):
        return hash((self.child, self.bonus))

    def _rewrap(self, child):
        return BonusQuery(child, self.bonus)

    def matcher(self, searcher, context=None):
        matcher = self.child.matcher(searcher, context)
        return BonusMatcher(matcher, self.bonus) if matcher.is_active() else matcher
