"""Which PostgreSQL failures send every request to the file cache for a while, and which only one."""

import asyncio
import logging
from pathlib import Path

import pytest
from psycopg.errors import QueryCanceled
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from lorecache.store import database
from lorecache.store.driver import fetch_together
from lorecache.store.files import FileCache
from lorecache.store.hybrid import HybridStore
from lorecache.store.postgres import PostgresStore


def _counted(engine) -> None:
    """One category counted in PostgreSQL, none in the (empty) file cache: which store answered shows."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO category_cache (universe, category, article_count, canon_count, fields) "
                "VALUES ('star_wars', 'planets', 1, 1, '{}')"
            )
        )


def test_a_statement_timeout_sends_only_that_request_to_the_file_cache(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = database.make_engine(database_url, statement_timeout_ms=100)
    _counted(engine)
    hybrid = HybridStore(
        PostgresStore(engine, "star_wars"), FileCache(tmp_path / "star_wars"), retry_seconds=60
    )
    try:
        with engine.connect() as locker, locker.begin():
            locker.execute(text("LOCK TABLE category_cache IN ACCESS EXCLUSIVE MODE"))
            with caplog.at_level(logging.WARNING, logger="lorecache.store.hybrid"):
                assert asyncio.run(hybrid.categories()) == ({}, "file_cache")
        assert "took too long" in caplog.text
        assert "canceling statement due to statement timeout" in caplog.text
        assert not hybrid.degraded
        assert asyncio.run(hybrid.categories()).source == "postgres"
    finally:
        engine.dispose()


def test_an_unreachable_server_sends_requests_to_the_file_cache_until_the_retry(tmp_path: Path) -> None:
    engine = database.make_engine("postgresql://postgres@127.0.0.1:9/nowhere")
    hybrid = HybridStore(
        PostgresStore(engine, "star_wars"), FileCache(tmp_path / "star_wars"), retry_seconds=60
    )
    try:
        assert asyncio.run(hybrid.stats()).source == "file_cache"
        assert hybrid.degraded
    finally:
        engine.dispose()


def test_a_connection_postgres_dropped_is_replaced_without_a_fallback(
    database_url: str, tmp_path: Path
) -> None:
    """The API's engine pings no connection before use: a dropped one costs a retry, not the file cache."""
    engine = database.make_engine(database_url, pre_ping=False, pool_size=1)
    hybrid = HybridStore(
        PostgresStore(engine, "star_wars"), FileCache(tmp_path / "star_wars"), retry_seconds=60
    )
    try:
        with engine.connect() as connection:
            backend = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with database.make_engine(database_url).connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        assert asyncio.run(hybrid.categories()) == ({}, "postgres")
        assert not hybrid.degraded
        assert hybrid.health() == "healthy"
    finally:
        engine.dispose()


def test_statements_sent_together_fail_as_sqlalchemy_reports_failures(database_url: str) -> None:
    """The probe and the vocabulary lookup go in one round trip, past SQLAlchemy: their failures must
    still read as SQLAlchemy's, a timeout as a timeout, or HybridStore could not answer them."""
    engine = database.make_engine(database_url, statement_timeout_ms=100)
    try:
        with engine.connect() as connection:
            assert fetch_together(connection, [("SELECT :a AS a", {"a": 1}), ("SELECT 2 AS b", {})]) == [
                [{"a": 1}],
                [{"b": 2}],
            ]
            with pytest.raises(OperationalError) as timeout:
                fetch_together(connection, [("SELECT pg_sleep(1)", {})])
            assert isinstance(timeout.value.orig, QueryCanceled)
    finally:
        engine.dispose()
