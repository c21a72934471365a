"""The prefetch: fill the cache from a source in stages, with live progress and a `scraping_logs` row.

Stage 1 (`categorizing`) parses the source into the file cache; stage 1.5 (`writing_to_postgresql`)
copies the file cache into PostgreSQL; stage 2 (`prefetching_images`, when given an ImageStage) fetches
the articles' images. PostgreSQL is always filled from the file cache, so the two
never disagree and `migrate-cache` is stage 1.5 on its own. One run at a time per universe, across
processes and hosts (an advisory lock); a source already ingested is skipped unless forced. A live
wiki is synced instead (sync.py): resumable full passes, then only what changed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError

from lorecache.categorize import BatchResult, Categorized, categorize, merge_fields
from lorecache.images.stage import STAGE, ImageStage
from lorecache.load import load
from lorecache.progress import Progress
from lorecache.sources import Source, SourceError
from lorecache.sources.mediawiki import MediaWikiSource
from lorecache.store import runs
from lorecache.store.files import FileCache, IndexEntry, writer
from lorecache.store.postgres import PostgresStore
from lorecache.sync import WikiSync

log = logging.getLogger(__name__)

REPORT_INTERVAL_SECONDS = 1.0
STOPPED = "the service stopped; the run ended after its last finished batch"


class Stopped(Exception):
    """The service is stopping: the run ends at the batch boundary it reached, with what it filed kept."""


class Prefetch:
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
        self.engine = engine
        self.files = files
        self.universe = universe
        self.store = PostgresStore(engine, universe)
        self.workers = workers
        self.images = images
        self.stop = stop or threading.Event()
        self.progress = Progress()
        self.checkpoint: dict[str, Any] = {}
        self._on_progress = on_progress or (lambda progress: None)
        self._log: runs.RunLog | None = None
        self._last_report = 0.0

    def run(self, source: Source, *, force: bool = False, since: str | datetime = "last") -> Progress:
        """Ingest `source`; failures end in `progress` (stage `failed`) and the log row, not as raises.

        `since` applies to a wiki: `last` (the sync after the last one), `full`, or a moment.
        """
        self.progress.begin(source.name)
        try:
            with runs.exclusive_run(self.engine, self.universe) as mine:
                if not mine:
                    self.progress.end("running_elsewhere")
                    return self.progress
                writer.sweep_temporaries(self.files.root)
                if not force and self._already_done(source):
                    self.progress.end("skipped")
                    return self.progress
                self._run_logged(source, since)
        except (OperationalError, InterfaceError) as error:
            self._fail_without_database(source, error)
        return self.progress

    def migrate(self) -> Progress:
        """Stage 1.5 alone: rebuild PostgreSQL from the file cache."""
        return self._alone("writing_to_postgresql", lambda: self._write_postgres(complete=True))

    def fetch_images(self, images: ImageStage) -> Progress:
        """Stage 2 alone, for the articles already in PostgreSQL."""
        return self._alone(STAGE, lambda: self._images(images))

    def _alone(self, stage: str, work: Callable[[], None]) -> Progress:
        """One stage as a run of its own: under the run lock, logged."""
        self.progress.begin(str(self.files.root))
        with runs.exclusive_run(self.engine, self.universe) as mine:
            if not mine:
                self.progress.end("running_elsewhere")
                return self.progress
            self._log = runs.RunLog(self.engine, self.universe, str(self.files.root), stage)
            self._guarded(work, {})
        return self.progress

    def _run_logged(self, source: Source, since: str | datetime) -> None:
        self._log = runs.RunLog(self.engine, self.universe, source.name, "categorizing")
        if isinstance(source, MediaWikiSource):
            self._guarded(lambda: self._then_images(WikiSync(self, source, since).run), {})
        else:
            checkpoint = {"fingerprint": source.fingerprint()}
            self._guarded(lambda: self._then_images(lambda: self._stages(source)), checkpoint)

    def _then_images(self, articles: Callable[[], None]) -> None:
        """Stage 2 follows the articles, which say which images to fetch."""
        articles()
        if self.images is not None:
            self._images(self.images)

    def _images(self, images: ImageStage) -> None:
        """Stage 2; the counts the API keeps change with it."""
        images.run(self.progress, self._at_boundary)
        self.store.bump_version()

    def _guarded(self, work: Callable[[], None], checkpoint: dict) -> None:
        """Run `work`, ending the log row `completed` or `failed` with the error."""
        assert self._log is not None
        try:
            work()
        except Stopped:
            self._end_unfinished("stopped", STOPPED)
            return
        except Exception as error:
            message = f"{type(error).__name__}: {error}"
            log.error("prefetch failed: %s", message)
            self._end_unfinished("failed", message)
            return
        self._report(force=True, checkpoint=checkpoint)
        self._log.finish(self.progress.errors)
        self.progress.end("completed")
        log.info("prefetch complete: %s", self.progress.stage_seconds)
        self._on_progress(self.progress)

    def _end_unfinished(self, stage: str, message: str) -> None:
        """Report how far the run got and close its log row as not completed: the next run picks it up."""
        assert self._log is not None
        self._report(force=True)
        self._log.fail(message, self.progress.errors)
        self.progress.end(stage, message)
        self._on_progress(self.progress)

    def _stages(self, source: Source) -> None:
        source_error = self._categorize(source)
        self._write_postgres(complete=source_error is None)
        if source_error:
            raise source_error

    def _categorize(self, source: Source) -> SourceError | None:
        """Stage 1. A fault in the source keeps everything read before it, and is returned."""
        self.progress.enter("categorizing", total=source.count())
        log.info("STAGE 1: categorizing %s pages of %s", f"{self.progress.articles_total:,}", source.name)
        self._at_boundary(force=True)
        categorized = Categorized()
        error: SourceError | None = None
        try:
            for result in categorize(source.pages(), self.universe, self.files, self.workers):
                categorized.merge(result)
                self._count_batch(result)
        except SourceError as fault:
            error = fault
        entries, fields = categorized.finalize(), categorized.fields
        if error is not None:
            entries = _merged(self.files.stored_entries(), entries)
            merge_fields(fields, self.files.fields())
        writer.write_index(self.files.root, entries, fields)
        return error

    def _count_batch(self, result: BatchResult) -> None:
        self.progress.articles_processed += result.pages
        self.progress.pages_read += result.pages
        self.progress.redirects += len(result.redirects)
        for title, reason in result.failures:
            self.progress.articles_failed += 1
            self.progress.record_error(title, reason)
        self._at_boundary()

    def _write_postgres(self, *, complete: bool) -> None:
        """Stage 1.5. `complete`: the file cache holds the whole source, so PostgreSQL drops the rest."""
        entries = self.files.entries()
        self.progress.enter("writing_to_postgresql", total=len(entries))
        log.info("STAGE 1.5: writing %s articles to PostgreSQL", f"{len(entries):,}")
        self._at_boundary(force=True)
        for counts in load(self.files, self.engine, self.universe, self.workers):
            self.progress.articles_processed += counts.processed
            self.progress.articles_created += counts.created
            self.progress.articles_updated += counts.updated
            self.progress.articles_unchanged += counts.unchanged
            self._at_boundary()
        if complete:
            self.store.delete_missing({entry.page_id for entry in entries})
        self.store.refresh_derived()

    def _already_done(self, source: Source) -> bool:
        last = runs.latest(self.engine, self.universe, status="completed")
        stamp = source.fingerprint()
        return bool(
            stamp
            and last
            and last["checkpoint"].get("fingerprint") == stamp
            and self.files.exists()
            and self.store.count() == len(self.files.entries())
        )

    def _fail_without_database(self, source: Source, error: OperationalError | InterfaceError) -> None:
        """PostgreSQL is away: still fill the file cache, so the API can answer (degraded)."""
        message = f"PostgreSQL unavailable: {str(getattr(error, 'orig', None) or error).strip()}"
        log.error("%s; filling the file cache only", message)
        try:
            if not (self.files.exists() and len(self.files.entries())):
                self._categorize(source)
        finally:
            self.progress.end("failed", message)
            self._on_progress(self.progress)

    def _at_boundary(self, *, force: bool = False) -> None:
        """Report progress where a batch or a stage ends, then end the run there if the service is
        stopping: a stop waits for the batches under way, never for the rest of the run."""
        self._report(force=force)
        if self.stop.is_set():
            raise Stopped(STOPPED)

    def _report(self, *, force: bool = False, checkpoint: dict | None = None) -> None:
        self._on_progress(self.progress)
        now = time.monotonic()
        if self._log is None or not (force or now - self._last_report >= REPORT_INTERVAL_SECONDS):
            return
        self._last_report = now
        self._log.update(
            stage=self.progress.stage,
            processed=self.progress.articles_processed,
            created=self.progress.articles_created,
            updated=self.progress.articles_updated,
            checkpoint={"progress": self.progress.as_dict(), **self.checkpoint, **(checkpoint or {})},
        )


def _merged(previous: list[IndexEntry], fresh: list[IndexEntry]) -> list[IndexEntry]:
    by_page = {entry.page_id: entry for entry in previous}
    by_page.update((entry.page_id, entry) for entry in fresh)
    return sorted(by_page.values(), key=lambda entry: entry.page_id)
