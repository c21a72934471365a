"""Stage 1.5: load the file cache into PostgreSQL, on every core.

Reading article files and building COPY rows is Python work as heavy as PostgreSQL's side of the
upsert, so each worker process loads its own batches on its own connection, one transaction each.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache, partial
from pathlib import Path

from sqlalchemy import Engine

from lorecache.parallel import ordered_batches, worker_count
from lorecache.store import database
from lorecache.store.files import FileCache, IndexEntry
from lorecache.store.postgres import PostgresStore, WriteCounts

BATCH_SIZE = 2000


def load(files: FileCache, engine: Engine, universe: str, workers: int = 0) -> Iterator[WriteCounts]:
    """Upsert every article of `files`, yielding the counts of each committed batch."""
    url = engine.url.render_as_string(hide_password=False)
    work = partial(load_batch, url, universe, str(files.root))
    yield from ordered_batches(work, files.entries(), BATCH_SIZE, worker_count(workers))


def load_batch(url: str, universe: str, root: str, entries: list[IndexEntry]) -> WriteCounts:
    """Runs in a worker: read the batch's files and upsert them in one transaction."""
    files = FileCache(Path(root))
    return PostgresStore(_engine(url), universe).write_batch([files.read(entry) for entry in entries])


@lru_cache
def _engine(url: str) -> Engine:
    return database.make_engine(url, pool_size=1)
