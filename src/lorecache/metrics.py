"""The service's Prometheus metrics, one place for all of them (README's Metrics section lists them).

With `serve --workers N` every API process writes its values to files in one directory
(prometheus_client's multiprocess mode) and `/metrics`, whichever process answers it, adds them up.
prometheus_client picks that mode when it is imported, from `PROMETHEUS_MULTIPROC_DIR`: `serve` sets
it, to a directory it empties, before it starts the processes. One process keeps its values in memory.

Gauges say how they add up across processes: connections and processes are summed over the
living ones; the prefetch's stage and progress are the latest reported, since one process runs it.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import Engine, event

from lorecache.progress import Progress

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
PREFETCH_STAGES = (
    "categorizing",
    "scraping",
    "writing_to_postgresql",
    "prefetching_images",
    "completed",
    "failed",
    "stopped",
)
PREFETCH_FIELDS = (
    "articles_processed",
    "articles_total",
    "articles_created",
    "articles_updated",
    "articles_failed",
    "images_total",
    "images_fetched",
    "images_failed",
    "images_bytes",
)

REQUESTS = Counter(
    "lorecache_http_requests",
    "HTTP requests answered, by route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "lorecache_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by route template and status.",
    ["method", "route", "status"],
    buckets=LATENCY_BUCKETS,
)
ANSWERS = Counter(
    "lorecache_answers", "Data answers by the store that gave them (X-Served-From).", ["served_from"]
)
FALLBACKS = Counter(
    "lorecache_fallbacks",
    "Falls back to the file cache: `timeout` (a query cancelled, that answer alone from files), "
    "`refused` (a value PostgreSQL cannot take, a NUL: that answer alone from files), "
    "`error` (PostgreSQL failed, a read or a health probe: files answer for LORECACHE_DB_RETRY_SECONDS).",
    ["reason"],
)
POOL_IN_USE = Gauge(
    "lorecache_db_connections_in_use",
    "The API's PostgreSQL connections checked out of its pools now.",
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "lorecache_db_pool_size",
    "Connections the API's pools keep (as many again may overflow).",
    multiprocess_mode="livesum",
)
KEPT_ANSWERS = Gauge(
    "lorecache_kept_answers_bytes",
    "What the answers each API process keeps take in memory, about (bounded by its budget, 32 MB).",
    multiprocess_mode="livesum",
)
PROCESSES = Gauge("lorecache_api_processes", "API processes serving.", multiprocess_mode="livesum")
PREFETCH_STAGE = Gauge(
    "lorecache_prefetch_stage",
    "1 for the stage the prefetch is in (or ended in), 0 for the others.",
    ["stage"],
    multiprocess_mode="mostrecent",
)
PREFETCH_PROGRESS = Gauge(
    "lorecache_prefetch_progress",
    "The prefetch's counts as /prefetch/status reports them (articles_* of the current stage).",
    ["field"],
    multiprocess_mode="mostrecent",
)
IMAGE_FETCHES = Counter(
    "lorecache_image_fetches",
    "Image downloads of stage 2: `stored`, `not_modified` (a 304 kept the copy), `failed`.",
    ["outcome"],
)
IMAGE_BYTES = Counter("lorecache_image_fetched_bytes", "Bytes of the images stage 2 downloaded and stored.")
DATABASE_UP = Gauge(
    "lorecache_database_up",
    "1 when reads may go to the database: the primary up, a replica up and caught up with the last load.",
    ["name", "role"],
    multiprocess_mode="mostrecent",
)
REPLICA_LAG_BYTES = Gauge(
    "lorecache_replica_lag_bytes",
    "How far a replica's replay is behind the WAL position of the last load.",
    ["name"],
    multiprocess_mode="mostrecent",
)
REPLICA_LAG_SECONDS = Gauge(
    "lorecache_replica_lag_seconds",
    "A replica's own replay lag (0 when it has replayed everything it received).",
    ["name"],
    multiprocess_mode="mostrecent",
)

_DB_FILE = re.compile(r"_(\d+)\.db$")


def observe_databases(databases: list[dict]) -> None:
    """The databases as `/health` lists them, read when `/metrics` is scraped: the scraping process's
    view is the latest, and its replica checks are at most a fraction of a second old."""
    for database in databases:
        DATABASE_UP.labels(database["name"], database["role"]).set(database["state"] == "up")
        if database["role"] == "replica":
            for gauge, field in ((REPLICA_LAG_BYTES, "lag_bytes"), (REPLICA_LAG_SECONDS, "lag_seconds")):
                if database.get(field) is not None:
                    gauge.labels(database["name"]).set(database[field])


def share_between_processes(directory: Path) -> None:
    """Make the API processes started after this call write their values under `directory`, emptied
    first: values of an earlier run would be added to this one's."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ[MULTIPROCESS_VARIABLE] = str(directory)


def exposition() -> bytes:
    """The text `/metrics` answers: this process's values, or every process's in multiprocess mode."""
    directory = os.environ.get(MULTIPROCESS_VARIABLE)
    if not directory:
        return generate_latest(REGISTRY)
    _forget_dead_processes(directory)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    return generate_latest(registry)


def _forget_dead_processes(directory: str) -> None:
    """A process that died (killed, or replaced by uvicorn's supervisor) no longer counts in the live
    gauges; its counters stay, since what it served was served."""
    for pid in {int(match[1]) for name in os.listdir(directory) if (match := _DB_FILE.search(name))}:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, directory)
        except PermissionError:
            pass


def watch_pool(engine: Engine) -> None:
    """Follow the engine's pool as connections are checked out and in (a microsecond or two each);
    an invalidated connection is checked in too, so the two stay paired."""
    POOL_SIZE.inc(engine.pool.size())
    event.listen(engine.pool, "checkout", lambda *_: POOL_IN_USE.inc())
    event.listen(engine.pool, "checkin", lambda *_: POOL_IN_USE.dec())


def prefetch_reported(progress: Progress) -> None:
    """Every stage's gauge is set, not only the current one: the latest report of any process wins."""
    for stage in PREFETCH_STAGES:
        PREFETCH_STAGE.labels(stage).set(1 if stage == progress.stage else 0)
    for field in PREFETCH_FIELDS:
        PREFETCH_PROGRESS.labels(field).set(getattr(progress, field))
