"""`/metrics` of a real `lorecache serve --workers 2`, parsed with prometheus_client's parser: whichever
worker answers the scrape, it adds up both workers' counts; a worker that dies keeps its counts but no
longer counts as serving."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx
import psutil
from prometheus_client.multiprocess import MultiProcessCollector

from tests.support.metrics import Samples, parse, value
from tests.support.pages import infobox_page, write_dump
from tests.support.processes import free_port, start_cli, wait_for

ARTICLE_ROUTE = "/api/v1/wiki/articles/{title:path}"
MOST_REQUESTS = 200
PAGES = [
    infobox_page(1, "Tatooine", "Planet", {"region": "Outer Rim Territories"}, "A desert planet."),
    infobox_page(2, "Naboo", "Planet", {"region": "Mid Rim"}, "A green planet."),
    infobox_page(3, "Luke Skywalker", "Character", {"homeworld": "[[Tatooine]]"}, "A Jedi."),
]


def _scrape(base: str) -> Samples:
    with httpx.Client(base_url=base, timeout=10) as client:
        response = client.get("/metrics")
    response.raise_for_status()
    return parse(response.text)


def _articles_answered(samples: Samples) -> float:
    labels = {"method": "GET", "route": ARTICLE_ROUTE, "status": "200"}
    return value(samples, "lorecache_http_requests_total", **labels)


def _answers(samples: Samples) -> float:
    stores = ("postgres", "file_cache")
    return sum(value(samples, "lorecache_answers_total", served_from=store) for store in stores)


def _get(base: str, path: str) -> httpx.Response:
    """On a new connection, so that either worker may accept it."""
    with httpx.Client(base_url=base, timeout=10) as client:
        return client.get(path)


def _workers(server: subprocess.Popen) -> list[psutil.Process]:
    children = psutil.Process(server.pid).children()
    return [child for child in children if "spawn_main" in " ".join(child.cmdline())]


def _shares(directory: Path) -> list[float]:
    """The articles each process answered, read from each one's own file (uvicorn's supervisor may
    replace a worker it finds slow to answer its health check: every process that served counts)."""
    shares = []
    for path in directory.glob("counter_*.db"):
        counted = MultiProcessCollector.merge([str(path)])
        shares.append(
            sum(
                sample.value
                for family in counted
                for sample in family.samples
                if sample.name == "lorecache_http_requests_total"
                and (sample.labels["route"], sample.labels["status"]) == (ARTICLE_ROUTE, "200")
            )
        )
    return [share for share in shares if share]


def _replaced(base: str, directory: Path, dead: int) -> Samples | None:
    """A scrape once the dead worker no longer counts as serving and its replacement does."""
    samples = _scrape(base)
    gone = not (directory / f"gauge_livesum_{dead}.db").exists()
    return samples if gone and value(samples, "lorecache_api_processes") == 2 else None


def test_metrics_add_up_both_workers_and_move_with_requests(database_url: str, tmp_path: Path) -> None:
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LORECACHE_DATA_DIR": str(tmp_path / "data"),
        "LORECACHE_SOURCE": str(write_dump(tmp_path / "dump.xml", PAGES)),
        "LORECACHE_WORKERS": "1",
    }
    stale = tmp_path / "data" / "metrics" / "counter_1.db"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"left by an earlier run")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with (tmp_path / "serve.log").open("w") as log:
        server = start_cli(["serve", "--port", str(port), "--workers", "2"], environment, log)
    try:
        wait_for(lambda: _get(base, "/prefetch/status").json()["is_complete"], 120)
        before = _scrape(base)
        directory = tmp_path / "data" / "metrics"

        made = 0
        while made < MOST_REQUESTS and len(_shares(directory)) < 2:
            assert _get(base, "/api/v1/wiki/articles/Tatooine").status_code == 200
            made += 1
        assert _get(base, "/api/v1/wiki/articles/No such article").status_code == 404
        assert _get(base, "/no/such/route").status_code == 404
        after = _scrape(base)
        shares = _shares(directory)

        killed = _workers(server)[0]
        killed.kill()
        killed.wait(30)
        assert _get(base, "/api/v1/wiki/articles/Tatooine").status_code == 200
        replaced = wait_for(lambda: _replaced(base, directory, killed.pid), 120)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)

    assert not stale.exists()
    assert len(shares) >= 2, shares
    assert _articles_answered(after) - _articles_answered(before) == made == sum(shares)
    missing = {"method": "GET", "route": ARTICLE_ROUTE, "status": "404"}
    assert value(after, "lorecache_http_requests_total", **missing) == 1
    assert value(after, "lorecache_http_requests_total", method="GET", route="unmatched", status="404") == 1
    latency = {"method": "GET", "route": ARTICLE_ROUTE, "status": "200"}
    timed = value(after, "lorecache_http_request_duration_seconds_count", **latency)
    assert timed == _articles_answered(after)
    # A worker starting (or restarted by uvicorn's supervisor) answers from the file cache until its
    # PostgreSQL is up: every answer is counted under the store that gave it.
    answered = [_answers(samples) for samples in (before, after)]
    assert answered[1] - answered[0] == made
    assert value(after, "lorecache_api_processes") == 2
    assert 0 < value(after, "lorecache_kept_answers_bytes") < 2 * 32_000_000
    pools = value(after, "lorecache_db_pool_size")
    assert pools in (5, 2 * 5), pools  # a worker counts its pool once its PostgreSQL is up
    assert value(after, "lorecache_prefetch_stage", stage="completed") == 1
    assert value(after, "lorecache_prefetch_stage", stage="categorizing") == 0
    assert value(after, "lorecache_prefetch_progress", field="articles_created") == len(PAGES)
    assert value(replaced, "lorecache_api_processes") == 2
    assert _articles_answered(replaced) == _articles_answered(after) + 1
