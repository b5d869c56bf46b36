"""The search entry point against a real index built from the seed corpus."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search.request import PageOutOfRange, QueryError

BRIT = "Wizyta delegacji z Wielkiej Brytanii w Klubie Integracji Społecznej"
FRANCE_STUDENTS = "Studenci z Francji w Miejskim Ośrodku Pomocy Społecznej"
LATVIA = "Spotkanie grupy roboczej AQUA na Łotwie"
HUNGARY = "Wizyta na Węgrzech"
BRUSSELS = "Wizyta w Brukseli"
DENMARK = "Wizyta studentów z Danii"
TURIN = "Wizyta studyjna w Turynie"
CZECH = "Wizyta przedstawicieli Ośrodka PomocySpołecznej z Czech"
UKRAINE_INTERN = "Wizyta stażysty z Ukrainy"


def titles(result):
    return [h.title for h in result.hits]


# (query, titles that must all be found, title that must rank first or None)
CASES = [
    ("bezdomność", {BRIT, FRANCE_STUDENTS}, None),
    ("bezdomnym", {BRIT, FRANCE_STUDENTS}, None),
    ("bezdomnosc", {BRIT, FRANCE_STUDENTS}, None),
    ("bezdomnośc", {BRIT, FRANCE_STUDENTS}, None),
    ("Łotwa", {LATVIA}, LATVIA),
    ("lotwa", {LATVIA}, LATVIA),
    ("wegry", {HUNGARY}, HUNGARY),
    ("Włochy", {TURIN}, TURIN),
    ("Kopenhaga", {DENMARK}, DENMARK),
    ("Bruksela", {BRUSSELS}, BRUSSELS),
    ("Pustowit", {UKRAINE_INTERN}, UKRAINE_INTERN),
    ("wizytaprzedstawicieli", {CZECH}, CZECH),
    ("PomocySpołecznej", {CZECH}, None),
    ('"grupy roboczej" Łotwa', {LATVIA}, LATVIA),
    ("title:Brukseli", {BRUSSELS}, BRUSSELS),
]


@pytest.mark.parametrize(("query", "expected", "first"), CASES)
def test_queries_find_their_articles(engine, query, expected, first):
    result = engine.search(query, per_page=50)
    assert expected <= set(titles(result)), titles(result)
    if first:
        assert result.hits[0].title == first


def test_articles_with_all_words_rank_first(engine):
    result = engine.search("Bruksela Kopenhaga")
    assert result.total_all_words == 0 and result.partial  # none has both: best partial matches
    assert {BRUSSELS, DENMARK} <= set(titles(result))
    both = engine.search("Bruksela Komisja")
    assert both.total_all_words >= 1 and titles(both)[0] == BRUSSELS
    mixed = engine.search("studentów Kopenhagi", per_page=50)
    assert titles(mixed)[0] == DENMARK  # the only article with both words
    assert mixed.total > mixed.total_all_words == 1  # then articles with one of them


def test_partial_matches_rank_by_number_of_words_matched(engine):
    result = engine.search("Kopenhaga studentów Bruksela", per_page=50)
    assert result.partial
    # The Danish visit has two of the three words; it must beat every one-word match.
    assert titles(result)[0] == DENMARK


def test_or_and_not(engine):
    either = set(titles(engine.search("Kopenhaga OR Bruksela")))
    assert {DENMARK, BRUSSELS} <= either
    without = set(titles(engine.search("Niemcy -Hamburg", per_page=50)))
    assert "Spotkanie grupy roboczej AQUA w Hamburgu" not in without
    assert without
    assert "Wizyta studyjna we Francji" not in set(
        titles(engine.search("NOT Francja", per_page=50))
    )


def test_exact_phrase_requires_adjacent_words(engine):
    assert titles(engine.search('"Uniwersytet Jagielloński"'))
    assert titles(engine.search('"Jagielloński Uniwersytet"')) == []


def test_title_field_restricts_to_titles(engine):
    in_titles = set(titles(engine.search("title:Francja", per_page=50)))
    assert in_titles == {"Wizyta studyjna we Francji", FRANCE_STUDENTS}


@pytest.mark.parametrize(
    "query",
    ['"niedomknięty cudzysłów', "-", "bezdomność -", "title:", "OR", "NOT", "a:b:c", "(((", "***"],
)
def test_broken_syntax_is_searched_as_text(engine, query):
    engine.search(query)  # never raises


def test_typo_is_corrected_with_a_suggestion(engine):
    result = engine.search("Brukseal")
    assert result.corrected and result.suggestion
    assert titles(result)[0] == BRUSSELS


def test_numbers_are_not_corrected_as_typos(tmp_path):
    """A number is not a misspelt word: on the seeds "1" became "12" (a new user's finding)."""
    from indexer.build import rebuild
    from search.engine import SearchEngine
    from tests.conftest import copy_corpus

    index = tmp_path / "index"
    rebuild(copy_corpus(tmp_path / "corpus"), index)
    engine = SearchEngine(index)
    for query in ("1", "Bruksela 1"):
        result = engine.search(query)
        assert not result.corrected and result.suggestion is None, query
    assert engine.search("Brukseal").corrected  # words are still corrected
    engine.close()


def test_snippets_mark_inflected_forms(engine):
    result = engine.search("bezdomność")
    snippets = " ".join(h.snippet for h in result.hits)
    assert "<mark>bezdomnym</mark>" in snippets.lower() or "<mark>bezdomności</mark>" in snippets


def test_snippet_escapes_html_from_the_corpus(engine):
    result = engine.search("warsztaty Tarnów")
    snippet = result.hits[0].snippet
    assert "<script>" not in snippet and "<img" not in snippet and "<b>" not in snippet
    assert "&lt;script&gt;" in snippet


@pytest.mark.parametrize(
    ("query", "page", "per_page"),
    [("", 1, 10), ("   ", 1, 10), ("x" * 501, 1, 10), ("a", 0, 10), ("a", 1, 0), ("a", 1, 51)],
)
def test_invalid_requests_raise_query_error(engine, query, page, per_page):
    with pytest.raises(QueryError):
        engine.search(query, page=page, per_page=per_page)


def test_paging_is_consistent(engine):
    full = titles(engine.search("Pomocy Społecznej", per_page=50))
    paged = []
    for page in range(1, 4):
        paged += titles(engine.search("Pomocy Społecznej", page=page, per_page=8))
    assert paged == full[: len(paged)]
    with pytest.raises(PageOutOfRange) as past_end:
        engine.search("Pomocy Społecznej", page=99, per_page=10)
    assert past_end.value.last == -(-len(full) // 10)


@pytest.mark.parametrize(
    "query",
    ["bezdomność", "rok", "ludzie", "dobry", "Kraków", "dzień", "Pustowit", "wegry",
     "pomoc społeczna", "PomocySpołecznej", "wizytaprzedstawicieli", "Łotwa"],
)  # fmt: skip
def test_snippet_prefilter_misses_no_match(engine, query):
    """Skipping words by their first letters must find exactly what analysing all words does."""
    from search.analysis import has_glued_words
    from search.planner import build_query
    from search.query import parse
    from search.snippets import glued_of, highlight, match_spans, snippet

    searcher = engine._searcher()
    terms = build_query(searcher.reader(), parse(query)).terms
    found = 0
    glued = 0
    for fields in searcher.all_stored_fields():
        recorded = glued_of(fields["glued"])  # the article's glued words
        assert isinstance(recorded, frozenset)
        assert bool(recorded) == any(map(has_glued_words, (fields["title"], fields["body"])))
        for text in (fields["title"], fields["body"]):
            every_word = match_spans(text, terms, prefilter=False)
            assert match_spans(text, terms) == every_word, query
            # Articles are scanned for whole words and their recorded glued words only;
            # without the words, for whole words alone or for any glued word.
            for kind in (recorded, bool(recorded)):
                assert match_spans(text, terms, glued=kind) == every_word, query
            found += len(every_word)
        # And the snippet and title show the same, repaired text either way.
        for kind in (recorded, bool(recorded)):
            assert snippet(fields["body"], terms, kind) == snippet(fields["body"], terms)
            assert highlight(fields["title"], terms, kind) == highlight(fields["title"], terms)
        glued += bool(recorded)
    assert found, query
    assert 0 < glued < searcher.doc_count()  # both kinds of article are in the seed index


_LETTERS = "abcąćłżABĄĆŁŻ_0İß"
_TEXTS = st.one_of(
    st.text(alphabet=_LETTERS + " -,.", max_size=80),
    st.lists(st.text(alphabet=_LETTERS, min_size=1, max_size=14), max_size=8).map(" ".join),
    st.lists(st.text(alphabet="abcąćł", min_size=1, max_size=14), max_size=8).map(" ".join),
)


@settings(max_examples=1000, deadline=None)
@given(
    text=_TEXTS,
    starts=st.frozensets(st.text(alphabet="abcąćłżß0_-", min_size=1, max_size=3), max_size=5),
    glued=st.booleans(),
)
def test_candidate_scan_finds_what_the_regular_expressions_find(text, starts, glued):
    """Candidates found with str.find in the lower-cased text are the words the regular
    expressions find: word starts in any case, glued parts as written from the 5th letter of
    long words, camel-case words; odd letters and case included."""
    from search.snippets import _candidates, _whole_words_pattern, _words

    pattern = _candidates(starts) if glued else _whole_words_pattern(starts)
    expected = [(m.start(), m.end()) for m in pattern.finditer(text)]
    assert list(_words(text, starts, glued)) == expected


_WORDS = ["pomocy", "Pomoc", "rok", "r.", "roku", "w", "Krakowie", "PomocySpołecznej",
          "bezdomność", "<b>", "&", "İ", "2009"]  # fmt: skip
_SPACES = [" ", "  ", "\n", "\t", "\xa0", "\u2003", " \n "]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(_WORDS), st.sampled_from(_SPACES)), max_size=120),
    st.sampled_from(_SPACES + [""]),
    st.frozensets(st.sampled_from(["pomoc", "rok", "kraków", "bezdomność", "2009"]), min_size=1),
    st.sampled_from([True, False, frozenset(), frozenset({"PomocySpołecznej"})]),
)
def test_snippets_of_the_spaced_body_are_the_snippets_of_the_body(words, lead, terms, glued):
    """The texts files keep bodies with their white space collapsed; a snippet cut from one
    is the snippet of the body as written."""
    from search.snippets import snippet
    from search.textfiles import spaced

    text = lead + "".join(w + s for w, s in words)
    assert snippet(spaced(text), terms, glued, spaced=True) == snippet(text, terms, glued)
