"""CacheWriter: every write to the cache's two stores, so that they never disagree.

The file cache is written first and PostgreSQL from it: articles are parsed into their files (by
worker processes, `parse`), the index follows once importance and aliases are known from the whole
corpus, and PostgreSQL is loaded from the files (`load`). Pages leave the index first, then their
files and rows, so no entry ever lacks its file. Finishing a load rebuilds PostgreSQL's derived search
tables and bumps the data version the API processes key their kept answers by.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from sqlalchemy import Engine

from lorecache.article import RawPage
from lorecache.ingest.load import load
from lorecache.ingest.parse import BatchResult, Categorized, categorize, parse_batch
from lorecache.store.files import FileCache, IndexEntry, links, writer
from lorecache.store.files.links import Inbound
from lorecache.store.postgres import PostgresStore, WriteCounts

Fields = dict[str, set[str]]
"""The infobox fields of each category."""


class CacheWriter:
    def __init__(self, engine: Engine, files: FileCache, universe: str, workers: int = 0) -> None:
        self.engine = engine
        self.files = files
        self.universe = universe
        self.workers = workers
        self.store = PostgresStore(engine, universe)

    def sweep(self) -> int:
        """The temporaries of writers killed mid-write, and the spills of a killed run; a run begins
        with it."""
        writer.drop_spills(self.files.root)
        return writer.sweep_temporaries(self.files.root)

    def file_pages(self, pages: Iterable[RawPage]) -> Iterator[BatchResult]:
        """Parse `pages` into article files on every core, yielding each batch's result in order; the
        index is the caller's to write, as only it knows when the source has ended."""
        return categorize(pages, self.universe, self.files, self.workers)

    def file_batch(self, pages: list[RawPage]) -> BatchResult:
        """One batch parsed into article files in this process (a wiki's API batch)."""
        return parse_batch(self.universe, str(self.files.root), pages)

    def write_index(self, entries: Iterable[IndexEntry], fields: Fields) -> None:
        writer.write_index(self.files.root, sorted(entries, key=lambda entry: entry.page_id), fields)

    def write_links(self, inbound: Inbound) -> None:
        """What links to each article, from a pass over the whole source: the file cache's "what
        links here"."""
        links.write_links(self.files.root, inbound)

    def settle(self, corpus: Categorized) -> None:
        """Importance and aliases from the whole corpus, written to the index, and its links."""
        self.write_index(corpus.finalize(), corpus.fields)
        self.write_links(corpus.inbound)

    def write_rows(self, entries: Iterable[IndexEntry]) -> WriteCounts:
        """The filed articles of `entries` upserted into PostgreSQL in one transaction."""
        return self.store.write_batch([self.files.read(entry) for entry in entries])

    def remove(self, page_ids: Iterable[int], keep: Iterable[IndexEntry], fields: Fields) -> None:
        """Pages out of both stores: the index (rewritten with `keep`) first, then files, then rows."""
        gone = list(page_ids)
        self.write_index(keep, fields)
        writer.delete_articles(self.files.root, gone)
        self.store.delete_pages(gone)

    def load(self, spills: Mapping[str, list[int]] | None = None) -> Iterator[WriteCounts]:
        """Stage 1.5's work: every filed article upserted into PostgreSQL on every core, a committed
        batch at a time; those in `spills` (stage 1's of this run) read from them."""
        return load(self.files, self.engine, self.universe, self.workers, spills)

    def finish(self, *, complete: bool) -> None:
        """After a load, whose spills go. `complete`: the file cache holds the whole source, so
        PostgreSQL drops the rows of pages it no longer has. Then the derived tables and the data
        version."""
        writer.drop_spills(self.files.root)
        if complete:
            self.store.delete_missing({entry.page_id for entry in self.files.entries()})
        self.store.refresh_derived()

    def changed_outside_articles(self) -> None:
        """A write no derived table reflects (images fetched): the API's kept answers are dropped."""
        self.store.bump_version()

