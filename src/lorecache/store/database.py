"""Which PostgreSQL to talk to, and the engines that talk to it."""

import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import orjson
from psycopg.types.json import set_json_loads
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from lorecache.config import Settings

# JSONB columns (infoboxes) are decoded on every read: orjson does it several times faster than json.
set_json_loads(orjson.loads)


def resolve_url(settings: Settings) -> str:
    """`DATABASE_URL` when set; otherwise the embedded server, started on first use."""
    if settings.database_url:
        return settings.database_url
    return _embedded_url(settings.data_dir.resolve())


@lru_cache
def _embedded_url(data_dir: Path) -> str:
    from lorecache.store import embedded

    return embedded.start(data_dir)


def sqlalchemy_url(url: str) -> str:
    """Pin the psycopg 3 driver whatever scheme the user wrote."""
    for prefix in ("postgresql+psycopg2://", "postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise ValueError(f"DATABASE_URL must be a postgresql:// URL, got {url.split('://')[0]}://…")


def libpq_url(url: str) -> str:
    """The URL as libpq (psycopg without SQLAlchemy) reads it."""
    return make_url(sqlalchemy_url(url)).set(drivername="postgresql").render_as_string(hide_password=False)


def make_engine(
    url: str, *, statement_timeout_ms: int | None = None, pool_size: int = 5, pre_ping: bool = True
) -> Engine:
    """An engine whose connections fail fast when the server is away, so the file cache can answer.

    Pre-ping makes the first query after a restart of PostgreSQL succeed instead of failing on a stale
    pooled connection, at a round trip per checkout; the API's engine goes without, as `HybridStore`
    retries an operation whose connection turned out dead.
    """
    options = f"-c statement_timeout={statement_timeout_ms}" if statement_timeout_ms else ""
    return create_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=pre_ping,
        pool_timeout=5,
        connect_args={"connect_timeout": 3, "options": options, "application_name": "lorecache"},
    )


def first_line(error: SQLAlchemyError) -> str:
    """The driver's own message, without SQLAlchemy's SQL and links: what a log line says of a failure."""
    return str(getattr(error, "orig", None) or error).strip().splitlines()[0]


def alembic_config(url: str):
    """The Alembic configuration of the installed package, pointed at `url`."""
    from importlib import resources

    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("lorecache") / "migrations"))
    config.attributes["url"] = sqlalchemy_url(url)
    config.attributes["configure_logging"] = False
    return config


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def upgrade_apart(url: str) -> None:
    """`upgrade` in a process of its own: the API process that starts the service never holds
    Alembic and its templates (11 MB) for the rest of its life."""
    program = "import sys; from lorecache.store.database import upgrade; upgrade(sys.argv[1])"
    done = subprocess.run([sys.executable, "-c", program, url], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the schema could not be upgraded: {done.stderr.strip().splitlines()[-1:]}")


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def current(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
