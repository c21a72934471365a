"""Filling the cache: every write to it goes through this package.

`Ingest` is what the service's prefetch and the CLI run. A `Run` holds the run lock, the
`scraping_logs` row and the live progress; the `CacheWriter` writes both stores; a plan runs the
seed's stages with them: a dump (`dump`: stage 1 `categorizing`, stage 1.5 `writing_to_postgresql`),
a live wiki (`wiki`: resumable full passes, then only what changed), the file cache alone (stage 1.5,
`migrate-cache`), and stage 2 (`prefetching_images`) after either source or alone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import partial

from sqlalchemy import Engine

from lorecache.config import Settings
from lorecache.images.stage import STAGE as IMAGES
from lorecache.images.stage import ImageStage, image_stage
from lorecache.images.store import open_image_store
from lorecache.ingest import dump
from lorecache.ingest.run import Run
from lorecache.ingest.stages import CATEGORIZING, WRITING, prefetching_images, writing_to_postgresql
from lorecache.ingest.wiki import WikiSync
from lorecache.ingest.writer import CacheWriter
from lorecache.progress import Progress
from lorecache.sources import Source
from lorecache.sources.mediawiki import MediaWikiSource
from lorecache.store import database
from lorecache.store.files import FileCache
from lorecache.store.postgres import PostgresStore
from lorecache.universes import load

__all__ = ["CacheWriter", "Ingest", "Run", "session"]


class Ingest:
    """One run over a universe's cache; make a new one for each run."""

    def __init__(
        self,
        engine: Engine,
        files: FileCache,
        universe: str,
        *,
        workers: int = 0,
        on_progress: Callable[[Progress], None] | None = None,
        images: ImageStage | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.state = Run(engine, universe, on_progress, stop)
        self.writer = CacheWriter(engine, files, universe, workers)
        self.images = images

    @property
    def progress(self) -> Progress:
        return self.state.progress

    @property
    def store(self) -> PostgresStore:
        return self.writer.store

    def run(self, source: Source, *, force: bool = False, since: str | datetime = "last") -> Progress:
        """Ingest `source`, then its images when given an ImageStage; failures end in the progress
        (stage `failed`) and the log row, not as raises. `since` applies to a wiki: `last` (the sync
        after the last one), `full`, or a moment."""
        run, writer = self.state, self.writer
        if isinstance(source, MediaWikiSource):
            plan = WikiSync(run, writer, source, since).run
            skip = None
        else:
            run.checkpoint["fingerprint"] = source.fingerprint()
            plan = partial(dump.ingest, run, writer, source)
            skip = None if force else partial(dump.done_already, writer, source)
        try:
            return run.execute(source.name, CATEGORIZING, self._swept(self._then_images(plan)), skip=skip)
        except dump.DATABASE_AWAY as error:
            dump.files_only(run, writer, source, error)
            return run.progress

    def migrate(self) -> Progress:
        """Stage 1.5 alone: PostgreSQL rebuilt from the file cache."""
        work = partial(writing_to_postgresql, self.state, self.writer, complete=True)
        return self.state.execute(str(self.writer.files.root), WRITING, self._swept(work))

    def fetch_images(self, images: ImageStage) -> Progress:
        """Stage 2 alone, for the articles already in PostgreSQL."""
        work = partial(prefetching_images, self.state, self.writer, images)
        return self.state.execute(str(self.writer.files.root), IMAGES, work)

    def _then_images(self, articles: Callable[[], None]) -> Callable[[], None]:
        """Stage 2 follows the articles, which say which images to fetch."""

        def work() -> None:
            articles()
            if self.images is not None:
                prefetching_images(self.state, self.writer, self.images)

        return work

    def _swept(self, work: Callable[[], None]) -> Callable[[], None]:
        """A run that writes articles begins by sweeping what killed writers left."""

        def swept() -> None:
            self.writer.sweep()
            work()

        return swept


@contextmanager
def session(
    settings: Settings,
    url: str,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    images_of: str | None = None,
    stop: threading.Event | None = None,
) -> Iterator[Ingest]:
    """An Ingest of `settings`' universe on an engine of its own, closed after: how the service's
    prefetch and the CLI both run one. Given the source it reads (`images_of`), stage 2 follows
    when the settings want images of it; setting `stop` ends the run at its next batch boundary."""
    engine = database.make_engine(url, pool_size=2)
    try:
        images = None
        if images_of is not None and settings.wants_images(images_of):
            store = open_image_store(settings)
            images = image_stage(engine, load(settings.universe), store, settings.contact, images_of)
        files = FileCache(settings.universe_dir)
        yield Ingest(
            engine,
            files,
            settings.universe,
            workers=settings.workers,
            on_progress=on_progress,
            images=images,
            stop=stop,
        )
    finally:
        engine.dispose()
