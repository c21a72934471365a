"""README's first command, as a user runs it: `lorecache serve` on the embedded PostgreSQL.

A real server process on loopback, no DATABASE_URL: the embedded PostgreSQL starts under the data
directory, the bundled sample is prefetched, and the process is stopped by its own id.
"""

import os
import signal
from pathlib import Path

import httpx
import pytest

from tests.support.processes import free_port, postgres_processes, start_cli, wait_for

pytestmark = pytest.mark.embedded


def test_serve_on_the_embedded_postgres_with_the_bundled_sample(tmp_path: Path) -> None:
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment["LORECACHE_DATA_DIR"] = str(tmp_path / "data")
    log = (tmp_path / "serve.log").open("w")
    server = start_cli(["serve", "--port", str(port)], environment, log, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        first_answer = wait_for(lambda: httpx.get(f"{base}/prefetch/status", timeout=1).json(), seconds=15)
        assert "progress" in first_answer
        wait_for(lambda: httpx.get(f"{base}/prefetch/status").json()["is_complete"] or None, seconds=60)

        planets = httpx.get(f"{base}/api/v1/wiki/locations/planets", params={"limit": 5})
        assert planets.headers["X-Served-From"] == "postgres"
        assert len(planets.json()) == 5 and all(p["is_canon"] for p in planets.json())
        search = httpx.get(f"{base}/api/v1/wiki/canon/category/planets", params={"search": "Tato"}).json()
        assert "Tatooine" in [p["name"] for p in search]
        stats = httpx.get(f"{base}/api/v1/wiki/cache/stats").json()
        assert (stats["total_articles"], stats["canon_articles"]) == (1000, 415)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
        log.close()
    assert server.returncode == 0, (tmp_path / "serve.log").read_text()
    assert not postgres_processes(tmp_path / "data" / "postgres"), "embedded PostgreSQL outlived the service"
