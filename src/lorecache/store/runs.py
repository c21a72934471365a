"""Runs of the prefetch and ingests: their `scraping_logs` rows and the lock that keeps them single.

The lock is a PostgreSQL advisory lock held on a connection of its own for the whole run, so it spans
every process and host that shares the database, and it is released by the server if the holder dies.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Engine, text

_LOCK_NAMESPACE = 0x10EC


def _lock_key(universe: str) -> int:
    """One 64-bit advisory key per universe: a fixed high half for Lorecache, a hash of the name below."""
    return (_LOCK_NAMESPACE << 32) | zlib.crc32(universe.encode())


@contextmanager
def exclusive_run(engine: Engine, universe: str) -> Iterator[bool]:
    """Yield True when this process holds the universe's run lock, False when another one does."""
    with engine.connect() as connection:
        key = {"key": _lock_key(universe)}
        acquired = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), key).scalar_one()
        connection.commit()
        try:
            yield acquired
        finally:
            if acquired:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)
                connection.commit()


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


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()
