"""HybridStore: PostgreSQL first (once it is up); the file cache when PostgreSQL fails; back to
PostgreSQL by itself. What stays true until the next load (pages of a category, articles, counts) is
answered from the process's cache of PostgreSQL's answers while the data version is followed.

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
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from lorecache import metrics
from lorecache.article import Article
from lorecache.lore import context, graph
from lorecache.query import Continuity, ListQuery
from lorecache.store.files import FileCache
from lorecache.store.interface import Counts, Detail, LoreReader, Page, Served
from lorecache.store.postgres import PostgresStore
from lorecache.store.versions import AnswerCache, DataVersion

log = logging.getLogger(__name__)

T = TypeVar("T")


class HybridStore:
    def __init__(
        self,
        postgres: PostgresStore | None,
        files: FileCache,
        retry_seconds: float = 2.0,
        cache: AnswerCache | None = None,
        version: DataVersion | None = None,
    ) -> None:
        self.postgres = postgres
        self.files = files
        self.cache = cache
        self.version = version
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

    async def detail(self, title: str, continuity: Continuity = "all") -> Served[Detail | None]:
        key = ("detail", title, continuity)
        return await self._cached(key, lambda store: store.detail(title, continuity))

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

    async def random(self, query: ListQuery) -> Served[str | None]:
        return await self._off_loop(lambda store: store.random(query))

    async def categories(self) -> Served[Counts]:
        return await self._cached("categories", lambda store: store.categories())

    async def fields(self) -> Served[dict[str, set[str]]]:
        return await self._cached("fields", lambda store: store.fields())

    async def stats(self) -> Served[dict[str, Any]]:
        return await self._cached("stats", lambda store: store.stats())

    async def _cached(self, key: Hashable, operation: Callable[[LoreReader], T]) -> Served[T]:
        """In the event loop when the store that would answer has answered it for the data it holds
        now; else asked off the loop and kept. Both versions are read before asking, so an answer is
        never kept under a newer version."""
        if self.cache is None:
            return await self._off_loop(operation)
        versions = {self.files.source_name: self.files.version()}
        if self._postgres_first and self.version is not None and self.version.current is not None:
            versions[self.postgres.source_name] = self.version.current
        source = self.postgres.source_name if self._postgres_first else self.files.source_name
        if source in versions and (hit := self.cache.get((source, versions[source], key))) is not None:
            return Served(hit, source)  # type: ignore[arg-type]
        served = await self._off_loop(operation)
        if served.source in versions:
            self.cache.put((served.source, versions[served.source], key), served.answer)
        return served

    async def _off_loop(self, operation: Callable[[LoreReader], T]) -> Served[T]:
        """A store waits on PostgreSQL or the disk: on a worker thread, never in the event loop."""
        return await to_thread.run_sync(self._read, operation)

    @property
    def _postgres_first(self) -> bool:
        return self.postgres is not None and not self.degraded

    def _read(self, operation: Callable[[LoreReader], T]) -> Served[T]:
        """`operation` against PostgreSQL, or against the file cache if PostgreSQL can't answer."""
        if self._postgres_first:
            try:
                return Served(self._on_postgres(operation), self.postgres.source_name)
            except SQLAlchemyError as error:
                if isinstance(getattr(error, "orig", None), QueryCanceled):
                    log.warning(
                        "PostgreSQL took too long (%s); this answer comes from the file cache",
                        _first_line(error),
                    )
                    metrics.FALLBACKS.labels("timeout").inc()
                else:
                    self._mark_down(error)
        return Served(operation(self.files), self.files.source_name)

    def health(self) -> str:
        """`healthy` when PostgreSQL answers now; a probe, so it also ends a degraded window early."""
        if self.postgres is None:
            return "degraded"
        try:
            self._on_postgres(lambda store: store.ping())
        except SQLAlchemyError as error:
            self._mark_down(error)
            return "degraded"
        self._down_until = 0.0
        return "healthy"

    def _on_postgres(self, operation: Callable[[LoreReader], T]) -> T:
        """Connections are not pinged before each use (a round trip per request): one PostgreSQL
        dropped (a restart) fails its first statement instead, SQLAlchemy then empties the pool, and
        the operation is tried once more on a new connection."""
        try:
            return operation(self.postgres)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            log.info("a pooled connection to PostgreSQL was gone; trying a new one")
            return operation(self.postgres)

    def _mark_down(self, error: SQLAlchemyError) -> None:
        metrics.FALLBACKS.labels("error").inc()
        with self._lock:
            if not self.degraded:
                log.warning(
                    "PostgreSQL failed (%s); answering from the file cache for %.1fs",
                    _first_line(error),
                    self.retry_seconds,
                )
            self._down_until = time.monotonic() + self.retry_seconds


def _first_line(error: SQLAlchemyError) -> str:
    return str(getattr(error, "orig", None) or error).strip().splitlines()[0]
