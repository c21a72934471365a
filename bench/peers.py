"""Lorecache beside a peer, Datasette: the same corpus, the same questions, in the same run.

    python -m bench.peers [DUMP] [--requests N] [--wrk-seconds S] [--fallback-requests N] [--no-fallback]

(default: the full corpus, 1,000 sequential requests a question and server, 5 s of `wrk` each).
Lorecache's own figures say how fast it answers, not whether PostgreSQL, its derived search tables and
its file-cache fallback buy anything over the usual way of putting a dataset behind a JSON API: a SQLite
file served by Datasette. So both serve the articles of one ingest: `lorecache serve` prefetches the
dump, and its file cache, once complete, is copied into SQLite (one `articles` table, an index for the
category listings, one for titles, FTS5 over title and summary), which `datasette serve` publishes.

Each question is asked of both on loopback: N sequential requests on one keep-alive connection
(p50/p99), then `wrk` with 8 connections (req/s; 8 httpx threads when wrk is not installed), and the
number of results of one answer, so that a question one of them cannot answer shows as 0. Then
Lorecache's embedded PostgreSQL is stopped and the same questions timed again on its file cache, the
fallback, beside its PostgreSQL figures. Datasette's side needs `bench/requirements.lock`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import orjson

from bench.common import (
    FULL_CORPUS,
    free_port,
    fresh_database,
    machine_speed,
    percentiles,
    serve,
    tree_rss,
    wait_complete,
    wait_idle,
    wrk,
)
from lorecache.store import embedded
from lorecache.store.files import FileCache

Params = dict[str, str | int]


class Question(NamedTuple):
    """One question as each server is asked it: a path and its query parameters."""

    lorecache: tuple[str, Params]
    datasette: tuple[str, Params]


ARTICLE_COLUMNS = "page_id, title, category, is_canon, summary, infobox, importance"
DEEP_PAGE_SQL = (
    f"select {ARTICLE_COLUMNS} from articles where category = 'characters' and is_canon = 1 "
    "order by importance desc limit 100 offset 8000"
)
COUNTS_SQL = (
    "select category, count(*) as articles, sum(is_canon) as canon from articles "
    "group by category order by category"
)
# Page sizes are the same on both sides (Lorecache's default is 20). Datasette is asked every question
# with DATASETTE_SHAPE added.
QUESTIONS: dict[str, Question] = {
    "100 canon planets": Question(
        ("/api/v1/wiki/locations/planets", {"limit": 100}),
        (
            "/db/articles.json",
            {"category": "planets", "is_canon": 1, "_sort_desc": "importance", "_size": 100},
        ),
    ),
    "deep page (offset 8000)": Question(
        ("/api/v1/wiki/canon/category/characters", {"limit": 100, "offset": 8000}),
        ("/db.json", {"sql": DEEP_PAGE_SQL}),
    ),
    'category search "Tato"': Question(
        ("/api/v1/wiki/canon/category/planets", {"search": "Tato", "limit": 20}),
        (
            "/db/articles.json",
            {
                "category": "planets",
                "is_canon": 1,
                "title__contains": "Tato",
                "_sort_desc": "importance",
                "_size": 20,
            },
        ),
    ),
    'search "Tato"': Question(
        ("/api/v1/wiki/search", {"q": "Tato", "limit": 20}),
        ("/db/articles.json", {"_search": "Tato", "_size": 20}),
    ),
    'typo "Tatoine"': Question(
        ("/api/v1/wiki/search", {"q": "Tatoine", "limit": 20}),
        ("/db/articles.json", {"_search": "Tatoine", "_size": 20}),
    ),
    "counts: cache/stats": Question(("/api/v1/wiki/cache/stats", {}), ("/db/counts.json", {})),
    "counts: categories": Question(("/api/v1/wiki/categories", {}), ("/db/counts.json", {})),
    "one article": Question(
        ("/api/v1/wiki/articles/Tatooine", {}), ("/db/articles.json", {"title": "Tatooine"})
    ),
    "full text": Question(
        ("/api/v1/wiki/search", {"q": "desert planet Outer Rim", "limit": 20}),
        ("/db/articles.json", {"_search": "desert planet Outer Rim", "_size": 20}),
    ),
}
# A list of objects, as Lorecache answers; it also skips the total row count and the suggested facets,
# which Datasette's table view computes for its default shape and no Lorecache answer carries.
DATASETTE_SHAPE = {"_shape": "array"}
CONNECTIONS = 8
FALLBACK_TOLERANCE = 3.0

SCHEMA = """
CREATE TABLE articles (
    page_id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    category TEXT NOT NULL,
    is_canon INTEGER NOT NULL,
    summary TEXT NOT NULL,
    infobox TEXT NOT NULL,
    importance INTEGER NOT NULL
);
CREATE INDEX articles_listing ON articles (category, is_canon, importance);
CREATE INDEX articles_title ON articles (title);
CREATE VIRTUAL TABLE articles_fts USING fts5 (
    title, summary, content="articles", content_rowid="page_id", tokenize="porter unicode61"
);
"""


@dataclass
class Figures:
    """One question asked of one server: latency, throughput, and what the answer held."""

    p50: float
    p99: float
    rate: float
    results: int
    served_from: str | None = None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dump", nargs="?", type=Path, default=FULL_CORPUS)
    parser.add_argument("--requests", type=int, default=1000, help="sequential requests per question")
    parser.add_argument("--wrk-seconds", type=int, default=5, help="how long wrk runs per question")
    parser.add_argument(
        "--fallback-requests", type=int, default=200, help="sequential requests on the file cache"
    )
    parser.add_argument(
        "--fallback",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="time the file cache after stopping the embedded PostgreSQL",
    )
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if not wrk:
        print(
            f"wrk is not installed (apt-get install -y wrk): req/s come from {CONNECTIONS} httpx threads "
            "instead, which load the client as much as the servers.",
            file=sys.stderr,
        )
    with tempfile.TemporaryDirectory(prefix="lorecache-peers-") as scratch_name:
        scratch = Path(scratch_name)
        owns_postgres = not os.environ.get("DATABASE_URL")
        server, lorecache = serve(scratch / "data", fresh_database(scratch), args.dump)
        datasette: subprocess.Popen | None = None
        try:
            wait_complete(lorecache)
            wait_idle(server)
            lorecache_rss = tree_rss(server.pid)
            started = time.perf_counter()
            count = build_sqlite(FileCache(scratch / "data" / "star_wars"), scratch / "db.sqlite")
            print(f"SQLite database of {count:,} articles built in {time.perf_counter() - started:.1f} s")
            datasette, peer = start_datasette(scratch)
            print(
                f"dataset {args.dump.name}; per question and server {args.requests} sequential requests, "
                f"then {_rate_method(wrk, args.wrk_seconds)}; {machine_speed()}"
            )
            print(
                f"idle RSS: Lorecache API process tree {lorecache_rss / 2**20:.0f} MiB (PostgreSQL's "
                f"processes not counted), Datasette {tree_rss(datasette.pid) / 2**20:.0f} MiB\n"
            )
            postgres = compare(lorecache, peer, args.requests, wrk, args.wrk_seconds)
            if not args.fallback:
                return
            if not owns_postgres:
                print("\nfallback skipped: DATABASE_URL's PostgreSQL is not this benchmark's to stop")
                return
            embedded.stop(scratch / "pg")
            fallback(lorecache, postgres, args.fallback_requests, wrk, args.wrk_seconds)
        finally:
            if datasette is not None:
                datasette.terminate()
                datasette.wait(timeout=30)
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)


def build_sqlite(files: FileCache, path: Path) -> int:
    """Datasette's database, from the articles Lorecache parsed: both serve one ingest of the dump, so
    a difference in their answers is the servers', not two parsers'. Analysed, as Lorecache's
    PostgreSQL is after a load, so that SQLite's planner picks the indexes."""
    with closing(sqlite3.connect(path)) as connection:
        with connection:
            connection.executescript(SCHEMA)
            connection.executemany(
                "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        article.page_id,
                        article.title,
                        article.category,
                        int(article.is_canon),
                        article.summary,
                        orjson.dumps(article.infobox).decode(),
                        article.importance,
                    )
                    for article in files.iter_articles()
                ),
            )
            connection.execute(
                "INSERT INTO articles_fts (rowid, title, summary) "
                "SELECT page_id, title, summary FROM articles"
            )
        connection.execute("ANALYZE")
        return connection.execute("SELECT count(*) FROM articles").fetchone()[0]


def start_datasette(scratch: Path) -> tuple[subprocess.Popen, str]:
    """`datasette serve` on a free loopback port, with the counts as a canned query and limits that let
    it answer every question (its default time limit, 1 s, is shorter than a deep page can take)."""
    metadata = scratch / "metadata.json"
    metadata.write_text(json.dumps({"databases": {"db": {"queries": {"counts": COUNTS_SQL}}}}))
    port = free_port()
    settings = {"sql_time_limit_ms": 5000, "max_returned_rows": 1000, "default_page_size": 100}
    command = [sys.executable, "-m", "datasette", "serve", str(scratch / "db.sqlite")]
    command += ["--host", "127.0.0.1", "--port", str(port), "--metadata", str(metadata)]
    for name, value in settings.items():
        command += ["--setting", name, str(value)]
    log = scratch / "datasette.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"datasette exited with {process.returncode}:\n{log.read_text()}")
        try:
            httpx.get(f"{base}/-/versions.json").raise_for_status()
            return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"datasette did not answer within 60 s:\n{log.read_text()}")


def compare(lorecache: str, peer: str, requests: int, wrk: str | None, seconds: int) -> dict[str, Figures]:
    """The main table, a row per question as it is measured; returns Lorecache's figures."""
    print(
        f"{'question':<25}│{'Lorecache (PostgreSQL)':^33}│{'Datasette':^33}│{'Lorecache faster':^18}\n"
        f"{'':<25}│{_cells_header()}│{_cells_header()}│{'p50 x':>8}{'req/s x':>10}"
    )
    ours: dict[str, Figures] = {}
    problems: list[str] = []
    for name, question in QUESTIONS.items():
        ours[name] = mine = measure(lorecache, *question.lorecache, requests, wrk, seconds, problems)
        path, params = question.datasette
        theirs = measure(peer, path, {**params, **DATASETTE_SHAPE}, requests, wrk, seconds, problems)
        speedup = f"{_ratio(theirs.p50, mine.p50):>8}{_ratio(mine.rate, theirs.rate):>10}"
        print(f"{name:<25}│{_cells(mine)}│{_cells(theirs)}│{speedup}", flush=True)
    _report(problems)
    return ours


def fallback(
    lorecache: str, postgres: dict[str, Figures], requests: int, wrk: str | None, seconds: int
) -> None:
    """The same questions on Lorecache's file cache once PostgreSQL is down, beside its PostgreSQL
    figures: the fallback is meant to stay within 3x of PostgreSQL's p50."""
    print(
        f"\nPostgreSQL stopped: Lorecache's file cache ({requests} sequential requests a question)\n"
        f"{'question':<25}│{'PostgreSQL':^33}│{'file cache':^33}│{'file/PG p50':>12}\n"
        f"{'':<25}│{_cells_header()}│{_cells_header()}│"
    )
    problems: list[str] = []
    for name, question in QUESTIONS.items():
        files = measure(lorecache, *question.lorecache, requests, wrk, seconds, problems)
        if files.served_from != "file_cache":
            problems.append(f"{name}: served from {files.served_from}, not the file cache")
        ratio = files.p50 / postgres[name].p50 if postgres[name].p50 else float("nan")
        verdict = "" if ratio <= FALLBACK_TOLERANCE else f"  over {FALLBACK_TOLERANCE:g}x"
        print(f"{name:<25}│{_cells(postgres[name])}│{_cells(files)}│{ratio:>11.1f}x{verdict}", flush=True)
    _report(problems)


def measure(
    base: str, path: str, params: Params, requests: int, wrk: str | None, seconds: int, problems: list[str]
) -> Figures:
    """p50/p99 of `requests` sequential requests on one keep-alive connection, then req/s over
    CONNECTIONS. Every answer must have the status and the source (`X-Served-From`) of the first."""
    with httpx.Client(base_url=base, timeout=30) as client:
        first = client.get(path, params=params)
        served_from = first.headers.get("X-Served-From")
        if first.status_code not in (200, 404):
            problems.append(f"{base}{path}: {first.status_code} {first.text[:300]}")
        samples = []
        for _ in range(requests):
            begin = time.perf_counter()
            response = client.get(path, params=params)
            samples.append((time.perf_counter() - begin) * 1000)
            if (response.status_code, response.headers.get("X-Served-From")) != (
                first.status_code,
                served_from,
            ):
                problems.append(f"{base}{path}: {response.status_code} from {served_from} mid-run")
                break
    url = str(httpx.URL(base + path, params=params))
    rate = _wrk_rate(wrk, url, seconds, problems) if wrk else _threaded_rate(url, requests)
    p50, p99 = percentiles(samples)
    return Figures(p50, p99, rate, _results(first), served_from)


def _results(response: httpx.Response) -> int:
    """How many results an answer holds: a list's length, a search's results, a stats' categories, one
    article; 0 for a 404 or an error."""
    if response.status_code != 200:
        return 0
    body: Any = response.json()
    if isinstance(body, list):
        return len(body)
    if "results" in body:
        return len(body["results"])
    if "by_category" in body:
        return len(body["by_category"])
    return 1


def _wrk_rate(executable: str, url: str, seconds: int, problems: list[str]) -> float:
    run = wrk(executable, url, seconds, CONNECTIONS)
    problems += [f"wrk {url}: {failure}" for failure in run.failures]
    return run.rate


def _threaded_rate(url: str, requests: int) -> float:
    per_client = max(1, requests // CONNECTIONS)

    def client_run(_: int) -> None:
        with httpx.Client(timeout=30) as client:
            for _ in range(per_client):
                client.get(url)

    started = time.perf_counter()
    with ThreadPoolExecutor(CONNECTIONS) as pool:
        list(pool.map(client_run, range(CONNECTIONS)))
    return per_client * CONNECTIONS / (time.perf_counter() - started)


def _rate_method(wrk: str | None, seconds: int) -> str:
    if wrk:
        return f"wrk with {CONNECTIONS} connections for {seconds} s"
    return f"{CONNECTIONS} httpx threads"


def _cells_header() -> str:
    return f"{'n':>6}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>9}"


def _cells(figures: Figures) -> str:
    return f"{figures.results:>6}{figures.p50:>9.2f}{figures.p99:>9.2f}{figures.rate:>9.0f}"


def _ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.1f}" if denominator else "-"


def _report(problems: list[str]) -> None:
    for problem in problems:
        print(f"  ! {problem}")


if __name__ == "__main__":
    main()
