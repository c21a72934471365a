"""The web stack under Lorecache's own app, measured before one is chosen: uvicorn with httptools and
uvloop (what `lorecache serve` runs) or h11, granian, one worker or two, the access log on or off.

    python -m bench.stack [DUMP] [--database URL --data-dir DIR] [--requests N] [--wrk-seconds S]
                          [--rounds R] [--only STACK …]

(default: the bundled 1,000-page sample ingested into a fresh database, 1,000 sequential requests a
route, 5 s of `wrk` each, 3 rounds). `--database URL --data-dir DIR` serves a database and file cache
already loaded (the full corpus) as they are: no server is given a source, so none prefetches over a
cache filled from another one. Before each server starts, that database must still hold a completed load,
none under way, at this checkout's schema (a server migrates its database on start, and prefetches the
bundled sample into an empty one); a server that begins a prefetch all the same is stopped at once and
the run ends.

Each stack serves the app factory (`bench.stack_app`: Lorecache's app plus three probe routes) on a
free loopback port, from a subprocess stopped by its own pid. Once every worker reports the prefetch
complete and the process tree is idle, its idle RSS is taken, then each route is asked N times in a
row on one keep-alive connection (p50/p99: the latency one client sees) and by `wrk` over 8
connections (req/s, and wrk's p50/p99 under that load). Every answer must have the status and the
`X-Served-From` of the first. A shared 2-core machine drifts within a run (and two wrk threads share
the cores with the server), so every stack is measured in each of R rounds, each round in another
order, and the table gives each figure's median over the rounds; each measurement prints its own line
with the machine's speed just before it.

The probes answer `/health`'s body from an `async def` route, a `def` route (run on a worker thread),
and an `async def` route with a `def` dependency, so the table says what the hop to a thread costs on
each server whichever way the app's routes are written; the routes' own way is printed first.
"""

from __future__ import annotations

import argparse
import inspect
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import httpx
import psutil
from fastapi.routing import APIRoute
from starlette.routing import Match

from bench import stack_app
from bench.common import (
    drop_database,
    free_port,
    ingest,
    machine_speed,
    percentiles,
    tree_rss,
    wait_idle,
    wrk,
)
from lorecache.api import routes as app_routes
from lorecache.runtime import bundled_sample
from lorecache.store import database, embedded, runs

ROOT = Path(__file__).parents[1]
UNIVERSE = "star_wars"  # the servers' default: their LORECACHE_ settings are not passed on
# What /prefetch/status may say of a server on a database served as it is: anything else is a prefetch.
AS_IS = {"pending", "starting_database", "skipped", "completed", "running_elsewhere"}
FACTORY = "bench.stack_app:create_app"
CONNECTIONS = 8
ROUTES = {
    "article Tatooine": "/api/v1/wiki/articles/Tatooine",
    "100 planets": "/api/v1/wiki/locations/planets?limit=100",
    "cache/stats": "/api/v1/wiki/cache/stats",
    'search "Tato"': "/api/v1/wiki/search?q=Tato",
    "health": "/health",
}
PROBES = {
    "probe: async def": "/bench/async",
    "probe: def": "/bench/def",
    "probe: async + def dep": "/bench/async-def-dependency",
}
HTTPTOOLS = ("--http", "httptools", "--loop", "uvloop")
H11 = ("--http", "h11", "--loop", "asyncio")
GRANIAN = ("--loop", "uvloop")
QUIET = ("--no-access-log",)


@dataclass(frozen=True)
class Stack:
    """One server configuration: its name for `--only`, and how to start it on a port."""

    name: str
    label: str
    server: str
    options: tuple[str, ...]
    workers: int = 1

    def command(self, port: int) -> list[str]:
        server = [sys.executable, "-m", self.server]
        where = ["--host", "127.0.0.1", "--port", str(port), "--workers", str(self.workers), *self.options]
        if self.server == "uvicorn":
            return [*server, "--factory", FACTORY, *where]
        return [*server, "--interface", "asgi", "--factory", *where, FACTORY]


# Each differs from another by one choice: `uvicorn-log` from `uvicorn` (what `lorecache serve` runs)
# by the access log, the rest from `uvicorn` or `granian` by the protocol parser, the server or the
# worker count. Granian is given uvloop, as uvicorn is; its access log is off unless asked for.
STACKS = (
    Stack("uvicorn", "uvicorn httptools+uvloop x1 (lorecache serve)", "uvicorn", (*HTTPTOOLS, *QUIET)),
    Stack(
        "uvicorn-log", "uvicorn httptools+uvloop x1, access log (serve --access-log)", "uvicorn", HTTPTOOLS
    ),
    Stack("uvicorn-h11", "uvicorn h11+asyncio x1", "uvicorn", (*H11, *QUIET)),
    Stack("granian", "granian asgi+uvloop x1", "granian", (*GRANIAN, *QUIET)),
    Stack("granian-log", "granian asgi+uvloop x1, access log", "granian", (*GRANIAN, "--access-log")),
    Stack("uvicorn-2w", "uvicorn httptools+uvloop x2", "uvicorn", (*HTTPTOOLS, *QUIET), workers=2),
    Stack("granian-2w", "granian asgi+uvloop x2", "granian", (*GRANIAN, *QUIET), workers=2),
)


class Figures(NamedTuple):
    """One route on one stack: sequential p50/p99 on one connection, then wrk's req/s and p50/p99."""

    p50: float
    p99: float
    rate: float
    load_p50: float
    load_p99: float


class Run(NamedTuple):
    """One stack measured once: its idle process tree, and each route's figures."""

    rss: int
    processes: int
    figures: dict[str, Figures]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dump", nargs="?", type=Path, default=bundled_sample())
    parser.add_argument("--database", help="a database already loaded, served as it is (with --data-dir)")
    parser.add_argument("--data-dir", type=Path, help="its LORECACHE_DATA_DIR (the file cache)")
    parser.add_argument("--requests", type=int, default=1000, help="sequential requests per route")
    parser.add_argument("--wrk-seconds", type=int, default=5, help="how long wrk runs per route")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the stacks; medians are shown")
    parser.add_argument("--only", nargs="+", choices=[s.name for s in STACKS], help="these stacks only")
    args = parser.parse_args()
    if (args.database is None) != (args.data_dir is None):
        parser.error("--database and --data-dir go together")
    executable = shutil.which("wrk")
    if executable is None:
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    stacks = [stack for stack in STACKS if not args.only or stack.name in args.only]
    measured: dict[str, list[Run]] = {stack.name: [] for stack in stacks}
    with tempfile.TemporaryDirectory(prefix="lorecache-stack-") as scratch_name:
        scratch = Path(scratch_name)
        with loaded(args, scratch) as (url, data_dir, dataset):
            print(
                f"dataset {dataset}; per stack and route {args.requests} sequential requests on one "
                f"keep-alive connection, then wrk -t2 -c{CONNECTIONS} -d{args.wrk_seconds}s --latency; "
                f"{args.rounds} rounds, each in another order\n"
            )
            print_patterns()
            environment = server_environment(url, data_dir)
            for round_ in range(args.rounds):
                start = round_ * len(stacks) // args.rounds
                for stack in stacks[start:] + stacks[:start]:
                    if args.database:
                        check_unchanged(args.database)
                    print(f"round {round_ + 1}/{args.rounds} ", end="")
                    measured[stack.name].append(
                        measure_stack(
                            stack, environment, scratch, args, executable, as_is=bool(args.database)
                        )
                    )
    medians = {name: _median_run(done) for name, done in measured.items()}
    print_table(stacks, medians)
    summarise(stacks, medians)


@contextmanager
def loaded(args: argparse.Namespace, scratch: Path) -> Iterator[tuple[str, Path, str]]:
    """The database and data directory the servers read: the one given, or a fresh one holding the
    dump, dropped (or its embedded server stopped) at the end."""
    if args.database:
        check_unchanged(args.database)
        yield args.database, args.data_dir.resolve(), f"{args.database} as it is"
        return
    engine, _, seconds = ingest(args.dump, scratch)
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    print(f"{args.dump.name} ingested into a fresh database in {seconds:.1f} s")
    try:
        yield url, scratch / "data", args.dump.name
    finally:
        if os.environ.get("DATABASE_URL"):
            drop_database(url)
        else:
            embedded.stop(scratch / "pg")


def check_unchanged(url: str) -> None:
    """A database given to be read, as a server will find it: at this checkout's schema (else the
    server migrates it), its last load completed (else the server prefetches the bundled sample into
    it and its file cache; over a completed load it prefetches nothing, or finds the sample in already).
    Asked again before each server, as other work may reload or drop the database meanwhile."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(database.alembic_config(url)).get_heads()
    current = database.current(url)
    if current not in heads:
        raise SystemExit(f"{url} is at schema {current}, this checkout at {', '.join(heads)}: not served")
    engine = database.make_engine(url, pool_size=1)
    try:
        last = runs.latest(engine, UNIVERSE)
    finally:
        engine.dispose()
    if last is None or last["status"] != "completed":
        state = "no load" if last is None else f"a {last['status']} load of {last['source']}"
        raise SystemExit(f"{url} holds {state}: a server would prefetch into it; not served")


def server_environment(url: str, data_dir: Path) -> dict[str, str]:
    """Settings for every server: this database and file cache, no source (nothing prefetched over a
    loaded cache), and none of the caller's other LORECACHE_ settings."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("LORECACHE_") and name != "DATABASE_URL"
    }
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**inherited, "DATABASE_URL": url, "LORECACHE_DATA_DIR": str(data_dir), "PYTHONPATH": path}


def print_patterns() -> None:
    """How each measured route is written in this checkout: on the event loop or a worker thread."""
    known = [*app_routes.service.routes, *app_routes.wiki.routes, *stack_app.probes.routes]
    print("routes as written here (def: on a worker thread; async def: in the event loop):")
    for name, path in {**ROUTES, **PROBES}.items():
        print(f"  {name:<24}{written_as(known, path)}")
    print()


def written_as(known: list[Any], path: str) -> str:
    scope = {"type": "http", "method": "GET", "path": urlsplit(path).path, "path_params": {}}
    for route in known:
        if isinstance(route, APIRoute) and route.matches(scope)[0] is Match.FULL:
            threaded = [call for call in _dependencies(route.dependant) if not _in_loop(call)]
            kind = "async def" if _in_loop(route.dependant.call) else "def"
            names = ", ".join(f"def {call.__name__}" for call in threaded)
            return f"{kind} {route.endpoint.__name__}" + (f" + dependency {names}" if threaded else "")
    return "(no such route)"


def _dependencies(dependant: Any) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _dependencies(dependency)


def _in_loop(call: Any) -> bool:
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(type(call).__call__)


def measure_stack(
    stack: Stack,
    environment: dict[str, str],
    scratch: Path,
    args: argparse.Namespace,
    executable: str,
    *,
    as_is: bool,
) -> Run:
    """One stack started, measured route by route, stopped; a line of progress, with the machine's
    speed just before, since a pass over the stacks takes minutes of a shared machine."""
    print(f"[{stack.name}] {machine_speed()}", end="", flush=True)
    problems: list[str] = []
    with running(stack, environment, scratch, as_is=as_is) as server:
        rss, processes = tree_rss(server.process.pid), 1 + len(server.process.children(recursive=True))
        figures = {
            name: measure(server.base, path, args.requests, executable, args.wrk_seconds, problems)
            for name, path in {**ROUTES, **PROBES}.items()
        }
    rate, p50, _ = _means(figures)
    print(f"; app routes {rate:.0f} req/s x8, seq p50 {p50:.2f} ms (geometric means)", flush=True)
    for problem in problems:
        print(f"  ! {problem}")
    return Run(rss, processes, figures)


def print_table(stacks: list[Stack], medians: dict[str, Run]) -> None:
    """Per stack, its idle RSS and each route's figures, medians over the rounds."""
    print(f"\n{'route':<28}{'seq p50':>9}{'seq p99':>9}{'x8 req/s':>10}{'x8 p50':>9}{'x8 p99':>9}  (ms)")
    for stack in stacks:
        run = medians[stack.name]
        processes = f"{run.processes} process" + ("es" if run.processes > 1 else "")
        print(f"{stack.label} [{stack.name}]: idle RSS {run.rss / 2**20:.0f} MiB, {processes}")
        for name, figures in run.figures.items():
            print(f"  {name:<26}{_cells(figures)}")
    print()


class Server(NamedTuple):
    """A stack serving: where, and its top process."""

    base: str
    process: psutil.Process


@contextmanager
def running(stack: Stack, environment: dict[str, str], scratch: Path, *, as_is: bool) -> Iterator[Server]:
    """The stack serving on a free loopback port, ready and idle; stopped on leaving, by its pid."""
    port = free_port()
    log = scratch / f"{stack.name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            stack.command(port), env=environment, cwd=scratch, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(process, base, stack.workers, log, as_is=as_is)
        wait_idle(process)
        yield Server(base, psutil.Process(process.pid))
    except Exception:
        exited = "" if process.poll() is None else f", exited with {process.returncode}"
        print(f"\n[{stack.name}] failed{exited}; the end of its log:\n{_tail(log)}", file=sys.stderr)
        raise
    finally:
        stop(process)


def wait_ready(
    process: subprocess.Popen, base: str, workers: int, log: Path, *, as_is: bool, timeout: float = 900
) -> None:
    """Until 4 answers a worker in a row, each on a new connection, say the prefetch is complete: each
    worker process reports its own, and a new connection may reach any of them. On a database served
    as it is, any answer telling of a prefetch ends the run (the server is stopped on the way out)."""
    deadline, streak = time.monotonic() + timeout, 0
    while streak < 4 * workers:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}:\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise SystemExit(f"the server was not ready within {timeout:.0f} s:\n{_tail(log)}")
        try:
            status = httpx.get(f"{base}/prefetch/status", timeout=10).json()
        except httpx.HTTPError:
            status = {"is_complete": False, "progress": {}}
        stage = status["progress"].get("stage", "pending")
        if stage == "failed" or (as_is and stage not in AS_IS):
            raise SystemExit(f"prefetch {stage}: {status['progress'].get('error')}\n{_tail(log)}")
        streak = streak + 1 if status["is_complete"] else 0
        if not streak:
            time.sleep(0.5)


def stop(process: subprocess.Popen) -> None:
    """SIGINT to the server's own pid (uvicorn and granian stop their workers on it), then, by pid,
    whatever of its process tree outlived it."""
    try:
        tree = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        tree = []
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    _, alive = psutil.wait_procs(tree, timeout=10)
    for leftover in alive:
        leftover.kill()


def measure(
    base: str, path: str, requests: int, executable: str, seconds: int, problems: list[str]
) -> Figures:
    """A few answers on new connections first (with two workers each keeps its own answers), then
    `requests` in a row on one connection, then wrk."""
    expected = None
    for _ in range(4):
        response = httpx.get(base + path, timeout=30)
        answer = (response.status_code, response.headers.get("X-Served-From"))
        if response.status_code != 200:
            problems.append(f"{path}: {response.status_code} {response.text[:200]}")
        expected = expected or answer
    samples = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(requests):
            begin = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - begin) * 1000)
            answer = (response.status_code, response.headers.get("X-Served-From"))
            if answer != expected:
                problems.append(f"{path}: {answer} mid-run, {expected} first")
                break
    load = wrk(executable, base + path, seconds, CONNECTIONS)
    problems += [f"wrk {path}: {failure}" for failure in load.failures]
    p50, p99 = percentiles(samples)
    return Figures(p50, p99, load.rate, load.p50_ms, load.p99_ms)


def summarise(stacks: list[Stack], medians: dict[str, Run]) -> None:
    """Each stack against `lorecache serve`'s (or the first measured), over the app's routes; and the
    probes: what share of req/s a hop to a worker thread leaves."""
    if not medians:
        return
    baseline = "uvicorn" if "uvicorn" in medians else stacks[0].name
    print(
        f"summary over the app's {len(ROUTES)} routes (geometric means), against [{baseline}]; "
        "probes: req/s x8 of the def route and the async route with a def dependency, per async route"
    )
    print(
        f"  {'stack':<14}{'x8 req/s':>10}{'vs':>7}{'seq p50':>9}{'vs':>7}{'x8 p99':>9}{'vs':>7}"
        f"{'def':>7}{'dep':>7}"
    )
    reference = _means(medians[baseline].figures)
    for stack in stacks:
        figures = medians[stack.name].figures
        means = _means(figures)
        compared = "".join(
            f"{mean:>{width}.{places}f}{mean / base:>6.2f}x"
            for mean, base, width, places in zip(means, reference, (10, 9, 9), (0, 2, 2), strict=True)
        )
        on_loop = figures["probe: async def"].rate
        shares = (figures[name].rate / on_loop for name in ("probe: def", "probe: async + def dep"))
        print(f"  {stack.name:<14}{compared}{''.join(f'{share:>7.2f}' for share in shares)}")


def _means(figures: dict[str, Figures]) -> tuple[float, float, float]:
    routes = [figures[name] for name in ROUTES]
    return (
        _geometric([f.rate for f in routes]),
        _geometric([f.p50 for f in routes]),
        _geometric([f.load_p99 for f in routes]),
    )


def _median_run(runs: list[Run]) -> Run:
    """Each figure's median over the rounds, taken figure by figure."""
    figures = {}
    for name in runs[0].figures:
        rounds = zip(*(run.figures[name] for run in runs), strict=True)
        figures[name] = Figures(*(statistics.median(values) for values in rounds))
    rss = int(statistics.median(run.rss for run in runs))
    return Run(rss, max(run.processes for run in runs), figures)


def _geometric(values: list[float]) -> float:
    return math.exp(sum(math.log(value) for value in values) / len(values))


def _cells(figures: Figures) -> str:
    return (
        f"{figures.p50:>9.2f}{figures.p99:>9.2f}{figures.rate:>10.0f}{figures.load_p50:>9.2f}"
        f"{figures.load_p99:>9.2f}"
    )


def _tail(log: Path, lines: int = 60) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


if __name__ == "__main__":
    main()
