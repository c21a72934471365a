"""`lorecache ingest wiki` terminated mid-scrape and started again ends where an uninterrupted scrape
ends, without fetching again the batches it had finished; `lorecache serve` stopped mid-sync files and
checkpoints the batch under way before it exits."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

from lorecache.ingest.run import STOPPED
from lorecache.store.files import FileCache
from tests.integration.wiki.conftest import BOTH_CONTINUITIES, CONTACT, UNIVERSE, file_hashes, postgres_hashes
from tests.support.processes import free_port, start_cli, wait_for


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


def test_serve_stopped_mid_sync_files_and_checkpoints_the_batch_under_way(
    engine, database_url, proxy, tmp_path
) -> None:
    proxy.delay_seconds = 0.3
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LORECACHE_DATA_DIR": str(tmp_path),
        "LORECACHE_SOURCE": proxy.api_url,
        "LORECACHE_CONTACT": CONTACT,
    }
    with (tmp_path / "serve.log").open("w") as log:
        server = start_cli(["serve", "--port", str(free_port())], environment, log, cwd=tmp_path)
    try:
        wait_for(lambda: _done_through(engine), 120)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=30)

    assert server.returncode == 0, (tmp_path / "serve.log").read_text()[-2000:]
    done = _done_through(engine)
    assert done == max(proxy.fetched_page_ids())
    with engine.connect() as connection:
        run = connection.execute(
            text("SELECT status, error_message FROM scraping_logs ORDER BY id DESC LIMIT 1")
        ).one()
        in_postgres = set(connection.execute(text("SELECT page_id FROM wiki_articles")).scalars())
    assert tuple(run) == ("failed", STOPPED)
    in_files = {entry.page_id for entry in FileCache(tmp_path / UNIVERSE).entries()}
    assert in_files == in_postgres
    assert in_files and max(in_files) <= done
