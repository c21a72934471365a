"""Real processes for tests that need a wire or a crash: the CLI as a subprocess on loopback, waiting
for it to answer, and kills by process id."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TypeVar

import httpx
import psutil

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_cli(
    args: list[str],
    environment: dict[str, str],
    log: IO[str],
    cwd: Path | None = None,
    *,
    own_group: bool = False,
) -> subprocess.Popen:
    """`lorecache ARGS` in a process of its own, output to `log`; with `own_group`, in a process group of
    its own too, to be signalled as a terminal's Ctrl-C signals a command and everything it started."""
    return subprocess.Popen(
        [sys.executable, "-m", "lorecache.cli", *args],
        env=environment,
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=own_group,
    )


def run_cli(
    args: list[str], environment: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lorecache.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def wait_for(probe: Callable[[], T | None], seconds: float, interval: float = 0.2) -> T:
    """The first truthy answer of `probe`; connection errors count as not yet."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            value = probe()
            if value:
                return value
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "no answer in time"
        time.sleep(interval)


def kill_hard(pid: int, seconds: float = 30) -> None:
    """SIGKILL a process that is not this one's child and wait until it is reaped, so a restart no
    longer finds its pid alive. (A child stays a zombie until waited for: use Popen.kill and wait.)"""
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not psutil.pid_exists(pid), seconds, interval=0.05)


def postmaster_pid(pgdata: Path) -> int:
    return int((pgdata / "postmaster.pid").read_text().split()[0])


def alive(process: psutil.Process) -> bool:
    """Running, not a zombie left for its parent to reap."""
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def postgres_processes(pgdata: Path) -> list[psutil.Process]:
    """The living PostgreSQL processes of `pgdata`: a postmaster whose command line names it, and the
    server processes under it (whose command lines do not)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if str(pgdata.resolve()) in (process.info["cmdline"] or []) and alive(process):
            found.append(process)
            with contextlib.suppress(psutil.NoSuchProcess):
                found.extend(child for child in process.children(recursive=True) if alive(child))
    return found
