"""Streaming read replicas of the primary (`LORECACHE_REPLICA_URLS`): which of them may answer a read now.

A replica may answer when it is up and has replayed the primary's WAL at least to the *floor*: the
primary's WAL position when the data version last changed (`DataVersion.lsn`, read when a load's
NOTIFY arrives, so a load by any process counts). Until then the load's rows may be missing on it,
and reads stay on the primary or on the replicas that have caught up.

Each replica is checked every `CHECK_SECONDS` on a thread of its own: its replay position and lag are
read, and one that failed (a check or a read) is skipped until a check succeeds again. The position
known is at most that old, so a replica is never taken for further along than it is.
"""

from __future__ import annotations

import itertools
import logging
import threading
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from lorecache.store import database
from lorecache.store.postgres import PostgresStore

log = logging.getLogger(__name__)

CHECK_SECONDS = 0.5
SOURCE_NAME = "replica"

# The replay position as a number of bytes, comparable with the primary's `pg_current_wal_lsn()`; a
# replica promoted to a primary reports its own position (its replay position stays where recovery
# ended). The lag in seconds is zero when everything received is replayed: an idle primary sends no
# commits to time.
_POSITION = """
SELECT pg_wal_lsn_diff(
           CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END, '0/0'
       )::bigint,
       CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
            ELSE COALESCE(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0)
       END::float8
"""

State = Literal["up", "behind", "down"]


@dataclass(slots=True)
class Replica:
    """One replica: its store, the engine its checks use (one connection of their own: a pool that
    reads keep busy must not make a replica look down), and what its last check or read found."""

    name: str
    store: PostgresStore
    checks: Engine
    replayed: int | None = None
    lag_seconds: float | None = None
    error: str | None = None

    @property
    def up(self) -> bool:
        return self.error is None and self.replayed is not None

    def caught_up(self, floor: int | None) -> bool:
        """Up, and past the floor; with no floor known (the primary never reached), never."""
        return self.up and floor is not None and self.replayed >= floor

    def state(self, floor: int | None) -> State:
        if not self.up:
            return "down"
        return "up" if self.caught_up(floor) else "behind"


class ReplicaSet:
    """The replicas, checked in the background; `readers` spreads reads over the ready ones."""

    def __init__(self, urls: list[str], universe: str, statement_timeout_ms: int | None = None) -> None:
        self.replicas = [
            Replica(
                _name(url),
                PostgresStore(
                    database.make_engine(url, statement_timeout_ms=statement_timeout_ms, pre_ping=False),
                    universe,
                    source_name=SOURCE_NAME,
                ),
                database.make_engine(url, pool_size=1, pre_ping=False),
            )
            for url in urls
        ]
        self._turn = itertools.count()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._check_all, name="replica-checks", daemon=True)

    def start(self) -> None:
        self._check_once()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        for replica in self.replicas:
            replica.store.engine.dispose()
            replica.checks.dispose()

    def any_ready(self, floor: int | None) -> bool:
        return any(replica.caught_up(floor) for replica in self.replicas)

    def readers(self, floor: int | None) -> list[Replica]:
        """The replicas that may answer now, starting from a different one each time."""
        ready = [replica for replica in self.replicas if replica.caught_up(floor)]
        if not ready:
            return []
        first = next(self._turn) % len(ready)
        return ready[first:] + ready[:first]

    def failed(self, replica: Replica, error: SQLAlchemyError) -> None:
        """A read or a check failed on it: skipped until a check finds it answering."""
        message = database.first_line(error)
        if replica.error is None:
            log.warning("replica %s failed (%s); reads skip it until it answers", replica.name, message)
        replica.error = message

    def status(self, floor: int | None) -> list[dict[str, Any]]:
        """Each replica's state and lag, as `/health` shows them (and a metrics exporter reads them):
        `lag_bytes` is how far it is behind the floor, `lag_seconds` its own replay lag."""
        return [
            {
                "name": replica.name,
                "role": "replica",
                "state": replica.state(floor),
                "lag_bytes": _behind(floor, replica.replayed),
                "lag_seconds": replica.lag_seconds,
                **({"error": replica.error} if replica.error else {}),
            }
            for replica in self.replicas
        ]

    def _check_all(self) -> None:
        while not self._stop.wait(CHECK_SECONDS):
            self._check_once()

    def _check_once(self) -> None:
        for replica in self.replicas:
            try:
                with replica.checks.connect() as connection:
                    replayed, lag = connection.execute(text(_POSITION)).one()
            except SQLAlchemyError as error:
                self.failed(replica, error)
                replica.checks.dispose()
                continue
            if replica.error is not None:
                log.info("replica %s answers again; reads use it once it has caught up", replica.name)
            replica.replayed, replica.lag_seconds, replica.error = replayed, lag, None


def _behind(floor: int | None, replayed: int | None) -> int | None:
    return None if floor is None or replayed is None else max(0, floor - replayed)


def _name(url: str) -> str:
    """How `/health` and the log name a replica: its host, port and database, never its password."""
    parsed = make_url(database.sqlalchemy_url(url))
    return f"{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"
