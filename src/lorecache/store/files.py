"""The file cache: one JSON file per article plus an index, per universe, under the data directory.

Files hold what each page says; the index holds what the corpus says about each page (importance from
inbound links, aliases from redirects) and everything a list query filters and sorts on, so a query
reads the index and then only the files of the page it returns.
"""

from __future__ import annotations

import gc
import logging
import os
import random
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

from lorecache.article import Article
from lorecache.search import (
    EXACT,
    FULLTEXT,
    FUZZY,
    SUBSTRING,
    TRIGRAM_MIN_LENGTH,
    Match,
    contains_words,
    infobox_terms,
    tier,
)
from lorecache.spelling import Fixes
from lorecache.store.index_entry import IndexEntry
from lorecache.store.name_index import NameIndex
from lorecache.store.query import Continuity, ListQuery, SearchPage, listing, summarize
from lorecache.store.text_index import TextIndex
from lorecache.universes import load

log = logging.getLogger(__name__)

INDEX_NAME = "index.json"
FIELDS_NAME = "fields.json"

__all__ = ["FileCache", "IndexEntry", "remove_stale_temporaries", "write_article", "write_atomically"]


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


def _writer_alive(temporary: Path) -> bool:
    """Whether the process named in a temporary's name (`.name.pid.thread.tmp`) still runs here."""
    try:
        os.kill(int(temporary.name.split(".")[-3]), 0)
    except PermissionError:
        return True
    except (ValueError, IndexError, ProcessLookupError):
        return False
    return True


def remove_stale_temporaries(root: Path, candidates: Iterable[Path]) -> int:
    """Delete the temporaries among `candidates` whose writer is gone; returns how many."""
    stale = [temporary for temporary in candidates if not _writer_alive(temporary)]
    for temporary in stale:
        temporary.unlink(missing_ok=True)
    if stale:
        log.warning("removed %d temporary files left by killed writers under %s", len(stale), root)
    return len(stale)


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
    """The file cache of one universe (`root` is `<data dir>/<universe>`); the index and the search
    structures derived from it are reloaded when the index file changes."""

    source_name = "file_cache"

    def __init__(self, root: Path) -> None:
        self.root = root
        self._names: NameIndex | None = None
        self._loaded_stamp: tuple[int, int] | None = None
        self._infobox_terms: dict[int, dict[str, str]] = {}
        self._text: TextIndex | None = None
        self._lock = threading.Lock()

    @property
    def index_path(self) -> Path:
        return self.root / INDEX_NAME

    @property
    def fields_path(self) -> Path:
        return self.root / FIELDS_NAME

    def exists(self) -> bool:
        return self.index_path.is_file()

    def write_index(self, entries: Iterable[IndexEntry], fields: dict[str, set[str]]) -> None:
        """Fields first: a reader that sees the new index also sees the fields it may filter on."""
        write_atomically(self.fields_path, orjson.dumps({c: sorted(f) for c, f in sorted(fields.items())}))
        write_atomically(self.index_path, orjson.dumps([entry.as_row() for entry in entries]))

    def sweep_temporaries(self) -> int:
        """Delete the temporaries of writers killed mid-write; those of live writers stay.

        A killed writer never reaches its rename, so readers never saw its file; only the disk does.
        """
        return remove_stale_temporaries(
            self.root, (*self.root.glob(".*.tmp"), *self.root.glob("articles/*/.*.tmp"))
        )

    def fields(self) -> dict[str, set[str]]:
        """Infobox field names per category, for validating filters."""
        try:
            return {
                category: set(names)
                for category, names in orjson.loads(self.fields_path.read_bytes()).items()
            }
        except FileNotFoundError:
            return {}

    def entries(self) -> list[IndexEntry]:
        return self._index().entries

    def read(self, entry: IndexEntry) -> Article:
        data = orjson.loads(article_path(self.root, entry.page_id).read_bytes())
        article = Article.from_dict(data)
        article.importance = entry.importance
        article.aliases = list(entry.aliases)
        return article

    def iter_articles(self) -> Iterator[Article]:
        for entry in self.entries():
            yield self.read(entry)

    def get(self, title: str, continuity: Continuity = "all") -> Article | None:
        index = self._index()
        prefer_canon = continuity != "legends"
        matches = [index.entries[position] for position in index.named(title)]
        if not matches:
            return None
        best = min(matches, key=lambda e: (e.is_canon != prefer_canon, e.title != title, -e.importance))
        return self.read(best)

    def list_articles(self, query: ListQuery) -> list[dict[str, Any]]:
        return self.search(query).rows

    def search(self, query: ListQuery) -> SearchPage:
        """Browsing walks a precomputed order and stops at the page. A search ranks the articles every
        word of which begins a word of a name (exact, prefix and every-word matches, from the word
        postings); only when they do not fill the page, every candidate a trigram or a correction finds;
        full text fills what the names leave of the page, as in PostgreSQL."""
        index = self._index()
        end = query.offset + query.limit + 1
        if query.needle:
            strong = index.word_matches(query.needle)
            ranked = sorted(self._matches(index, query, strong, []))
            if len(ranked) < end:
                ranked = self._ranked_names(index, query, strong)
            if len(ranked) < end:
                ranked += sorted(self._text_matches(index, query, {r.position for r in ranked}))
        else:
            ranked = list(islice(self._matches(index, query, index.by_rank(query.categories), []), end))
        page = ranked[query.offset : end]
        rows = [listing(self.read(index.entries[r.position]).to_dict(), r.score) for r in page]
        suggestion = None
        if ranked and ranked[0].tier == FUZZY:
            suggestion = index.entries[ranked[0].position].title
        return SearchPage(rows=rows[: query.limit], has_more=len(rows) > query.limit, did_you_mean=suggestion)

    def random(self, query: ListQuery) -> dict[str, Any] | None:
        index = self._index()
        positions = [p for p, entry in enumerate(index.entries) if self._in_scope(entry, query)]
        random.shuffle(positions)
        for position in positions:
            if self._passes_filters(index.entries[position], query):
                return listing(self.read(index.entries[position]).to_dict())
        return None

    def stats(self) -> dict[str, Any]:
        return summarize(self.categories())

    def categories(self) -> dict[str, dict[str, int]]:
        return dict(sorted(self._index().counts.items()))

    def _ranked_names(self, index: NameIndex, query: ListQuery, strong: set[int]) -> list[_Ranked]:
        """Every name match of the query, typos and substrings among them, ranked."""
        needle = query.needle
        fixed = index.fixes(query.needle_words) if len(needle) >= TRIGRAM_MIN_LENGTH else []
        return sorted(self._matches(index, query, index.candidates(needle, fixed) | strong, fixed))

    def _matches(
        self, index: NameIndex, query: ListQuery, candidates: Iterable[int], fixed: Fixes
    ) -> Iterator[_Ranked]:
        """Candidates in scope and matching a name."""
        needle, needle_words = query.needle, query.needle_words
        for position in candidates:
            entry = index.entries[position]
            if not self._in_scope(entry, query):
                continue
            match = _match(index, position, needle, needle_words, fixed)
            if match is not None and (ranked := self._ranked(entry, position, query, match)):
                yield ranked

    def _text_matches(self, index: NameIndex, query: ListQuery, seen: set[int]) -> Iterator[_Ranked]:
        """Articles in scope whose text holds every word of the query, the name matches excepted."""
        for position, rank in self._text_index(index).matches(query.needle).items():
            entry = index.entries[position]
            if position in seen or not self._in_scope(entry, query):
                continue
            if ranked := self._ranked(entry, position, query, Match(FULLTEXT, rank)):
                yield ranked

    def _ranked(self, entry: IndexEntry, position: int, query: ListQuery, match: Match) -> _Ranked | None:
        """The sort keys of PostgreSQL's ORDER BY, for an entry that passes the filters."""
        if not self._passes_filters(entry, query):
            return None
        key = match.key(entry.is_canon, entry.importance, entry.title, query.continuity == "all")
        return _Ranked(key, position, match.score if query.needle else None)

    def _text_index(self, index: NameIndex) -> TextIndex:
        with self._lock:
            if self._text is None or self._text.entries is not index.entries:
                self._text = TextIndex(index.entries)
                gc.freeze()  # as the name index: long-lived, kept out of collections
            return self._text

    @staticmethod
    def _in_scope(entry: IndexEntry, query: ListQuery) -> bool:
        return (not query.categories or entry.category in query.categories) and query.wants(entry.is_canon)

    def _passes_filters(self, entry: IndexEntry, query: ListQuery) -> bool:
        if not query.filters:
            return True
        terms = self._infobox_terms.get(entry.page_id)
        if terms is None:
            terms = infobox_terms(self.read(entry).infobox)
            self._infobox_terms[entry.page_id] = terms
        return all(value in terms.get(field, "") for field, value in query.folded_filters)

    def _index(self) -> NameIndex:
        with self._lock:
            try:
                status = self.index_path.stat()
            except FileNotFoundError:
                self._names, self._loaded_stamp = NameIndex([], ""), None
                return self._names
            stamp = (status.st_mtime_ns, status.st_size)
            if stamp != self._loaded_stamp or self._names is None:
                gc.unfreeze()  # the index this one replaces becomes collectable
                entries = [IndexEntry.from_row(row) for row in orjson.loads(self.index_path.read_bytes())]
                self._names = NameIndex(entries, load(self.root.name).canon.legends_suffix)
                self._infobox_terms = {}
                self._loaded_stamp = stamp
                # Half a million objects that live as long as the process: out of every collection,
                # or each full one walks them all (250 ms, in the middle of some request).
                gc.freeze()
            return self._names

    def delete_articles(self, page_ids: Iterable[int]) -> None:
        """Remove the files of pages the source no longer has; the caller rewrites the index."""
        for page_id in page_ids:
            article_path(self.root, page_id).unlink(missing_ok=True)


@dataclass(order=True, slots=True)
class _Ranked:
    key: tuple
    position: int = field(compare=False)
    score: float | None = field(compare=False)

    @property
    def tier(self) -> int:
        return self.key[0]


def _match(
    index: NameIndex, position: int, needle: str, needle_words: list[str], fixed: Fixes
) -> Match | None:
    """How one article matches the query, if it does; without a query every article matches."""
    if not needle:
        return Match(EXACT, 0.0)
    names = index.names[position]
    match_tier = tier(names, needle, needle_words)
    if match_tier is not None:
        return Match(match_tier)
    if len(needle) >= TRIGRAM_MIN_LENGTH and (typo := index.typo(position, needle, needle_words, fixed)):
        return typo
    return Match(SUBSTRING) if contains_words(names, needle_words) else None
