import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, inspect

from lorecache.store import database

TABLES = {
    "wiki_articles",
    "image_cache",
    "scraping_logs",
    "category_cache",
    "article_names",
    "article_words",
    "search_vocabulary",
    "name_completions",
    "category_ranks",
    "article_answers",
    "data_versions",
}
ROOT = Path(__file__).parents[2]


def _tables(url: str) -> set[str]:
    engine = create_engine(database.sqlalchemy_url(url))
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_round_trip(database_url: str) -> None:
    assert _tables(database_url) == TABLES
    assert database.current(database_url) == "6e2a8c4f1b93"

    database.downgrade(database_url, "base")
    assert _tables(database_url) == set()
    assert database.current(database_url) is None

    database.upgrade(database_url)
    assert _tables(database_url) == TABLES


def test_no_column_is_named_metadata(database_url: str) -> None:
    engine = create_engine(database.sqlalchemy_url(database_url))
    columns = {column["name"] for column in inspect(engine).get_columns("wiki_articles")}
    engine.dispose()
    assert "extra_metadata" in columns
    assert "metadata" not in columns


def test_alembic_command_line_from_the_repository_root(database_url: str) -> None:
    environment = {**os.environ, "DATABASE_URL": database_url}
    alembic = [sys.executable, "-m", "alembic"]
    down = subprocess.run(
        [*alembic, "downgrade", "base"], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert down.returncode == 0, down.stderr
    up = subprocess.run(
        [*alembic, "upgrade", "head"], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert up.returncode == 0, up.stderr
    assert "Running upgrade  -> 83814bca1097, add_wiki_cache_tables" in up.stderr
    assert "Running upgrade 83814bca1097 -> 5c1e7d2a9b40" in up.stderr
    assert "Running upgrade 5c1e7d2a9b40 -> 9a4f3c6e1d27" in up.stderr
    assert "Running upgrade 9a4f3c6e1d27 -> c4d8e2f1a7b3" in up.stderr
    assert "Running upgrade c4d8e2f1a7b3 -> e7b2c9d4a5f1" in up.stderr
    assert "Running upgrade e7b2c9d4a5f1 -> f3a9c1d7b2e8" in up.stderr
    assert "Running upgrade f3a9c1d7b2e8 -> b8e4d1c9f2a6" in up.stderr
    assert "Running upgrade b8e4d1c9f2a6 -> d2e6b9a4c8f1" in up.stderr
    assert "Running upgrade d2e6b9a4c8f1 -> a1c5e9f3b7d2" in up.stderr
    assert "Running upgrade a1c5e9f3b7d2 -> 6e2a8c4f1b93" in up.stderr
    assert _tables(database_url) == TABLES
