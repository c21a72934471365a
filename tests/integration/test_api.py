"""The API on a real PostgreSQL filled from the sample by its own background prefetch."""

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lorecache.api.app import create_app
from lorecache.config import Settings
from tests.conftest import SAMPLE
from tests.support.pages import infobox_page, write_dump


def wait_for_prefetch(client: TestClient, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = client.get("/prefetch/status").json()
        if status["is_complete"] or status["progress"]["stage"] == "failed":
            return status
        time.sleep(0.1)
    raise AssertionError(f"prefetch did not finish: {status}")


@pytest.fixture
def client(database_url: str, tmp_path: Path):
    settings = Settings(DATABASE_URL=database_url, LORECACHE_DATA_DIR=tmp_path, LORECACHE_SOURCE=str(SAMPLE))
    with TestClient(create_app(settings)) as client:
        status = wait_for_prefetch(client)
        assert status["is_complete"], status
        yield client


def test_health_and_prefetch_status(client: TestClient) -> None:
    assert client.get("/health").json() == {
        "status": "healthy",
        "databases": [{"name": "primary", "role": "primary", "state": "up"}],
    }
    progress = client.get("/prefetch/status").json()["progress"]
    assert progress["stage"] == "completed"
    assert progress["articles_created"] == 1000
    assert set(progress) >= {"stage", "articles_processed", "articles_total", "articles_created"}


def test_planets_are_canon_and_ranked_by_importance(client: TestClient) -> None:
    response = client.get("/api/v1/wiki/locations/planets", params={"limit": 5})
    assert response.status_code == 200
    assert response.headers["X-Served-From"] == "postgres"
    planets = response.json()
    assert len(planets) == 5
    assert all(p["is_canon"] and p["category"] == "planets" for p in planets)
    assert {"Coruscant", "Tatooine"} <= {p["name"] for p in planets}
    assert {"name", "category", "is_canon", "summary", "url", "infobox"} <= set(planets[0])
    importance = [p["importance"] for p in planets]
    assert importance == sorted(importance, reverse=True)


def test_search_finds_tatooine_by_prefix(client: TestClient) -> None:
    found = client.get("/api/v1/wiki/canon/category/planets", params={"search": "Tato"}).json()
    assert found[0]["name"] == "Tatooine"
    assert all("tato" in p["name"].lower() for p in found)


def test_stats_count_the_sample(client: TestClient) -> None:
    stats = client.get("/api/v1/wiki/cache/stats").json()
    assert (stats["total_articles"], stats["canon_articles"]) == (1000, 415)
    assert stats["by_category"]["planets"]["canon"] == 30
    assert stats["served_from"] == "postgres"


def test_article_lookup_is_case_insensitive(client: TestClient) -> None:
    body = client.get("/api/v1/wiki/articles/tatooine").json()
    assert body["title"] == "Tatooine"
    assert body["page_id"] == 452688
    assert client.get("/api/v1/wiki/articles/Tatooine/Legends").json()["page_id"] == 47
    assert client.get("/api/v1/wiki/articles/No such place").status_code == 404


def test_pagination_is_stable_and_capped(client: TestClient) -> None:
    first = client.get("/api/v1/wiki/locations/planets", params={"limit": 10}).json()
    second = client.get("/api/v1/wiki/locations/planets", params={"limit": 10, "offset": 10}).json()
    assert not {p["name"] for p in first} & {p["name"] for p in second}
    everything = client.get("/api/v1/wiki/locations/planets", params={"limit": 10_000}).json()
    assert len(everything) == 30


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": -1},
        {"limit": "many"},
        {"offset": -5},
        {"offset": 10**9},
        {"search": "x" * 201},
    ],
)
def test_bad_parameters_are_422_with_a_reason(client: TestClient, params: dict) -> None:
    response = client.get("/api/v1/wiki/locations/planets", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"]


def test_unknown_categories_are_404(client: TestClient) -> None:
    assert client.get("/api/v1/wiki/canon/category/dragons").status_code == 404
    response = client.get("/api/v1/wiki/locations/characters")
    assert response.status_code == 404
    assert "planets" in response.json()["detail"]


@pytest.mark.parametrize(
    "search", ["%", "_", "\\", "'; DROP TABLE wiki_articles; --", "\x00\x01", "Tat\u043e\u043e"]
)
def test_hostile_searches_answer_cleanly(client: TestClient, search: str) -> None:
    response = client.get("/api/v1/wiki/canon/category/planets", params={"search": search})
    assert response.status_code == 200
    assert isinstance(response.json(), list)


def test_search_route_ranks_and_suggests(client: TestClient) -> None:
    body = client.get("/api/v1/wiki/search", params={"q": "Tatoine"}).json()
    assert body["results"][0]["name"] == "Tatooine"
    assert body["did_you_mean"] == "Tatooine"
    assert {"name", "category", "is_canon", "summary", "url", "score"} <= set(body["results"][0])
    legends = client.get("/api/v1/wiki/search", params={"q": "Tatooine", "canon": "false"}).json()
    assert legends["results"][0]["name"] == "Tatooine/Legends"


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": ""},
        {"q": "x" * 1_000},
        {"q": "Tato", "category": "dragons"},
        {"q": "a", "limit": 0},
    ],
)
def test_bad_searches_are_422(client: TestClient, params: dict) -> None:
    response = client.get("/api/v1/wiki/search", params=params)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_a_search_without_letters_or_digits_matches_nothing(client: TestClient) -> None:
    response = client.get("/api/v1/wiki/search", params={"q": "!!!"})
    assert response.status_code == 200
    assert response.json() == {"query": "!!!", "results": [], "has_more": False, "did_you_mean": None}


def test_article_route_resolves_continuity(client: TestClient) -> None:
    body = client.get("/api/v1/wiki/articles/tatooine", params={"continuity": "legends"}).json()
    assert body["title"] == "Tatooine/Legends"
    assert body["redirected_from"] == "tatooine"
    assert body["inbound_links"] == body["importance"]


def test_categories_list_every_category_with_counts(client: TestClient) -> None:
    body = client.get("/api/v1/wiki/categories").json()
    planets = next(row for row in body if row["category"] == "planets")
    assert planets == {
        "category": "planets",
        "group": "locations",
        "articles": planets["articles"],
        "canon": 30,
    }
    assert sum(row["articles"] for row in body) == 1000


def test_infobox_filters_on_list_routes(client: TestClient) -> None:
    response = client.get(
        "/api/v1/wiki/locations/planets", params={"region": "Outer Rim Territories", "limit": 100}
    )
    assert response.status_code == 200
    assert response.json()
    for planet in response.json():
        region = planet["infobox"]["region"]
        assert "Outer Rim Territories" in (region if isinstance(region, list) else [region])
    unknown = client.get("/api/v1/wiki/locations/planets", params={"colour": "blue"})
    assert unknown.status_code == 422
    assert "colour" in unknown.json()["detail"][0]["msg"]


def test_random_article_matches_its_filters(client: TestClient) -> None:
    pick = client.get("/api/v1/wiki/random", params={"category": "planets", "climate": "arid"})
    assert pick.status_code == 200
    assert pick.json()["category"] == "planets" and pick.json()["is_canon"]
    assert "arid" in str(pick.json()["infobox"]["climate"]).lower()
    assert (
        client.get(
            "/api/v1/wiki/random", params={"category": "planets", "climate": "molten lava"}
        ).status_code
        == 404
    )


def test_serving_with_no_source_keeps_a_cache_of_another(database_url: str, tmp_path: Path) -> None:
    """The bundled sample is the default source only for an empty cache: prefetching it over an
    ingested dump would replace that dump's articles with the sample's."""
    dump = write_dump(tmp_path / "pages.xml", [infobox_page(1, "Tatooine", "Planet", {}, "A desert world.")])
    ingested = Settings(DATABASE_URL=database_url, LORECACHE_DATA_DIR=tmp_path, LORECACHE_SOURCE=str(dump))
    with TestClient(create_app(ingested)) as client:
        assert wait_for_prefetch(client)["is_complete"]
    with TestClient(create_app(Settings(DATABASE_URL=database_url, LORECACHE_DATA_DIR=tmp_path))) as client:
        status = wait_for_prefetch(client)
        assert (status["progress"]["stage"], status["progress"]["source"]) == ("skipped", str(dump))
        assert client.get("/api/v1/wiki/cache/stats").json()["total_articles"] == 1
        assert client.get("/api/v1/wiki/articles/Tatooine").status_code == 200
