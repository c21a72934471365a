"""The web page's server time: an article card (`/wiki/{title}`) and the list search-as-you-type shows
(`/search/suggest?q=`), timed inside the app from the request's arrival to its last byte, without
the client's side of HTTP.

    python -m bench.web --database URL --data-dir DIR [--cards 500] [--seed 7]

`--data-dir` is the data directory of a loaded cache (`LORECACHE_DATA_DIR`), `--database` the
PostgreSQL it was loaded into; nothing is written to either. Titles are drawn at random from the
cache, the most linked tenth counted twice (a game master opens famous things more); each card is
asked once (PostgreSQL reads it), then again (the process's kept answers serve it), beside the JSON
route's answer for the same article asked again (the same harness, so the same load). Suggestions are
the prefixes of 3 to 6 letters of the first 200 titles, as typed. Prints p50 and p99 of each.
"""

from __future__ import annotations

import logging
import random
import time
from urllib.parse import quote

from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from bench.common import loaded_cache_parser, machine_speed, percentiles
from lorecache.api.app import create_app
from lorecache.config import Settings
from lorecache.store.files import FileCache
from lorecache.web.urls import wiki_url, with_query

SUGGESTED_TITLES = 200
WARM_UP = 20


class Timed:
    """The app, timing each HTTP request it serves."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.samples: list[float] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        await self.app(scope, receive, send)
        self.samples.append((time.perf_counter() - started) * 1000)


def run(client: TestClient, timed: Timed, paths: list[str]) -> list[float]:
    timed.samples.clear()
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert response.headers["X-Served-From"] == "postgres", path
    return list(timed.samples)


def report(name: str, samples: list[float]) -> None:
    p50, p99 = percentiles(samples)
    print(f"{name:>28}: p50 {p50:.2f} ms, p99 {p99:.2f} ms ({len(samples)} requests)")


def main() -> None:
    parser = loaded_cache_parser(__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    entries = sorted(FileCache(options.data_dir / options.universe).entries(), key=lambda e: -e.importance)
    pool = [entry.title for entry in entries] + [entry.title for entry in entries[: len(entries) // 10]]
    drawn = list(dict.fromkeys(random.Random(options.seed).choices(pool, k=options.cards + WARM_UP)))
    titles, warm_up = drawn[:-WARM_UP], drawn[-WARM_UP:]
    typed = [title[:length] for title in titles[:SUGGESTED_TITLES] for length in range(3, 7)]
    suggestions = [with_query("/search/suggest", [("q", prefix)]) for prefix in dict.fromkeys(typed)]
    settings = Settings(
        DATABASE_URL=options.database,
        LORECACHE_DATA_DIR=options.data_dir,
        LORECACHE_UNIVERSE=options.universe,
    )
    app = create_app(settings, prefetch=False)
    timed = Timed(app)
    logging.getLogger("httpx2").setLevel(logging.WARNING)  # the test client's, one line a request
    print(machine_speed())
    print(f"{len(entries):,} articles; {len(titles)} cards, {len(suggestions)} suggestion lists")
    with TestClient(timed) as client:
        app.state.runtime.wait()  # PostgreSQL up, and the file cache's name index built: not timed
        assert client.get("/health").json()["status"] == "healthy"
        run(client, timed, [wiki_url(title) for title in warm_up])
        cards = [wiki_url(title) for title in titles]
        report("card, first asking", run(client, timed, cards))
        report("card, asked again", run(client, timed, cards))
        articles = [f"/api/v1/wiki/articles/{quote(title, safe='')}" for title in titles]
        run(client, timed, articles)
        report("JSON article, asked again", run(client, timed, articles))
        report("suggestions, first asking", run(client, timed, suggestions))


if __name__ == "__main__":
    main()
