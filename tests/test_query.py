"""The query language and the planner, as tables of cases (input -> parsed form, -> plan)."""

from __future__ import annotations

import pytest
from whoosh import index as whoosh_index
from whoosh import query as Q

from search.planner import TermCache, build_query
from search.postings import CACHE_POSTINGS, ENTRY_OVERHEAD, IndexView
from search.query import FIELDS, parse
from search.segfiles import MappedFile
from search.store import INDEX_NAME, open_index


def form(text: str):
    """A parsed query as (required groups, excluded), each clause written back as typed."""
    parsed = parse(text)
    groups = [[c.display() for c in group] for group in parsed.groups]
    return groups, [c.display() for c in parsed.excluded]


@pytest.mark.parametrize(
    ("text", "groups", "excluded"),
    [
        ("bezdomność", [["bezdomność"]], []),
        ("bezdomność osoby", [["bezdomność"], ["osoby"]], []),
        ('"grupy roboczej"', [['"grupy roboczej"']], []),
        ("„grupy roboczej”", [['"grupy roboczej"']], []),
        ("Dania OR Kopenhaga", [["Dania", "Kopenhaga"]], []),
        ("OR Dania", [["Dania"]], []),
        ("Niemcy -Hamburg", [["Niemcy"]], ["-Hamburg"]),
        ("Niemcy NOT Hamburg", [["Niemcy"]], ["-Hamburg"]),
        ("title:Bruksela", [["title:Bruksela"]], []),
        ('title:"Wizyta w"', [['title:"Wizyta w"']], []),
        ("TITLE:Bruksela", [["title:Bruksela"]], []),
        ("ul.:Łanowa", [["ul.:Łanowa"]], []),
        ('"niedomknięty cudzysłów', [["niedomknięty"], ["cudzysłów"]], []),
        ("-", [], []),
        ("- - OR", [], []),
        ('""', [], []),
        ("NOT", [], []),
    ],
)
def test_parse(text, groups, excluded):
    assert form(text) == (groups, excluded)


@pytest.fixture(scope="module")
def reader(index_dir):
    ix = whoosh_index.open_dir(str(index_dir.resolve()), indexname=INDEX_NAME)
    with ix.reader() as r:
        yield r


def shape(q) -> str:
    """A plan's tree as its operators: And(Or, Or), AndNot(...), Phrase, Term..."""
    if q is None:
        return "-"
    if isinstance(q, Q.AndNot):
        return f"AndNot({shape(q.a)}, {shape(q.b)})"
    if isinstance(q, Q.Or | Q.And):
        return f"{type(q).__name__}({', '.join(shape(s) for s in q.subqueries)})"
    if hasattr(q, "child"):
        return f"{type(q).__name__}({shape(q.child)})"
    return type(q).__name__


@pytest.mark.parametrize(
    ("text", "required", "partial", "terms"),
    [
        ("Bruksela", "Or(Term, Term)", "-", {"bruksela"}),
        ("Bruksela Kopenhaga", "And(Or(Term, Term), Or(Term, Term))",
         "Or(BonusQuery(Or(Term, Term)), BonusQuery(Or(Term, Term)))", {"bruksela", "kopenhaga"}),
        ("Kopenhaga OR Bruksela", "Or(Or(Term, Term), Or(Term, Term))", "-",
         {"bruksela", "kopenhaga"}),
        ("NOT Francja", "AndNot(Every, Or(Or(Term, Term)))", "-", set()),
        ("title:Bruksela", "Or(Term)", "-", {"bruksela"}),
        ('"grupy roboczej"', "Or(Sequence, Sequence)", "-", {"grupa", "roboczy"}),
        ("i w z", "_NullQuery", "-", set()),
    ],
)  # fmt: skip
def test_plan(reader, text, required, partial, terms):
    plan = build_query(reader, parse(text))
    assert shape(plan.required) == required
    assert shape(plan.partial) == partial
    assert terms <= plan.terms


def test_posting_cache_evicts_least_recently_used(index_dir, monkeypatch):
    ix = whoosh_index.open_dir(str(index_dir.resolve()), indexname=INDEX_NAME)
    view = IndexView(ix, FIELDS, 0.75, 1.2)
    try:
        size = {t: len(view.postings("body", t).ids) for t in ("wizyta", "kraków", "spotkanie")}
        assert min(size.values()) > 0 and sum(size.values()) < CACHE_POSTINGS
        view._cache.clear()
        view._cached = 0
        budget = size["wizyta"] + size["spotkanie"] + 2 * ENTRY_OVERHEAD
        monkeypatch.setattr("search.postings.CACHE_POSTINGS", budget)
        view.postings("body", "wizyta")
        view.postings("body", "kraków")
        view.postings("body", "wizyta")  # now the most recently used
        view.postings("body", "spotkanie")  # over budget: "kraków" goes first
        assert [term for _, term in view._cache] == ["wizyta", "spotkanie"]
        assert view._cached == budget
    finally:
        view.close()


def test_segments_are_read_in_place_from_their_maps(index_dir):
    """A process opening a build holds no private copy of its postings: every inner file of a
    compound segment reads from the shared memory map, and reads give the same bytes."""
    ix = open_index(index_dir.resolve())
    reader = ix.reader()
    try:
        leaves = [leaf for leaf, _ in reader.leaf_readers()]
        assert leaves
        for leaf in leaves:
            postings = leaf._terms._postfile
            assert isinstance(postings, MappedFile)
            assert postings._buf.obj is not None  # a view of the map, not a bytes copy
            head = postings.get(0, 16)
            postings.seek(0)
            assert postings.read(16) == head and postings.tell() == 16
        # Searching through the mapped files gives the stored articles back.
        with ix.searcher() as searcher:
            assert searcher.document(id=searcher.stored_fields(0)["id"])
    finally:
        reader.close()


def test_term_cache_is_bounded_and_remembers(index_dir):
    """The per-build memo of planning answers keeps at most its size, and a remembered answer
    is not computed again."""
    cache = TermCache(size=3, terms=3)
    calls = []

    def compute(n):
        calls.append(n)
        return n * n

    for n in range(10):
        assert cache.remembered(("n", n), lambda n=n: compute(n)) == n * n
    assert cache.remembered(("n", 9), lambda: compute(-1)) == 81  # remembered
    assert len(cache._found) == 3 and -1 not in calls
    assert cache.remembered(("none",), lambda: None) is None  # None is remembered too
    assert cache.remembered(("none",), lambda: compute(-2)) is None and -2 not in calls
