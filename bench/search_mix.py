"""Search latency per kind of query over HTTP: titles, prefixes, typos, years, codes, short words,
several words, aliases — a p50 over all of them hides the few kinds that are slow every time.

    python -m bench.search_mix [DUMP] [--per-kind 150] [--seed 7] [--repeat 1] [--fallback]
    python -m bench.search_mix [DUMP] --database URL --data-dir DIR     (a database already loaded)

Starts `lorecache serve` on loopback on a fresh database of DATABASE_URL's server (else an embedded
PostgreSQL; always an embedded one with --fallback, which stops it to time the file cache), waits for
the prefetch and for the server to go idle, builds the mix from the corpus's own names
(`bench.query_mix`), and asks `/api/v1/wiki/search?q=` each query once on one keep-alive connection:
the service keeps an answer until the next load, so a repeat times that cache, not the search (with
`--repeat N` a query's time is the median of N, the first cold and the rest kept). Prints per kind
the count, p50, p99 and max, and the slowest queries.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import (
    FULL_CORPUS,
    drop_database,
    fresh_database,
    machine_speed,
    percentiles,
    serve,
    wait_complete,
    wait_idle,
)
from bench.query_mix import KINDS, Query, build
from lorecache.store import embedded
from lorecache.store.files import FileCache

SEARCH = "/api/v1/wiki/search"
SLOWEST = 5
Timed = list[tuple[Query, float, str]]
"""Each query with its time in ms and the store that answered it (`X-Served-From`)."""


def main() -> None:
    args = _arguments()
    with tempfile.TemporaryDirectory(prefix="lorecache-bench-") as scratch:
        pg = Path(scratch) / "pg"
        data_dir = args.data_dir or Path(scratch) / "data"
        if args.database:
            url, fresh = args.database, False
        elif args.fallback:
            url, fresh = embedded.start(pg), False
        else:
            url, fresh = fresh_database(Path(scratch)), True
        server, base = serve(data_dir, url, args.dump)
        try:
            wait_complete(base)
            wait_idle(server)
            entries = FileCache(data_dir / "star_wars").entries()
            queries = build(
                (e.title for e in entries), (a for e in entries for a in e.aliases), args.per_kind, args.seed
            )
            print(
                f"dataset {args.dump.name} ({len(entries):,} articles); {len(queries):,} queries, "
                f"seed {args.seed}, on one keep-alive connection; "
                f"{machine_speed()}"
            )
            _report("postgres", args.repeat, _measure(base, queries, args.repeat))
            if args.fallback:
                embedded.stop(pg)
                _report("file_cache", 1, _measure(base, queries, 1))
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=60)
            if fresh:
                drop_database(url)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dump", nargs="?", type=Path, default=FULL_CORPUS)
    parser.add_argument("--per-kind", type=int, default=150, help="Queries of each kind (or fewer).")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1, help="Times each query is asked; its median counts.")
    parser.add_argument("--fallback", action="store_true", help="Then time the file cache too.")
    parser.add_argument("--database", help="Serve this database, already loaded with DUMP (no fresh one).")
    parser.add_argument("--data-dir", type=Path, help="With --database: its file cache (LORECACHE_DATA_DIR).")
    args = parser.parse_args()
    if bool(args.database) != bool(args.data_dir):
        parser.error("--database and --data-dir go together")
    if args.fallback and args.database:
        parser.error("--fallback stops the server, so it runs on an embedded one, not --database")
    return args


def _measure(base: str, queries: list[Query], repeat: int) -> Timed:
    timed: Timed = []
    with httpx.Client(base_url=base, timeout=60) as client:
        client.get(SEARCH, params={"q": "warm up"}).raise_for_status()
        for query in queries:
            samples = []
            for _ in range(repeat):
                begin = time.perf_counter()
                response = client.get(SEARCH, params={"q": query.text})
                samples.append((time.perf_counter() - begin) * 1000)
                response.raise_for_status()
            timed.append((query, statistics.median(samples), response.headers.get("X-Served-From", "?")))
    return timed


def _report(store: str, repeat: int, timed: Timed) -> None:
    """The per-kind table, each kind's slowest queries, then the whole mix; `other store` counts answers
    not from `store` (a PostgreSQL timeout answered by the file cache)."""
    by_kind: dict[str, Timed] = {kind: [] for kind in KINDS}
    for row in timed:
        by_kind[row[0].kind].append(row)
    by_kind = {kind: rows for kind, rows in by_kind.items() if rows}
    each = f"the median of {repeat}" if repeat > 1 else "asked once"
    print(f"\n{store} (each query {each})")
    print(f"{'kind':<16}{'queries':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'other store':>13}")
    for kind, rows in by_kind.items():
        print(f"{kind:<16}{len(rows):>8}{_figures([ms for _, ms, _ in rows])}{_elsewhere(rows, store):>13}")
    print(f"{'all':<16}{len(timed):>8}{_figures([ms for _, ms, _ in timed])}{_elsewhere(timed, store):>13}")
    print(f"\nslowest {SLOWEST} of each kind ({store}), ms:")
    for kind, rows in by_kind.items():
        slowest = sorted(rows, key=lambda row: -row[1])[:SLOWEST]
        cells = ", ".join(f"{query.text!r} ({query.form}) {ms:.1f}" for query, ms, _ in slowest)
        print(f"  {kind:<14}{cells}", flush=True)


def _figures(samples: list[float]) -> str:
    p50, p99 = percentiles(samples) if len(samples) > 1 else (samples[0], samples[0])
    return f"{p50:>9.1f}{p99:>9.1f}{max(samples):>9.1f}"


def _elsewhere(rows: Timed, store: str) -> int:
    return sum(served != store for _, _, served in rows)


if __name__ == "__main__":
    main()
