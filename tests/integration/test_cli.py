"""The `lorecache` commands, run in-process against a real PostgreSQL."""

from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from lorecache.cli import app
from lorecache.config import get_settings
from tests.conftest import SAMPLE

runner = CliRunner()


@pytest.fixture
def environment(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("LORECACHE_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_ingest_then_migrate_and_verify(environment: Path, engine) -> None:
    ingested = runner.invoke(app, ["ingest", "dump", str(SAMPLE)])
    assert ingested.exit_code == 0, ingested.output
    assert (environment / "star_wars" / "index.json").is_file()

    migrated = runner.invoke(app, ["migrate-cache", "--universe", "star_wars", "--verify"])
    assert migrated.exit_code == 0, migrated.output
    assert "Articles migrated: 1,000" in migrated.output
    assert "Verification passed!" in migrated.output

    stats = runner.invoke(app, ["stats"])
    assert stats.exit_code == 0
    assert "1,000 articles, 415 canon" in stats.output


def test_migrate_cache_repairs_drift_in_postgres(environment: Path, engine) -> None:
    assert runner.invoke(app, ["ingest", "dump", str(SAMPLE)]).exit_code == 0
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE wiki_articles SET summary = 'drifted', content_hash = 'x' WHERE page_id = 1")
        )
        connection.execute(text("DELETE FROM wiki_articles WHERE title = 'Tatooine'"))

    migrated = runner.invoke(app, ["migrate-cache", "--verify"])

    assert migrated.exit_code == 0, migrated.output
    assert "Articles created: 1\n" in migrated.output
    with engine.connect() as connection:
        assert (
            connection.execute(text("SELECT count(*) FROM wiki_articles WHERE summary = 'drifted'")).scalar()
            == 0
        )


def test_ingest_of_a_missing_file_is_a_clear_error(environment: Path) -> None:
    result = runner.invoke(app, ["ingest", "dump", str(environment / "nope.xml.gz")])
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_migrate_without_a_file_cache_is_a_clear_error(environment: Path) -> None:
    result = runner.invoke(app, ["migrate-cache", "--verify"])
    assert result.exit_code == 2
    assert "no file cache" in result.output


def test_db_current_downgrade_upgrade(environment: Path) -> None:
    assert runner.invoke(app, ["db", "current"]).output.strip() == "6e2a8c4f1b93"
    assert runner.invoke(app, ["db", "downgrade", "base"]).exit_code == 0
    assert runner.invoke(app, ["db", "current"]).output.strip() == "(empty)"
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["db", "current"]).output.strip() == "6e2a8c4f1b93"


def test_db_downgrade_without_a_revision_reverts_the_last_migration_only(environment: Path, engine) -> None:
    at_head = set(inspect(engine).get_table_names())

    downgraded = runner.invoke(app, ["db", "downgrade"])

    assert downgraded.exit_code == 0, downgraded.output
    assert runner.invoke(app, ["db", "current"]).output.strip() == "a1c5e9f3b7d2"
    assert "span_from" not in {column["name"] for column in inspect(engine).get_columns("wiki_articles")}
    assert runner.invoke(app, ["db", "downgrade"]).exit_code == 0
    assert runner.invoke(app, ["db", "current"]).output.strip() == "d2e6b9a4c8f1"
    assert "ix_wiki_articles_links" not in {i["name"] for i in inspect(engine).get_indexes("wiki_articles")}
    assert runner.invoke(app, ["db", "downgrade"]).exit_code == 0
    assert runner.invoke(app, ["db", "current"]).output.strip() == "b8e4d1c9f2a6"
    assert set(inspect(engine).get_table_names()) == at_head
    indexes = {index["name"] for index in inspect(engine).get_indexes("search_vocabulary")}
    assert "ix_search_vocabulary_prefix" not in indexes

    assert runner.invoke(app, ["db", "downgrade"]).exit_code == 0
    assert runner.invoke(app, ["db", "current"]).output.strip() == "f3a9c1d7b2e8"
    added_by_that_one = {"article_answers", "category_ranks", "data_versions"}
    assert set(inspect(engine).get_table_names()) == at_head - added_by_that_one
    assert "fields" not in {column["name"] for column in inspect(engine).get_columns("category_cache")}
