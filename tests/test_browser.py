"""The web interface in a real browser: Debian's Chromium driven by Playwright.

The server is the production one (gunicorn) on the test index. Every page must load without
console errors; axe-core checks the main pages against WCAG 2.1 A/AA. Screenshots of the main
pages go to tests/screenshots/ (git-ignored) for people to look at.

Setup (done by ``make test``): ``apt-get install chromium`` and ``npm ci --prefix tests/browser``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.conftest import ROOT, live_server

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = ROOT / "tests/browser/node_modules/axe-core/axe.min.js"
SHOTS = ROOT / "tests/screenshots"
# Headless, and nothing that reaches for the network (this machine's network is closed).
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions",
]  # fmt: skip
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def base(index_dir):
    with live_server(index_dir) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: `make test` installs it"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_page(browser, **context_options):
    context = browser.new_context(locale="pl-PL", **context_options)
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    return context, page


@pytest.fixture()
def page(browser):
    context, page = open_page(browser)
    yield page
    assert page.errors == [], f"console errors: {page.errors}"
    context.close()


MODES = {
    "light": {},
    "dark": {"color_scheme": "dark"},
    "phone": {"viewport": {"width": 360, "height": 800}, "is_mobile": True},
}


@pytest.fixture(params=sorted(MODES))
def audit_page(browser, request):
    """A page whose Content-Security-Policy lets the test inject axe-core (the service's own
    policy allows no script from elsewhere), in light and dark mode and on a phone."""
    context, page = open_page(browser, bypass_csp=True, **MODES[request.param])
    yield page
    assert page.errors == [], f"console errors: {page.errors}"
    context.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def search_with_keyboard(page, base: str, text: str) -> None:
    page.goto(base + "/")
    expect(page.locator("#q")).to_be_focused()  # autofocus on the home page
    page.keyboard.type(text)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def query_args(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def test_search_with_keyboard_shows_highlighted_results(page, base):
    search_with_keyboard(page, base, "bezdomność")
    assert query_args(page) == {"q": "bezdomność"}
    expect(page.locator("#q")).to_have_value("bezdomność")  # the query stays in the box
    results = page.locator("ol.results > li")
    assert results.count() >= 2
    marks = page.locator("ol.results mark")
    assert marks.count() >= 2
    texts = {t.lower() for t in marks.all_inner_texts()}
    assert any(t.startswith("bezdomn") and t != "bezdomność" for t in texts), texts
    expect(page.locator(".summary")).to_contain_text("2 artykuły")
    shot(page, "results-bezdomnosc")


def test_paging_through_results(page, base):
    page.goto(base + "/?q=wizyta")
    first_titles = page.locator("ol.results h2").all_inner_texts()
    assert len(first_titles) == 10
    nav = page.get_by_role("navigation", name="Strony wyników")
    with page.expect_navigation():
        nav.get_by_role("link", name="Następna ›").click()
    assert query_args(page)["page"] == "2"
    expect(nav.locator("[aria-current=page]")).to_have_text("2")
    second_titles = page.locator("ol.results h2").all_inner_texts()
    assert second_titles and not set(second_titles) & set(first_titles)
    expect(page.locator("ol.results")).to_have_attribute("start", "11")
    with page.expect_navigation():
        nav.get_by_role("link", name="« Pierwsza").click()
    assert page.locator("ol.results h2").all_inner_texts() == first_titles
    shot(page, "results-paging")


def datetimes(page) -> list[str]:
    """The machine-readable dates of the results (the text is in Polish words)."""
    return page.locator("ol.results time").evaluate_all(
        "els => els.map(e => e.getAttribute('datetime'))"
    )


def test_year_filter_and_date_sort(page, base):
    page.goto(base + "/?q=wizyta")
    years = page.get_by_role("navigation", name="Rok")
    link = years.get_by_role("link").filter(has_text=re.compile(r"^\d{4}")).first
    label = link.inner_text()
    year, count = re.match(r"(\d{4}) \((\d+)\)", label).groups()
    with page.expect_navigation():
        link.click()
    assert query_args(page)["year"] == year
    expect(years.locator("[aria-current=true]")).to_contain_text(year)
    dates = datetimes(page)
    assert len(dates) == min(int(count), 10) and all(d.startswith(year) for d in dates)
    assert all(t.endswith(year) for t in page.locator("ol.results time").all_inner_texts())
    expect(page.locator(".summary strong")).to_have_text(re.compile(rf"^{count} artykuł"))
    shot(page, "results-year-filter")

    page.goto(base + "/?q=wizyta")
    page.select_option("#sort", "newest")
    with page.expect_navigation():
        page.get_by_role("button", name="Sortuj").click()
    assert query_args(page)["sort"] == "newest"
    dates = [d for d in datetimes(page) if d[:4].isdigit()]
    assert dates == sorted(dates, reverse=True) and len(dates) >= 5


def test_open_article_and_go_back(page, base):
    page.goto(base + "/?q=bezdomność")
    results_url = page.url
    first = page.locator("ol.results h2 a").first
    title = first.inner_text()
    with page.expect_navigation():
        first.click()
    expect(page.locator("h1")).to_have_text(title)
    assert page.locator("article mark").count() >= 1  # the query's words highlighted
    shot(page, "article")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("Wróć do wyników")).click()
    assert page.url == results_url
    page.goto(base + "/?q=bezdomność")
    with page.expect_navigation():
        page.locator("ol.results h2 a").first.click()
    page.go_back()
    expect(page.locator("ol.results h2 a").first).to_have_text(title)


def test_no_results_page_gives_tips(page, base):
    search_with_keyboard(page, base, "zzyzxqwv")
    box = page.locator(".no-results")
    expect(box).to_be_visible()
    expect(box).to_contain_text("Nie znaleziono")
    expect(box).to_contain_text("OR")
    shot(page, "no-results")


def test_did_you_mean(page, base):
    search_with_keyboard(page, base, "Brukseal")
    notice = page.locator(".notice")
    expect(notice).to_contain_text("Pokazano wyniki dla: Bruksela")
    expect(page.locator("ol.results h2").first).to_have_text("Wizyta w Brukseli")
    href = page.locator("ol.results h2 a").first.get_attribute("href")
    assert "q=Bruksela" in href  # the article highlights what was actually searched
    with page.expect_navigation():
        notice.get_by_role("link", name="Brukseal").click()
    assert query_args(page)["correct"] == "0"
    expect(page.locator(".notice")).to_contain_text("Czy chodziło Ci o")
    shot(page, "did-you-mean")


def test_skip_link_is_first_and_visible_on_focus(page, base):
    page.goto(base + "/?q=wizyta")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0  # moved on screen when focused
    page.keyboard.press("Enter")  # an in-page link: focus moves to the main content
    expect(page.locator("main")).to_be_focused()


def test_works_without_javascript(browser, base):
    context, page = open_page(browser, java_script_enabled=False)
    try:
        page.goto(base + "/")
        page.fill("#q", "wizyta")
        with page.expect_navigation():
            page.get_by_role("button", name="Szukaj").click()
        assert page.locator("ol.results > li").count() == 10
        page.select_option("#sort", "oldest")
        with page.expect_navigation():
            page.get_by_role("button", name="Sortuj").click()
        assert query_args(page) == {"q": "wizyta", "sort": "oldest"}
    finally:
        context.close()


def test_phone_layout_has_no_horizontal_scrolling(browser, base):
    context, page = open_page(
        browser, viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True
    )
    try:
        for name, path in (("phone-results", "/?q=wizyta"), ("phone-article", None)):
            if path:
                page.goto(base + path)
            else:
                page.locator("ol.results h2 a").first.click()
                page.wait_for_load_state()
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{name}: {overflow}px of horizontal scrolling"
            shot(page, name)
            if path:  # the filters follow the results on a phone: a link at the top leads there
                jump = page.get_by_role("link", name=re.compile("Zawęź wyniki"))
                expect(jump).to_be_visible()
                jump.click()
                expect(page.locator("#filters")).to_be_in_viewport()
        assert page.errors == []
    finally:
        context.close()


PAGES = [
    ("home", "/"),
    ("results", "/?q=bezdomność"),
    ("results-filtered", "/?q=wizyta&year=2007&sort=newest"),
    ("no-results", "/?q=zzyzxqwv"),
    ("article", "article"),
    ("not-found", "/no-such-page"),
]


@pytest.mark.parametrize(("name", "path"), PAGES)
def test_accessibility_axe(audit_page, base, name, path):
    page = audit_page
    assert AXE.exists(), "axe-core is missing: `make test` runs npm ci --prefix tests/browser"
    if path == "article":
        page.goto(base + "/?q=bezdomność")
        page.locator("ol.results h2 a").first.click()
        page.wait_for_load_state()
    else:
        response = page.goto(base + path)
        if name == "not-found":
            assert response.status == 404
            page.errors.remove(  # the page's own status, logged by Chromium: expected here
                "Failed to load resource: the server responded with a status of 404 (NOT FOUND)"
            )
    page.add_script_tag(path=str(AXE))
    report = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG
    )
    serious = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in report["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], f"{name}: {serious}"
    assert report["passes"], "axe ran no checks"


def test_phone_shows_search_box_and_first_result_without_scrolling(browser, base):
    context, page = open_page(browser, viewport={"width": 360, "height": 800}, is_mobile=True)
    try:
        page.goto(base + "/?q=bezdomność")
        expect(page.locator("#q")).to_be_in_viewport()
        expect(page.locator("ol.results li.result h2").first).to_be_in_viewport()
        box = page.locator("ol.results li.result").first.bounding_box()
        assert box["y"] + 60 < 800  # the title and the start of its snippet
        assert page.errors == []
    finally:
        context.close()
