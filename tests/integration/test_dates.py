"""In-universe time on hand-made pages: dates and spans in answers, `from`/`to`/`as_of` on lists,
searches, random picks and the timeline, asked of PostgreSQL and of the file cache alike, over HTTP
and through the MCP tools."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import anyio
import orjson
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from lorecache.answers import page_items
from lorecache.api.app import create_app
from lorecache.config import Settings
from lorecache.dates import EARLIEST, LATEST, Span
from lorecache.ingest import Ingest
from lorecache.query import ListQuery
from lorecache.sources.dump import DumpSource
from lorecache.store import database
from lorecache.store import postgres as postgres_store
from lorecache.store.files.index import INDEX_NAME
from lorecache.store.hybrid import HybridStore
from lorecache.store.postgres import PostgresStore
from lorecache.universes import load
from lorecache.verify import differences
from tests.conftest import fresh_database
from tests.integration.test_api import wait_for_prefetch
from tests.integration.test_mcp import call
from tests.support.pages import infobox_page, write_dump


def _character(page_id: int, title: str, lead_links: str = "", **dates: str):
    return infobox_page(page_id, title, "Character", dates, f"'''{title}''' lived. {lead_links}")


def _event(page_id: int, title: str, kind: str, legends: bool = False, **dates: str):
    return infobox_page(page_id, title, kind, dates, f"'''{title}''' happened.", legends)


SPANS = {
    "Luke Skywalker": Span(-19, 34),
    "Obi-Wan Kenobi": Span(-57, 0),
    "Greedo": Span(-100, 0),
    "Wedge Antilles": Span(-21, 79),
    "Ben Solo": Span(5, 35),
    "Rey": Span(15, 115),
    "Shmi Skywalker": Span(-72, -22),
    "Nameless trooper": None,
}
"""The characters and the spans their infoboxes make: a death or a birth alone dates a life of at most
a hundred years."""
ALIVE_IN_0_ABY = {"Luke Skywalker", "Obi-Wan Kenobi", "Greedo", "Wedge Antilles"}

PAGES = [
    _character(
        1,
        "Luke Skywalker",
        "[[Battle of Yavin]] [[Battle of Endor]] [[Obi-Wan Kenobi]] [[Greedo]]",
        born="[[19 BBY]], [[Polis Massa]]",
        died='[[34 ABY]]<ref name="x">[[The Last Jedi]]</ref>, [[Ahch-To]]',
    ),
    _character(2, "Obi-Wan Kenobi", "[[Battle of Yavin]]", born="[[57 BBY]]", died="[[0 BBY]], [[Naboo]]"),
    _character(3, "Greedo", "[[Battle of Geonosis]]", died="[[0 BBY/Legends|0 BBY]], [[Tatooine]]"),
    _character(4, "Wedge Antilles", "[[Battle of Yavin]]", born="c. [[21 BBY]]"),
    _character(5, "Ben Solo", born="[[5 ABY]]", died="[[35 ABY]]"),
    _character(6, "Rey", born="[[15 ABY]]"),
    _character(7, "Shmi Skywalker", born="c. [[72 BBY]]", died="[[22 BBY]]"),
    _character(8, "Nameless trooper", homeworld="[[Kamino]]"),
    infobox_page(9, "George Lucas", "Person", {"born": "May 14, 1944"}, "'''George Lucas''' made films."),
    _event(20, "Battle of Yavin", "Battle", date="[[0 BBY]]"),
    _event(21, "Battle of Scarif", "Battle", date="[[0 BBY]]"),
    _event(22, "Battle of Geonosis", "Battle", date="[[22 BBY]] (13:5:21)"),
    _event(23, "Battle of Endor", "Battle", date="[[4 ABY]]"),
    _event(24, "Clone Wars", "War", beginning="[[22 BBY]], [[Battle of Geonosis]]", end="[[19 BBY]]"),
    _event(25, "Galactic Civil War", "War", beginning="[[2 BBY]]", end="[[5 ABY]]"),
    _event(26, "Ruusan Reformation", "Event", date="c. [[1,000 BBY]]"),
    _event(27, "Battle of Yavin/Legends", "Battle", legends=True, date="[[0 BBY]] (35:3:7)"),
    _event(28, "Mission to Vrant Tarnum", "Mission", date="Before [[231 BBY]]"),
    infobox_page(30, "19 BBY", "Year", {}, "'''19 BBY''' was a year."),
]
TIMELINE = [
    "Ruusan Reformation",
    "Mission to Vrant Tarnum",
    "Battle of Geonosis",
    "Clone Wars",
    "Galactic Civil War",
    "Battle of Yavin",
    "Battle of Scarif",
    "Battle of Endor",
]
"""The canon events in timeline order: where each begins (a date open before it where it ends), the
most linked first, then by page id."""
EVENTS = load("star_wars").calendar.timeline


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, server_url: str, template_database: str) -> Iterator:
    """The app after its prefetch of the pages: PostgreSQL and the file cache both hold them."""
    scratch = tmp_path_factory.mktemp("dates")
    dump = write_dump(scratch / "pages.xml", PAGES)
    with fresh_database(server_url, template_database) as url:
        settings = Settings(DATABASE_URL=url, LORECACHE_DATA_DIR=scratch / "data", LORECACHE_SOURCE=str(dump))
        with TestClient(create_app(settings)) as client:
            assert wait_for_prefetch(client)["is_complete"]
            yield client, client.app.state.runtime, dump, url


@pytest.fixture(params=["postgres", "file_cache"])
def store(request: pytest.FixtureRequest, served):
    runtime = served[1]
    return runtime.store.postgres if request.param == "postgres" else runtime.files


def _rows(store, query: ListQuery) -> list[dict]:
    return [orjson.loads(item) for item in page_items(store.list_articles(query), query.as_of)]


def _names(store, query: ListQuery) -> list[str]:
    return [row["name"] for row in _rows(store, query)]


def _characters(**options) -> ListQuery:
    return ListQuery(**{"categories": ("characters",), "limit": 50, **options})


def test_answers_carry_dates_and_span(store) -> None:
    luke = next(row for row in _rows(store, _characters()) if row["name"] == "Luke Skywalker")
    born = {"text": "19 BBY, Polis Massa", "from": -19, "to": -19, "approximate": False}
    assert luke["dates"]["born"] == born
    assert (luke["dates"]["died"]["from"], luke["dates"]["died"]["to"]) == (34, 34)
    assert luke["span"] == {"from": -19, "to": 34}
    detail = orjson.loads(store.detail("Wedge Antilles").json)
    assert detail["dates"]["born"]["approximate"] is True
    assert detail["span"] == {"from": -21, "to": 79}
    lucas = orjson.loads(store.detail("George Lucas").json)
    assert lucas["dates"]["born"] == {"text": "May 14, 1944", "from": None, "to": None, "approximate": False}
    assert lucas["span"] is None


def test_who_was_alive_in_0_aby(store) -> None:
    alive = set(_names(store, _characters(span=Span(0, 0))))
    assert alive == ALIVE_IN_0_ABY


def test_as_of_hides_what_begins_after_and_marks_what_is_to_come(store) -> None:
    rows = {row["name"]: row for row in _rows(store, _characters(as_of=-2))}
    assert set(rows) == set(SPANS) - {"Ben Solo", "Rey"}
    assert rows["Luke Skywalker"]["future"] == ["died"]
    assert rows["Shmi Skywalker"]["future"] == []
    assert rows["Nameless trooper"]["future"] == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    bounds=st.tuples(st.integers(-80, 40), st.integers(-80, 40)).map(sorted),
    open_side=st.sampled_from(["none", "from", "to"]),
    as_of=st.none() | st.integers(-80, 40),
    page=st.tuples(st.integers(1, 3), st.integers(0, 4)),
)
def test_both_stores_and_both_postgres_paths_filter_alike(
    served, monkeypatch, bounds, open_side, as_of, page
) -> None:
    """Every interval and moment keeps what the spans say, page after page, in the same order from
    PostgreSQL's places found by their spans, its places walked in rank order, its articles, and from
    the file cache."""
    runtime = served[1]
    low, high = bounds
    span = Span(EARLIEST if open_side == "from" else low, LATEST if open_side == "to" else high)
    expected = {
        title
        for title, spanned in SPANS.items()
        if ListQuery(span=span, as_of=as_of).in_time(spanned)
    }
    whole = _names(runtime.files, _characters(span=span, as_of=as_of))
    assert set(whole) == expected
    limit, offset = page
    query = ListQuery(categories=("characters",), span=span, as_of=as_of, limit=limit, offset=offset)
    from_files = _names(runtime.files, query)
    assert from_files == whole[offset : offset + limit]
    assert _names(runtime.store.postgres, query) == from_files
    with monkeypatch.context() as patched:
        patched.setattr(postgres_store, "FEW_PLACES", 1)
        assert _names(runtime.store.postgres, query) == from_files
    everywhere = ListQuery(span=span, as_of=as_of, continuity="all", limit=limit, offset=offset)
    assert _names(runtime.store.postgres, everywhere) == _names(runtime.files, everywhere)


def test_pages_filtered_by_time_before_the_ranks_are_built(served, writer: PostgresStore) -> None:
    postgres, files = writer, served[1].files
    query = _characters(span=Span(-30, 0), limit=2, offset=1)
    ranked = _names(postgres, query)
    with postgres.engine.begin() as connection:
        connection.execute(text("DELETE FROM category_ranks"))
    try:
        assert _names(postgres, query) == ranked == _names(files, query)
    finally:
        postgres.refresh_derived()


def test_search_and_random_keep_to_the_interval(store) -> None:
    battles = ListQuery(categories=("battles",), search="battle", continuity="all", span=Span(-1, 1))
    assert set(_names(store, battles)) == {"Battle of Yavin", "Battle of Scarif", "Battle of Yavin/Legends"}
    assert _names(store, ListQuery(search="Luke", as_of=-20)) == []
    picks = {orjson.loads(store.random(_characters(span=Span(0, 0))))["name"] for _ in range(15)}
    assert picks <= ALIVE_IN_0_ABY
    assert store.random(_characters(span=Span(-5000, -4000))) is None


def _timeline(store, **options) -> list[str]:
    query = ListQuery(**{"categories": EVENTS, "limit": 50, **options})
    return [orjson.loads(item)["title"] for item in store.timeline(query).items]


def test_the_timeline_in_order_and_in_pages(store) -> None:
    assert _timeline(store) == TIMELINE
    paged = [title for offset in range(0, 8, 3) for title in _timeline(store, limit=3, offset=offset)]
    assert paged == TIMELINE
    assert _timeline(store, span=Span(-22, -19)) == TIMELINE[2:4]
    assert _timeline(store, continuity="legends") == ["Battle of Yavin/Legends"]
    assert _timeline(store, as_of=-20) == TIMELINE[:4]
    births = [orjson.loads(item)["title"] for item in store.timeline(_characters()).items]
    assert births == sorted(
        (title for title, span in SPANS.items() if span), key=lambda title: SPANS[title].start
    )


def test_the_timeline_route(served) -> None:
    client = served[0]
    response = client.get("/api/v1/wiki/timeline", params={"from": "22 BBY", "to": "19 BBY"})
    assert response.status_code == 200
    assert response.headers["X-Served-From"] == "postgres"
    body = response.json()
    assert [event["title"] for event in body["events"]] == TIMELINE[2:4]
    geonosis = body["events"][0]
    assert geonosis == {
        "title": "Battle of Geonosis",
        "category": "battles",
        "is_canon": True,
        "date": "22 BBY (13:5:21)",
        "from": -22,
        "to": -22,
        "year": "22 BBY",
        "url": "https://starwars.fandom.com/wiki/Battle_of_Geonosis",
        "link": "/api/v1/wiki/articles/Battle%20of%20Geonosis",
    }
    year = client.get("/api/v1/wiki/timeline", params={"from": "-19", "to": "-19"}).json()["events"]
    assert [event["title"] for event in year] == ["Clone Wars"]
    files_only = HybridStore(None, served[1].files)
    page, source = anyio.run(files_only.timeline, ListQuery(categories=EVENTS, limit=50))
    assert source == "file_cache"
    assert [orjson.loads(item)["title"] for item in page.items] == TIMELINE


@pytest.mark.parametrize(
    ("route", "params", "named"),
    [
        ("/api/v1/wiki/canon/category/characters", {"from": "banana"}, "from"),
        ("/api/v1/wiki/canon/category/characters", {"from": "4 ABY", "to": "0 ABY"}, "from"),
        ("/api/v1/wiki/canon/category/characters", {"to": "soon"}, "to"),
        ("/api/v1/wiki/search", {"q": "Luke", "as_of": "the end"}, "as_of"),
        ("/api/v1/wiki/random", {"from": "900s BBY"}, "from"),
        ("/api/v1/wiki/timeline", {"from": "19 BBY", "to": "22 BBY"}, "from"),
        ("/api/v1/wiki/locations/planets", {"from": "x" * 41}, "from"),
    ],
)
def test_bad_dates_are_422_naming_the_parameter_and_lose_nothing(
    served, caplog: pytest.LogCaptureFixture, route: str, params: dict, named: str
) -> None:
    client = served[0]
    before = client.get("/api/v1/wiki/cache/stats").json()
    with caplog.at_level(logging.INFO, logger="lorecache.api.routes"):
        response = client.get(route, params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", named]
    if len(params.get("from", "")) <= 40:
        assert f"refused a request: {named}" in caplog.text
    assert client.get("/api/v1/wiki/cache/stats").json() == before
    alive = client.get("/api/v1/wiki/canon/category/characters", params={"from": "0 ABY", "to": "0 ABY"})
    assert {row["name"] for row in alive.json()} == ALIVE_IN_0_ABY


def test_routes_filter_by_time(served) -> None:
    client = served[0]
    young = client.get("/api/v1/wiki/canon/category/characters", params={"from": "10 ABY"}).json()
    assert {row["name"] for row in young} == {"Luke Skywalker", "Wedge Antilles", "Ben Solo", "Rey"}
    old = client.get("/api/v1/wiki/canon/category/characters", params={"to": "4000 BBY"}).json()
    assert old == []
    asked = {"q": "battle", "category": "battles", "to": "19 BBY", "as_of": "19 BBY"}
    found = client.get("/api/v1/wiki/search", params=asked).json()
    assert {row["name"] for row in found["results"]} == {"Battle of Geonosis"}
    assert found["results"][0]["future"] == []
    asked = {"category": "characters", "from": "0 ABY", "to": "0 ABY"}
    assert client.get("/api/v1/wiki/random", params=asked).json()["name"] in ALIVE_IN_0_ABY
    assert client.get("/api/v1/wiki/random", params={"from": "300 ABY"}).status_code == 404


def test_mcp_tools_take_from_to_and_as_of(served) -> None:
    store = served[1].store
    listed = call(store, "list_articles", {"category": "characters", "from": "0 ABY", "to": "0 ABY"})
    titles = {row["title"] for row in listed.structured_content["results"]}
    assert titles == ALIVE_IN_0_ABY
    found = call(store, "search", {"query": "Luke", "as_of": "2 BBY"}).structured_content["results"]
    assert found[0]["future"] == ["died"] and found[0]["span"] == {"from": -19, "to": 34}
    drawn = call(store, "random_article", {"category": "battles", "from": "4 ABY"}).structured_content
    assert drawn["title"] == "Battle of Endor"
    wrong = call(store, "list_articles", {"category": "characters", "from": "banana"})
    assert wrong.is_error and "from" in wrong.content[0].text


@pytest.fixture
def writer(served) -> Iterator[PostgresStore]:
    """The served database on an engine of its own, without the API's statement timeout: for loads."""
    engine = database.make_engine(served[3], pool_size=2)
    yield PostgresStore(engine, "star_wars")
    engine.dispose()


def test_ingesting_again_changes_nothing_and_verifies(served, writer: PostgresStore) -> None:
    files, dump = served[1].files, served[2]
    index = (files.root / INDEX_NAME).read_bytes()
    again = Ingest(writer.engine, files, "star_wars", workers=1).run(DumpSource(dump), force=True)
    assert (again.articles_created, again.articles_updated) == (0, 0)
    assert (files.root / INDEX_NAME).read_bytes() == index
    assert differences(files, writer) == []


def test_an_upgraded_database_dates_its_articles_at_start(writer: PostgresStore) -> None:
    """The migration drops the prepared answers; the next start prepares them with dates and spans."""
    query = _characters(span=Span(0, 0))
    before = _names(writer, query)
    with writer.engine.begin() as connection:
        connection.execute(text("DELETE FROM article_answers"))
        connection.execute(text("UPDATE wiki_articles SET span_from = NULL, span_to = NULL, span_at = NULL"))
    writer.ensure_derived()
    assert _names(writer, query) == before
    assert set(before) == ALIVE_IN_0_ABY


def test_the_lorebook_export_keeps_to_the_interval(served) -> None:
    client = served[0]
    asked = {"category": "characters", "from": "0 ABY", "to": "0 ABY"}
    book = client.get("/api/v1/wiki/export/sillytavern", params=asked).json()
    assert {entry["comment"] for entry in book["entries"].values()} == ALIVE_IN_0_ABY
    wrong = client.get("/api/v1/wiki/export/sillytavern", params={"as_of": "tomorrow"})
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["query", "as_of"]
