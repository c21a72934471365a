"""Scrape benchmark: pages/s and requests per page for a full pass of a local MediaWiki holding the
1,000-page sample, then the requests of an incremental pass with nothing to do.

    python -m bench.scrape          (needs scripts/ensure-mediawiki; DATABASE_URL or embedded PostgreSQL)

Pacing is switched off to measure the scraper itself; against a public wiki the configured rate (one
request a second, 50 pages each, for Fandom) is the limit.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from tests.integration.wiki.server import LocalWiki, scratch_directory, unavailable

from bench.common import fresh_database
from lorecache.ingest import Ingest
from lorecache.runtime import bundled_sample
from lorecache.sources.mediawiki import MediaWikiSource
from lorecache.store import database
from lorecache.store.files import FileCache
from lorecache.universes import load

CATEGORIES = ("Canon articles", "Legends articles")


def main() -> None:
    reason = unavailable()
    if reason:
        raise SystemExit(f"no local MediaWiki: {reason}")
    with tempfile.TemporaryDirectory(prefix="lorecache-bench-") as scratch:
        wiki_root = scratch_directory(Path(scratch) / "wiki")
        started = time.perf_counter()
        wiki = LocalWiki.build(wiki_root / "wiki", bundled_sample())
        print(f"wiki built  {time.perf_counter() - started:.1f} s (install, importDump of 1,000 pages)")
        wiki.start()
        try:
            url = fresh_database(Path(scratch))
            engine = database.make_engine(url, pool_size=2)
            files = FileCache(Path(scratch) / "data" / "star_wars")
            for concurrency in (1, 2):
                _pass(engine, files, wiki.api_url, concurrency, since="full")
            _pass(engine, files, wiki.api_url, 1, since="last")
            engine.dispose()
        finally:
            wiki.stop()
            shutil.rmtree(wiki_root, ignore_errors=True)


def _pass(engine, files: FileCache, api_url: str, concurrency: int, since: str) -> None:
    universe = load("star_wars")
    rules = replace(universe.scrape, categories=CATEGORIES, rate_per_second=0, concurrency=concurrency)
    source = MediaWikiSource(api_url, universe, "lorecache-bench@example.org", rules)
    started = time.perf_counter()
    progress = Ingest(engine, files, "star_wars").run(source, since=since)
    elapsed = time.perf_counter() - started
    assert progress.stage == "completed", progress.error
    requests = source.client.requests
    if since == "full":
        pages = progress.pages_read
        print(
            f"full pass, {concurrency} in flight  {elapsed:.1f} s: {pages / elapsed:,.0f} pages/s, "
            f"{requests} requests = {requests / pages:.3f} per page (stages: {progress.stage_seconds})"
        )
    else:
        print(f"incremental, no changes  {elapsed:.1f} s, {requests} requests")


if __name__ == "__main__":
    main()
