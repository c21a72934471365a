"""One run of an ingest: the universe's run lock, its `scraping_logs` row, its live progress, its
checkpoint and its errors. A plan does the work; the run says how it went, to `/prefetch/status`, to
the progress bars and to the next run (which resumes from the checkpoint).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from lorecache.progress import Progress
from lorecache.store import runs

log = logging.getLogger(__name__)

REPORT_INTERVAL_SECONDS = 1.0
STOPPED = "the service stopped; the run ended after its last finished batch"


class Stopped(Exception):
    """The service is stopping: the run ends at the batch boundary it reached, with what it filed kept."""


class Run:
    def __init__(
        self,
        engine: Engine,
        universe: str,
        on_progress: Callable[[Progress], None] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.engine = engine
        self.universe = universe
        self.stop = stop or threading.Event()
        self.progress = Progress()
        self.checkpoint: dict[str, Any] = {}
        self.id: int | None = None
        self._on_progress = on_progress or (lambda progress: None)
        self._log: runs.RunLog | None = None
        self._last_report = 0.0

    def execute(
        self,
        source: str,
        first_stage: str,
        work: Callable[[], None],
        *,
        skip: Callable[[], bool] | None = None,
    ) -> Progress:
        """`work` under the run lock and logged; it ends `running_elsewhere` when another process
        holds the lock, `skipped` when `skip` says the work is done already, else `completed` or
        `failed` with the error (never as a raise)."""
        self.progress.begin(source)
        with runs.exclusive_run(self.engine, self.universe) as mine:
            if not mine:
                self.progress.end("running_elsewhere")
                return self.progress
            if skip is not None and skip():
                self.progress.end("skipped")
                return self.progress
            self._log = runs.RunLog(self.engine, self.universe, source, first_stage)
            self.id = self._log.id
            self._guarded(work)
        return self.progress

    def earlier(self, source: str) -> list[dict[str, Any]]:
        """This source's runs before this one, newest first."""
        assert self.id is not None, "only a run under way has earlier runs"
        return runs.earlier(self.engine, self.universe, source, self.id)

    def enter(self, stage: str, total: int = 0) -> None:
        """A stage begins where the one before ends: a stop there ends the run with that stage's counts."""
        self.boundary(force=True)
        self.progress.enter(stage, total=total)
        self.report(force=True)

    def boundary(self, *, force: bool = False) -> None:
        """Where a batch or a stage ends: report, then end the run there if the service is stopping;
        a stop waits for the batches under way, never for the rest of the run."""
        self.report(force=force)
        if self.stop.is_set():
            raise Stopped(STOPPED)

    def count_failure(self, title: str | None, reason: str) -> None:
        self.progress.articles_failed += 1
        self.progress.record_error(title, reason)

    def report(self, *, force: bool = False) -> None:
        """Tell the watchers now, and the log row (with the checkpoint) at most once a second unless
        forced: a checkpoint is forced after every batch a resumed run may skip."""
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
            checkpoint={"progress": self.progress.as_dict(), **self.checkpoint},
        )

    def fail(self, message: str) -> None:
        """End a run that could not begin (PostgreSQL away): no log row, the progress says why."""
        self.progress.end("failed", message)
        self._on_progress(self.progress)

    def _guarded(self, work: Callable[[], None]) -> None:
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
        self.report(force=True)
        self._log.finish(self.progress.errors)
        self.progress.end("completed")
        log.info("prefetch complete: %s", self.progress.stage_seconds)
        self._on_progress(self.progress)

    def _end_unfinished(self, stage: str, message: str) -> None:
        """Report how far the run got and close its log row as not completed: the next run picks it
        up."""
        assert self._log is not None
        self.report(force=True)
        self._log.fail(message, self.progress.errors)
        self.progress.end(stage, message)
        self._on_progress(self.progress)
