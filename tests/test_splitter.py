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

# Paragraphs of ordinary size: the splitter weighs a line against the document's prose.
P1 = (
    "W dniu 12 stycznia w siedzibie Ośrodka odbyło się spotkanie pracowników socjalnych "
    "z przedstawicielami organizacji pozarządowych działających na rzecz osób bezdomnych."
)
P2 = (
    "Uczestnicy omówili zasady współpracy przy realizacji wspólnych projektów oraz plan "
    "działań na najbliższe miesiące, w tym organizację zimowej akcji pomocy."
)

# (document body after the header, expected [(title, paragraph count)])
HARD_CASES = [
    pytest.param(
        f"Pierwszy tytuł\n\n{P1}\n\nDrugi tytuł\n\n{P2}",
        [("Pierwszy tytuł", 1), ("Drugi tytuł", 1)],
        id="blank-lines",
    ),
    pytest.param(
        f"Pierwszy tytuł\n   \n\u00a0\n{P1}\n \t \nDrugi tytuł\n  \n{P2}",
        [("Pierwszy tytuł", 1), ("Drugi tytuł", 1)],
        id="whitespace-only-lines",
    ),
    pytest.param(
        f"Pierwszy tytuł\n{P1}\n\nDrugi tytuł\n{P2}",
        [("Pierwszy tytuł", 1), ("Drugi tytuł", 1)],
        id="no-blank-between-title-and-body",
    ),
    pytest.param(
        f"Pierwszy tytuł\n\n{P1} Spotkanie z udziałem przedstawicieli Komisji Europejskiej."
        f"Spotkanie z grupą z Ukrainy\n\n{P2}",
        [("Pierwszy tytuł", 1), ("Spotkanie z grupą z Ukrainy", 1)],
        id="title-glued-to-previous-sentence",
    ),
    pytest.param(
        "Tytuł artykułu\n\nStrona Polska zaprezentowała swoje osiągnięcia\n"
        f"w dziedzinie rozwiązywania problemów społecznych.\n{P2}",
        [("Tytuł artykułu", 2)],
        id="hard-wrapped-paragraph-is-not-a-title",
    ),
    pytest.param(
        f"Pierwszy tytuł\n\n{P1}\nGoście wyrazili duże zainteresowanie projektami\n\n\n"
        f"Drugi tytuł\n\n{P2}",
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


ORDINARY = ["Pierwszy tytuł", "Spotkanie z seniorami", "Nowa siedziba filii", "Trzeci tytuł"]


@pytest.mark.parametrize("headline", SENTENCE_LIKE_HEADLINES)
@pytest.mark.parametrize(
    "article",
    ["{headline}\n\n{body}\n\n", "{headline}\n{body}\n\n\n", "{headline}\n\n{body}"],
    ids=["plain", "body-follows", "glued"],
)
def test_sentence_like_headlines_are_found(headline, article):
    """Among ordinary articles laid out the same way, as in a real document."""
    titles = ORDINARY[:2] + [headline] + ORDINARY[2:]
    text = "".join(article.format(headline=t, body=BODY) for t in titles)
    doc = split_document(HEADER + text)
    assert [a.title for a in doc.articles] == titles


def test_development_set_scores_hold():
    """The shipped model on the hand-written development documents (tests/data/articles)."""
    from benchmarks.splitter import load, prf, score

    totals = score(load())
    tp, npred, ngold = map(sum, zip(*totals.values(), strict=True))
    precision, recall, f1 = prf(tp, npred, ngold)
    assert ngold >= 500
    assert precision >= 0.97 and f1 >= 0.95, (precision, recall, f1)


SENTENCE_BREAKS = [
    ("Nowy punkt pomocy. Dyżury we wtorki", 1),
    ("Biuro przy ul. Łanowej 5", 0),  # an abbreviation
    ("Spotkanie o godz. 10 w sali", 0),
    ("Koniec! Nowy. Trzeci? Czwarty", 3),
    ("To jest „cytat”. Następne zdanie", 1),
    ("Przyjmuje dr. Kowalski", 0),
    ("Wystąpił C. Ronaldo", 0),  # an initial
    ("W roku 2015. W maju", 0),  # a number with a period reads as an ordinal
    ("koniec.Następny bez spacji", 0),
    ("koniec... Potem", 1),
    ("koniec.\tBeta po tabulatorze", 1),
    ("koniec.\u2003Beta po spacji firetowej", 1),
    (".. Ala", 1),  # punctuation alone: its first mark ends nothing, the second does
    (". Ala", 0),
    ("!? Ala", 1),
    ("a . Ala", 0),
    ("Zdanie. „Cytat” dalej", 1),
    ("Zdanie. 5 osób", 1),
    ("zdanie. mała litera", 0),
    ("", 0),
]


@pytest.mark.parametrize(("text", "expected"), SENTENCE_BREAKS)
def test_sentence_breaks(text, expected):
    from indexer.features import sentence_breaks

    assert sentence_breaks(text) == expected


CONTACTS = [
    ("Informacje pod nr tel. 12 616 54 00", True),
    ("TEL. wewnętrzny", True),
    ("Fax: biuro", True),
    ("Pisz: mops@mops.krakow.pl", True),
    ("Strona HTTPS://mops.krakow.pl", True),
    ("Zobacz WWW.mops.krakow.pl", True),
    ("Telefon 616-54-00", True),
    ("Telefonicznie, bez numeru", False),  # "tel" without its period
    ("Faksymile dokumentu", False),
    ("Spotkanie 12 maja 2015", False),
    ("", False),
]


@pytest.mark.parametrize(("text", "expected"), CONTACTS)
def test_contact_details_are_recognised(text, expected):
    from indexer.features import CONTACT, has_contact

    assert has_contact(text) is expected
    assert (CONTACT.search(text) is not None) is expected  # the pattern itself agrees
