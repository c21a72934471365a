"""The local MediaWiki (built once per session), copies of it for tests that change it, and the helpers
that scrape it into stores and compare them with the dump."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from lorecache.article import Article
from lorecache.ingest import Ingest
from lorecache.ingest.parse import Categorized, categorize
from lorecache.progress import Progress
from lorecache.sources.dump import iter_dump
from lorecache.sources.mediawiki import MediaWikiSource
from lorecache.store.files import FileCache, writer
from lorecache.store.postgres import PostgresStore, content_hash
from lorecache.universes import ScrapeRules, load
from tests.conftest import SAMPLE
from tests.integration.wiki.proxy import FaultProxy
from tests.integration.wiki.server import LocalWiki, scratch_directory, unavailable

CONTACT = "lorecache-tests@example.org"
UNIVERSE = "star_wars"
BOTH_CONTINUITIES = ("Canon articles", "Legends articles")


@pytest.fixture(scope="session")
def wiki_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalWiki]:
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    scratch = scratch_directory(tmp_path_factory.mktemp("wiki"))
    yield LocalWiki.build(scratch / "template", SAMPLE)
    shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(scope="session")
def wiki(wiki_template: LocalWiki) -> Iterator[LocalWiki]:
    """The sample's wiki, served; tests must not change it."""
    wiki_template.start()
    yield wiki_template
    wiki_template.stop()


@pytest.fixture
def own_wiki(wiki_template: LocalWiki) -> Iterator[LocalWiki]:
    """A served copy of the sample's wiki for one test to change."""
    copy = wiki_template.copy(wiki_template.root.parent / uuid.uuid4().hex)
    copy.start()
    yield copy
    copy.stop()
    shutil.rmtree(copy.root, ignore_errors=True)


@pytest.fixture
def proxy(wiki: LocalWiki) -> Iterator[FaultProxy]:
    faulty = FaultProxy(wiki.api_url)
    yield faulty
    faulty.close()


@pytest.fixture
def files(tmp_path: Path) -> FileCache:
    return FileCache(tmp_path / UNIVERSE)


@pytest.fixture
def rules() -> ScrapeRules:
    """Both continuities (the sample's full mirror), no pacing, and backoffs short enough for tests."""
    return replace(
        load(UNIVERSE).scrape,
        categories=BOTH_CONTINUITIES,
        rate_per_second=0,
        timeout_seconds=1.0,
        backoff_seconds=0.05,
        max_attempts=4,
    )


@pytest.fixture(scope="session")
def dump_files(tmp_path_factory: pytest.TempPathFactory) -> FileCache:
    """The sample as a dump ingest files it (stage 1)."""
    files = FileCache(tmp_path_factory.mktemp("dump") / UNIVERSE)
    corpus = Categorized()
    for result in categorize(iter_dump(SAMPLE), UNIVERSE, files, workers=2):
        corpus.merge(result)
    writer.write_index(files.root, corpus.finalize(), corpus.fields)
    return files


@pytest.fixture(scope="session")
def dump_hashes(dump_files: FileCache) -> dict[int, str]:
    return file_hashes(dump_files)


def scrape(
    engine, files: FileCache, api_url: str, rules: ScrapeRules, since: str | datetime = "last"
) -> Progress:
    source = MediaWikiSource(api_url, load(UNIVERSE), CONTACT, rules)
    return Ingest(engine, files, UNIVERSE, workers=2).run(source, since=since)


def file_hashes(files: FileCache, *, importance: bool = True) -> dict[int, str]:
    return hashes(files.iter_articles(), importance=importance)


def postgres_hashes(engine, *, importance: bool = True) -> dict[int, str]:
    return hashes(PostgresStore(engine, UNIVERSE).iter_articles(), importance=importance)


def hashes(articles: Iterable[Article], *, importance: bool = True) -> dict[int, str]:
    """Without importance for a partial run: inbound links from pages not fetched yet are missing."""
    return {
        article.page_id: content_hash(article if importance else replace(article, importance=0))
        for article in articles
    }
