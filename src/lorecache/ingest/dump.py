"""The plan for a source read whole, a dump: stage 1 then stage 1.5. The same file ingested already is
skipped; with PostgreSQL away, stage 1 alone still fills the file cache, so the API can answer."""

from __future__ import annotations

import logging

from sqlalchemy.exc import InterfaceError, OperationalError

from lorecache.ingest.run import Run, Stopped
from lorecache.ingest.stages import categorizing, writing_to_postgresql
from lorecache.ingest.writer import CacheWriter
from lorecache.sources import Source
from lorecache.store import runs

log = logging.getLogger(__name__)

DATABASE_AWAY = (OperationalError, InterfaceError)
"""What SQLAlchemy raises when PostgreSQL cannot be reached."""


def ingest(run: Run, writer: CacheWriter, source: Source) -> None:
    filed = categorizing(run, writer, source)
    writing_to_postgresql(run, writer, complete=filed.error is None, spills=filed.spills)
    if filed.error:
        raise filed.error


def done_already(writer: CacheWriter, source: Source) -> bool:
    """The last completed run read this very file, and both stores still hold all of it."""
    last = runs.latest(writer.engine, writer.universe, status="completed")
    stamp = source.fingerprint()
    return bool(
        stamp
        and last
        and last["checkpoint"].get("fingerprint") == stamp
        and writer.files.exists()
        and writer.store.count() == len(writer.files.entries())
    )


def files_only(run: Run, writer: CacheWriter, source: Source, error: Exception) -> None:
    """PostgreSQL is away: still fill the file cache (unless it holds articles already), so the API
    can answer, degraded; the run ends failed, saying why."""
    message = f"PostgreSQL unavailable: {str(getattr(error, 'orig', None) or error).strip()}"
    log.error("%s; filling the file cache only", message)
    try:
        if not (writer.files.exists() and len(writer.files.entries())):
            categorizing(run, writer, source)
            writer.sweep()  # its spills: no load follows
    except Stopped:
        log.info("the service stopped while the file cache was being filled")
    finally:
        run.fail(message)
