"""The file cache: one JSON file per article plus an index, per universe, under the data directory.

Files hold what each page says; the index holds what the corpus says about each page (importance from
inbound links, aliases from redirects) and everything a list query filters and sorts on, so a query
reads the index and then only the files of the page it returns.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from lorecache.article import Article
from lorecache.store.query import ListQuery, listing, match_rank
from lorecache.text import fold

INDEX_NAME = "index.json"


@dataclass(slots=True)
class IndexEntry:
    page_id: int
    title: str
    category: str
    is_canon: bool
    importance: int
    aliases: list[str]
    search_title: str

    def as_row(self) -> list[Any]:
        return [self.page_id, self.title, self.category, self.is_canon, self.importance, self.aliases]

    @classmethod
    def from_row(cls, row: list[Any]) -> IndexEntry:
        page_id, title, category, is_canon, importance, aliases = row
        return cls(page_id, title, category, is_canon, importance, aliases, fold(title))


def write_atomically(path: Path, payload: bytes) -> None:
    """Readers see the old file or the new one, never half of one, even across a crash.

    The temporary name carries the writer's pid and thread, so concurrent writers never share one.
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        handle = temporary.open("wb")
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = temporary.open("wb")
    try:
        with handle:
            handle.write(payload)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def article_path(root: Path, page_id: int) -> Path:
    """Sharded by page id so no directory holds more than a few thousand files."""
    return root / "articles" / f"{page_id % 256:02x}" / f"{page_id}.json"


def write_article(root: Path, article: Article) -> None:
    """Leave an identical file alone: a re-ingest then costs a read per article, not a rename."""
    path = article_path(root, article.page_id)
    payload = orjson.dumps(article)
    try:
        if path.read_bytes() == payload:
            return
    except FileNotFoundError:
        pass
    write_atomically(path, payload)


class FileCache:
    """Read side of the file cache for one universe; the index is reloaded when its file changes."""

    source_name = "file_cache"

    def __init__(self, root: Path) -> None:
        self.root = root
        self._index: list[IndexEntry] = []
        self._by_title: dict[str, IndexEntry] = {}
        self._by_folded: dict[str, IndexEntry] = {}
        self._loaded_stamp: tuple[int, int] | None = None

    @property
    def index_path(self) -> Path:
        return self.root / INDEX_NAME

    def exists(self) -> bool:
        return self.index_path.is_file()

    def write_index(self, entries: Iterable[IndexEntry]) -> None:
        write_atomically(self.index_path, orjson.dumps([entry.as_row() for entry in entries]))

    def entries(self) -> list[IndexEntry]:
        self._refresh()
        return self._index

    def read(self, entry: IndexEntry) -> Article:
        data = orjson.loads(article_path(self.root, entry.page_id).read_bytes())
        article = Article.from_dict(data)
        article.importance = entry.importance
        article.aliases = list(entry.aliases)
        return article

    def iter_articles(self) -> Iterator[Article]:
        for entry in self.entries():
            yield self.read(entry)

    def get(self, title: str) -> Article | None:
        self._refresh()
        entry = self._by_title.get(title) or self._by_folded.get(fold(title))
        return self.read(entry) if entry else None

    def list_articles(self, query: ListQuery) -> list[dict[str, Any]]:
        categories = set(query.categories)
        needle = query.folded_search
        ranked: list[tuple[int, int, str, IndexEntry]] = []
        for entry in self.entries():
            if entry.category not in categories or not query.wants(entry.is_canon):
                continue
            tier = match_rank(entry.search_title, needle) if needle else 0
            if tier is not None:
                ranked.append((tier, -entry.importance, entry.title, entry))
        ranked.sort(key=lambda item: item[:3])
        page = ranked[query.offset : query.offset + query.limit]
        return [listing(self.read(entry).to_dict()) for *_, entry in page]

    def stats(self) -> dict[str, Any]:
        by_category: dict[str, dict[str, int]] = {}
        for entry in self.entries():
            counts = by_category.setdefault(entry.category, {"articles": 0, "canon": 0})
            counts["articles"] += 1
            counts["canon"] += entry.is_canon
        return {
            "total_articles": sum(c["articles"] for c in by_category.values()),
            "canon_articles": sum(c["canon"] for c in by_category.values()),
            "by_category": dict(sorted(by_category.items())),
        }

    def _refresh(self) -> None:
        try:
            status = self.index_path.stat()
        except FileNotFoundError:
            self._index, self._by_title, self._by_folded, self._loaded_stamp = [], {}, {}, None
            return
        stamp = (status.st_mtime_ns, status.st_size)
        if stamp == self._loaded_stamp:
            return
        index = [IndexEntry.from_row(row) for row in orjson.loads(self.index_path.read_bytes())]
        by_title = {entry.title: entry for entry in index}
        by_folded: dict[str, IndexEntry] = {}
        for entry in sorted(index, key=lambda e: (not e.is_canon, -e.importance)):
            for name in (entry.title, *entry.aliases):
                by_folded.setdefault(fold(name), entry)
        self._index, self._by_title, self._by_folded, self._loaded_stamp = index, by_title, by_folded, stamp
