"""Evaluate the planner's query trees with array arithmetic over cached posting lists.

Every node evaluates to a sparse vector: sorted docnums and their scores. The scores are
Whoosh's own: BM25F per term, sums over ``Or`` and ``And``, query boosts as factors, a
constant per matched word for ``BonusQuery`` (tests compare both engines on a real index).
Nodes this module does not know (phrases) run through Whoosh's matcher.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from whoosh import query as Q

from search.budget import NO_DEADLINE, Deadline
from search.postings import EMPTY_IDS, EMPTY_SCORES, IndexView
from search.ranking import BonusQuery


@dataclass
class Matches:
    ids: np.ndarray  # sorted, unique docnums
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    def where(self, keep: np.ndarray) -> Matches:
        return Matches(self.ids[keep], self.scores[keep])

    def top(self, limit: int | None = None, key: np.ndarray | None = None) -> np.ndarray:
        """Positions of the best matches: by score (or by ``key`` descending, then score),
        ties by docnum."""
        if key is None:
            order = np.lexsort((self.ids, -self.scores))
        else:
            order = np.lexsort((self.ids, -self.scores, -key))
        return order if limit is None else order[:limit]


NONE = Matches(EMPTY_IDS, EMPTY_SCORES)


def union(parts: list[Matches]) -> Matches:
    parts = [p for p in parts if len(p)]
    if not parts:
        return NONE
    if len(parts) == 1:
        return parts[0]
    ids = np.concatenate([p.ids for p in parts])
    scores = np.concatenate([p.scores for p in parts])
    unique, inverse = np.unique(ids, return_inverse=True)
    return Matches(unique, np.bincount(inverse, weights=scores, minlength=len(unique)))


def intersection(parts: list[Matches]) -> Matches:
    if not parts or any(not len(p) for p in parts):
        return NONE
    parts = sorted(parts, key=len)
    ids, scores = parts[0].ids, parts[0].scores
    for other in parts[1:]:
        ids, mine, theirs = np.intersect1d(ids, other.ids, assume_unique=True, return_indices=True)
        scores = scores[mine] + other.scores[theirs]
        if not len(ids):
            return NONE
    return Matches(ids, scores)


def difference(keep: Matches, drop: Matches) -> Matches:
    if not len(keep) or not len(drop):
        return keep
    return keep.where(~np.isin(keep.ids, drop.ids, assume_unique=True))


class Executor:
    """Runs query trees against one IndexView (and its Whoosh searcher for phrases)."""

    def __init__(self, view: IndexView, searcher, deadline: Deadline = NO_DEADLINE):
        self.view = view
        self.searcher = searcher
        self.deadline = deadline

    def run(self, q) -> Matches:
        self.deadline.check()
        if isinstance(q, Q.Term):
            ids, scores = self.view.bm25(q.fieldname, q.text)
            return Matches(ids, scores * q.boost if q.boost != 1 else scores)
        if isinstance(q, BonusQuery):
            child = self.run(q.child)
            return Matches(child.ids, child.scores + q.bonus)
        if isinstance(q, Q.AndNot):
            return difference(self.run(q.a), self.run(q.b))
        if isinstance(q, (Q.Or, Q.And)):
            parts = [self.run(sub) for sub in q.subqueries]
            found = union(parts) if isinstance(q, Q.Or) else intersection(parts)
            return Matches(found.ids, found.scores * q.boost) if q.boost != 1 else found
        if isinstance(q, Q.NullQuery.__class__):
            return NONE
        if isinstance(q, Q.Every):
            ids = np.flatnonzero(self.view.live).astype(np.int64)
            return Matches(ids, np.ones(len(ids)))  # Whoosh scores Every() 1.0
        return self._whoosh(q)

    def _whoosh(self, q) -> Matches:
        """Anything else (phrases) through Whoosh's own matcher, segment by segment."""
        ids, scores = [], []
        for sub, offset in self.searcher.leaf_searchers():
            # The leaf's postings already leave out deleted documents.
            matcher = q.matcher(sub, sub.context(needs_current=True, weighting=sub.weighting))
            while matcher.is_active():
                if len(ids) % 4096 == 0:
                    self.deadline.check()
                ids.append(matcher.id() + offset)
                scores.append(matcher.score())
                matcher.next()
        if not ids:
            return NONE
        return Matches(np.array(ids, dtype=np.int64), np.array(scores, dtype=np.float64))
