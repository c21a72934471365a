"""Stage 2 against a real MediaWiki: the sample's infobox images, uploaded with `importImages.php` and
served by the wiki's `img_auth.php`, are located by `prop=imageinfo`, fetched, verified, and served back
by the API byte for byte; `lorecache images fetch` after `lorecache ingest wiki` asks that same wiki."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from lorecache.api.app import create_app
from lorecache.config import Settings
from lorecache.images.disk import ImageDisk
from lorecache.images.names import BadImageName, canonical, image_url
from lorecache.images.stage import ImageStage
from lorecache.ingest import Ingest
from lorecache.sources.dump import DumpSource
from lorecache.store.files import FileCache
from lorecache.universes import load
from tests.conftest import SAMPLE
from tests.integration.wiki.conftest import BOTH_CONTINUITIES, CONTACT, UNIVERSE
from tests.integration.wiki.server import ADMIN, LocalWiki
from tests.support.image_server import picture
from tests.support.processes import run_cli

UPLOADS = 250
FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF"}
_UPLOAD_SETTINGS = """
$wgEnableUploads = true;
$wgServer = 'http://' . ( $_SERVER['HTTP_HOST'] ?? '127.0.0.1' );
$wgUploadDirectory = '{root}/images';
$wgUploadPath = '/img_auth.php';
$wgFileExtensions = [ 'png', 'jpg', 'jpeg', 'gif' ];
"""


def _uploadable(names: set[str]) -> list[str]:
    """Names a wiki title and Pillow can both take, in a stable order."""
    kept = []
    for name in sorted(names):
        try:
            name = canonical(name)
        except BadImageName:
            continue
        if Path(name).suffix.lower() in FORMATS and re.fullmatch(r"[\w.()'!,-]+", name):
            kept.append(name)
    return kept


@pytest.fixture(scope="module")
def uploaded(wiki_template: LocalWiki, dump_files: FileCache) -> Iterator[tuple[LocalWiki, dict[str, bytes]]]:
    """A copy of the sample's wiki with images for the first UPLOADS of the sample's infobox images."""
    wiki = wiki_template.copy(wiki_template.root.parent / uuid.uuid4().hex)
    with (wiki.root / "LocalSettings.php").open("a") as settings:
        settings.write(_UPLOAD_SETTINGS.replace("{root}", str(wiki.root)))
    names = _uploadable({article.image for article in dump_files.iter_articles() if article.image})
    staging = wiki.root / "upload"
    staging.mkdir()
    images = {}
    for seed, name in enumerate(names[:UPLOADS]):
        images[name] = picture(seed, FORMATS[Path(name).suffix.lower()])
        (staging / name).write_bytes(images[name])
    wiki.maintenance("importImages.php", "--user", ADMIN, "--comment", "test images", str(staging))
    wiki.start()
    yield wiki, images
    wiki.stop()
    shutil.rmtree(wiki.root, ignore_errors=True)


def test_the_wikis_images_are_fetched_and_served_back_byte_identical(
    engine, database_url: str, tmp_path: Path, uploaded
) -> None:
    wiki, images = uploaded
    universe = load(UNIVERSE)
    files = FileCache(tmp_path / UNIVERSE)
    disk = ImageDisk(files.root / "images")
    scrape = replace(universe.scrape, rate_per_second=0, timeout_seconds=10)
    stage = ImageStage(engine, universe, disk, CONTACT, api_url=wiki.api_url, scrape=scrape)

    progress = Ingest(engine, files, UNIVERSE, workers=2, images=stage).run(DumpSource(SAMPLE))

    assert progress.stage == "completed", progress.error
    assert progress.images_fetched == len(images)
    assert progress.images_total == progress.images_fetched + progress.images_failed
    with engine.connect() as connection:
        statuses = dict(
            connection.execute(text("SELECT status, count(*) FROM image_cache GROUP BY status")).all()
        )
    assert statuses["fetched"] == len(images)
    settings = Settings(DATABASE_URL=database_url, LORECACHE_DATA_DIR=tmp_path)
    with TestClient(create_app(settings, prefetch=False)) as client:
        for name, payload in images.items():
            response = client.get(image_url(name))
            assert response.status_code == 200, name
            assert response.content == payload, name
        assert client.get("/api/v1/wiki/cache/stats").json()["images"]["fetched"] == len(images)
        tatooine = client.get("/api/v1/wiki/articles/Tatooine").json()
        assert tatooine["image_url"] == image_url(tatooine["image"])


def test_images_fetch_after_a_wiki_scrape_asks_that_wiki_without_lorecache_source(
    engine, database_url: str, tmp_path: Path, uploaded
) -> None:
    wiki, images = uploaded
    environment = {name: value for name, value in os.environ.items() if name != "LORECACHE_SOURCE"}
    environment |= {
        "DATABASE_URL": database_url,
        "LORECACHE_DATA_DIR": str(tmp_path),
        "LORECACHE_CONTACT": CONTACT,
        "LORECACHE_WORKERS": "2",
    }
    categories = [option for category in BOTH_CONTINUITIES for option in ("--category", category)]
    scraped = run_cli(["ingest", "wiki", wiki.api_url, "--rate", "0", *categories], environment, timeout=300)
    assert scraped.returncode == 0, scraped.stderr

    wiki_root = wiki.api_url.removesuffix("api.php")
    for run in ("first", "again, after a run over the cache alone"):
        fetched = run_cli(["images", "fetch"], environment, timeout=300)
        assert fetched.returncode == 0, fetched.stderr
        assert f"images: {len(images):,} fetched" in fetched.stderr, run
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT file_name, source_url, status, sha256 FROM image_cache")
            ).all()
        assert {name: sha256 for name, _, status, sha256 in rows if status == "fetched"} == {
            name: hashlib.sha256(payload).hexdigest() for name, payload in images.items()
        }, run
        asked_elsewhere = [url for _, url, _, _ in rows if not url.startswith((wiki_root, "invalid-name:"))]
        assert asked_elsewhere == [], run
