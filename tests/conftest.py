"""Real PostgreSQL for every test that needs one: `DATABASE_URL` when set, else an embedded server.

The schema is migrated once into a template database; each test gets a fresh copy of it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from lorecache.store import database, embedded

SAMPLE = Path(__file__).parents[1] / "src/lorecache/data/wookieepedia-infoboxes-sample-1k.xml.gz"


def with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A URL on the server the suite uses (its maintenance database)."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        return configured
    return embedded.start(tmp_path_factory.mktemp("embedded-pg"))


@pytest.fixture(scope="session")
def template_database(server_url: str) -> Iterator[str]:
    name = f"lorecache_template_{uuid.uuid4().hex[:8]}"
    _admin(server_url, f'CREATE DATABASE "{name}"')
    database.upgrade(with_database(server_url, name))
    yield name
    _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def fresh_database(server_url: str, template_database: str) -> Iterator[str]:
    """A migrated database of its own, dropped afterwards."""
    name = f"lorecache_test_{uuid.uuid4().hex[:12]}"
    _admin(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    try:
        yield with_database(server_url, name)
    finally:
        _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(server_url: str, template_database: str) -> Iterator[str]:
    with fresh_database(server_url, template_database) as url:
        yield url


@pytest.fixture
def engine(database_url: str):
    engine = database.make_engine(database_url, pool_size=2)
    yield engine
    engine.dispose()


def _admin(server_url: str, statement: str) -> None:
    with psycopg.connect(with_database(server_url, "postgres"), autocommit=True) as connection:
        connection.execute(statement)
