"""The web page: in a real Chromium (Debian's, driven by Playwright) search as you type, the keyboard,
the continuity switch, the card and its links, random, browsing, without JavaScript, on a phone, and
hostile input; over HTTP every page against any input, and the file cache's pages while PostgreSQL
is away. One served app and one browser for the module; the browser tests write the README's
screenshots to docs/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lorecache.api.app import create_app
from lorecache.config import Settings
from tests.conftest import fresh_database
from tests.support.site import Site, served

playwright = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
HOSTILE = (
    "<script>window.__hostile = 1</script>",
    '"><img src=x onerror="window.__hostile=1">',
    "'; window.__hostile = 1; '\"",
    "x" * 10_000,
)

@pytest.fixture(scope="module")
def site(server_url: str, template_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp("web") / "data"
    with fresh_database(server_url, template_database) as url, served(url, data_dir) as site:
        yield site


@pytest.fixture(scope="module")
def browser() -> Iterator[playwright.Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (scripts/ensure-chromium installs it)")
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM))
        yield launched
        launched.close()


@pytest.fixture
def page(browser: playwright.Browser, site: Site) -> Iterator[playwright.Page]:
    context = browser.new_context(base_url=site.base, viewport={"width": 1024, "height": 800})
    opened = context.new_page()
    yield opened
    context.close()


def expect(locator: playwright.Locator) -> playwright.LocatorAssertions:
    return playwright.expect(locator)


def _type_on_home(page: playwright.Page, text: str) -> None:
    """Typed once the box has the focus its `autofocus` gives it, which Chromium applies after the
    page's load: a key pressed before lands elsewhere."""
    page.goto("/")
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.type(text)


def test_a_typo_finds_tatooine_first_and_enter_opens_its_card(page: playwright.Page) -> None:
    _type_on_home(page, "tatoine")
    first = page.locator("#suggestions [role=option]").first
    expect(first.locator(".name")).to_have_text("Tatooine")
    expect(first).to_have_attribute("aria-selected", "true")
    expect(page.locator("#q")).to_have_attribute("aria-expanded", "true")
    page.screenshot(path=SCREENSHOTS / "search.png")

    page.keyboard.press("Enter")
    page.wait_for_url("**/wiki/Tatooine")
    expect(page.locator("h1")).to_have_text("Tatooine")


def test_arrows_choose_and_escape_closes(page: playwright.Page) -> None:
    _type_on_home(page, "tato")
    options = page.locator("#suggestions [role=option]")
    expect(options.first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    chosen = options.nth(1).locator("a").get_attribute("href")
    page.keyboard.press("Escape")
    expect(page.locator("#suggestions")).to_be_hidden()
    page.keyboard.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{chosen}")


def test_the_legends_switch_searches_legends(page: playwright.Page) -> None:
    _type_on_home(page, "tatoine")
    expect(page.locator("#suggestions [role=option] .name").first).to_have_text("Tatooine")
    page.get_by_label("Legends", exact=True).check()
    first = page.locator("#suggestions [role=option]").first
    expect(first.locator(".name")).to_have_text("Tatooine/Legends")
    expect(first.locator(".label.legends")).to_have_text("Legends")
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url("**/wiki/Tatooine/Legends")


def test_an_infobox_link_opens_its_card(page: playwright.Page) -> None:
    page.goto("/wiki/Tatooine")
    expect(page.locator(".lead img")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "card.png", full_page=True)
    link = page.locator(".infobox td a", has_text="Galactic Empire")
    link.click()
    page.wait_for_url("**/wiki/Galactic_Empire")
    expect(page.locator("h1")).to_have_text("Galactic Empire")
    expect(page.locator(".backlinks").get_by_role("link", name="Tatooine", exact=True)).to_be_visible()


def test_the_card_cites_its_source_and_licence(page: playwright.Page) -> None:
    page.goto("/wiki/Tatooine")
    source = page.locator(".source")
    expect(source.get_by_role("link", name="https://starwars.fandom.com/wiki/Tatooine")).to_be_visible()
    expect(source.get_by_role("link", name=re.compile(r"^revision \d+$"))).to_be_visible()
    expect(source).to_contain_text("licensed CC BY-SA 3.0")
    page.get_by_role("link", name="Legends version").click()
    page.wait_for_url("**/wiki/Tatooine/Legends")


def test_a_random_filtered_article_matches_the_filters(page: playwright.Page) -> None:
    page.goto("/browse/planets")
    page.get_by_label("Infobox field").select_option("climate")
    page.get_by_label("contains").fill("arid")
    page.get_by_role("button", name="Add filter").click()
    expect(page.locator(".chips")).to_contain_text("climate: arid")
    expect(page.locator(".results li").first).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "category.png", full_page=True)
    for _ in range(3):
        page.get_by_role("link", name="A random one of these").click()
        page.wait_for_url(re.compile(r"/wiki/"))
        expect(page.locator(".labels .label").first).to_have_text("planets")
        climate = page.locator(".infobox tr", has=page.locator("th", has_text="Climate")).locator("td")
        expect(climate).to_contain_text(re.compile("arid", re.IGNORECASE))
        page.go_back()


def test_browsing_pages_through_a_category(page: playwright.Page) -> None:
    page.goto("/browse/planets?continuity=all")
    first_page = page.locator(".results .name").all_inner_texts()
    page.get_by_role("link", name="Next →").click()
    expect(page.locator(".pager")).to_contain_text("Page 2")
    assert not set(first_page) & set(page.locator(".results .name").all_inner_texts())


def test_cards_and_search_work_without_javascript(browser: playwright.Browser, site: Site) -> None:
    context = browser.new_context(base_url=site.base, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/wiki/tatooine")
        assert page.url.endswith("/wiki/Tatooine")
        expect(page.locator("h1")).to_have_text("Tatooine")
        expect(page.locator(".infobox")).to_contain_text("Hot and arid")
        expect(page.locator(".infobox th").first).to_have_text("Region")
        page.locator("#q").fill("tatoine")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/search\?q=tatoine&continuity=canon$"))
        page.locator(".results .name").first.click()
        page.wait_for_url("**/wiki/Tatooine")
    finally:
        context.close()


@pytest.mark.parametrize("width", [768, 390])
def test_a_card_fits_a_tablet_and_a_phone(browser: playwright.Browser, site: Site, width: int) -> None:
    context = browser.new_context(base_url=site.base, viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto("/wiki/Tatooine")
        overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        expect(page.locator("#q")).to_be_visible()
        expect(page.locator(".infobox")).to_be_visible()
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/", "/wiki/Tatooine", "/browse/planets?climate=arid", "/search?q=tato"])
def test_every_control_is_labelled_and_every_image_described(page: playwright.Page, path: str) -> None:
    page.goto(path)
    unlabelled = page.locator("input:not([type=hidden]), select, button").evaluate_all(
        "controls => controls.filter(c => !(c.labels && c.labels.length) && !c.getAttribute('aria-label')"
        " && !c.textContent.trim()).map(c => c.outerHTML)"
    )
    assert unlabelled == []
    assert page.locator("img:not([alt])").count() == 0


def test_the_first_tab_offers_to_skip_to_the_content(page: playwright.Page) -> None:
    page.goto("/wiki/Tatooine")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")


def test_hostile_input_is_shown_as_text_and_never_runs(page: playwright.Page) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for text in HOSTILE:
        for path in (
            f"/search?q={quote(text)}",
            f"/wiki/{quote(text, safe='')}",
            f"/browse/planets?climate={quote(text)}",
            f"/random?category=planets&{quote(text)}=1",
        ):
            response = page.goto(path)
            assert response is not None and response.status < 500, path
            assert page.evaluate("window.__hostile") is None, path
        page.goto("/")
        page.locator("#q").fill(text)
        page.locator("#q").press("ArrowDown")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__hostile") is None
    assert dialogs == []
    page.goto(f"/search?q={quote(HOSTILE[0])}")
    expect(page.locator("#q")).to_have_value(HOSTILE[0])
    expect(page.locator("main")).to_contain_text(HOSTILE[0])


ROUTES = (
    "/search?q={}",
    "/search?q=tatooine&page={}",
    "/search?q=tatooine&continuity={}",
    "/search/suggest?q={}",
    "/wiki/{}",
    "/wiki/Tatooine?continuity={}",
    "/browse/{}",
    "/browse/planets?climate={}",
    "/browse/planets?{}=arid",
    "/browse/planets?field=climate&value={}",
    "/random?category=planets&climate={}",
    "/random?category={}",
)
MARKERS = ("<script>", '"><b onmouseover="', "'><i>")
hostile = st.builds(
    lambda before, marker, after: before + marker + after,
    st.text(max_size=40),
    st.sampled_from(MARKERS),
    st.text(max_size=40),
) | st.text(min_size=1, max_size=60) | st.sampled_from(["<script>" * 1250, "Tat\x00ooine", "a\x1fb"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(ROUTES), text=hostile)
def test_every_page_escapes_any_input_and_never_fails(site: Site, route: str, text: str) -> None:
    response = httpx.get(site.base + route.format(quote(text, safe="")), follow_redirects=True)
    assert response.status_code < 500, response.text[:500]
    assert response.status_code in (200, 404, 414, 422), response.status_code
    assert response.headers.get("X-Served-From") != "file_cache", "an input made PostgreSQL look down"
    for marker in MARKERS:
        assert marker not in response.text or marker not in text


def test_pages_come_from_the_file_cache_while_postgresql_is_away(site: Site) -> None:
    """A second app on the same data directory whose PostgreSQL cannot be reached: the card, a search
    and a category still answer, each saying so."""
    unreachable = "postgresql://postgres@127.0.0.1:9/none"
    settings = Settings(DATABASE_URL=unreachable, LORECACHE_DATA_DIR=site.data_dir)
    with TestClient(create_app(settings, prefetch=False)) as client:
        for path in ("/wiki/Tatooine", "/search?q=tatoine", "/browse/planets?climate=arid", "/"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert response.headers["X-Served-From"] == "file_cache"
            assert "comes from the file cache" in response.text
        assert "Galactic Empire" in client.get("/wiki/Tatooine").text
        assert 'href="/wiki/Tatooine"' in client.get("/search?q=tatoine").text
