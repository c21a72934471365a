"""`lorecache ingest wiki` terminated mid-scrape and started again ends where an uninterrupted scrape
ends, without fetching again the batches it had finished."""

import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

from lorecache.store.files import FileCache
from tests.integration.wiki.conftest import BOTH_CONTINUITIES, CONTACT, UNIVERSE, file_hashes, postgres_hashes


def _ingest(proxy_url: str, database_url: str, data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    categories = [argument for name in BOTH_CONTINUITIES for argument in ("--category", name)]
    return subprocess.Popen(
        [sys.executable, "-m", "lorecache.cli", "ingest", "wiki", proxy_url, *categories, "--rate", "20"],
        env={
            **os.environ,
            "DATABASE_URL": database_url,
            "LORECACHE_DATA_DIR": str(data_dir),
            "LORECACHE_CONTACT": CONTACT,
            "LORECACHE_WORKERS": "2",
        },
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )


def _done_through(engine) -> int:
    with engine.connect() as connection:
        done = connection.execute(
            text("SELECT checkpoint->>'done_through' FROM scraping_logs ORDER BY id DESC LIMIT 1")
        ).scalar()
    return int(done or 0)


def test_a_killed_scrape_resumes_and_ends_like_an_uninterrupted_one(
    engine, database_url, proxy, tmp_path, dump_hashes
) -> None:
    proxy.delay_seconds = 0.2
    first = _ingest(proxy.api_url, database_url, tmp_path, tmp_path / "first.log")
    deadline = time.monotonic() + 120
    while _done_through(engine) < 20_000 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.1)
    first.terminate()
    first.wait(30)
    finished = _done_through(engine)
    assert finished > 0, (tmp_path / "first.log").read_text()[-2000:]
    assert proxy.fetched_page_ids()[-1] < max(dump_hashes), "the scrape ended before it was stopped"

    proxy.delay_seconds = 0.0
    proxy.seen.clear()
    second = _ingest(proxy.api_url, database_url, tmp_path, tmp_path / "second.log")

    assert second.wait(300) == 0, (tmp_path / "second.log").read_text()[-2000:]
    assert min(proxy.fetched_page_ids()) > finished
    assert postgres_hashes(engine) == dump_hashes
    assert file_hashes(FileCache(tmp_path / UNIVERSE)) == dump_hashes
