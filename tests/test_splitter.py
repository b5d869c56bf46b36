"""Segmentation of archive documents into articles."""

from pathlib import Path

import pytest

from indexer.corpus import parse_document
from indexer.splitter import split_document

SEEDS = Path(__file__).resolve().parent.parent / "corpus"

EXPECTED_TITLES = {
    "000_a8c119e7a8e6c506.txt": [
        "Wizyta delegacji z Wielkiej Brytanii w Klubie Integracji Społecznej",
        "Seminarium w Berlinie",
        "Wizyta na Węgrzech",
        "Wizyta studentów z Danii",
        "Delegacja z Niemiec w Miejskim Ośrodku Pomocy Społecznej",
        "Wizyta w Brukseli",
        "Spotkanie z grupą przedstawicieli samorządowych z Ukrainy",
        "Grupa w Klubie Integracji Społecznej",
        "Wizyta studyjna we Francji",
        "Delegacja z Chorwacji w Miejskim Ośrodku Pomocy Społecznej",
        "Spotkanie grupy roboczej AQUA na Łotwie",
        "Wizyta przedstawicieli Ośrodka PomocySpołecznej z Czech",
        "Wizyta studentów z Kanady w Miejskim Ośrodku Pomocy Społecznej",
        "Spotkanie grup roboczej SEEN w Edynburgu",
        "Spotkanie grupy roboczej AQUA w Hamburgu",
        "Wizyta stażysty z Ukrainy",
        "Wizyta studyjna w Turynie",
    ],
    "002_d7ee7b1e394258f0.txt": [
        "Wizyty w Miejskim Ośrodku Pomocy Społecznej francuskich animatorów",
        "Wizyta studentów pracy socjalnej z Niemiec w Miejskim Ośrodku Pomocy Społecznej",
        "Studenci z Francji w Miejskim Ośrodku Pomocy Społecznej",
        "Wizyta studyjna w Wielkiej Brytanii przedstawiciela MOPS",
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED_TITLES))
def test_seed_documents_split_into_exact_titles(name):
    articles = parse_document((SEEDS / name).read_text(encoding="utf-8"), name)
    assert [a.title for a in articles] == EXPECTED_TITLES[name]
    assert all(a.body for a in articles)
    assert {a.institution for a in articles} == {"Miejski Ośrodek Pomocy Społecznej"}


def test_seeds_hold_21_articles():
    total = sum(
        len(parse_document((SEEDS / n).read_text(encoding="utf-8"), n)) for n in EXPECTED_TITLES
    )
    assert total == 21


HEADER = "Archiwum BIP X - Ośrodek Testowy\nDokument archiwalny\n\n"

# (document body after the header, expected [(title, paragraph count)])
HARD_CASES = [
    pytest.param(
        "Pierwszy tytuł\n\nTreść pierwszego artykułu.\n\nDrugi tytuł\n\nTreść drugiego.",
        [("Pierwszy tytuł", 1), ("Drugi tytuł", 1)],
        id="blank-lines",
    ),
    pytest.param(
        "Pierwszy tytuł\n   \n\u00a0\nTreść pierwszego.\n \t \nDrugi tytuł\n  \nTreść drugiego.",
        [("Pierwszy tytuł", 1), ("Drugi tytuł", 1)],
        id="whitespace-only-lines",
    ),
    pytest.param(
        "Pierwszy tytuł\nTreść zaczyna się od razu w następnej linii.\n\n"
        "Drugi tytuł\nI tu też treść.",
        [("Pierwszy tytuł", 1), ("Drugi tytuł", 1)],
        id="no-blank-between-title-and-body",
    ),
    pytest.param(
        "Pierwszy tytuł\n\nSpotkanie z udziałem przedstawicieli Komisji Europejskiej."
        "Spotkanie z grupą z Ukrainy\n\nTreść drugiego artykułu.",
        [("Pierwszy tytuł", 1), ("Spotkanie z grupą z Ukrainy", 1)],
        id="title-glued-to-previous-sentence",
    ),
    pytest.param(
        "Tytuł artykułu\n\nStrona Polska zaprezentowała swoje osiągnięcia\n"
        "w dziedzinie rozwiązywania problemów społecznych.\nKolejny akapit tekstu.",
        [("Tytuł artykułu", 2)],
        id="hard-wrapped-paragraph-is-not-a-title",
    ),
    pytest.param(
        "Pierwszy tytuł\n\nTreść.\nGoście wyrazili duże zainteresowanie projektami\n\n\n"
        "Drugi tytuł\n\nTreść drugiego.",
        [("Pierwszy tytuł", 2), ("Drugi tytuł", 1)],
        id="last-sentence-without-period",
    ),
    pytest.param(
        "Wizyta przedstawicieli Ośrodka PomocySpołecznej z Czech\n\n"
        "Odbyła się wizytaprzedstawicieli ośrodkapomocy społecznej.",
        [("Wizyta przedstawicieli Ośrodka PomocySpołecznej z Czech", 1)],
        id="glued-words-kept-as-written",
    ),
]


@pytest.mark.parametrize(("body", "expected"), HARD_CASES)
def test_layout_quirks(body, expected):
    doc = split_document(HEADER + body)
    assert [(a.title, len(a.paragraphs)) for a in doc.articles] == expected
    assert doc.institution == "Ośrodek Testowy"


def test_hard_wrapped_lines_are_joined_into_one_paragraph():
    doc = split_document(HEADER + "Tytuł\n\nZdanie przerwane\nw połowie i dokończone.")
    assert doc.articles[0].paragraphs == ["Zdanie przerwane w połowie i dokończone."]


def test_document_without_header_still_parses():
    doc = split_document("Tytuł bez nagłówka\n\nTreść artykułu.")
    assert doc.institution is None
    assert [a.title for a in doc.articles] == ["Tytuł bez nagłówka"]


# Headline shapes that a rule vetoing on shape would miss (the examples of issue 10).
SENTENCE_LIKE_HEADLINES = [
    "Czy Kraków potrzebuje nowej noclegowni?",
    "Rusza zimowa akcja pomocy bezdomnym!",
    "Nowy punkt pomocy. Dyżury we wtorki i czwartki",
    "80 lat minęło. Co dalej z domem pomocy przy ul. Łanowej?",
    "Prezydent: „Nikt nie zostanie bez dachu nad głową”",
    "Dr hab. Anna Nowak o ubóstwie energetycznym",
    "Ul. Józefińska 14 – mieszkania chronione dla seniorów",
    "Bezdomność",
]
BODY = (
    "W dniu 12 stycznia w siedzibie Ośrodka odbyło się spotkanie pracowników socjalnych "
    "z przedstawicielami organizacji pozarządowych. Omówiono plan działań na najbliższe "
    "miesiące oraz zasady współpracy przy realizacji wspólnych projektów."
)


@pytest.mark.parametrize("headline", SENTENCE_LIKE_HEADLINES)
@pytest.mark.parametrize(
    "layout",
    [
        "Pierwszy tytuł\n\n{body}\n\n{headline}\n\n{body}\n\nTrzeci tytuł\n\n{body}",
        "Pierwszy tytuł\n\n{body}\n\n\n{headline}\n{body}\n\n\nTrzeci tytuł\n{body}",
        "Pierwszy tytuł\n\n{body}{headline}\n\n{body}\n\nTrzeci tytuł\n\n{body}",
    ],
    ids=["plain", "body-follows", "glued"],
)
def test_sentence_like_headlines_are_found(headline, layout):
    doc = split_document(HEADER + layout.format(body=BODY, headline=headline))
    assert [a.title for a in doc.articles] == ["Pierwszy tytuł", headline, "Trzeci tytuł"]


def test_development_set_scores_hold():
    """The shipped model on the hand-written development documents (tests/data/articles)."""
    from benchmarks.splitter import load, prf, score

    totals = score(load())
    tp, npred, ngold = map(sum, zip(*totals.values(), strict=True))
    precision, recall, f1 = prf(tp, npred, ngold)
    assert ngold >= 500
    assert precision >= 0.97 and f1 >= 0.95, (precision, recall, f1)
