"""Runs of the prefetch and ingests: their `scraping_logs` rows and the lock that keeps them single.

The lock is a PostgreSQL advisory lock held on a connection of its own for the whole run, so it spans
every process and host that shares the database, and it is released by the server if the holder dies.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, text

log = logging.getLogger(__name__)

_LOCK_NAMESPACE = 0x10EC
INTERRUPTED = "interrupted: the process running it stopped before it ended (killed, or PostgreSQL went away)"


def _lock_key(universe: str) -> int:
    """One 64-bit advisory key per universe: a fixed high half for Lorecache, a hash of the name below."""
    return (_LOCK_NAMESPACE << 32) | zlib.crc32(universe.encode())


@contextmanager
def exclusive_run(engine: Engine, universe: str) -> Iterator[bool]:
    """Yield True when this process holds the universe's run lock, False when another one does.

    Whoever takes the lock first closes the runs still marked `running`: nobody else can be running
    them, so their process died without ending them.
    """
    with engine.connect() as connection:
        key = {"key": _lock_key(universe)}
        acquired = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), key).scalar_one()
        if acquired:
            _close_interrupted(connection, universe)
        connection.commit()
        try:
            yield acquired
        finally:
            if acquired:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)
                connection.commit()


def _close_interrupted(connection: Connection, universe: str) -> None:
    closed = connection.execute(
        text(
            "UPDATE scraping_logs SET status = 'failed', finished_at = now(), error_message = :message "
            "WHERE universe = :u AND status = 'running'"
        ),
        {"u": universe, "message": INTERRUPTED},
    ).rowcount
    if closed:
        log.warning("%d earlier run(s) of %s never ended; marked failed (%s)", closed, universe, INTERRUPTED)


class RunLog:
    """One `scraping_logs` row, from `running` to `completed` or `failed`."""

    def __init__(self, engine: Engine, universe: str, source: str, stage: str) -> None:
        self.engine = engine
        with engine.begin() as connection:
            self.id = connection.execute(
                text(
                    "INSERT INTO scraping_logs (universe, source, stage, status) "
                    "VALUES (:u, :source, :stage, 'running') RETURNING id"
                ),
                {"u": universe, "source": source, "stage": stage},
            ).scalar_one()

    def update(self, *, stage: str, processed: int, created: int, updated: int, checkpoint: dict) -> None:
        self._set(
            "stage = :stage, articles_processed = :processed, articles_created = :created, "
            "articles_updated = :updated, checkpoint = CAST(:checkpoint AS jsonb)",
            stage=stage,
            processed=processed,
            created=created,
            updated=updated,
            checkpoint=_json(checkpoint),
        )

    def finish(self, errors: list[dict[str, Any]]) -> None:
        self._set(
            "status = 'completed', finished_at = now(), errors = CAST(:errors AS jsonb)",
            errors=_json(errors),
        )

    def fail(self, message: str, errors: list[dict[str, Any]]) -> None:
        self._set(
            "status = 'failed', finished_at = now(), error_message = :message, "
            "errors = CAST(:errors AS jsonb)",
            message=message,
            errors=_json(errors),
        )

    def _set(self, assignments: str, **params: Any) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                text(f"UPDATE scraping_logs SET {assignments} WHERE id = :id"), {"id": self.id, **params}
            )


def latest(engine: Engine, universe: str, status: str | None = None) -> dict[str, Any] | None:
    where = "universe = :u" + (" AND status = :status" if status else "")
    with engine.connect() as connection:
        row = (
            connection.execute(
                text(f"SELECT * FROM scraping_logs WHERE {where} ORDER BY started_at DESC, id DESC LIMIT 1"),
                {"u": universe, "status": status},
            )
            .mappings()
            .first()
        )
    return dict(row) if row else None


def ingested_from(engine: Engine, universe: str, cache: str) -> str | None:
    """The source of the last completed run that read one: where the cached articles came from.

    A run over the file cache alone (`migrate-cache`, `images fetch`) names the cache as its source and is
    passed over, so that a second `images fetch` after a wiki scrape still asks that wiki.
    """
    with engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT source FROM scraping_logs WHERE universe = :u AND status = 'completed' "
                "AND source <> :cache ORDER BY started_at DESC, id DESC LIMIT 1"
            ),
            {"u": universe, "cache": cache},
        ).scalar_one_or_none()


def earlier(engine: Engine, universe: str, source: str, before_id: int) -> list[dict[str, Any]]:
    """The runs of one source before run `before_id`, newest first: where a sync resumes or continues."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT * FROM scraping_logs WHERE universe = :u AND source = :source AND id < :before "
                "ORDER BY id DESC"
            ),
            {"u": universe, "source": source, "before": before_id},
        ).mappings()
        return [dict(row) for row in rows]


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()
