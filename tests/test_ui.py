"""What a resident sees: Polish dates and plurals, title highlights, honest paging, did-you-mean."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from web.format import plural, polish_date


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.mark.parametrize(
    ("iso", "text"),
    [("2007-12-12", "12 grudnia 2007"), ("2015-03", "marzec 2015"), ("--10-11", "11 października"),
     ("2007", "2007"), (None, ""), ("bad", "bad")],
)  # fmt: skip
def test_polish_dates(iso, text):
    assert polish_date(iso) == text


@pytest.mark.parametrize(
    ("count", "text"),
    [(1, "1 wynik"), (2, "2 wyniki"), (5, "5 wyników"), (12, "12 wyników"), (22, "22 wyniki"),
     (0, "0 wyników"), (101, "101 wyników")],
)  # fmt: skip
def test_polish_plurals(count, text):
    assert plural(count, "wynik", "wyniki", "wyników") == text


def test_results_show_polish_dates_and_counts(client):
    page = soup(client.get("/", query_string={"q": "bezdomność"}))
    assert page.select_one(".summary strong").get_text() == "2 artykuły"
    times = page.select("ol.results time")
    assert {t["datetime"] for t in times} >= {"2007-12-12"}
    assert "12 grudnia 2007" in [t.get_text() for t in times]


def test_titles_are_highlighted(client):
    data = client.get("/api/search", query_string={"q": "Bruksela"}).get_json()
    assert data["results"][0]["title_html"] == "Wizyta w <mark>Brukseli</mark>"
    page = soup(client.get("/", query_string={"q": "Bruksela"}))
    assert page.select_one("ol.results h2 a mark").get_text() == "Brukseli"


def test_page_past_the_end_is_404_with_a_link_to_the_last(client):
    response = client.get("/", query_string={"q": "wizyta", "page": "99"})
    assert response.status_code == 404
    page = soup(response)
    link = page.find("a", string="Przejdź do ostatniej strony wyników")
    assert link and "page=2" in link["href"] and "q=wizyta" in link["href"]
    api = client.get("/api/search", query_string={"q": "wizyta", "page": "99"})
    assert api.status_code == 404
    assert api.get_json()["error"]["code"] == "page_out_of_range"
    assert "page=2" in api.headers["Link"]
    assert client.get("/api/search", query_string={"q": "zzyzxqwv", "page": "2"}).status_code == 404


def test_correction_can_be_declined(client):
    corrected = client.get("/api/search", query_string={"q": "Brukseal"}).get_json()
    assert corrected["corrected"] and corrected["suggestion"] == "Bruksela"
    assert "q=Bruksela" in corrected["results"][0]["url"]
    exact = client.get("/api/search", query_string={"q": "Brukseal", "correct": "0"}).get_json()
    assert not exact["corrected"] and exact["suggestion"] == "Bruksela"
    page = soup(client.get("/", query_string={"q": "Brukseal"}))
    notice = page.select_one(".notice").get_text(" ", strip=True)
    assert "Pokazano wyniki dla: Bruksela" in notice and "Brak wyników" not in notice
    assert "correct=0" in page.select_one(".notice a")["href"]


def test_atom_feed_of_a_query(client):
    from xml.etree import ElementTree

    response = client.get("/feed.atom", query_string={"q": "wizyta"})
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    ns = {"a": "http://www.w3.org/2005/Atom"}
    root = ElementTree.fromstring(response.data)
    entries = root.findall("a:entry", ns)
    assert 10 <= len(entries) <= 20
    updated = [e.find("a:updated", ns).text for e in entries]
    assert updated == sorted(updated, reverse=True)  # newest first
    assert all(e.find("a:link", ns).get("href").startswith("http://localhost/article/")
               for e in entries)  # fmt: skip
    page = soup(client.get("/", query_string={"q": "wizyta"}))
    assert page.find("link", rel="alternate", type="application/atom+xml")["href"].startswith(
        "/feed.atom?q=wizyta"
    )
    assert client.get("/feed.atom").status_code == 400


def test_opensearch_robots_favicon(client):
    page = soup(client.get("/"))
    href = page.find("link", rel="search")["href"]
    xml = client.get(href)
    assert xml.mimetype == "application/opensearchdescription+xml"
    assert b"/?q={searchTerms}" in xml.data
    with client.get("/robots.txt") as robots:
        assert b"Disallow: /api/" in robots.data
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200


def test_html_is_compressed_and_cacheable(client):
    response = client.get("/", query_string={"q": "wizyta"}, headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] == "public, max-age=60"
    etag = response.headers["ETag"]
    again = client.get("/", query_string={"q": "wizyta"},
                       headers={"Accept-Encoding": "gzip", "If-None-Match": etag})  # fmt: skip
    assert again.status_code == 304


def test_pages_stay_small(client):
    for path in ["/", "/?q=wizyta", "/?q=bezdomność&sort=newest"]:
        assert len(client.get(path).data) <= 30_000


def test_sources_have_readable_names_and_no_file_name_is_shown(client):
    for path in ["/?q=wizyta", "/?q=wizyta&source=000_a8c119e7a8e6c506.txt"]:
        text = soup(client.get(path)).get_text(" ")
        assert ".txt" not in text
        assert "Współpraca zagraniczna – aktualności 2007" in text
    data = client.get("/api/search", query_string={"q": "bezdomność"}).get_json()
    labels = {r["source"]: r["source_label"] for r in data["results"]}
    assert labels["000_a8c119e7a8e6c506.txt"] == "Współpraca zagraniczna – aktualności 2007"
    facets = {f["value"]: f["label"] for f in data["facets"]["sources"]}
    assert facets["002_d7ee7b1e394258f0.txt"] == "Współpraca zagraniczna – aktualności 2015"


def test_documents_without_an_entry_are_named_from_header_and_dates():
    from indexer.sources import derived_name, label_files

    files = {"a.txt": {"institution": "MOPS", "years": [2007, 2009]},
             "b.txt": {"institution": "MOPS", "years": [2007, 2009]}, "c.txt": {}}  # fmt: skip
    label_files(files, {"c.txt": {"name": "Nazwa", "url": "https://example.org/c"}})
    assert files["a.txt"]["label"] == "MOPS – aktualności 2007–2009"
    assert files["b.txt"]["label"] == "MOPS – aktualności 2007–2009 (2)"
    assert files["c.txt"] == {"label": "Nazwa", "url": "https://example.org/c"}
    assert derived_name(None, []) == "Archiwum BIP – aktualności"


def test_home_page_browses_the_archive_newest_first(client):
    page = soup(client.get("/"))
    times = [t["datetime"] for t in page.select("ol.results time")]
    dated = [t for t in times if t[:4].isdigit()]
    assert len(times) == 10 and dated == sorted(dated, reverse=True)
    assert page.select_one(".summary strong").get_text() == "22 artykuły"  # seeds + hostile.txt
    years = page.find("nav", attrs={"aria-labelledby": "years-heading"})
    link = next(a for a in years.find_all("a") if a.get_text().startswith("2007"))
    filtered = soup(client.get(link["href"]))
    assert {t["datetime"][:4] for t in filtered.select("ol.results time")} == {"2007"}
    second = soup(client.get("/?page=2"))
    assert len(second.select("ol.results li.result")) == 10
    assert client.get("/?page=4").status_code == 404


def test_partial_matches_under_a_divider_say_what_they_lack(client):
    data = client.get("/api/search", query_string={"q": "bezdomność Berlin", "per_page": 50})
    results = data.get_json()["results"]
    lacking = [r["missing"] for r in results]
    assert lacking[0] == [] or all(m for m in lacking)  # complete matches first
    assert any(m == ["Berlin"] for m in lacking) and any(m == ["bezdomność"] for m in lacking)
    page = soup(client.get("/", query_string={"q": "bezdomność Berlin"}))
    heading = page.find("h2", class_="partial-heading")
    assert heading.get_text() == "Wyniki zawierające tylko część słów"
    assert page.select("ol.partial p.missing")[0].get_text().startswith("Brak: ")
    assert not page.select("ol.results:not(.partial) p.missing")


def test_a_word_in_every_article_does_not_carry_a_result(client):
    data = client.get("/api/search", query_string={"q": "pomoc dla bezdomnych", "per_page": 50})
    results = data.get_json()["results"]
    assert results and all("bezdomnych" not in r["missing"] for r in results)


def test_active_filters_are_chips_and_a_new_search_keeps_them(client):
    page = soup(client.get("/", query_string={"q": "wizyta", "year": "2007",
                                              "source": "000_a8c119e7a8e6c506.txt"}))  # fmt: skip
    chips = page.select(".chips a.chip")
    texts = [c.get_text(" ", strip=True) for c in chips]
    assert texts[0].startswith("Rok: 2007")
    assert texts[1].startswith("Dokument: Współpraca zagraniczna – aktualności 2007")
    assert "year=" not in chips[0]["href"] and "source=" in chips[0]["href"]
    clear = page.select_one(".chips a.clear")
    assert "year=" not in clear["href"] and "source=" not in clear["href"]
    form = page.select_one("form.search")
    kept = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    assert kept == {"year": "2007", "source": "000_a8c119e7a8e6c506.txt"}


def test_article_page_lists_related_articles(client, engine):
    brussels = engine.search("Bruksela").hits[0]
    page = soup(client.get(f"/article/{brussels.id}"))
    related = [a.get_text() for a in page.select("aside.related li a")]
    assert 1 <= len(related) <= 5
    assert brussels.title not in related
    # Foreign visits of the same working groups share distinctive words (SEEN, AQUA, EQUAL…).
    assert any("Spotkanie" in t or "Wizyta" in t for t in related)


def test_glued_words_are_shown_apart_and_the_source_text_stays_available(client, engine):
    hit = engine.search("PomocySpołecznej Czech").hits[0]
    assert hit.title == "Wizyta przedstawicieli Ośrodka PomocySpołecznej z Czech"
    assert "Pomocy Społecznej" in hit.title_html.replace("<mark>", "").replace("</mark>", "")
    page = soup(client.get(f"/article/{hit.id}"))
    shown = page.select_one("article h1").get_text()
    assert shown == "Wizyta przedstawicieli Ośrodka Pomocy Społecznej z Czech"
    body = " ".join(p.get_text() for p in page.select("article > p"))
    assert "wizyta przedstawicieli" in body.lower() and "wizytaprzedstawicieli" not in body
    source = page.select_one("details.source-text")
    assert source.select_one("summary").get_text().startswith("Tekst źródłowy")
    assert "wizytaprzedstawicieli" in source.get_text()


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("Brukseal", "Bruksela"), ("Kpoenhaga", "Kopenhaga"), ("Wrukseli", "Bruksela"),
     ("stdentów", "student")],
)  # fmt: skip
def test_suggestions_reach_further_for_longer_words(engine, typed, meant):
    suggestion = engine.search(typed).suggestion or ""
    assert suggestion.lower().startswith(meant.lower()[:5])
