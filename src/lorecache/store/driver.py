"""Reads on psycopg's own connection: SQLAlchemy's result layer costs a search's small statements more
than PostgreSQL takes to answer them. Failures are raised as SQLAlchemy raises its own, so that
HybridStore tells a timeout from an outage."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import psycopg
from psycopg.rows import dict_row
from sqlalchemy import Connection, text
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.exc import DBAPIError

_DIALECT = PGDialect_psycopg()

Statement = tuple[str, dict[str, Any]]


def fetch(connection: Connection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    return fetch_together(connection, [(sql, params)])[0]


def fetch_together(connection: Connection, statements: list[Statement]) -> list[list[dict[str, Any]]]:
    """Several independent statements (the probe and the vocabulary lookup, which most searches past
    the prefixes need both) go in one round trip, in psycopg's pipeline mode."""
    raw = connection.connection.driver_connection
    try:
        if len(statements) == 1:
            with raw.cursor(row_factory=dict_row) as cursor:
                return [cursor.execute(_driver_sql(statements[0][0]), statements[0][1]).fetchall()]
        with raw.pipeline():
            cursors = [raw.cursor(row_factory=dict_row) for _ in statements]
            for cursor, (sql, params) in zip(cursors, statements, strict=True):
                cursor.execute(_driver_sql(sql), params)
        return [cursor.fetchall() for cursor in cursors]
    except psycopg.Error as error:
        gone = connection.dialect.is_disconnect(error, raw, None)
        if gone:
            connection.invalidate()
        raise DBAPIError.instance(None, None, error, psycopg.Error, connection_invalidated=gone) from error


@lru_cache(maxsize=1024)
def _driver_sql(sql: str) -> str:
    """A statement written with SQLAlchemy's `:name` placeholders in psycopg's `%(name)s` style. A
    search's statements take a few dozen shapes, so each is compiled once."""
    return text(sql).compile(dialect=_DIALECT).string
