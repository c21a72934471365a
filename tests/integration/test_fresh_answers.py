"""Answers prepared once and kept per data version are never served after the load that changed them:
not by the process that ran the load, not by another worker, not by a page deep in a category."""

import asyncio
from pathlib import Path

from sqlalchemy import text

from lorecache.ingest import Ingest
from lorecache.sources.dump import DumpSource
from lorecache.store import database
from lorecache.store.files import FileCache
from lorecache.store.files.index import article_path
from lorecache.store.hybrid import HybridStore
from lorecache.store.postgres import PostgresStore
from lorecache.store.versions import AnswerCache, DataVersion
from tests.support.pages import infobox_page, write_dump
from tests.support.processes import wait_for

WORKERS = 2


def _planet(page_id: int, title: str, lead: str = "was a planet.") -> object:
    return infobox_page(page_id, title, "Planet", {"climate": "Arid"}, f"'''{title}''' {lead}")


BEFORE = [_planet(1, "Tatooine"), _planet(2, "Hoth")]
AFTER = [_planet(1, "Tatooine", "was a desert planet of twin suns."), _planet(2, "Hoth"), _planet(3, "Jakku")]


def _load(engine, files: FileCache, dump: Path) -> None:
    progress = Ingest(engine, files, "star_wars", workers=1).run(DumpSource(dump), force=True)
    assert progress.stage == "completed", progress.error


def test_a_cached_answer_is_dropped_when_a_load_bumps_the_data_version(
    database_url: str, tmp_path: Path
) -> None:
    engine = database.make_engine(database_url, pool_size=2)
    files = FileCache(tmp_path / "star_wars")
    _load(engine, files, write_dump(tmp_path / "before.xml", BEFORE))
    version = DataVersion(database.libpq_url(database_url), "star_wars")
    version.start()
    try:
        wait_for(lambda: version.current is not None, 10, interval=0.02)
        postgres = PostgresStore(engine, "star_wars")
        hybrid = HybridStore(postgres, files, cache=AnswerCache(), version=version)
        assert asyncio.run(hybrid.stats()).answer["total_articles"] == 2
        with engine.begin() as connection:  # what only a cached answer could still say
            connection.execute(text("UPDATE category_cache SET article_count = 99"))
        assert asyncio.run(hybrid.stats()).answer["total_articles"] == 2
        before = version.current

        _load(engine, files, write_dump(tmp_path / "after.xml", AFTER))

        wait_for(lambda: version.current != before, 10, interval=0.02)
        assert asyncio.run(hybrid.stats()) == (postgres.stats(), "postgres")
        assert asyncio.run(hybrid.stats()).answer["total_articles"] == 3
    finally:
        version.stop()
        engine.dispose()


def test_the_file_caches_answers_are_kept_until_its_index_changes(tmp_path: Path, database_url: str) -> None:
    engine = database.make_engine(database_url, pool_size=2)
    files = FileCache(tmp_path / "star_wars")
    try:
        _load(engine, files, write_dump(tmp_path / "before.xml", BEFORE))
    finally:
        engine.dispose()
    hybrid = HybridStore(None, files, cache=AnswerCache())
    first = asyncio.run(hybrid.detail("Tatooine"))
    assert first.source == "file_cache" and "was a planet" in first.answer.json
    entry = next(entry for entry in files.entries() if entry.title == "Tatooine")
    path = article_path(files.root, entry.page_id)
    path.write_bytes(path.read_bytes().replace(b"was a planet", b"was a moon"))
    assert asyncio.run(hybrid.detail("Tatooine")) == first

    files.index_path.write_bytes(files.index_path.read_bytes() + b" ")

    assert "was a moon" in asyncio.run(hybrid.detail("Tatooine")).answer.json


