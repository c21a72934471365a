"""`lorecache serve` stopped the ways it is stopped in practice, during its prefetch, on the embedded
PostgreSQL: SIGTERM to its process (systemd, Docker, `kill`) or SIGINT to its process group (Ctrl-C in a
terminal, which reaches the parser processes too).

It exits 0 with the prefetch's run ended at a batch boundary and recorded as stopped, and no PostgreSQL
process of its data directory left. A second signal exits at once, still stopping PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest

from lorecache.ingest.run import STOPPED
from lorecache.store import embedded
from tests.support.processes import alive, free_port, postgres_processes, start_cli, wait_for

pytestmark = pytest.mark.embedded


@contextmanager
def _serving(
    tmp_path: Path, settings: dict[str, str], *, own_group: bool = False
) -> Iterator[tuple[subprocess.Popen, str]]:
    """`lorecache serve` on the embedded PostgreSQL (no DATABASE_URL) under tmp_path/data; killed if a
    test leaves it running."""
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LORECACHE_SOURCE")}
    environment |= {"LORECACHE_DATA_DIR": str(tmp_path / "data"), **settings}
    port = free_port()
    with (tmp_path / "serve.log").open("w") as log:
        server = start_cli(
            ["serve", "--port", str(port)], environment, log, cwd=tmp_path, own_group=own_group
        )
    try:
        yield server, f"http://127.0.0.1:{port}"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=30)


def _progress(base: str) -> dict:
    return httpx.get(f"{base}/prefetch/status", timeout=2).json()["progress"]


def _last_run(data: Path) -> tuple:
    """The prefetch's log row, read from the embedded PostgreSQL started again (and stopped) here."""
    try:
        with psycopg.connect(embedded.start(data)) as connection:
            return connection.execute(
                "SELECT status, error_message, finished_at IS NOT NULL, articles_processed "
                "FROM scraping_logs ORDER BY id DESC LIMIT 1"
            ).fetchone()
    finally:
        embedded.stop(data)


@pytest.mark.parametrize(
    ("sent", "to_group"),
    [(signal.SIGTERM, False), (signal.SIGINT, True)],
    ids=["SIGTERM to the process", "SIGINT to the process group"],
)
def test_a_signal_mid_prefetch_ends_the_run_stops_postgres_and_exits_0(
    tmp_path: Path, sent: signal.Signals, to_group: bool
) -> None:
    data = tmp_path / "data"
    with _serving(tmp_path, {"LORECACHE_WORKERS": "1"}, own_group=to_group) as (server, base):
        wait_for(
            lambda: _progress(base)["stage"] == "categorizing" and _progress(base)["articles_processed"],
            120,
            interval=0.02,
        )
        postgres = postgres_processes(data / "postgres")
        assert postgres, "no embedded PostgreSQL found to watch"
        (os.killpg if to_group else os.kill)(server.pid, sent)
        server.wait(timeout=90)
    log = (tmp_path / "serve.log").read_text()

    assert server.returncode == 0, log
    assert not [process for process in postgres if alive(process)], log
    assert postgres_processes(data / "postgres") == []
    assert not (data / "postgres" / "postmaster.pid").exists()
    assert list(data.rglob("*.tmp")) == []
    status, error, finished, processed = _last_run(data)
    assert (status, error, finished) == ("failed", STOPPED, True)
    assert processed > 0


def test_a_second_signal_exits_at_once_and_still_stops_postgres(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with socket.socket() as wiki:  # accepts the prefetch's request and never answers it
        wiki.bind(("127.0.0.1", 0))
        wiki.listen()
        wiki.settimeout(120)
        settings = {
            "LORECACHE_SOURCE": f"http://127.0.0.1:{wiki.getsockname()[1]}/api.php",
            "LORECACHE_CONTACT": "lorecache-tests@example.org",
        }
        with _serving(tmp_path, settings) as (server, _), wiki.accept()[0]:
            postgres = postgres_processes(data / "postgres")
            assert postgres, "no embedded PostgreSQL found to watch"
            server.send_signal(signal.SIGTERM)
            time.sleep(1)
            assert server.poll() is None, "the first signal did not wait for the batch under way"
            second = time.monotonic()
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
            exited_after = time.monotonic() - second
    log = (tmp_path / "serve.log").read_text()

    assert server.returncode == 128 + signal.SIGINT, log
    assert exited_after < 5, log
    wait_for(lambda: not [process for process in postgres if alive(process)], 30)
    assert postgres_processes(data / "postgres") == []
