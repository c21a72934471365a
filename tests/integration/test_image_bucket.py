"""Images kept in an S3-compatible bucket (moto's server on loopback): stage 2 stores them under the same
content-addressed keys as on disk, the image route redirects to them or streams them with the same
ETag, a refresh asks conditionally, and a failed upload or a bucket out of reach keeps the last good
copy, recorded with a reason that says so."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from lorecache.api.app import create_app
from lorecache.article import Article
from lorecache.config import Settings
from lorecache.images.s3 import S3Images
from lorecache.images.stage import ImageStage
from lorecache.progress import Progress
from lorecache.store.postgres import PostgresStore
from lorecache.universes import load
from tests.support.image_server import ImageServer, Reply, picture
from tests.support.processes import free_port
from tests.support.s3_server import S3Server

UNIVERSE = "star_wars"
IMAGES = {"Tatooine_TPM.png": Reply(picture(1)), "Naboo.jpg": Reply(picture(2, "JPEG"), "image/jpeg")}
IMAGES["Same_as_Tatooine.png"] = Reply(picture(1))


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    server = S3Server.start(tmp_path_factory.mktemp("s3") / "moto.log")
    yield server
    server.stop()


@pytest.fixture
def bucket(s3: S3Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """A bucket of this test's own, with the service's AWS variables pointing at it."""
    name = f"lore-{uuid.uuid4().hex[:12]}"
    s3.client().create_bucket(Bucket=name)
    for variable, value in s3.environment().items():
        monkeypatch.setenv(variable, value)
    return name


@pytest.fixture
def host() -> Iterator[ImageServer]:
    server = ImageServer({f"/files/{name}": reply for name, reply in IMAGES.items()})
    yield server
    server.close()


def _fetch(engine, host: ImageServer, store: S3Images) -> Progress:
    universe = load(UNIVERSE)
    rules = replace(universe.images, url=host.base + "/files/{name}", hosts=("127.0.0.1",))
    progress = Progress()
    stage = ImageStage(engine, universe, store, "lorecache-tests@example.org", rules=rules)
    stage.run(progress, lambda: None)
    return progress


def _filled(engine, host: ImageServer, bucket: str) -> S3Images:
    articles = [
        Article(UNIVERSE, page, f"Page {page}", f"Page_{page}", "u", None, "other", True, "", image=name)
        for page, name in enumerate(IMAGES, start=1)
    ]
    PostgresStore(engine, UNIVERSE).write_batch(articles)
    store = S3Images.from_url(f"s3://{bucket}/lore", UNIVERSE)
    progress = _fetch(engine, host, store)
    assert progress.images_fetched == len(IMAGES), progress.errors
    return store


def _rows(engine) -> dict[str, dict]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM image_cache")).mappings()
        return {row["file_name"]: dict(row) for row in rows}


def _client(database_url: str, tmp_path: Path, bucket: str, delivery: str = "redirect") -> TestClient:
    settings = Settings(
        DATABASE_URL=database_url,
        LORECACHE_DATA_DIR=tmp_path,
        LORECACHE_IMAGE_STORE=f"s3://{bucket}/lore",
        LORECACHE_IMAGE_DELIVERY=delivery,
    )
    return TestClient(create_app(settings, prefetch=False))


def test_images_are_kept_once_per_content_and_refetched_conditionally(
    engine, s3: S3Server, bucket: str, host: ImageServer
) -> None:
    _filled(engine, host, bucket)

    rows = _rows(engine)
    keys = {item["Key"] for item in s3.client().list_objects_v2(Bucket=bucket)["Contents"]}
    objects = {key for key in keys if "/objects/" in key}
    assert objects == {f"lore/{UNIVERSE}/{row['local_path']}" for row in rows.values()}
    assert len(objects) == len(IMAGES) - 1
    assert len(keys - objects) == len(IMAGES)

    progress = _fetch(engine, host, S3Images.from_url(f"s3://{bucket}/lore", UNIVERSE))

    assert progress.images_fetched == len(IMAGES)
    assert all(count == 2 for count in host.requests.values())
    assert {name: row["sha256"] for name, row in _rows(engine).items()} == {
        name: row["sha256"] for name, row in rows.items()
    }


@pytest.mark.parametrize("delivery", ["redirect", "stream"])
def test_the_route_redirects_to_the_bucket_or_streams_it_with_the_same_etag(
    engine, database_url: str, tmp_path: Path, bucket: str, host: ImageServer, delivery: str
) -> None:
    _filled(engine, host, bucket)
    png = IMAGES["Tatooine_TPM.png"].body

    with _client(database_url, tmp_path, bucket, delivery) as client:
        response = client.get("/api/v1/wiki/images/Tatooine TPM.png", follow_redirects=False)
        etag = response.headers["etag"]
        again = client.get("/api/v1/wiki/images/Tatooine_TPM.png", headers={"If-None-Match": etag})
        missing = client.get("/api/v1/wiki/images/Unknown.png")

    if delivery == "redirect":
        assert response.status_code == 307
        assert "max-age" in response.headers["cache-control"]
        response = httpx.get(response.headers["location"])
    assert response.status_code == 200
    assert response.content == png
    assert response.headers["content-type"] == "image/png"
    assert etag == f'"{_rows(engine)["Tatooine_TPM.png"]["sha256"]}"'
    assert again.status_code == 304 and again.headers["etag"] == etag
    assert missing.status_code == 404


def test_a_failed_upload_keeps_the_last_good_copy(
    engine,
    database_url: str,
    tmp_path: Path,
    s3: S3Server,
    bucket: str,
    host: ImageServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _filled(engine, host, bucket)
    before = _rows(engine)["Tatooine_TPM.png"]
    host.routes["/files/Tatooine_TPM.png"] = Reply(picture(3))
    try:
        for variable, value in s3.reader_environment().items():
            monkeypatch.setenv(variable, value)
        with caplog.at_level(logging.WARNING, logger="lorecache"):
            progress = _fetch(engine, host, S3Images.from_url(f"s3://{bucket}/lore", UNIVERSE))
    finally:
        s3.enforce_credentials(False)

    row = _rows(engine)["Tatooine_TPM.png"]
    assert progress.images_failed == 1 and progress.images_fetched == len(IMAGES) - 1
    assert row["status"] == "failed"
    assert "not stored, the last good copy kept" in row["error"] and "AccessDenied" in row["error"]
    assert (row["sha256"], row["local_path"]) == (before["sha256"], before["local_path"])
    assert "image store: write of s3://" in caplog.text
    for variable, value in s3.environment().items():
        monkeypatch.setenv(variable, value)
    with _client(database_url, tmp_path, bucket, "stream") as client:
        served = client.get("/api/v1/wiki/images/Tatooine_TPM.png")
    assert served.content == IMAGES["Same_as_Tatooine.png"].body
    assert served.headers["etag"] == f'"{before["sha256"]}"'


def test_a_bucket_out_of_reach_is_a_503_and_a_refresh_keeps_what_it_had(
    engine, database_url: str, tmp_path: Path, s3: S3Server, bucket: str, host: ImageServer, monkeypatch
) -> None:
    _filled(engine, host, bucket)
    before = _rows(engine)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")

    progress = _fetch(engine, host, S3Images.from_url(f"s3://{bucket}/lore", UNIVERSE))
    with _client(database_url, tmp_path, bucket) as client:
        response = client.get("/api/v1/wiki/images/Naboo.jpg", follow_redirects=False)

    assert progress.images_failed == len(IMAGES)
    rows = _rows(engine)
    assert all("Could not connect to the endpoint URL" in row["error"] for row in rows.values())
    assert {name: row["sha256"] for name, row in rows.items()} == {
        name: row["sha256"] for name, row in before.items()
    }
    assert response.status_code == 503
    assert "the image store cannot be reached" in response.json()["detail"]
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3.endpoint)
    with _client(database_url, tmp_path, bucket, "stream") as client:
        assert client.get("/api/v1/wiki/images/Naboo.jpg").content == IMAGES["Naboo.jpg"].body
