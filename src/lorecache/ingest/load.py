"""Stage 1.5: load the file cache into PostgreSQL, on every core.

Reading articles and building COPY rows is Python work as heavy as PostgreSQL's side of the upsert, so
each worker process loads its own batches on its own connection, one transaction each. The articles
stage 1 spilled in this run are read back from its spill files, a read a batch; the others (a load
of the file cache alone, the pages a dump cut short did not reach) from their own files.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache, partial
from pathlib import Path

import orjson
from sqlalchemy import Engine

from lorecache.article import Article
from lorecache.parallel import ordered_batches, worker_count
from lorecache.store import database
from lorecache.store.files import FileCache, IndexEntry
from lorecache.store.files.writer import read_spill
from lorecache.store.postgres import PostgresStore, WriteCounts

PART_SIZE = 500
"""Entries read from their own files per part: as many as a spill holds (stage 1's batch)."""
PARTS_PER_BATCH = 4

Part = tuple[str | None, list[IndexEntry]]
"""Articles to load: those of `entries` in a spill file, or read from their own files (None)."""


def load(
    files: FileCache,
    engine: Engine,
    universe: str,
    workers: int = 0,
    spills: Mapping[str, list[int]] | None = None,
) -> Iterator[WriteCounts]:
    """Upsert every article of `files`, yielding the counts of each committed batch; `spills` maps
    each spill file of this run to the pages it holds."""
    url = engine.url.render_as_string(hide_password=False)
    work = partial(load_batch, url, universe, str(files.root))
    parts = _parts(files.entries(), spills or {})
    yield from ordered_batches(work, parts, PARTS_PER_BATCH, worker_count(workers))


def _parts(entries: list[IndexEntry], spills: Mapping[str, list[int]]) -> Iterator[Part]:
    by_page = {entry.page_id: entry for entry in entries}
    for spill, pages in spills.items():
        yield spill, [by_page[page_id] for page_id in pages if page_id in by_page]
    covered = {page_id for pages in spills.values() for page_id in pages}
    rest = [entry for entry in entries if entry.page_id not in covered]
    for start in range(0, len(rest), PART_SIZE):
        yield None, rest[start : start + PART_SIZE]


def load_batch(url: str, universe: str, root: str, parts: list[Part]) -> WriteCounts:
    """Runs in a worker: read one batch's articles and upsert them in one transaction."""
    files = FileCache(Path(root))
    articles = [article for part in parts for article in _articles(files, part)]
    return PostgresStore(_engine(url), universe).write_batch(articles)


def _articles(files: FileCache, part: Part) -> list[Article]:
    spill, entries = part
    if spill is None:
        return [files.read(entry) for entry in entries]
    wanted = {entry.page_id: entry for entry in entries}
    articles = (Article.from_dict(orjson.loads(line)) for line in read_spill(Path(spill)))
    return [wanted[article.page_id].settle(article) for article in articles if article.page_id in wanted]


@lru_cache
def _engine(url: str) -> Engine:
    return database.make_engine(url, pool_size=1)
