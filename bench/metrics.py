"""What counting and timing every request costs: the app as served beside the same app without its
metrics middleware, on kept answers (the fastest the service gives, where the cost shows most).

    .venv/bin/python -m bench.metrics [--requests 2000] [--rounds 15]

The bundled sample is prefetched into a fresh database (DATABASE_URL's server, else an embedded one);
both apps then answer in the app's own event loop, driven directly through ASGI (no socket, no HTTP
client), so the difference between them is the middleware's own work. Time is the CPU time of the
loop's thread, which other work on a shared machine does not inflate as it does the clock. Rounds
alternate the two; each figure is the median over the rounds of the mean time per request. The
middleware is also timed alone, around an endpoint that only answers: that line is the cost itself,
which is within the drift of a whole answer.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bench.common import drop_database, fresh_database, machine_speed
from lorecache.api.app import create_app
from lorecache.api.metrics import RequestMetrics
from lorecache.config import Settings
from lorecache.runtime import bundled_sample

ARTICLE_ROUTE = "/api/v1/wiki/articles/{title:path}"
ROUTES = {
    "one article": ("/api/v1/wiki/articles/Tatooine", b""),
    "100 planets": ("/api/v1/wiki/locations/planets", b"limit=100"),
    "search Tato": ("/api/v1/wiki/search", b"q=Tato"),
}


async def _drive(app: FastAPI, stack: ASGIApp, path: str, query: bytes, requests: int) -> float:
    """Mean CPU seconds per request of `requests` in a row through one middleware stack of `app`,
    every one a 200."""

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    statuses: list[int] = []

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"bench")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "app": app,
    }
    started = time.thread_time()
    for _ in range(requests):
        await stack(dict(scope), receive, send)
    seconds = (time.thread_time() - started) / requests
    if set(statuses) != {200}:
        raise SystemExit(f"{path} answered {sorted(set(statuses))}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=15)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="lorecache-bench-metrics-") as scratch:
        url = fresh_database(Path(scratch))
        data = Path(scratch) / "data"
        settings = Settings(DATABASE_URL=url, LORECACHE_DATA_DIR=data, LORECACHE_SOURCE=str(bundled_sample()))
        app = create_app(settings)
        try:
            with TestClient(app) as client:
                while not client.get("/prefetch/status").json()["is_complete"]:
                    time.sleep(0.5)
                for path, query in ROUTES.values():
                    client.get(f"{path}?{query.decode()}").raise_for_status()
                print(machine_speed())
                print(f"{'route':<16} {'without µs':>11} {'with µs':>9} {'cost µs':>8}")
                for name, pair in _pairs(app).items():
                    plain, counted = _compare(client, app, pair, arguments.rounds, arguments.requests)
                    print(f"{name:<16} {plain:>11.1f} {counted:>9.1f} {counted - plain:>8.1f}")
        finally:
            drop_database(url)


def _pairs(app: FastAPI) -> dict[str, tuple[ASGIApp, ASGIApp, str, bytes]]:
    """Per line of the table: the stack without the middleware, the one with it, and what to ask."""
    bare = _without_metrics(app)
    pairs = {name: (bare, app.middleware_stack, path, query) for name, (path, query) in ROUTES.items()}
    pairs["middleware alone"] = (_Answering(), RequestMetrics(_Answering()), "/", b"")
    return pairs


def _compare(
    client: TestClient, app: FastAPI, pair: tuple[ASGIApp, ASGIApp, str, bytes], rounds: int, requests: int
) -> tuple[float, float]:
    """Median µs per request without and with the middleware, the two taking turns going first."""
    without, with_metrics, path, query = pair
    means: dict[ASGIApp, list[float]] = {without: [], with_metrics: []}
    for round_number in range(rounds):
        for stack in [without, with_metrics][:: 1 if round_number % 2 else -1]:
            means[stack].append(client.portal.call(_drive, app, stack, path, query, requests) * 1e6)
    return statistics.median(means[without]), statistics.median(means[with_metrics])


class _Answering:
    """An endpoint that answers at once, as a kept answer's route looks to the middleware."""

    route = SimpleNamespace(path=ARTICLE_ROUTE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self.route
        headers = [(b"content-type", b"application/json"), (b"x-served-from", b"postgres")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"{}"})


def _without_metrics(app: FastAPI) -> ASGIApp:
    """The app's middleware stack built again without RequestMetrics."""
    kept = app.user_middleware
    app.user_middleware = [middleware for middleware in kept if middleware.cls is not RequestMetrics]
    try:
        return app.build_middleware_stack()
    finally:
        app.user_middleware = kept


if __name__ == "__main__":
    main()
