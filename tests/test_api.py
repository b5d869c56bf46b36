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
        "results",
        "suggestion",
        "corrected",
        "next_url",
    ]
    titles = {r["title"] for r in data["results"]}
    assert {
        "Wizyta delegacji z Wielkiej Brytanii w Klubie Integracji Społecznej",
        "Studenci z Francji w Miejskim Ośrodku Pomocy Społecznej",
    } <= titles
    first = data["results"][0]
    assert set(first) == {"id", "title", "date", "source", "url", "score", "snippet"}
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
    ("/api/nothing-here", 404, "not_found", None),
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
