"""Reading corpus files: dates, encodings, stable ids, bad files."""

import pytest

from indexer.corpus import CorpusError, decode, parse_document, read_corpus
from indexer.dates import article_dates, document_year, find_date

DATES = [
    ("W dniu 11 października, w siedzibie", 2007, "2007-10-11"),
    ("21 lutego 2007 Miejski Ośrodek", None, "2007-02-21"),
    ("odbyło się w dniach 08-11.10.07, ok. 5000", None, "2007-10-08"),
    ("W dniach 15-18.07.07 przedstawiciel", None, "2007-07-15"),
    ("W dniu 13 marca br. oraz w dniu 21 maja br.", 2015, "2015-03-13"),
    ("W dniach 18- 21 marca przedstawiciele", 2007, "2007-03-18"),
    ("W dniach 24-28 marca 2015 przedstawiciel", 2007, "2015-03-24"),
    ("W kwietniu w Miejskim Ośrodku", 2007, "2007-04"),
    ("W styczniu 2007 w ramach", None, "2007-01"),
    ("W dniu 11 października", None, "--10-11"),
    ("W kwietniu odbyło się", None, "--04"),
    ("Bez żadnej daty, tylko program CARDS 2003.", 2007, None),
    # a date's first digit starts a word: not inside "nr12.05.2015" or "123.05.2015"
    ("Pismo nr12.05.2015 i 123.05.2015, spotkanie 7.06.2015", None, "2015-06-07"),
    ("Sala A3 maja 2010, potem 3 Maja 2010", None, "2010-05-03"),
    ("1.02.07 na początku tekstu", None, "2007-02-01"),
    # upper case, and a letter whose lower case is longer (İ): matched as written
    ("DNIA 11 PAŹDZIERNIKA 2007 R.", None, "2007-10-11"),
    ("İzmir, 11 października 2007", None, "2007-10-11"),
    # letters that match case-insensitively but lower-case to themselves (ı, ſ), and İ
    ("Spotkanie 11 stycznıa 2007", None, "2007-01-11"),
    ("dnia 5 lıpca", 2009, "2009-07-05"),
    ("Dnia 5 ſierpnia 2008 r.", None, "2008-08-05"),
    ("İzmir, 5 lİpca 2007", None, "2007-07-05"),
]


@pytest.mark.parametrize(("text", "year", "expected"), DATES)
def test_find_date(text, year, expected):
    assert find_date(text, year) == expected


def test_document_year_is_the_most_frequent_explicit_year():
    assert document_year(["21 lutego 2007", "08-11.10.07", "marca 2015"]) == 2007
    assert document_year(["nic"]) is None


def test_article_dates_default_to_the_document_year():
    bodies = [text for text, _, _ in DATES]
    year = document_year(bodies)
    assert article_dates(bodies) == [find_date(body, year) for body in bodies]
    assert article_dates(["W kwietniu", "21 lutego 2009", "marca 2009 i 3.04.2008"]) == [
        "2009-04", "2009-02-21", "2008-04-03",
    ]


def test_seed_article_dates(corpus_dir):
    articles = {a.title: a for _, arts in read_corpus(corpus_dir) for a in arts}
    assert articles["Delegacja z Niemiec w Miejskim Ośrodku Pomocy Społecznej"].date == "2007-10-11"
    assert articles["Wizyta stażysty z Ukrainy"].date == "2007-02-21"
    assert articles["Wizyta w Brukseli"].date == "2007-10-08"
    assert articles["Wizyty w Miejskim Ośrodku Pomocy Społecznej francuskich animatorów"].date == (
        "2015-03-13"
    )


POLISH = (
    "Archiwum\nDokument archiwalny\n\nWizyta na Węgrzech\n\n"
    "Łódź, źdźbło, zażółć gęślą jaźń. Świętość Ślązaków."
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1250", "iso8859_2"])
def test_polish_encodings_are_decoded(encoding):
    assert decode(POLISH.encode(encoding), "doc.txt") == POLISH


def test_binary_file_is_rejected_with_its_name():
    with pytest.raises(CorpusError, match="broken.txt"):
        decode(b"\x00\x01\x02PK\x03\x04" * 100, "broken.txt")


def test_one_bad_file_does_not_stop_the_others(tmp_path):
    (tmp_path / "a_good.txt").write_text(POLISH, encoding="utf-8")
    (tmp_path / "b_bad.txt").write_bytes(b"\x00" * 64)
    (tmp_path / "c_cp1250.txt").write_bytes(POLISH.replace("Węgrzech", "Łotwie").encode("cp1250"))
    results = {p.name: r for p, r in read_corpus(tmp_path)}
    assert isinstance(results["b_bad.txt"], CorpusError)
    assert "b_bad.txt" in str(results["b_bad.txt"])
    assert [a.title for a in results["a_good.txt"]] == ["Wizyta na Węgrzech"]
    assert [a.title for a in results["c_cp1250.txt"]] == ["Wizyta na Łotwie"]


def test_ids_are_stable_and_unique(corpus_dir):
    first = [a.id for _, arts in read_corpus(corpus_dir) for a in arts]
    second = [a.id for _, arts in read_corpus(corpus_dir) for a in arts]
    assert first == second
    assert len(set(first)) == len(first)


def test_ids_survive_body_edits():
    doc = "Archiwum\nDokument archiwalny\n\nTytuł\n\nTreść."
    edited = doc.replace("Treść.", "Zmieniona treść.")
    assert parse_document(doc, "x.txt")[0].id == parse_document(edited, "x.txt")[0].id
