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

from lorecache import metrics
from lorecache.config import Settings
from lorecache.images.store import open_image_store
from lorecache.progress import Progress
from lorecache.store import database, runs
from lorecache.store.files import FileCache
from lorecache.store.hybrid import HybridStore
from lorecache.store.postgres import PostgresStore
from lorecache.store.replicas import ReplicaSet
from lorecache.store.versions import AnswerCache, DataVersion
from lorecache.universes import Universe, load

log = logging.getLogger(__name__)

SAMPLE_NAME = "wookieepedia-infoboxes-sample-1k.xml.gz"


def bundled_sample() -> Path:
    return Path(str(resources.files("lorecache") / "data" / SAMPLE_NAME))


class DatabaseUnavailable(RuntimeError):
    """A prefetch needs PostgreSQL, which is not (yet) up."""


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.universe: Universe = load(settings.universe)
        self.files = FileCache(settings.universe_dir)
        self.images = open_image_store(settings)
        self.store = HybridStore(
            None, self.files, retry_seconds=settings.db_retry_seconds, cache=AnswerCache()
        )
        self.progress = Progress()
        self.engine: Engine | None = None
        self.version: DataVersion | None = None
        self._url: str | None = None
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()
        self._stopping = threading.Event()

    def start(self, *, prefetch: bool = True) -> None:
        """Bring up PostgreSQL, migrate, then prefetch, all off the request path."""
        self._thread = threading.Thread(target=self._bring_up, args=(prefetch,), name="prefetch", daemon=True)
        self._thread.start()

    def refresh(self, *, force: bool) -> bool:
        """Prefetch the source again in the background; False when a prefetch already runs here.

        A run held by another process is not waited for: this one ends `running_elsewhere`, and the
        status then reports the other's progress.
        """
        if self._url is None:
            raise DatabaseUnavailable("PostgreSQL is not up yet; the prefetch starts once it is")
        with self._starting:
            if self._thread is not None and self._thread.is_alive():
                return False
            self.progress = Progress()
            self.progress.begin(self._source())
            self._thread = threading.Thread(
                target=self._prefetch, args=(self._url, self._source(), force), name="prefetch", daemon=True
            )
            self._thread.start()
        return True

    def wait(self, timeout: float | None = None) -> None:
        if self._thread:
            self._thread.join(timeout)

    def stop(self) -> None:
        """End the prefetch at its next batch boundary and wait for it, then close the connections: a
        run cut off mid-batch would redo that batch, and stay `running` in its log until the next start."""
        self._stopping.set()
        self.wait()
        if self.version is not None:
            self.version.stop()
        if self.store.replicas is not None:
            self.store.replicas.stop()
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
                stage = row["stage"] if row["status"] == "running" else row["status"]
                reported = row["checkpoint"].get("progress", {})
                progress = {**reported, "stage": stage, "error": row["error_message"]}
                return {"is_complete": row["status"] == "completed", "progress": progress}
        return {"is_complete": self.progress.is_complete, "progress": self.progress.as_dict()}

    def _source(self) -> str:
        return self.settings.source or str(bundled_sample())

    def _bring_up(self, prefetch: bool) -> None:
        source = self._source()
        self.progress.begin(source)
        self.progress.enter("starting_database")
        try:
            url = database.resolve_url(self.settings)
            database.upgrade_apart(url)
        except Exception as error:
            log.exception("PostgreSQL could not be started or migrated; serving from the file cache")
            self.progress.end("failed", f"PostgreSQL unavailable: {error}")
            self.files.entries()
            return
        self.engine = database.make_engine(
            url, statement_timeout_ms=self.settings.statement_timeout_ms, pre_ping=False
        )
        metrics.watch_pool(self.engine)
        self.store.postgres = PostgresStore(self.engine, self.universe.name)
        self.version = DataVersion(database.libpq_url(url), self.universe.name)
        self.version.start()
        self.store.version = self.version
        if self.settings.replica_url_list:
            self.store.replicas = ReplicaSet(
                self.settings.replica_url_list, self.universe.name, self.settings.statement_timeout_ms
            )
            self.store.replicas.start()
        self._url = url
        self._ensure_derived()
        if prefetch and not self._stopping.is_set() and not self._keeps_another_source():
            self._prefetch(url, source)
        self.files.entries()  # builds the fallback's name index now, not during an outage

    def _ensure_derived(self) -> None:
        """Search tables a database upgraded to them lacks, built unless a prefetch elsewhere runs
        (it builds them at its end); a PostgreSQL failure leaves the searches to the trigram tiers."""
        try:
            with runs.exclusive_run(self.engine, self.universe.name) as mine:
                if mine:
                    self.store.postgres.ensure_derived()
        except SQLAlchemyError as error:
            log.warning("search tables not checked, PostgreSQL failed: %s", str(error).splitlines()[0])

    def _keeps_another_source(self) -> bool:
        """With no source configured, a cache filled from another source (a full dump ingested with
        `lorecache ingest`) is served as it is: prefetching the bundled sample would replace it."""
        if self.settings.source:
            return False
        last = runs.latest(self.engine, self.universe.name, status="completed")
        if last is None or last["source"] == self._source():
            return False
        log.warning(
            "the cache holds %s; serving it as it is (LORECACHE_SOURCE or --source prefetches another)",
            last["source"],
        )
        self.progress.begin(last["source"])
        self.progress.end("skipped")
        return True

    def _prefetch(self, url: str, spec: str, force: bool = False) -> None:
        """The ingest's machinery (parser, XML, HTTP client, image decoder) is imported only when a
        prefetch runs: an API serving a cache filled elsewhere never holds it in memory."""
        from lorecache import ingest
        from lorecache.sources import SourceError, open_source

        try:
            source = open_source(spec, self.settings)
        except SourceError as error:
            log.error("cannot prefetch %s: %s", spec, error)
            self.progress.end("failed", str(error))
            return
        with ingest.session(
            self.settings, url, on_progress=metrics.prefetch_reported, images_of=spec, stop=self._stopping
        ) as job:
            self.progress = job.progress
            job.run(source, force=force)
            log.info("prefetch %s: %s", job.progress.stage, job.progress.error or "ok")
