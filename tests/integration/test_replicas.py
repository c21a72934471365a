"""Reads on a streaming replica: a real primary and a real replica (`pg_basebackup -R`) on loopback,
under a running API.

Reads reach the replica; a load's rows are never missing from a read after it, even while the replica
has not replayed them; a replica stopped hands its reads to the primary, a primary killed its reads
to the replica, and both gone hand them to the file cache; each comes back by itself. The module owns
its pair of servers, stopped and killed by their process ids.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lorecache.api.app import create_app
from lorecache.config import Settings
from lorecache.store import database
from tests.integration.test_api import wait_for_prefetch
from tests.support.pages import infobox_page, write_dump
from tests.support.processes import run_cli, wait_for
from tests.support.replication import Server

PLANETS = "/api/v1/wiki/locations/planets"
NAMES = ["Dagobah", "Endor", "Hoth", "Naboo", "Tatooine"]
SEARCHES = count()


def _planet(page_id: int, title: str) -> object:
    return infobox_page(page_id, title, "Planet", {"climate": "Arid"}, f"'''{title}''' was a planet.")


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[Server, Server]]:
    """Outside pytest's own temporary directory, which pytest keeps private to its user (as root,
    servers run as another) and makes private again whenever another session starts."""
    root = Path(tempfile.mkdtemp(prefix="lorecache-replication-"))
    primary = Server.primary(root / "primary")
    try:
        primary.execute("CREATE DATABASE lorecache")
        database.upgrade(primary.url("lorecache"))
        replica = primary.replica(root / "replica")
        try:
            yield primary, replica
        finally:
            replica.stop()
    finally:
        primary.stop()
        shutil.rmtree(root)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def client(pair: tuple[Server, Server], data_dir: Path) -> Iterator[TestClient]:
    primary, replica = pair
    dump = write_dump(data_dir.parent / "planets.xml", [_planet(i, n) for i, n in enumerate(NAMES, 1)])
    settings = Settings(
        DATABASE_URL=primary.url("lorecache"),
        LORECACHE_REPLICA_URLS=replica.url("lorecache"),
        LORECACHE_DATA_DIR=data_dir,
        LORECACHE_SOURCE=str(dump),
        LORECACHE_DB_RETRY_SECONDS=0.5,
    )
    with TestClient(create_app(settings)) as client:
        assert wait_for_prefetch(client)["is_complete"]
        yield client


def _databases(client: TestClient) -> dict[str, dict]:
    return {database["role"]: database for database in client.get("/health").json()["databases"]}


def _replica_state(client: TestClient) -> str:
    return _databases(client)["replica"]["state"]


def _read(client: TestClient) -> tuple[list[str], str]:
    """Planets by a search never asked before (no kept answer): the store that answers is asked now."""
    response = client.get(PLANETS, params={"limit": 50, "search": f"{next(SEARCHES)}"})
    assert response.status_code == 200, response.text
    random = client.get("/api/v1/wiki/random", params={"category": "planets"})
    assert random.status_code == 200, random.text
    sources = {response.headers["X-Served-From"], random.headers["X-Served-From"]}
    assert len(sources) == 1, f"one read answered from {sources}"
    full = client.get(PLANETS, params={"limit": 50})
    return sorted(p["name"] for p in full.json()), sources.pop()


def test_reads_reach_the_replica(client: TestClient, pair: tuple[Server, Server]) -> None:
    _, replica = pair
    wait_for(lambda: _replica_state(client) == "up", 30)
    names, source = _read(client)
    assert (names, source) == (NAMES, "replica")
    article = client.get("/api/v1/wiki/articles/tatooine")
    assert article.headers["X-Served-From"] == "replica"
    assert client.get("/api/v1/wiki/articles/tatooine").headers["X-Served-From"] == "replica"  # kept
    sessions = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'lorecache'"
    assert replica.execute(sessions)[0][0] >= 1
    health = client.get("/health").json()
    assert health["status"] == "healthy"
    assert _databases(client)["primary"]["state"] == "up"
    assert _databases(client)["replica"]["lag_bytes"] == 0


def test_a_replica_stopped_hands_its_reads_to_the_primary(
    client: TestClient, pair: tuple[Server, Server]
) -> None:
    _, replica = pair
    wait_for(lambda: _replica_state(client) == "up", 30)
    replica.stop()
    try:
        for _ in range(3):
            assert _read(client) == (NAMES, "postgres")
        assert _replica_state(client) == "down"
        assert "error" in _databases(client)["replica"]
        assert client.get("/health").json()["status"] == "healthy"
    finally:
        replica.start()
    wait_for(lambda: _read(client)[1] == "replica", 30)
    assert _read(client) == (NAMES, "replica")


def test_the_primary_killed_then_both_gone_fall_back_to_the_replica_then_the_file_cache(
    client: TestClient, pair: tuple[Server, Server]
) -> None:
    primary, replica = pair
    wait_for(lambda: _replica_state(client) == "up", 30)
    primary.kill()
    try:
        for _ in range(3):
            assert _read(client) == (NAMES, "replica")
        assert client.get("/health").json()["status"] == "degraded"
        assert _databases(client)["primary"]["state"] == "down"
        replica.stop()
        try:
            for _ in range(3):
                assert _read(client) == (NAMES, "file_cache")
            assert {database["state"] for database in _databases(client).values()} == {"down"}
        finally:
            replica.start()
    finally:
        primary.start()
    wait_for(lambda: _read(client)[1] == "replica", 60)
    assert client.get("/health").json()["status"] == "healthy"


def test_a_loads_rows_are_never_missing_from_a_read_after_it(
    client: TestClient, pair: tuple[Server, Server], data_dir: Path
) -> None:
    """The replica's replay is paused, so the load by another process (the CLI) stays unreplayed there:
    reads go to the primary until the replica has caught up, then back to the replica."""
    primary, replica = pair
    wait_for(lambda: _replica_state(client) == "up", 30)
    grown = [*NAMES, "Jakku"]
    dump = write_dump(data_dir.parent / "more.xml", [_planet(i, n) for i, n in enumerate(grown, 1)])
    environment = {
        **os.environ,
        "DATABASE_URL": primary.url("lorecache"),
        "LORECACHE_DATA_DIR": str(data_dir),
    }
    replica.execute("SELECT pg_wal_replay_pause()")
    try:
        loaded = run_cli(["ingest", "dump", str(dump)], environment)
        assert loaded.returncode == 0, loaded.stderr
        for _ in range(5):
            assert _read(client) == (sorted(grown), "postgres")
        jakku = "SELECT count(*) FROM wiki_articles WHERE title = 'Jakku'"
        assert replica.execute(jakku, "lorecache") == [(0,)], "the replica was not behind"
        assert _replica_state(client) == "behind"
        assert _databases(client)["replica"]["lag_bytes"] > 0
    finally:
        replica.execute("SELECT pg_wal_replay_resume()")
    wait_for(lambda: _read(client)[1] == "replica", 30)
    assert _read(client) == (sorted(grown), "replica")
