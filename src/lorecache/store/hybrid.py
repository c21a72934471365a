"""HybridStore: PostgreSQL first (once it is up); the file cache when PostgreSQL fails; back to
PostgreSQL by itself. What stays true until the next load (pages of a category, articles, counts) is
answered from the process's cache of PostgreSQL's answers while the data version is followed.

With read replicas (`store.replicas`), a read goes to a replica that has replayed the last load, then
to the primary, then to the file cache: each one failing hands the read to the next.

After a failure the store answers from files for `retry_seconds` without touching PostgreSQL, so a
database that is down costs one failed connection per window rather than one per request. A query
cancelled by the statement timeout is not such a failure: PostgreSQL is up, only that answer comes
from files.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from anyio import to_thread
from psycopg.errors import QueryCanceled
from sqlalchemy.exc import DataError, DBAPIError, SQLAlchemyError

from lorecache import metrics
from lorecache.article import Article
from lorecache.lore import context, graph, lorebook
from lorecache.query import Continuity, ListQuery
from lorecache.store.database import first_line
from lorecache.store.files import FileCache
from lorecache.store.interface import Counts, Detail, LoreReader, Page, Served
from lorecache.store.postgres import PostgresStore
from lorecache.store.replicas import Replica, ReplicaSet
from lorecache.store.versions import AnswerCache, DataVersion

log = logging.getLogger(__name__)

T = TypeVar("T")

DATABASE = "database"
"""What kept answers from the primary or a replica are filed under: both hold the same data version."""


class HybridStore:
    def __init__(
        self,
        postgres: PostgresStore | None,
        files: FileCache,
        retry_seconds: float = 2.0,
        cache: AnswerCache | None = None,
        version: DataVersion | None = None,
        replicas: ReplicaSet | None = None,
    ) -> None:
        self.postgres = postgres
        self.files = files
        self.cache = cache
        self.version = version
        self.replicas = replicas
        self.retry_seconds = retry_seconds
        self._down_until = 0.0
        self._lock = threading.Lock()

    @property
    def degraded(self) -> bool:
        return time.monotonic() < self._down_until

    async def list_articles(self, query: ListQuery) -> Served[Page]:
        """A page or a search, kept as the answer of the data it was asked of: search-as-you-type asks
        the same prefixes again and again."""
        return await self._cached(("list", *query.key), lambda store: store.list_articles(query))

    async def timeline(self, query: ListQuery) -> Served[Page]:
        return await self._cached(("timeline", *query.key), lambda store: store.timeline(query))

    async def detail(self, title: str, continuity: Continuity = "all") -> Served[Detail | None]:
        """The article's prepared answer, with its related articles weighed from one store."""
        key = ("detail", title, continuity)
        return await self._cached(
            key, lambda store: graph.with_related(store, store.detail(title, continuity))
        )

    async def article(self, title: str, continuity: Continuity = "all") -> Served[Article | None]:
        return await self._off_loop(lambda store: store.get(title, continuity))

    async def related(
        self, title: str, continuity: Continuity, direction: graph.Direction, field: str | None, limit: int
    ) -> Served[graph.Related | None]:
        key = ("related", title, continuity, direction, field, limit)
        return await self._cached(
            key, lambda store: graph.related(store, title, continuity, direction, field, limit)
        )

    async def lore_context(
        self, topics: tuple[str, ...], max_tokens: int, continuity: Continuity, attribution: str
    ) -> Served[context.Context]:
        """Packed from one store: every read of one context is PostgreSQL's, or every one the file
        cache's when PostgreSQL fails on any."""
        key = ("lore", topics, max_tokens, continuity)
        return await self._cached(
            key, lambda store: context.pack(store, topics, max_tokens, continuity, attribution)
        )

    async def view(self, key: Hashable, build: Callable[[LoreReader], T]) -> Served[T]:
        """What a reader builds from several reads of one store (the web page's article card), kept
        like the answers it is made of, under the data they were read from."""
        return await self._cached(("view", key), build)

    async def sillytavern(
        self, query: ListQuery, limit: int, entry_tokens: int, name: str, attribution: str
    ) -> Served[dict]:
        """A lorebook from one store, as a lore context is."""
        key = ("sillytavern", *query.key, limit, entry_tokens, name)
        return await self._cached(
            key, lambda store: lorebook.sillytavern(store, query, limit, entry_tokens, name, attribution)
        )

    async def random(self, query: ListQuery) -> Served[str | None]:
        return await self._off_loop(lambda store: store.random(query))

    async def categories(self) -> Served[Counts]:
        return await self._cached("categories", lambda store: store.categories())

    async def fields(self) -> Served[dict[str, set[str]]]:
        return await self._cached("fields", lambda store: store.fields())

    async def stats(self) -> Served[dict[str, Any]]:
        return await self._cached("stats", lambda store: store.stats())

    async def _cached(self, key: Hashable, operation: Callable[[LoreReader], T]) -> Served[T]:
        """In the event loop when the stores that would answer have answered it for the data they hold
        now; else asked off the loop and kept, with the name of the store that answered. Both versions
        are read before asking, so an answer is never kept under a newer version."""
        if self.cache is None:
            return await self._off_loop(operation)
        files_version = self.files.version()
        database_first = self._database_first
        database_version = self.version.current if database_first and self.version is not None else None
        if not database_first:
            filed = (self.files.source_name, files_version, key)
        else:
            filed = (DATABASE, database_version, key) if database_version is not None else None
        if filed is not None and (hit := self.cache.get(filed)) is not None:
            return hit  # type: ignore[return-value]
        served = await self._off_loop(operation)
        if served.source == self.files.source_name:
            self.cache.put((self.files.source_name, files_version, key), served)
        elif database_version is not None:
            self.cache.put((DATABASE, database_version, key), served)
        return served

    async def _off_loop(self, operation: Callable[[LoreReader], T]) -> Served[T]:
        """A store waits on PostgreSQL or the disk: on a worker thread, never in the event loop."""
        return await to_thread.run_sync(self._read, operation)

    @property
    def _postgres_first(self) -> bool:
        return self.postgres is not None and not self.degraded

    @property
    def _database_first(self) -> bool:
        """A replica or the primary would answer now, not the file cache."""
        return self._postgres_first or (self.replicas is not None and self.replicas.any_ready(self._floor))

    @property
    def _floor(self) -> int | None:
        """How far a replica must have replayed to hold the data version this process follows."""
        return self.version.lsn if self.version is not None else None

    def _ready_replicas(self) -> list[Replica]:
        if self.replicas is None or self.postgres is None:
            return []
        return self.replicas.readers(self._floor)

    def _read(self, operation: Callable[[LoreReader], T]) -> Served[T]:
        """`operation` against a replica that has caught up, else the primary, else the file cache."""
        for replica in self._ready_replicas():
            try:
                return Served(self._on_database(replica.store, operation), replica.store.source_name)
            except SQLAlchemyError as error:
                if _timed_out(error):
                    return Served(operation(self.files), self.files.source_name)
                self.replicas.failed(replica, error)
        if self._postgres_first:
            try:
                return Served(self._on_database(self.postgres, operation), self.postgres.source_name)
            except SQLAlchemyError as error:
                if not _timed_out(error):
                    self._mark_down(error)
        return Served(operation(self.files), self.files.source_name)

    def health(self) -> str:
        """`healthy` when PostgreSQL answers now; a probe, so it also ends a degraded window early."""
        if self.postgres is None:
            return "degraded"
        try:
            self._on_database(self.postgres, lambda store: store.ping())
        except SQLAlchemyError as error:
            self._mark_down(error)
            return "degraded"
        self._down_until = 0.0
        return "healthy"

    def databases(self) -> list[dict[str, Any]]:
        """Each database's state as reads see it: the primary (`up`, `down`), then each replica (`up`,
        `behind` the last load, `down`) with its lag. Read after `health`, which probes the primary."""
        primary = "down" if self.postgres is None or self.degraded else "up"
        listed: list[dict[str, Any]] = [{"name": "primary", "role": "primary", "state": primary}]
        if self.replicas is not None:
            listed += self.replicas.status(self._floor)
        return listed

    def _on_database(self, store: PostgresStore, operation: Callable[[LoreReader], T]) -> T:
        """Connections are not pinged before each use (a round trip per request): one PostgreSQL
        dropped (a restart) fails its first statement instead, SQLAlchemy then empties the pool, and
        the operation is tried once more on a new connection."""
        try:
            return operation(store)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            log.info("a pooled connection to %s was gone; trying a new one", store.source_name)
            return operation(store)

    def _mark_down(self, error: SQLAlchemyError) -> None:
        metrics.FALLBACKS.labels("error").inc()
        with self._lock:
            if not self.degraded:
                log.warning(
                    "PostgreSQL failed (%s); reads skip it for %.1fs",
                    first_line(error),
                    self.retry_seconds,
                )
            self._down_until = time.monotonic() + self.retry_seconds


def _timed_out(error: SQLAlchemyError) -> bool:
    """Cancelled by the statement timeout, or a value PostgreSQL cannot take (a NUL in a text): the
    database is up, only this answer comes from files (any other database would fail it alike)."""
    if isinstance(getattr(error, "orig", None), QueryCanceled):
        log.warning("PostgreSQL took too long (%s); this answer comes from the file cache", first_line(error))
        metrics.FALLBACKS.labels("timeout").inc()
        return True
    if isinstance(error, DataError):
        log.warning("PostgreSQL refused a value (%s); this answer comes from the files", first_line(error))
        metrics.FALLBACKS.labels("refused").inc()
        return True
    return False
