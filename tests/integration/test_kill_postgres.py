"""PostgreSQL killed (SIGKILL: no shutdown, no checkpoint) in the middle of an ingest's load into it.

The ingest ends with a clear error; once PostgreSQL is back a re-run ends with exactly the source's
counts, `migrate-cache --verify` matches every article, and the killed run's log row is closed as
interrupted rather than left `running`. This test owns its embedded PostgreSQL.
"""

import os
from pathlib import Path

import psycopg
import pytest

from lorecache.store import database, embedded
from lorecache.store.runs import INTERRUPTED
from tests.conftest import SAMPLE
from tests.support.processes import kill_hard, postmaster_pid, run_cli, start_cli, wait_for

pytestmark = pytest.mark.embedded


def _query(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url) as connection:
        return connection.execute(sql).fetchall()


def test_postgres_killed_mid_load_then_a_rerun_loses_nothing(tmp_path: Path) -> None:
    pg_dir = tmp_path / "pg"
    url = embedded.start(pg_dir)
    database.upgrade(url)
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "LORECACHE_DATA_DIR": str(tmp_path / "data"),
        "LORECACHE_WORKERS": "2",
    }
    log_path = tmp_path / "ingest.log"
    try:
        with log_path.open("w") as log:
            ingest = start_cli(["ingest", "dump", str(SAMPLE)], environment, log)
            try:
                loading = "SELECT stage FROM scraping_logs ORDER BY id DESC LIMIT 1"
                wait_for(lambda: _query(url, loading) == [("writing_to_postgresql",)], 60, interval=0.02)
                kill_hard(postmaster_pid(pg_dir / "postgres"))
                assert ingest.wait(timeout=60) == 1
            finally:
                if ingest.poll() is None:
                    ingest.kill()
        assert "PostgreSQL unavailable" in log_path.read_text()

        embedded.restart(pg_dir)
        rerun = run_cli(["ingest", "dump", str(SAMPLE)], environment)
        assert rerun.returncode == 0, rerun.stderr
        verified = run_cli(["migrate-cache", "--verify"], environment)
        assert verified.returncode == 0, verified.stderr
        assert "Verification passed" in verified.stderr

        counts = "SELECT count(*), count(*) FILTER (WHERE is_canon) FROM wiki_articles"
        assert _query(url, counts) == [(1000, 415)]
        runs = _query(url, "SELECT status, error_message FROM scraping_logs ORDER BY id")
        assert runs == [("failed", INTERRUPTED), ("completed", None), ("completed", None)]
    finally:
        embedded.stop(pg_dir)
