"""The HTML pages, parsed with BeautifulSoup."""

from bs4 import BeautifulSoup


def soup(response):
    assert response.mimetype == "text/html"
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_home_page_is_a_polish_labelled_form(client):
    page = soup(client.get("/"))
    assert page.html["lang"] == "pl"
    field = page.find("input", attrs={"name": "q"})
    assert page.find("label", attrs={"for": field["id"]}).get_text(strip=True)
    assert page.find("form", attrs={"role": "search"})


def test_results_page_shows_homelessness_articles(client):
    page = soup(client.get("/?q=bezdomność"))
    titles = [a.get_text(strip=True) for a in page.select("li.result h2 a")]
    assert "Wizyta delegacji z Wielkiej Brytanii w Klubie Integracji Społecznej" in titles
    assert "Studenci z Francji w Miejskim Ośrodku Pomocy Społecznej" in titles
    assert page.select("li.result .snippet mark")
    assert page.find("input", attrs={"name": "q"})["value"] == "bezdomność"
    assert "Znaleziono" in page.select_one(".summary").get_text()


def test_result_links_open_the_article_with_highlights(client):
    page = soup(client.get("/?q=bezdomność"))
    href = page.select_one("li.result h2 a")["href"]
    article = soup(client.get(href))
    assert article.select("article mark")
    assert article.find("a", string=lambda s: s and "Wróć do wyników" in s)


def test_no_results_page_is_friendly(client):
    page = soup(client.get("/?q=zzzqqqxxx"))
    assert "Nie znaleziono" in page.select_one(".no-results").get_text()


def test_suggestion_is_offered(client):
    page = soup(client.get("/?q=Brukseal"))
    notice = page.select_one(".notice")
    assert notice and notice.find("a")


def test_hostile_query_is_escaped(client):
    html = client.get("/?q=<script>alert(1)</script>").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_hostile_corpus_text_is_escaped(client):
    page = client.get("/?q=warsztaty Tarnów").get_data(as_text=True)
    assert '<script>alert("xss")</script>' not in page and "<img src=x" not in page
    href = soup(client.get("/?q=warsztaty Tarnów")).select_one("li.result h2 a")["href"]
    article = client.get(href).get_data(as_text=True)
    assert '<script>alert("xss")</script>' not in article and "<b>dziennikarskie</b>" not in article


def test_pagination_links(client):
    page = soup(client.get("/?q=Pomocy&per_page=5"))
    nav = page.find("nav", attrs={"aria-label": "Strony wyników"})
    assert nav.find("a", rel="next")


def test_unknown_article_is_404_page(client):
    response = client.get("/article/nope")
    assert response.status_code == 404
    assert "Nie znaleziono" in response.get_data(as_text=True)


def test_bad_page_parameter_does_not_fail(client):
    assert client.get("/?q=Pomocy&page=abc").status_code == 200


def test_facet_links_keep_the_query_and_sort(client):
    page = soup(client.get("/?q=wizyta&sort=oldest"))
    years = page.find("nav", attrs={"aria-labelledby": "years-heading"})
    links = [a["href"] for a in years.select("a")]
    assert links and all("q=wizyta" in h and "sort=oldest" in h and "year=" in h for h in links)
    chosen = soup(client.get(links[0]))
    assert chosen.select_one("[aria-current=true]")
    assert "Wszystkie lata" in chosen.get_text()


def test_pagination_keeps_filters(client):
    page = soup(client.get("/?q=wizyta&year=2007&per_page=5"))
    hrefs = [a["href"] for a in page.select(".pagination a")]
    assert hrefs and all("year=2007" in h and "per_page=5" in h for h in hrefs)


def test_article_back_link_returns_to_the_same_results(client):
    page = soup(client.get("/?q=wizyta&year=2007&sort=newest&page=2"))
    href = page.select_one("li.result h2 a")["href"]
    article = soup(client.get(href))
    back = article.select_one("p.back a")["href"]
    assert all(part in back for part in ("q=wizyta", "year=2007", "sort=newest", "page=2"))


def test_no_results_with_filters_offers_to_remove_them(client):
    page = soup(client.get("/?q=bezdomność&year=1999"))
    box = page.select_one(".no-results")
    assert "przy wybranych filtrach" in box.get_text()
    assert box.find("a", string="Usuń filtry")


def test_mangled_filters_show_the_first_page(client):
    for query in ("year=abc", "sort=random", "year=-4", "source=" + "x" * 400):
        response = client.get(f"/?q=wizyta&{query}")
        assert response.status_code == 200, query
        assert soup(response).select("li.result"), query
