"""The JSON API: result shape, escaping, and one error body for every failure."""

import pytest

from web.errors import error_body


def test_search_bezdomnosc_returns_homelessness_articles(client):
    response = client.get("/api/search", query_string={"q": "bezdomność"})
    assert response.status_code == 200
    data = response.get_json()
    assert list(data) == [
        "query",
        "total",
        "total_all_words",
        "page",
        "per_page",
        "pages",
        "filters",
        "results",
        "facets",
        "suggestion",
        "corrected",
        "next_url",
        "took_ms",
    ]
    titles = {r["title"] for r in data["results"]}
    assert {
        "Wizyta delegacji z Wielkiej Brytanii w Klubie Integracji Społecznej",
        "Studenci z Francji w Miejskim Ośrodku Pomocy Społecznej",
    } <= titles
    first = data["results"][0]
    assert set(first) == {
        "id", "title", "title_html", "date", "source", "source_label", "url", "score", "snippet",
        "missing",
    }  # fmt: skip
    assert "<mark>" in first["snippet"]
    assert first["url"].startswith(f"/article/{first['id']}")


def test_paging_links(client):
    data = client.get("/api/search?q=Pomocy&per_page=5").get_json()
    assert data["total"] > 5 and data["next_url"]
    last_page = -(-data["total"] // 5)
    last = client.get(f"/api/search?q=Pomocy&per_page=5&page={last_page}").get_json()
    assert last["next_url"] is None and last["results"]


def test_query_html_is_never_reflected_raw(client):
    data = client.get("/api/search", query_string={"q": "<script>alert(1)</script>"}).get_json()
    assert data["query"] == "<script>alert(1)</script>"  # JSON string, served as application/json
    for r in data["results"]:
        assert "<script>" not in r["snippet"]


def test_corpus_html_is_escaped_in_json(client):
    data = client.get("/api/search", query_string={"q": "warsztaty Tarnów"}).get_json()
    snippet = data["results"][0]["snippet"]
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet
    assert data["results"][0]["title"] == "Warsztaty <b>dziennikarskie</b> w Tarnowie"


ERRORS = [
    ("/api/search", 400, "invalid_parameter", "q"),
    ("/api/search?q=", 400, "invalid_parameter", "q"),
    ("/api/search?q=%20%20", 400, "invalid_parameter", "q"),
    ("/api/search?q=" + "a" * 501, 400, "invalid_parameter", "q"),
    ("/api/search?q=a&page=0", 400, "invalid_parameter", "page"),
    ("/api/search?q=a&page=-3", 400, "invalid_parameter", "page"),
    ("/api/search?q=a&page=abc", 400, "invalid_parameter", "page"),
    ("/api/search?q=a&per_page=0", 400, "invalid_parameter", "per_page"),
    ("/api/search?q=a&per_page=51", 400, "invalid_parameter", "per_page"),
    ("/api/search?q=a&per_page=x", 400, "invalid_parameter", "per_page"),
    ("/api/search?q=a&year=abc", 400, "invalid_parameter", "year"),
    ("/api/search?q=a&year=-1", 400, "invalid_parameter", "year"),
    ("/api/search?q=a&sort=random", 400, "invalid_parameter", "sort"),
    ("/api/search?q=a&source=" + "x" * 301, 400, "invalid_parameter", "source"),
    ("/api/nothing-here", 404, "not_found", None),
    ("/api/articles/no-such-id", 404, "not_found", None),
]


@pytest.mark.parametrize(("url", "status", "code", "parameter"), ERRORS)
def test_api_errors_share_one_body(client, url, status, code, parameter):
    response = client.get(url)
    assert response.status_code == status
    body = response.get_json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == status and body["error"]["code"] == code
    assert body["error"].get("parameter") == parameter
    assert body["error"]["message"]
    assert body == error_body(status, code, body["error"]["message"], parameter)


def test_method_not_allowed_is_json(client):
    response = client.post("/api/search?q=a")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_missing_index_is_503_json(tmp_path):
    from web import create_app

    client = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "none")}).test_client()
    response = client.get("/api/search?q=a")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "index_unavailable"
    assert client.get("/healthz").status_code == 503


def test_healthz(client):
    data = client.get("/healthz").get_json()
    assert data["status"] == "ok" and data["articles"] == 22


def test_filters_and_facets(client):
    data = client.get("/api/search?q=wizyta&per_page=50").get_json()
    years = data["facets"]["years"]
    assert sum(f["count"] for f in years) == data["total"]
    year = next(f for f in years if f["value"])
    narrowed = client.get(f"/api/search?q=wizyta&per_page=50&year={year['value']}").get_json()
    assert narrowed["total"] == year["count"]
    assert narrowed["filters"] == {"year": int(year["value"]), "source": None, "sort": "relevance"}
    newest = client.get("/api/search?q=wizyta&per_page=50&sort=newest").get_json()
    dates = [r["date"] for r in newest["results"] if r["date"] and r["date"][:4].isdigit()]
    assert dates == sorted(dates, reverse=True)


def test_next_url_keeps_filters(client):
    data = client.get("/api/search?q=wizyta&per_page=2&sort=oldest").get_json()
    assert "sort=oldest" in data["next_url"] and "page=2" in data["next_url"]
    following = client.get(data["next_url"]).get_json()
    assert following["page"] == 2 and following["filters"]["sort"] == "oldest"


def test_article_endpoint_with_etag(client):
    hit = client.get("/api/search?q=Bruksela").get_json()["results"][0]
    response = client.get(f"/api/articles/{hit['id']}")
    assert response.status_code == 200
    article = response.get_json()
    assert article["id"] == hit["id"] and article["title"] == hit["title"]
    assert "Bruksel" in article["body"]
    assert response.headers["ETag"]
    assert "max-age=" in response.headers["Cache-Control"]
    again = client.get(
        f"/api/articles/{hit['id']}", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""


def test_internal_errors_are_json_under_api(app, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(app.extensions["search_engine"], "search", broken)
    response = app.test_client().get("/api/search?q=a")
    assert response.status_code == 500
    body = response.get_json()
    assert body["error"]["code"] == "internal_error" and "boom" not in body["error"]["message"]


def test_cors_is_off_by_default(client):
    response = client.get("/api/search?q=a", headers={"Origin": "https://example.org"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_for_configured_origins(index_dir):
    from web import create_app

    app = create_app(
        {"TESTING": True, "INDEX_DIR": str(index_dir), "CORS_ORIGINS": "https://bip.example.pl"}
    )
    client = app.test_client()
    allowed = client.get("/api/search?q=a", headers={"Origin": "https://bip.example.pl"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://bip.example.pl"
    other = client.get("/api/search?q=a", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = client.options(
        "/api/search",
        headers={"Origin": "https://bip.example.pl", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://bip.example.pl"
    html = client.get("/?q=a", headers={"Origin": "https://bip.example.pl"})
    assert "Access-Control-Allow-Origin" not in html.headers  # only the API is shared


def test_openapi_document(client):
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert {"/api/search", "/api/articles/{article_id}"} <= set(doc["paths"])
    names = {p["name"] for p in doc["paths"]["/api/search"]["get"]["parameters"]}
    assert names == {"q", "page", "per_page", "year", "source", "sort", "correct"}


def test_static_files_are_cacheable(client):
    page = client.get("/").get_data(as_text=True)
    href = page.split('rel="stylesheet" href="')[1].split('"')[0]
    assert "v=" in href  # versioned URL: safe to cache long
    with client.get(href) as response:
        assert response.status_code == 200 and response.cache_control.max_age >= 86400


def test_glued_query_words_find_the_words_apart(client):
    # "PomocySpołecznej" is how text extraction glues "Pomocy Społecznej" (both backends).
    glued = client.get("/api/search", query_string={"q": "PomocySpołecznej"}).get_json()
    apart = client.get("/api/search", query_string={"q": '"Pomocy Społecznej"'}).get_json()
    assert glued["total"] >= 10 and glued["total"] >= apart["total"] // 2


def test_snippets_are_one_short_line(client):
    data = client.get("/api/search", query_string={"q": "pomoc", "per_page": 50}).get_json()
    for hit in data["results"]:
        text = hit["snippet"].replace("<mark>", "").replace("</mark>", "")
        assert "\n" not in text and len(text) <= 400
