"""FileCache: the read interface over the file cache. A query reads the index (in memory, reloaded
when its file changes) and then only the files of the page it returns."""

from __future__ import annotations

import gc
import os
import random
import threading
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

from lorecache import answers
from lorecache.article import Article
from lorecache.images.disk import ImageDisk
from lorecache.query import Continuity, ListQuery
from lorecache.search import cascade
from lorecache.search.memory import MemoryTiers, TextIndex
from lorecache.search.rules import infobox_terms
from lorecache.store.files.index import (
    FIELDS_NAME,
    INDEX_NAME,
    Index,
    IndexEntry,
    article_path,
    read_entries,
    read_fields,
)
from lorecache.store.files.links import LINKS_NAME, LinksFile, LinksScanned
from lorecache.store.interface import (
    Backlink,
    Counts,
    Detail,
    Page,
    in_asked_order,
    linking_fields,
    named_by,
    summarize,
)
from lorecache.universes import load


class FileCache:
    """The file cache of one universe (`root` is `<data dir>/<universe>`)."""

    source_name = "file_cache"

    def __init__(self, root: Path) -> None:
        self.root = root
        self._index_name = str(root / INDEX_NAME)
        self._loaded: Index | None = None
        self._loaded_stamp: tuple[int, int] | None = None
        self._infobox_terms: dict[int, dict[str, str]] = {}
        self._text: TextIndex | None = None
        self._links: LinksFile | LinksScanned | None = None
        self._links_key: tuple[tuple[int, int] | None, list[IndexEntry] | None] = (None, None)
        self._lock = threading.Lock()
        # Each slow structure is built under a lock of its own: without a links file, a first "what
        # links here" reads every article file, and no list or search of the fallback may wait for it.
        self._links_lock = threading.Lock()
        self._text_lock = threading.Lock()

    @property
    def index_path(self) -> Path:
        return self.root / INDEX_NAME

    def exists(self) -> bool:
        return self.index_path.is_file()

    def version(self) -> tuple[int, int] | None:
        """The index file's stamp: what its answers hold true for (asked for every answer kept)."""
        return _stamp(self._index_name)

    def fields(self) -> dict[str, set[str]]:
        return read_fields(self.root / FIELDS_NAME)

    def entries(self) -> list[IndexEntry]:
        """Every article's entry as kept in memory, without its full-text terms (`stored_entries`)."""
        return self._index().entries

    def stored_entries(self) -> list[IndexEntry]:
        """Every article's entry as the index file holds it, for rewriting the index."""
        return read_entries(self.index_path) if self.exists() else []

    def read(self, entry: IndexEntry) -> Article:
        data = orjson.loads(article_path(self.root, entry.page_id).read_bytes())
        return entry.settle(Article.from_dict(data))

    def iter_articles(self) -> Iterator[Article]:
        for entry in self.entries():
            yield self.read(entry)

    def get(self, title: str, continuity: Continuity = "all") -> Article | None:
        index = self._index()
        prefer_canon = continuity != "legends"
        matches = [index.entries[position] for position in index.names.named(title)]
        if not matches:
            return None
        best = min(matches, key=lambda e: (e.is_canon != prefer_canon, e.title != title, -e.importance))
        return self.read(best)

    def detail(self, title: str, continuity: Continuity = "all") -> Detail | None:
        found = self.get(title, continuity)
        return Detail(found.title, answers.detail(found)) if found else None

    def articles(self, titles: Sequence[str]) -> list[Article]:
        index = self._index()
        found = [index.entries[p] for title in titles for p in index.names.named(title)]
        return [self.read(entry) for entry in in_asked_order(found, titles)]

    def titles(self, names: Sequence[str]) -> dict[str, str]:
        index = self._index()
        found = [index.entries[p] for name in names for p in index.names.named(name)]
        return {name: entry.title for name, entry in named_by(found, names).items()}

    def backlinks(self, names: Sequence[str], limit: int) -> list[Backlink]:
        entries = self.entries()
        with self._links_lock:
            page_ids = self._linking(entries).linking(names)
        found = [entry for page_id in page_ids if (entry := _by_page_id(entries, page_id)) is not None]
        ranked = sorted(found, key=lambda entry: (-entry.importance, entry.title))[:limit]
        linkers = (self.read(entry) for entry in ranked)
        return [
            Backlink(a.title, a.category, a.is_canon, linking_fields(a.infobox_links, names)) for a in linkers
        ]

    def _linking(self, entries: list[IndexEntry]) -> LinksFile | LinksScanned:
        """The links file the last load wrote; without one (a cache written before loads wrote it),
        the links of every article file, read once per index."""
        path = self.root / LINKS_NAME
        stamp = _stamp(path)
        key = (stamp, None if stamp else entries)
        if self._links is None or self._links_key[0] != stamp or self._links_key[1] is not key[1]:
            if self._links is not None:
                self._links.close()
            if stamp is not None:
                self._links = LinksFile(path)
            else:
                self._links = LinksScanned((entry.page_id, self.read(entry).links) for entry in entries)
            self._links_key = key
        return self._links

    def list_articles(self, query: ListQuery) -> Page:
        """Browsing walks a precomputed order and stops at the page; a search is the cascade's."""
        index = self._index()
        if not query.needle:
            kept = (p for p in index.by_rank(query.categories) if self._keeps(index, query, p))
            page = list(islice(kept, query.offset, query.offset + query.limit + 1))
            items = [self._item(index.entries[p]) for p in page[: query.limit]]
            return Page(items, len(page) > query.limit)
        tiers = MemoryTiers(
            index.names, lambda: self._text_index(index), query, lambda p: self._keeps(index, query, p)
        )
        found = cascade.search(tiers, query)
        items = [self._item(index.entries[hit.ref]) for hit in found.hits]
        return Page(items, found.has_more, found.hits, found.did_you_mean)

    def timeline(self, query: ListQuery) -> Page:
        """A walk of the index's timeline order, stopping at the page."""
        index = self._index()
        kept = (p for p in index.timeline if self._keeps(index, query, p))
        page = list(islice(kept, query.offset, query.offset + query.limit + 1))
        return Page([self._item(index.entries[p]) for p in page[: query.limit]], len(page) > query.limit)

    def random(self, query: ListQuery) -> str | None:
        index = self._index()
        positions = [p for p, entry in enumerate(index.entries) if self._in_scope(entry, query)]
        random.shuffle(positions)
        for position in positions:
            if self._passes_filters(index.entries[position], query):
                return self._item(index.entries[position])
        return None

    def _item(self, entry: IndexEntry) -> str:
        return answers.list_item(self.read(entry))

    def stats(self) -> dict[str, Any]:
        """Image counts from the image directory: which images failed only PostgreSQL knows."""
        fetched, size = ImageDisk(self.root / "images").totals()
        return summarize(self.categories()) | {"images": {"fetched": fetched, "failed": 0, "bytes": size}}

    def categories(self) -> Counts:
        return dict(sorted(self._index().counts.items()))

    def ping(self) -> None:
        """The file cache is always there to answer, if only with nothing."""

    def _text_index(self, index: Index) -> TextIndex:
        """Built from the terms on disk, which the entries kept in memory leave out."""
        with self._text_lock:
            if self._text is None or self._text.entries is not index.entries:
                self._text = TextIndex(index.entries, self.stored_entries())
                gc.freeze()  # as the name index: long-lived, kept out of collections
            return self._text

    def _keeps(self, index: Index, query: ListQuery, position: int) -> bool:
        entry = index.entries[position]
        return self._in_scope(entry, query) and self._passes_filters(entry, query)

    @staticmethod
    def _in_scope(entry: IndexEntry, query: ListQuery) -> bool:
        return (
            (not query.categories or entry.category in query.categories)
            and query.wants(entry.is_canon)
            and query.in_time(entry.span)
        )

    def _passes_filters(self, entry: IndexEntry, query: ListQuery) -> bool:
        if not query.filters:
            return True
        terms = self._infobox_terms.get(entry.page_id)
        if terms is None:
            terms = infobox_terms(self.read(entry).infobox)
            self._infobox_terms[entry.page_id] = terms
        return all(value in terms.get(field, "") for field, value in query.folded_filters)

    def _index(self) -> Index:
        with self._lock:
            stamp = self.version()
            if stamp is None:
                self._loaded, self._loaded_stamp = Index([], ""), None
                return self._loaded
            if stamp != self._loaded_stamp or self._loaded is None:
                gc.unfreeze()  # the index this one replaces becomes collectable
                entries = read_entries(self.index_path, terms=False)
                self._loaded = Index(entries, load(self.root.name).canon.legends_suffix)
                self._infobox_terms = {}
                self._loaded_stamp = stamp
                # Half a million objects that live as long as the process: out of every collection,
                # or each full one walks them all (250 ms, in the middle of some request).
                gc.freeze()
            return self._loaded


def _stamp(path: str | Path) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    return status.st_mtime_ns, status.st_size


def _by_page_id(entries: list[IndexEntry], page_id: int) -> IndexEntry | None:
    """The index is written in page id order (`writer.write_index`)."""
    position = bisect_left(entries, page_id, key=lambda entry: entry.page_id)
    if position < len(entries) and entries[position].page_id == page_id:
        return entries[position]
    return None
