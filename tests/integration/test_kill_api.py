"""The API process killed (SIGKILL) in the middle of its prefetch: the next start runs the prefetch to
the end, sweeps the temporary files of writers that died mid-write, and closes the killed run's log
row as interrupted."""

import os
import signal
import subprocess
from pathlib import Path

import httpx
import psutil
import psycopg

from lorecache.store.files import FileCache
from lorecache.store.runs import INTERRUPTED
from tests.conftest import SAMPLE
from tests.support.processes import alive, free_port, start_cli, wait_for


def _serve(environment: dict[str, str], log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    with log_path.open("w") as log:
        server = start_cli(["serve", "--port", str(port)], environment, log)
    return server, f"http://127.0.0.1:{port}"


def _progress(base: str) -> dict:
    return httpx.get(f"{base}/prefetch/status", timeout=2).json()["progress"]


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_api_killed_mid_prefetch_resumes_and_leaves_no_temporaries(database_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LORECACHE_DATA_DIR": str(data),
        "LORECACHE_SOURCE": str(SAMPLE),
        "LORECACHE_WORKERS": "2",
    }
    first, base = _serve(environment, tmp_path / "first.log")
    try:
        wait_for(lambda: _progress(base)["articles_processed"] > 0, 60, interval=0.02)
        assert _progress(base)["stage"] == "categorizing"
        workers = psutil.Process(first.pid).children(recursive=True)
    finally:
        first.kill()
        first.wait(timeout=30)
    wait_for(lambda: not any(alive(worker) for worker in workers), 30)
    left_by_a_killed_writer = data / "star_wars" / "articles" / "00" / f".256.json.{_dead_pid()}.1.tmp"
    left_by_a_killed_writer.parent.mkdir(parents=True, exist_ok=True)
    left_by_a_killed_writer.write_bytes(b'{"page_id": 256, "tit')

    second, base = _serve(environment, tmp_path / "second.log")
    try:
        wait_for(lambda: httpx.get(f"{base}/prefetch/status").json()["is_complete"], 90)
        progress = _progress(base)
        assert (progress["stage"], progress["articles_created"]) == ("completed", 1000), progress
        stats = httpx.get(f"{base}/api/v1/wiki/cache/stats").json()
        assert (stats["total_articles"], stats["canon_articles"], stats["served_from"]) == (
            1000,
            415,
            "postgres",
        )
    finally:
        second.send_signal(signal.SIGINT)
        second.wait(timeout=30)
    assert len(FileCache(data / "star_wars").entries()) == 1000
    assert list(data.rglob("*.tmp")) == []
    assert not (data / "star_wars" / "spill").exists(), "the killed run's spilled batches stay behind"
    with psycopg.connect(database_url) as connection:
        runs = connection.execute("SELECT status, error_message FROM scraping_logs ORDER BY id").fetchall()
    assert runs == [("failed", INTERRUPTED), ("completed", None)]
