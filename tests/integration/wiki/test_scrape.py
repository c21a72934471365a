"""A full scrape of a real MediaWiki gives what an ingest of the same pages' dump gives."""

from datetime import UTC, datetime

from sqlalchemy import text

from lorecache.store.postgres import PostgresStore
from lorecache.verify import differences
from tests.integration.wiki.conftest import UNIVERSE, file_hashes, postgres_hashes, scrape
from tests.support.links import backlinks_differ


def _scalar(engine, sql: str):
    with engine.connect() as connection:
        return connection.execute(text(sql)).scalar_one()


def test_a_full_scrape_equals_the_dump_ingest(engine, files, wiki, rules, dump_hashes) -> None:
    progress = scrape(engine, files, wiki.api_url, rules)

    assert progress.stage == "completed", progress.error
    assert _scalar(engine, "SELECT count(*) FROM wiki_articles") == 1000
    assert _scalar(engine, "SELECT count(*) FROM wiki_articles WHERE is_canon") == 415
    assert _scalar(engine, "SELECT count(*) FROM wiki_articles WHERE is_canon AND category = 'planets'") == 30
    assert file_hashes(files) == dump_hashes
    assert postgres_hashes(engine) == dump_hashes
    assert differences(files, PostgresStore(engine, UNIVERSE)) == []
    assert backlinks_differ(files, PostgresStore(engine, UNIVERSE)) == []
    checkpoint = _scalar(engine, "SELECT checkpoint FROM scraping_logs ORDER BY id DESC LIMIT 1")
    assert checkpoint["mode"] == "full"
    assert checkpoint["failed"] == []


def test_a_sync_older_than_recent_changes_falls_back_to_a_full_pass(engine, files, wiki, rules, dump_hashes):
    progress = scrape(engine, files, wiki.api_url, rules, since=datetime(2001, 1, 1, tzinfo=UTC))

    assert progress.stage == "completed", progress.error
    checkpoint = _scalar(engine, "SELECT checkpoint FROM scraping_logs ORDER BY id DESC LIMIT 1")
    assert checkpoint["mode"] == "full"
    assert checkpoint["fell_back_to_full"].startswith("2001-01-01")
    assert postgres_hashes(engine) == dump_hashes
