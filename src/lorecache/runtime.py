"""The running service: its stores, and the background prefetch that fills them.

The API is usable before PostgreSQL is: until the database is up and migrated, reads come from the
file cache, and the prefetch starts once the database is there.
"""

from __future__ import annotations

import logging
import threading
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from lorecache.config import Settings
from lorecache.prefetch import Prefetch
from lorecache.progress import Progress
from lorecache.sources import open_source
from lorecache.store import database, runs
from lorecache.store.files import FileCache
from lorecache.store.hybrid import HybridStore
from lorecache.store.postgres import PostgresStore
from lorecache.universes import Universe, load

log = logging.getLogger(__name__)

SAMPLE_NAME = "wookieepedia-infoboxes-sample-1k.xml.gz"


def bundled_sample() -> Path:
    return Path(str(resources.files("lorecache") / "data" / SAMPLE_NAME))


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.universe: Universe = load(settings.universe)
        self.files = FileCache(settings.universe_dir)
        self.store = HybridStore(None, self.files, retry_seconds=settings.db_retry_seconds)
        self.progress = Progress()
        self.engine: Engine | None = None
        self._thread: threading.Thread | None = None

    def start(self, *, prefetch: bool = True) -> None:
        """Bring up PostgreSQL, migrate, then prefetch, all off the request path."""
        self._thread = threading.Thread(target=self._bring_up, args=(prefetch,), name="prefetch", daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread:
            self._thread.join(timeout)

    def stop(self) -> None:
        if self.engine is not None:
            self.engine.dispose()

    def prefetch_status(self) -> dict[str, Any]:
        """This process's prefetch, or, when another process holds the run, that one's last report."""
        if self.progress.stage == "running_elsewhere" and self.engine is not None:
            try:
                row = runs.latest(self.engine, self.universe.name)
            except SQLAlchemyError:
                row = None
            if row:
                progress = row["checkpoint"].get("progress", {"stage": row["stage"]})
                return {"is_complete": row["status"] == "completed", "progress": progress}
        return {"is_complete": self.progress.is_complete, "progress": self.progress.as_dict()}

    def _bring_up(self, prefetch: bool) -> None:
        source = Path(self.settings.source) if self.settings.source else bundled_sample()
        self.progress.begin(str(source))
        self.progress.enter("starting_database")
        try:
            url = database.resolve_url(self.settings)
            database.upgrade(url)
        except Exception as error:
            log.exception("PostgreSQL could not be started or migrated; serving from the file cache")
            self.progress.end("failed", f"PostgreSQL unavailable: {error}")
            return
        self.engine = database.make_engine(url, statement_timeout_ms=self.settings.statement_timeout_ms)
        self.store.postgres = PostgresStore(self.engine, self.universe.name)
        if prefetch:
            self._prefetch(url, source)

    def _prefetch(self, url: str, source: Path) -> None:
        ingest_engine = database.make_engine(url, pool_size=2)
        try:
            job = Prefetch(ingest_engine, self.files, self.universe.name, workers=self.settings.workers)
            self.progress = job.progress
            job.run(open_source(source))
            log.info("prefetch %s: %s", job.progress.stage, job.progress.error or "ok")
        finally:
            ingest_engine.dispose()
