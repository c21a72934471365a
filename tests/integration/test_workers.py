"""Several API processes started at once (`serve --workers 3`): exactly one runs the prefetch, and
every process answers /prefetch/status with that run's progress."""

import os
import signal
from pathlib import Path

import httpx
import psycopg

from tests.conftest import SAMPLE
from tests.support.processes import free_port, start_cli, wait_for

WORKERS = 3
FINISHED = {"completed", "skipped"}


def _status(base: str) -> dict:
    """On a new connection each time, so the answers come from whichever worker accepts it."""
    with httpx.Client(base_url=base, timeout=5) as client:
        return client.get("/prefetch/status").json()


def test_workers_started_together_run_one_prefetch(database_url: str, tmp_path: Path) -> None:
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LORECACHE_DATA_DIR": str(tmp_path / "data"),
        "LORECACHE_SOURCE": str(SAMPLE),
        "LORECACHE_WORKERS": "1",
    }
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with (tmp_path / "serve.log").open("w") as log:
        server = start_cli(["serve", "--port", str(port), "--workers", str(WORKERS)], environment, log)
    try:
        seen: list[dict] = []

        def finished() -> bool:
            seen.append(_status(base))
            return seen[-1]["is_complete"]

        wait_for(finished, 120, interval=0.05)
        answers = [_status(base) for _ in range(6 * WORKERS)]
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)

    assert not [s for s in seen if s["progress"]["stage"] in ("failed", "running_elsewhere")], seen
    assert all(a["is_complete"] and a["progress"]["stage"] in FINISHED for a in answers), answers
    assert {a["progress"]["articles_created"] for a in answers if a["progress"]["stage"] == "completed"} == {
        1000
    }
    log_text = (tmp_path / "serve.log").read_text()
    deferred = log_text.count("prefetch running_elsewhere") + log_text.count("prefetch skipped")
    assert (log_text.count("prefetch completed"), deferred) == (1, WORKERS - 1), log_text
    with psycopg.connect(database_url) as connection:
        runs = connection.execute("SELECT status, articles_created FROM scraping_logs").fetchall()
    assert runs == [("completed", 1000)]
