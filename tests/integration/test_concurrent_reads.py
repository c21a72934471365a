"""Readers during an ingest that rewrites every article: each read is a whole article, the old revision
or the new one, never a half-written file or a half-committed row, from either store."""

import gzip
import threading
from datetime import datetime
from pathlib import Path

import orjson

from lorecache.ingest import Ingest
from lorecache.query import ListQuery
from lorecache.sources.dump import DumpSource
from lorecache.store.files import FileCache
from lorecache.store.postgres import PostgresStore
from tests.conftest import SAMPLE

OLD, NEW = "2022-05-19T00:00:00Z", "2030-01-01T00:00:00Z"
STAMPS = {datetime.fromisoformat(OLD), datetime.fromisoformat(NEW)}


class Readers:
    """Reads the same articles from both stores in a loop, until stopped, recording anything amiss."""

    def __init__(self, files: FileCache, store: PostgresStore, titles: list[str]) -> None:
        self.files, self.store, self.titles = files, store, titles
        self.reads = 0
        self.stamps_seen: set[datetime] = set()
        self.problems: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> "Readers":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        planets = ListQuery(categories=("planets",), continuity="all", limit=100)
        while not self._stop.is_set():
            for title in self.titles:
                for store in (self.files, self.store):
                    self._check(title, store)
            try:
                pages = (self.files.list_articles(planets), self.store.list_articles(planets))
                rows = [orjson.loads(item) for page in pages for item in page.items]
                if not all(row["title"] and row["category"] == "planets" for row in rows):
                    self.problems.append(f"a partial planet row: {rows}")
            except Exception as error:
                self.problems.append(f"listing planets: {type(error).__name__}: {error}")

    def _check(self, title: str, store: FileCache | PostgresStore) -> None:
        try:
            article = store.get(title)
        except Exception as error:
            self.problems.append(f"{store.source_name} {title!r}: {type(error).__name__}: {error}")
            return
        self.reads += 1
        if article is None or article.title != title or article.timestamp not in STAMPS:
            self.problems.append(f"{store.source_name} {title!r}: {article}")
        else:
            self.stamps_seen.add(article.timestamp)


def test_readers_never_see_a_half_written_article(engine, tmp_path: Path) -> None:
    files = FileCache(tmp_path / "star_wars")
    assert Ingest(engine, files, "star_wars", workers=2).run(DumpSource(SAMPLE)).stage == "completed"
    revised = tmp_path / "revised.xml.gz"
    revised.write_bytes(
        gzip.compress(gzip.decompress(SAMPLE.read_bytes()).replace(OLD.encode(), NEW.encode()))
    )
    titles = [entry.title for entry in files.entries()[:40]]

    with Readers(files, PostgresStore(engine, "star_wars"), titles) as readers:
        progress = Ingest(engine, files, "star_wars", workers=2).run(DumpSource(revised))

    assert (progress.stage, progress.articles_updated) == ("completed", 1000), progress.error
    assert readers.problems == []
    assert readers.reads > len(titles)
    assert readers.stamps_seen == STAMPS, "the reads did not overlap the rewrite"
