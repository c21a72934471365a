"""Shared pieces of the benchmarks: a fresh PostgreSQL database, a process-tree memory sampler,
`lorecache serve` on loopback, and `wrk` against a URL."""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import NamedTuple

import httpx
import psutil
import psycopg
from sqlalchemy.engine import make_url

from lorecache.store import database, embedded

FULL_CORPUS = Path(__file__).parents[1].parent / "shared/data/wookieepedia-infoboxes-full.xml.gz"


def fresh_database(scratch: Path) -> str:
    """A new, migrated database on DATABASE_URL's server, else on an embedded server under `scratch`."""
    server = os.environ.get("DATABASE_URL") or embedded.start(scratch / "pg")
    name = f"lorecache_bench_{uuid.uuid4().hex[:8]}"
    admin = make_url(server).set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    database.upgrade(url)
    return url


def drop_database(url: str) -> None:
    """Drop a database `fresh_database` made, once nothing uses it: a full corpus holds a few GB of a
    server other work shares."""
    name = make_url(url).database
    admin = make_url(url).set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def machine_speed() -> str:
    """How fast this machine runs Python right now: shared hosts vary by 2x from hour to hour, and a
    latency figure means little without it."""
    started = time.perf_counter()
    total = 0
    for step in range(5_000_000):
        total += step
    return f"a 5M-step Python loop took {time.perf_counter() - started:.2f} s"


class PeakRss:
    """Peak resident memory of this process and its children (the parser workers), summed."""

    def __init__(self, interval: float = 0.05) -> None:
        self.peak = 0
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(me))
            time.sleep(self._interval)


def tree_rss(pid: int) -> int:
    """Resident memory of a process and its descendants, summed."""
    root = psutil.Process(pid)
    total = 0
    for process in [root, *root.children(recursive=True)]:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            continue
    return total


def loaded_cache_parser(description: str) -> argparse.ArgumentParser:
    """The arguments of a benchmark reading a cache already loaded: its database and data directory,
    which it never writes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--database", required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--universe", default="star_wars")
    return parser


def percentiles(samples_ms: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return cuts[49], cuts[98]


def ingest(dump: Path, scratch: Path):
    """A fresh database and file cache holding `dump`: (engine, file cache, seconds taken)."""
    from lorecache.ingest import Ingest
    from lorecache.sources.dump import DumpSource
    from lorecache.store.files import FileCache

    engine = database.make_engine(fresh_database(scratch), pool_size=2)
    files = FileCache(scratch / "data" / "star_wars")
    started = time.perf_counter()
    progress = Ingest(engine, files, "star_wars").run(DumpSource(dump), force=True)
    if progress.stage != "completed":
        raise SystemExit(f"ingest failed: {progress.error}")
    return engine, files, time.perf_counter() - started


def serve(
    data_dir: Path, url: str, dump: Path, workers: int = 1, replicas: list[str] | None = None
) -> tuple[subprocess.Popen, str]:
    """`lorecache serve` on a free loopback port, prefetching `dump` into the database at `url`, its
    reads spread over `replicas`."""
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": url, "LORECACHE_DATA_DIR": str(data_dir)}
    if replicas:
        environment["LORECACHE_REPLICA_URLS"] = ",".join(replicas)
    arguments = ["serve", "--port", str(port), "--source", str(dump), "--workers", str(workers)]
    server = subprocess.Popen(
        [sys.executable, "-m", "lorecache.cli", *arguments],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return server, f"http://127.0.0.1:{port}"


def free_port() -> int:
    """A loopback port nothing listens on now (the server started next binds it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Wrk(NamedTuple):
    """One `wrk` run: req/s, its own latency percentiles under that load, and what went wrong."""

    rate: float
    p50_ms: float
    p99_ms: float
    failures: list[str]


def wrk(executable: str, url: str, seconds: int, connections: int = 8) -> Wrk:
    """`wrk -t2` with `connections` keep-alive connections for `seconds`: a C client, so the figure is
    the server's, not a Python client's (8 httpx threads load the client as much as the server)."""
    command = [executable, "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency", url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    cuts = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+(?:us|ms|s))\s*$", output, re.MULTILINE))
    if rate is None or len(cuts) != 2:
        raise SystemExit(f"unexpected output from wrk:\n{output}")
    failures = re.findall(r"^\s*(Non-2xx or 3xx responses: \d+|Socket errors: .*)$", output, re.MULTILINE)
    return Wrk(float(rate.group(1)), _ms(cuts["50"]), _ms(cuts["99"]), [f.strip() for f in failures])


def _ms(duration: str) -> float:
    """wrk's `812.00us`, `1.43ms` or `1.02s`, in milliseconds."""
    for unit, scale in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if duration.endswith(unit):
            return float(duration.removesuffix(unit)) * scale
    raise ValueError(duration)


def wait_idle(server: subprocess.Popen, below_percent: float = 5.0, quiet_seconds: int = 3) -> None:
    """Until the server's processes have used almost no CPU for `quiet_seconds` in a row: after the
    prefetch each builds the file cache's search structures, and timings taken meanwhile measure that."""
    root, quiet = psutil.Process(server.pid), 0
    while quiet < quiet_seconds:
        tree = [root, *root.children(recursive=True)]
        for process in tree:
            process.cpu_percent(None)
        time.sleep(1.0)
        busy = sum(process.cpu_percent(None) for process in tree if process.is_running())
        quiet = quiet + 1 if busy < below_percent else 0


def wait_complete(base: str) -> None:
    """Until the server's prefetch is complete; exits the benchmark if it fails."""
    started = time.monotonic()
    while True:
        try:
            status = httpx.get(f"{base}/prefetch/status").json()
            if status["is_complete"]:
                print(f"prefetch complete after {time.monotonic() - started:.1f} s")
                return
            if status["progress"]["stage"] == "failed":
                raise SystemExit(f"prefetch failed: {status['progress']['error']}")
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
