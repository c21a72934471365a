"""Ingest benchmark: wall time, pages/s, each stage's seconds and peak RSS for a dump, beside the same
dump loaded into SQLite the way a Datasette user would (`bench.sqlite_load`) in the same run; then
idempotence and verification.

    python -m bench.ingest [DUMP]          (default: the full 124,489-page corpus)

Uses DATABASE_URL's server when set (a new database on it), else an embedded PostgreSQL.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from bench import sqlite_load
from bench.common import FULL_CORPUS, PeakRss, fresh_database
from lorecache.ingest import Ingest
from lorecache.sources.dump import DumpSource
from lorecache.store import database
from lorecache.store.files import FileCache
from lorecache.store.postgres import PostgresStore
from lorecache.verify import differences


def main() -> None:
    dump = Path(sys.argv[1]) if len(sys.argv) > 1 else FULL_CORPUS
    with tempfile.TemporaryDirectory(prefix="lorecache-bench-") as scratch:
        url = fresh_database(Path(scratch))
        engine = database.make_engine(url, pool_size=2)
        files = FileCache(Path(scratch) / "data" / "star_wars")

        with PeakRss() as rss:
            started = time.perf_counter()
            first = Ingest(engine, files, "star_wars").run(DumpSource(dump), force=True)
            elapsed = time.perf_counter() - started
        assert first.stage == "completed", first.error
        pages = first.pages_read
        print(f"dataset            {dump.name}")
        print(f"ingest wall time   {elapsed:.1f} s  (stages: {first.stage_seconds})")
        print(f"throughput         {pages / elapsed:,.0f} pages/s")
        print(f"peak RSS           {rss.peak / 2**20:,.0f} MiB (this process + parser workers)")
        started = time.perf_counter()
        peer_count = sqlite_load.load(dump, Path(scratch) / "peer.sqlite")
        peer = time.perf_counter() - started
        print(
            f"SQLite (peer)      {peer:.1f} s for {peer_count:,} articles on one core; "
            f"Lorecache takes {elapsed / peer:.2f}x its time"
        )
        with engine.connect() as connection:
            total, canon, planets = connection.execute(
                text(
                    "SELECT count(*), count(*) FILTER (WHERE is_canon), "
                    "count(*) FILTER (WHERE is_canon AND category = 'planets') FROM wiki_articles"
                )
            ).one()
        print(f"articles           {total:,} total, {canon:,} canon, {planets:,} canon planets")

        started = time.perf_counter()
        again = Ingest(engine, files, "star_wars").run(DumpSource(dump), force=True)
        print(
            f"second ingest      {time.perf_counter() - started:.1f} s: created {again.articles_created}, "
            f"updated {again.articles_updated}, unchanged {again.articles_unchanged:,}"
        )
        started = time.perf_counter()
        problems = differences(files, PostgresStore(engine, "star_wars"))
        verdict = problems or "passed"
        print(f"verify             {verdict} in {time.perf_counter() - started:.1f} s")
        engine.dispose()


if __name__ == "__main__":
    main()
