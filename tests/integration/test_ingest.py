"""The dump → file cache → PostgreSQL path, on the bundled sample, against a real PostgreSQL."""

import gzip
import re
from pathlib import Path

import pytest
from sqlalchemy import text

from lorecache.ingest import Ingest
from lorecache.sources.dump import DumpSource
from lorecache.store.files import FileCache
from lorecache.store.files.links import LINKS_NAME
from lorecache.verify import differences
from tests.conftest import SAMPLE
from tests.support.links import backlinks_differ
from tests.support.pages import Page, infobox_page, write_dump


@pytest.fixture
def files(tmp_path: Path) -> FileCache:
    return FileCache(tmp_path / "star_wars")


def _ingest(engine, files: FileCache, source: Path = SAMPLE, force: bool = True):
    return Ingest(engine, files, "star_wars", workers=2).run(DumpSource(source), force=force)


def _scalar(engine, sql: str):
    with engine.connect() as connection:
        return connection.execute(text(sql)).scalar_one()


def test_sample_ingests_to_the_published_counts(engine, files: FileCache) -> None:
    progress = _ingest(engine, files)

    assert progress.stage == "completed", progress.error
    assert progress.articles_created == 1000
    assert _scalar(engine, "SELECT count(*) FROM wiki_articles") == 1000
    assert _scalar(engine, "SELECT count(*) FROM wiki_articles WHERE is_canon") == 415
    assert _scalar(engine, "SELECT count(*) FROM wiki_articles WHERE is_canon AND category = 'planets'") == 30
    assert _scalar(engine, "SELECT sum(article_count) FROM category_cache") == 1000
    assert _scalar(engine, "SELECT status FROM scraping_logs ORDER BY id DESC LIMIT 1") == "completed"
    assert len(files.entries()) == 1000
    assert not (files.root / "spill").exists(), "the load leaves the batches stage 1 spilled for it"


def test_tatooine_arrives_whole(engine, files: FileCache) -> None:
    _ingest(engine, files)
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT page_id, is_canon, category, infobox, importance FROM wiki_articles "
                "WHERE title = 'Tatooine'"
            )
        ).one()
    assert row.page_id == 452688
    assert row.is_canon and row.category == "planets"
    assert row.infobox["region"][0] == "Outer Rim Territories"
    assert row.importance == files.get("Tatooine").importance


def test_ingesting_again_changes_nothing(engine, files: FileCache) -> None:
    _ingest(engine, files)
    stamp = _scalar(engine, "SELECT max(updated_at) FROM wiki_articles")

    again = _ingest(engine, files)

    assert again.stage == "completed"
    assert (again.articles_created, again.articles_updated, again.articles_unchanged) == (0, 0, 1000)
    assert _scalar(engine, "SELECT max(updated_at) FROM wiki_articles") == stamp
    assert differences(files, _store(engine)) == []


def test_what_links_here_from_the_files_is_postgres_own(engine, files: FileCache) -> None:
    _ingest(engine, files)
    postgres = _store(engine)
    assert (files.root / LINKS_NAME).is_file()
    assert files.backlinks(["Tatooine"], 5)[0].title == "Anakin Skywalker"
    assert backlinks_differ(files, postgres) == []

    (files.root / LINKS_NAME).unlink()
    scanned = FileCache(files.root)
    assert backlinks_differ(scanned, postgres) == [], "a cache without a links file reads the articles'"


def test_an_ingested_source_is_skipped_unless_forced(engine, files: FileCache) -> None:
    _ingest(engine, files)
    assert _ingest(engine, files, force=False).stage == "skipped"
    assert _ingest(engine, files, force=True).stage == "completed"


def test_verify_finds_a_tampered_article(engine, files: FileCache) -> None:
    _ingest(engine, files)
    with engine.begin() as connection:
        connection.execute(text("UPDATE wiki_articles SET summary = 'tampered' WHERE title = 'Tatooine'"))
        connection.execute(text("DELETE FROM wiki_articles WHERE title = 'Tatooine/Legends'"))

    problems = differences(files, _store(engine))

    assert any("1 articles differ (page ids 452688)" in problem for problem in problems)
    assert any("missing from PostgreSQL (page ids 47)" in problem for problem in problems)
    assert any(problem.startswith("category planets") for problem in problems)


def test_migrate_cache_rebuilds_postgres_from_files(engine, files: FileCache) -> None:
    _ingest(engine, files)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM wiki_articles"))

    progress = Ingest(engine, files, "star_wars").migrate()

    assert progress.stage == "completed"
    assert progress.articles_created == 1000
    assert differences(files, _store(engine)) == []


def test_a_truncated_dump_keeps_what_came_before_and_logs_failure(
    engine, files: FileCache, tmp_path: Path
) -> None:
    whole = gzip.decompress(SAMPLE.read_bytes())
    cut = tmp_path / "truncated.xml.gz"
    cut.write_bytes(gzip.compress(whole)[: len(gzip.compress(whole)) // 2])

    progress = _ingest(engine, files, cut)

    assert progress.stage == "failed"
    assert "truncated.xml.gz: file ends mid-stream" in progress.error
    assert re.search(r"after the page at line \d+ \(\d+ pages read, last good page '.+'\)", progress.error)
    kept = _scalar(engine, "SELECT count(*) FROM wiki_articles")
    assert 0 < kept < 1000
    assert kept == len(files.entries())
    row_status = _scalar(engine, "SELECT status FROM scraping_logs ORDER BY id DESC LIMIT 1")
    assert row_status == "failed"


def test_a_failed_dump_after_a_good_one_loses_nothing(engine, files: FileCache, tmp_path: Path) -> None:
    _ingest(engine, files)
    broken = tmp_path / "broken.xml"
    broken.write_bytes(gzip.decompress(SAMPLE.read_bytes())[:200_000] + b"<page><title>x</oops></page>")

    links = (files.root / LINKS_NAME).read_bytes()

    progress = _ingest(engine, files, broken)

    assert progress.stage == "failed"
    assert re.search(r"broken.xml: invalid XML: .* at line \d+ \(\d+ pages read", progress.error)
    assert _scalar(engine, "SELECT count(*) FROM wiki_articles") == 1000
    assert len(files.entries()) == 1000
    assert (files.root / LINKS_NAME).read_bytes() == links, "a partial pass keeps the whole one's links"


def test_pages_without_text_are_recorded_and_the_rest_kept(engine, files: FileCache, tmp_path: Path) -> None:
    pages = [
        infobox_page(1, "Tatooine", "Planet", {"region": "Outer Rim"}, "A desert planet."),
        Page(2, "Blanked", ""),
        infobox_page(3, "Naboo", "Planet", {"region": "Mid Rim"}, "A green planet."),
    ]

    progress = _ingest(engine, files, write_dump(tmp_path / "blank.xml", pages))

    assert (progress.stage, progress.articles_failed) == ("completed", 1)
    assert progress.errors == [{"title": "Blanked", "reason": "page 2 has no text (no or deleted revision)"}]
    assert _scalar(engine, "SELECT array_agg(title ORDER BY page_id) FROM wiki_articles") == [
        "Tatooine",
        "Naboo",
    ]
    assert [entry.title for entry in files.entries()] == ["Tatooine", "Naboo"]
    logged = _scalar(engine, "SELECT errors FROM scraping_logs ORDER BY id DESC LIMIT 1")
    assert logged == progress.errors


def _store(engine):
    from lorecache.store.postgres import PostgresStore

    return PostgresStore(engine, "star_wars")
