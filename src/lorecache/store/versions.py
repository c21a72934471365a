"""Answers kept per version of the data that gave them. Every load bumps its universe's row in
`data_versions` and NOTIFYs `lorecache_data` in the transaction that rebuilds the derived tables; each
API process follows the version on a connection of its own (LISTEN), so an answer cached in any worker
is never served after the load that changed it, and a cached answer costs no round trip at all. The
file cache's version is its index file's stamp.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Hashable

import orjson
import psycopg

from lorecache import metrics
from lorecache.store.interface import Detail, Page, Served
from lorecache.store.postgres import DATA_CHANNEL

log = logging.getLogger(__name__)

RECONNECT_SECONDS = 1.0


class DataVersion:
    """The universe's data version as PostgreSQL last announced it; None while it cannot be followed
    (PostgreSQL away), when nothing may be answered from a cache.

    `lsn` is the primary's WAL position (in bytes) read with the version: the load that bumped it had
    committed by then, so a read replica that has replayed this far holds everything of that version
    (`store.replicas`). It is read, and set, before `current`: whoever sees a version sees a position
    at least that recent. It stays while PostgreSQL is away: nothing newer can be committed meanwhile.
    """

    def __init__(self, url: str, universe: str) -> None:
        self.url = url
        self.universe = universe
        self.current: int | None = None
        self.lsn: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="data-version", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _follow(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=3) as connection:
                    connection.execute(f"LISTEN {DATA_CHANNEL}")
                    self.current = self._read(connection)
                    while not self._stop.is_set():
                        # The connection is busy while notices are awaited: read the version after.
                        notices = list(connection.notifies(timeout=RECONNECT_SECONDS, stop_after=1))
                        if any(notice.payload == self.universe for notice in notices):
                            self.current = self._read(connection)
            except psycopg.Error as error:
                if self.current is not None:
                    log.warning("data version not followed, caches off: %s", str(error).strip())
                self.current = None
                self._stop.wait(RECONNECT_SECONDS)
        self.current = None

    def _read(self, connection: psycopg.Connection) -> int:
        row = connection.execute(
            "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint, "
            "(SELECT version FROM data_versions WHERE universe = %s)",
            (self.universe,),
        ).fetchone()
        self.lsn = row[0]
        return row[1] or 0


class AnswerCache:
    """Answers, each under the store that gave it and that store's version (PostgreSQL's data version,
    the file cache's index), the most recently used kept up to about `budget` bytes. An answer may be
    kept as it was `Served`, with the name of the store that gave it."""

    def __init__(self, budget: int = 32_000_000) -> None:
        self.budget = budget
        self._entries: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> object | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, answer: object) -> None:
        size = _size(answer)
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = (answer, size)
            self._held += size
            while self._held > self.budget:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._held -= dropped
            metrics.KEPT_ANSWERS.set(self._held)


OBJECT_WEIGHT = 4
"""What an answer built of objects (an article card, a lore context, related articles) takes in memory
for each byte of its JSON: 2 to 5, measured with tracemalloc on the full corpus."""

KEPT = 100
"""The entry itself: its key and its place in the order."""


def _size(answer: object) -> int:
    """Prepared JSON is kept as it is; any other answer is weighed by its JSON."""
    if isinstance(answer, Served):
        answer = answer.answer
    if isinstance(answer, Page):
        return sum(map(len, answer.items)) + KEPT
    if isinstance(answer, Detail):
        return len(answer.json) + KEPT
    return OBJECT_WEIGHT * len(orjson.dumps(answer, default=_plain)) + KEPT


def _plain(value: object) -> object:
    """Sets (a category's fields) as lists; anything else orjson cannot write by its text."""
    return sorted(value) if isinstance(value, set | frozenset) else repr(value)
