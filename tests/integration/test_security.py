"""Admin routes behind a bearer token, CORS only where configured, caps on what a request may send,
and a service that binds to loopback unless told otherwise."""

import inspect
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lorecache import cli
from lorecache.api.app import create_app
from lorecache.config import Settings
from tests.conftest import SAMPLE
from tests.integration.test_api import wait_for_prefetch

TOKEN = "s3cret-admin-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


def _offline_client(tmp_path: Path, **settings: str) -> TestClient:
    """The app without its lifespan: no database, no prefetch; enough for what runs before the routes."""
    return TestClient(create_app(Settings(LORECACHE_DATA_DIR=tmp_path, **settings)))


def test_admin_routes_are_off_without_a_configured_token(tmp_path: Path) -> None:
    client = _offline_client(tmp_path)
    for headers in ({}, ADMIN):
        response = client.post("/prefetch", headers=headers)
        assert response.status_code == 403
        assert "LORECACHE_ADMIN_TOKEN" in response.json()["detail"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}])
def test_admin_routes_refuse_a_missing_or_wrong_token(tmp_path: Path, headers: dict) -> None:
    response = _offline_client(tmp_path, LORECACHE_ADMIN_TOKEN=TOKEN).post("/prefetch", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_prefetch_before_postgres_is_up_is_503(tmp_path: Path) -> None:
    response = _offline_client(tmp_path, LORECACHE_ADMIN_TOKEN=TOKEN).post("/prefetch", headers=ADMIN)
    assert response.status_code == 503
    assert "PostgreSQL" in response.json()["detail"]


def test_post_prefetch_starts_one_run_at_a_time(database_url: str, tmp_path: Path) -> None:
    settings = Settings(
        DATABASE_URL=database_url,
        LORECACHE_DATA_DIR=tmp_path,
        LORECACHE_SOURCE=str(SAMPLE),
        LORECACHE_ADMIN_TOKEN=TOKEN,
    )
    with TestClient(create_app(settings)) as client:
        assert wait_for_prefetch(client)["is_complete"]

        started = client.post("/prefetch", params={"force": "true"}, headers=ADMIN)
        again = client.post("/prefetch", params={"force": "true"}, headers=ADMIN)

        assert started.status_code == 202
        assert started.json()["is_complete"] is False
        assert again.status_code == 409
        forced = wait_for_prefetch(client)["progress"]
        assert (forced["stage"], forced["articles_unchanged"], forced["articles_created"]) == (
            "completed",
            1000,
            0,
        )
        assert client.post("/prefetch", headers=ADMIN).status_code == 202
        assert wait_for_prefetch(client)["progress"]["stage"] == "skipped"


def test_cors_headers_only_for_configured_origins(tmp_path: Path) -> None:
    allowed = "https://gm.example"
    configured = _offline_client(tmp_path, LORECACHE_CORS_ORIGINS=f"{allowed}, https://other.example")
    answer = configured.get("/health", headers={"Origin": allowed})
    assert answer.headers["access-control-allow-origin"] == allowed
    stranger = configured.get("/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in stranger.headers
    unconfigured = _offline_client(tmp_path).get("/health", headers={"Origin": allowed})
    assert "access-control-allow-origin" not in unconfigured.headers


def test_oversized_requests_are_refused_before_any_work(tmp_path: Path) -> None:
    client = _offline_client(tmp_path, LORECACHE_ADMIN_TOKEN=TOKEN)
    long_url = client.get("/api/v1/wiki/search", params={"q": "x" * 9000})
    assert long_url.status_code == 414
    big_body = client.post("/prefetch", headers=ADMIN, content=b"x" * 100_000)
    assert big_body.status_code == 413


def test_serve_binds_to_loopback_by_default() -> None:
    assert inspect.signature(cli.serve).parameters["host"].default == "127.0.0.1"
