"""PostgreSQL stopped under a running API: answers continue from the file cache, then return.

This test owns its embedded PostgreSQL, so stopping it harms no other test.
"""

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lorecache.api.app import create_app
from lorecache.config import Settings
from lorecache.store import embedded
from tests.conftest import SAMPLE
from tests.integration.test_api import wait_for_prefetch
from tests.support.metrics import parse, value

pytestmark = pytest.mark.embedded

PLANETS = "/api/v1/wiki/locations/planets"
SEARCH = "/api/v1/wiki/canon/category/planets"


def _until(check, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.2)


def test_answers_survive_postgres_stopping_and_come_back_to_it(tmp_path: Path) -> None:
    pg_dir = tmp_path / "pg"
    url = embedded.start(pg_dir)
    settings = Settings(
        DATABASE_URL=url,
        LORECACHE_DATA_DIR=tmp_path / "data",
        LORECACHE_SOURCE=str(SAMPLE),
        LORECACHE_DB_RETRY_SECONDS=0.5,
    )
    with TestClient(create_app(settings)) as client:
        assert wait_for_prefetch(client)["is_complete"]
        from_postgres = client.get(PLANETS, params={"limit": 10}).json()
        assert client.get("/health").json()["status"] == "healthy"
        before = parse(client.get("/metrics").text)

        embedded.stop(pg_dir)
        try:
            assert client.get("/health").json()["status"] == "degraded"
            planets = client.get(PLANETS, params={"limit": 10})
            assert planets.status_code == 200
            assert planets.headers["X-Served-From"] == "file_cache"
            assert [p["name"] for p in planets.json()] == [p["name"] for p in from_postgres]
            search = client.get(SEARCH, params={"search": "Tato"})
            assert search.headers["X-Served-From"] == "file_cache"
            assert search.json()[0]["name"] == "Tatooine"
            stats = client.get("/api/v1/wiki/cache/stats").json()
            assert (stats["total_articles"], stats["canon_articles"], stats["served_from"]) == (
                1000,
                415,
                "file_cache",
            )
            after = parse(client.get("/metrics").text)
        finally:
            embedded.restart(pg_dir)

        _until(lambda: client.get(PLANETS).headers["X-Served-From"] == "postgres")
        assert client.get("/health").json()["status"] == "healthy"
    embedded.stop(pg_dir)
    fallbacks = [value(s, "lorecache_fallbacks_total", reason="error") for s in (before, after)]
    assert fallbacks[1] > fallbacks[0]
    from_files = [value(s, "lorecache_answers_total", served_from="file_cache") for s in (before, after)]
    assert from_files[1] - from_files[0] == 3
