"""`GET /api/v1/wiki/images/{file_name}`: the bytes as kept, validators, 304, and refusals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lorecache.api.app import create_app
from lorecache.config import Settings
from lorecache.images.disk import ImageDisk
from lorecache.images.verify import verify
from tests.support.image_server import picture

PNG = picture(7)


@pytest.fixture
def client(database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    ImageDisk(tmp_path / "star_wars" / "images").put("Tatooine_TPM.png", PNG, verify(PNG, "image/png"))
    settings = Settings(DATABASE_URL=database_url, LORECACHE_DATA_DIR=tmp_path)
    with TestClient(create_app(settings, prefetch=False)) as client:
        yield client


def test_an_image_comes_back_byte_identical_with_validators(client: TestClient) -> None:
    response = client.get("/api/v1/wiki/images/Tatooine TPM.png")

    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert "max-age" in response.headers["cache-control"]
    etag = response.headers["etag"]
    again = client.get("/api/v1/wiki/images/Tatooine_TPM.png", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag


@pytest.mark.parametrize(
    ("name", "status"),
    [("Unknown.png", 404), ("..", 404), ("%2E%2E%2Fsecret.png", 404), (".hidden.png", 422), ("x" * 300, 422)],
)
def test_unknown_and_unsafe_names_are_refused(client: TestClient, name: str, status: int) -> None:
    assert client.get(f"/api/v1/wiki/images/{name}").status_code == status


def test_stats_count_images(client: TestClient) -> None:
    images = client.get("/api/v1/wiki/cache/stats").json()["images"]
    assert set(images) == {"fetched", "failed", "bytes"}
