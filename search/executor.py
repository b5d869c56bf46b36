"""Evaluate the planner's query trees with array arithmetic over cached posting lists.

Every node evaluates to a sparse vector: sorted docnums and their scores. The scores are
Whoosh's own: BM25F per term, sums over ``Or`` and ``And``, query boosts as factors, a
constant per matched word for ``BonusQuery`` (tests compare both engines on a real index).
Phrases are matched here too (positions read for the candidate documents only, with the
search's deadline checked as it goes); other nodes run through Whoosh's matcher.
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
    # True at each of the ids, over the docnums up to the last: kept where a union was
    # summed over every docnum, so that facets need not scatter the ids again
    mask: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def where(self, keep: np.ndarray) -> Matches:
        """The matches where the boolean mask ``keep`` is true: taken at the positions it
        holds, not by boolean indexing, which branches on every element (5-9 times as slow
        on 66k matches when the mask keeps 30-70% of them, NumPy 2.4)."""
        at = np.flatnonzero(keep)
        return Matches(self.ids.take(at), self.scores.take(at))

    def top(self, limit: int | None = None, key: np.ndarray | None = None) -> np.ndarray:
        """Positions of the best matches: by score (or by ``key`` descending, then score),
        ties by docnum."""
        if key is None:
            if limit is not None and len(self.ids) > 4 * limit > 0:
                # Only matches scoring at least the limit-th best can rank within the limit
                # (ties at that score included): sort those, not every match.
                kth = kth_best(self.scores, limit)
                head = np.flatnonzero(self.scores >= kth)
                order = head[np.lexsort((self.ids[head], -self.scores[head]))]
                return order[:limit]
            order = np.lexsort((self.ids, -self.scores))
        else:
            order = np.lexsort((self.ids, -self.scores, -key))
        return order if limit is None else order[:limit]


def kept(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``values[keep]`` for a boolean mask, taken at the positions it holds (see
    Matches.where)."""
    return values.take(np.flatnonzero(keep))


def kth_best(scores: np.ndarray, k: int) -> float:
    """The k-th largest score (exactly what np.partition gives). Each of the k best block
    maxima has at least one score at or above it, so the k-th best score is too: only the
    scores at or above the k-th best block maximum are partitioned."""
    blocks = min(TOP_BLOCKS, len(scores) // (4 * k))
    if blocks > k:
        width = len(scores) // blocks
        maxima = scores[: blocks * width].reshape(blocks, width).max(axis=1)
        bound = np.partition(maxima, blocks - k)[blocks - k]
        head = kept(scores, scores >= bound)
        if len(head) >= k:
            return float(np.partition(head, len(head) - k)[-k])
    return float(np.partition(scores, len(scores) - k)[-k])


NONE = Matches(EMPTY_IDS, EMPTY_SCORES)
# A union is summed in arrays over all docnums when its parts hold at least 1/DENSE_UNION of
# them (zeroing such arrays then costs less than sorting the matches).
DENSE_UNION = 16
# Membership tests go through an array over the docnums (zeroed, scattered, gathered: ~1.3 ns
# per haystack entry and ~0.1 ns per docnum) when there are enough needles to outweigh
# binary searches (~20 ns per needle), measured at 100k docnums.
LOOKUP_COST = 16  # a binary search per needle, in haystack entries' scatter
ZEROING_SHARE = 8  # docnums zeroed per haystack entry's cost
# Top-k: the best scores of this many blocks bound the k-th best from below, so only
# matches scoring at least that bound are sorted (np.partition over 70k scores: ~0.5 ms).
TOP_BLOCKS = 1024


def _is_null(q) -> bool:
    return isinstance(q, Q.NullQuery.__class__)


def _terms(step) -> list:
    return [step] if isinstance(step, Q.Term) else list(step.subqueries)


def _is_terms(step) -> bool:
    """A phrase step the array executor handles: a term or an Or of terms (one field)."""
    if isinstance(step, Q.Term):
        return True
    return (
        isinstance(step, Q.Or)
        and step.boost == 1
        and all(isinstance(t, Q.Term) and t.boost == 1 for t in step.subqueries)
    )


def _across_fields(q: Q.Or) -> bool:
    """One word in several fields (the planner's ``title:t OR body:t``), no boosts."""
    subs = q.subqueries
    return (
        q.boost == 1
        and len(subs) > 1
        and all(isinstance(t, Q.Term) and t.boost == 1 for t in subs)
        and len({t.text for t in subs}) == 1
        and len({t.fieldname for t in subs}) == len(subs)
    )


def tree_key(q) -> tuple | None:
    """A key for a tree of Or and Term nodes (a word's readings, as the planner builds
    them), the same for equal trees in any search; None for any other tree."""
    if isinstance(q, Q.Term):
        return (q.fieldname, q.text, q.boost)
    if type(q) is Q.Or:
        subs = tuple(tree_key(sub) for sub in q.subqueries)
        return None if None in subs else ("or", q.boost, subs)
    return None


def union(parts: list[Matches]) -> Matches:
    parts = [p for p in parts if len(p)]
    if not parts:
        return NONE
    if len(parts) == 1:
        return parts[0]
    size = max(int(p.ids[-1]) for p in parts) + 1
    if sum(len(p) for p in parts) * DENSE_UNION >= size:
        # Many matches: add scores into arrays over the docnums (no sort); each part's ids
        # are unique, and parts are added in order, as bincount below adds them. (ufunc.at
        # adds in place, twice as fast as ``scores[ids] += ...``'s gather and scatter.)
        scores, hit = np.zeros(size), np.zeros(size, dtype=bool)
        for p in parts:
            np.add.at(scores, p.ids, p.scores)
            hit[p.ids] = True
        ids = np.flatnonzero(hit)
        return Matches(ids, scores[ids], hit)
    ids = np.concatenate([p.ids for p in parts])
    scores = np.concatenate([p.scores for p in parts])
    unique, inverse = np.unique(ids, return_inverse=True)
    return Matches(unique, np.bincount(inverse, weights=scores, minlength=len(unique)))


def _dense(count: int, other: int, size: int) -> bool:
    """Whether looking ``count`` docnums up in ``other`` sorted ones is cheaper through an
    array over every docnum (zeroed, one scatter, one gather) than by binary search: ten
    needles are looked up in 70k matches in 4 us by binary search, in 100 us densely."""
    return count * LOOKUP_COST >= other + size // ZEROING_SHARE


def intersection(parts: list[Matches]) -> Matches:
    """Documents in every part, their scores summed. The smallest part's documents are
    looked up in each other part: through an array over the docnums when the parts are
    large, by binary search when the smallest is small (no sort either way)."""
    if not parts or any(not len(p) for p in parts):
        return NONE
    parts = sorted(parts, key=len)
    ids, scores = parts[0].ids, parts[0].scores
    for other in parts[1:]:
        size = max(int(ids[-1]), int(other.ids[-1])) + 1
        if _dense(len(ids), len(other), size):
            spread = np.full(size, np.nan)  # scores are never NaN: NaN marks "absent"
            spread[other.ids] = other.scores
            theirs = spread[ids]
            at = np.flatnonzero(~np.isnan(theirs))  # (see Matches.where)
            ids, scores = ids.take(at), scores.take(at) + theirs.take(at)
        else:
            at = np.searchsorted(other.ids, ids)
            np.minimum(at, len(other.ids) - 1, out=at)
            found = np.flatnonzero(other.ids[at] == ids)  # (see Matches.where)
            ids, scores = ids.take(found), scores.take(found) + other.scores.take(at.take(found))
        if not len(ids):
            return NONE
    return Matches(ids, scores)


def contains(haystack: np.ndarray, needles: np.ndarray) -> np.ndarray:
    """For each needle, whether the sorted array ``haystack`` holds it (a mask over the
    docnums or binary search: no sort of either array, unlike np.isin)."""
    if not len(haystack) or not len(needles):
        return np.zeros(len(needles), dtype=bool)
    size = int(haystack[-1]) + 1
    if _dense(len(needles), len(haystack), size):
        mask = np.zeros(size, dtype=bool)
        mask[haystack] = True
        inside = needles < size
        if inside.all():
            return mask[needles]
        out = np.zeros(len(needles), dtype=bool)
        out[inside] = mask[needles[inside]]
        return out
    at = np.searchsorted(haystack, needles)
    np.minimum(at, len(haystack) - 1, out=at)
    return haystack[at] == needles


def difference(keep: Matches, drop: Matches) -> Matches:
    if not len(keep) or not len(drop):
        return keep
    return keep.where(~contains(drop.ids, keep.ids))


class Executor:
    """Runs query trees against one IndexView (and its Whoosh searcher for phrases)."""

    def __init__(self, view: IndexView, searcher, deadline: Deadline = NO_DEADLINE):
        self.view = view
        self.searcher = searcher
        self.deadline = deadline
        self._done: dict[int, Matches] = {}
        self._keep: list = []

    def run(self, q) -> Matches:
        """The matches of a query tree. A plan's word groups appear in both its all-words and
        its partial query (the very same objects): each is evaluated once per search."""
        key = id(q)
        found = self._done.get(key)
        if found is None:
            found = self._done[key] = self._run(q)
            self._keep.append(q)  # keeps the id unique while the memo lives
        return found

    def _run(self, q) -> Matches:
        self.deadline.check()
        if isinstance(q, Q.Term):
            ids, scores = self.view.bm25(q.fieldname, q.text)
            return Matches(ids, scores * q.boost if q.boost != 1 else scores)
        if isinstance(q, BonusQuery):
            if (key := tree_key(q.child)) is not None:
                # A word with its bonus (each word of a partial-match query): cached per
                # build like its readings, not a new array of 70k scores per search.
                found = self.view.cached(("bonus", q.bonus, key), lambda: self._bonus(q))
                return Matches(found.ids, found.scores)
            return self._bonus(q)
        if isinstance(q, Q.AndNot):
            return difference(self.run(q.a), self.run(q.b))
        if isinstance(q, Q.Or) and _across_fields(q):
            found = self.view.across(tuple(t.fieldname for t in q.subqueries), q.subqueries[0].text)
            return Matches(found.ids, found.scores)
        if isinstance(q, Q.Or) and (key := tree_key(q)) is not None:
            # A word's readings: one cached union per build, like a term's postings (the
            # word "roku" in any question), not a union of its forms per search.
            found = self.view.cached(key, lambda: self._combine(q))
            return Matches(found.ids, found.scores)
        if isinstance(q, (Q.Or, Q.And)):
            return self._combine(q)
        if _is_null(q):
            return NONE
        if isinstance(q, Q.Sequence) and any(_is_null(step) for step in q.subqueries):
            return NONE  # a word of the phrase is nowhere in the index
        if isinstance(q, Q.Sequence) and all(_is_terms(step) for step in q.subqueries):
            return self._sequence(q)
        if isinstance(q, Q.Every):
            ids = np.flatnonzero(self.view.live).astype(np.int64)
            return Matches(ids, np.ones(len(ids)))  # Whoosh scores Every() 1.0
        return self._whoosh(q)

    def _bonus(self, q: BonusQuery) -> Matches:
        child = self.run(q.child)
        return Matches(child.ids, child.scores + q.bonus)

    def _combine(self, q: Q.Or | Q.And) -> Matches:
        parts = [self.run(sub) for sub in q.subqueries]
        found = union(parts) if isinstance(q, Q.Or) else intersection(parts)
        return Matches(found.ids, found.scores * q.boost) if q.boost != 1 else found

    def _sequence(self, q: Q.Sequence) -> Matches:
        """A phrase: documents holding every step (array intersection), then those where the
        steps stand at consecutive positions. The score is the steps' summed scores, as
        Whoosh's phrase matcher gives it."""
        steps = [self.run(step) for step in q.subqueries]
        found = intersection(steps)
        if not len(found) or len(steps) < 2:
            return found
        keep = self._phrase_in_arrays(q, found.ids)
        if keep is None:
            keep = self._phrase_in_whoosh(q, found.ids)
        found = found.where(keep)
        return Matches(found.ids, found.scores * q.boost) if q.boost != 1 else found

    def _phrase_in_arrays(self, q: Q.Sequence, docs: np.ndarray) -> np.ndarray | None:
        """Which of the documents hold the phrase, by array arithmetic over positions keyed
        ``docnum << 32 | position``: the first step's keys that every k-th step holds at
        key + k. None when some segment has no positions in its arrays."""
        held: dict[tuple, np.ndarray] = {}  # phrases repeat words: each step's keys once
        starts = None
        for k, step in enumerate(q.subqueries):
            self.deadline.check()
            key = tuple(sorted((t.fieldname, t.text) for t in _terms(step)))
            if key not in held:
                parts = [self.view.position_keys(f, text, docs) for f, text in key]
                if any(part is None for part in parts):
                    return None
                held[key] = np.unique(np.concatenate(parts))
            keys = held[key]
            if starts is None:
                starts = keys
                continue
            at = kept(keys, (keys & 0xFFFFFFFF) >= k) - k  # where the phrase would start
            starts = kept(starts, contains(at, starts))
            if not len(starts):
                break
        return contains(np.unique(starts >> 32), docs)

    def _phrase_in_whoosh(self, q: Q.Sequence, docs: np.ndarray) -> np.ndarray:
        """Which of the documents hold the phrase, from the positions Whoosh decodes for
        each of them (segments whose arrays have no positions)."""
        per_step = []
        cache: dict[str, dict[int, frozenset[int]]] = {}
        merged_steps: dict[tuple[str, ...], dict] = {}  # phrases repeat words: merge once
        for step in q.subqueries:
            key = tuple(sorted(t.text for t in _terms(step)))
            if key not in merged_steps:
                merged: dict[int, set[int]] = {}
                for term in _terms(step):
                    if term.text not in cache:
                        cache[term.text] = self.view.positions(
                            term.fieldname, term.text, docs, self.deadline.check
                        )
                    for doc, where in cache[term.text].items():
                        merged.setdefault(doc, set()).update(where)
                merged_steps[key] = merged
            per_step.append(merged_steps[key])
        keep = np.zeros(len(docs), dtype=bool)
        for i, doc in enumerate(docs.tolist()):
            if i % 256 == 0:
                self.deadline.check()
            first = per_step[0].get(doc, ())
            keep[i] = any(
                all(p + k in step.get(doc, ()) for k, step in enumerate(per_step[1:], 1))
                for p in first
            )
        return keep

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
