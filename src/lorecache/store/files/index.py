"""The file cache's index: a row per article with what a list or search needs without opening the
article's file (importance from inbound links, aliases from redirects, category, canon, full-text
terms, in-universe span), and what the cache derives from all the rows when it loads them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from lorecache.article import Article
from lorecache.dates import Span
from lorecache.search.memory import NameIndex
from lorecache.store.interface import Counts
from lorecache.text import fold

INDEX_NAME = "index.json"
FIELDS_NAME = "fields.json"


def article_path(root: Path, page_id: int) -> Path:
    """Sharded by page id so no directory holds more than a few thousand files."""
    return root / "articles" / f"{page_id % 256:02x}" / f"{page_id}.json"


@dataclass(slots=True)
class IndexEntry:
    page_id: int
    title: str
    category: str
    is_canon: bool
    importance: int
    aliases: list[str] | tuple[()]
    terms: str = ""
    span: Span | None = None

    @property
    def search_title(self) -> str:
        """Folded when asked (typo matching in the fallback): kept for every article it would cost
        8 MB."""
        return fold(self.title)

    def settle(self, article: Article) -> Article:
        """The article as the index knows it: its importance and aliases are the whole corpus's,
        which its file, written as it was parsed, cannot hold."""
        article.importance = self.importance
        article.aliases = list(self.aliases)
        return article

    def as_row(self) -> list[Any]:
        return [
            self.page_id,
            self.title,
            self.category,
            self.is_canon,
            self.importance,
            self.aliases,
            self.terms,
            list(self.span) if self.span else None,
        ]

    @classmethod
    def from_row(
        cls, row: list[Any], terms: bool = True, categories: dict[str, str] | None = None
    ) -> IndexEntry:
        """Rows written before full text had six columns, before spans seven; they load with no terms,
        no span. Without `terms` an entry is what a reader keeps in memory for every article: no
        terms, one string per category, one empty tuple for all the articles without aliases."""
        page_id, title, category, is_canon, importance, aliases, *rest = row
        span = Span(*rest[1]) if len(rest) > 1 and rest[1] is not None else None
        if categories is not None:
            category = categories.setdefault(category, category)
        if not terms:
            return cls(page_id, title, category, is_canon, importance, aliases or (), span=span)
        return cls(page_id, title, category, is_canon, importance, aliases, rest[0] if rest else "", span)


class Index:
    """The index as loaded: its entries, their counts per category, their browse order (most linked
    first) and the search structures over their names."""

    def __init__(self, entries: list[IndexEntry], legends_suffix: str) -> None:
        self.entries = entries
        self.names = NameIndex(entries, legends_suffix)
        self.ranked = sorted(range(len(entries)), key=lambda p: (-entries[p].importance, entries[p].title))
        self.ranked_in: dict[str, list[int]] = {}
        for position in self.ranked:
            self.ranked_in.setdefault(entries[position].category, []).append(position)
        dated = [(e.span.at, -e.importance, e.page_id, p) for p, e in enumerate(entries) if e.span]
        self.timeline = [position for *_, position in sorted(dated)]
        """Dated entries in timeline order, as PostgreSQL's `ix_wiki_articles_timeline` holds them."""
        self.counts: Counts = {}
        for entry in entries:
            counts = self.counts.setdefault(entry.category, {"articles": 0, "canon": 0})
            counts["articles"] += 1
            counts["canon"] += entry.is_canon

    def by_rank(self, categories: tuple[str, ...]) -> Iterable[int]:
        """Positions in browse order, only of `categories` when given."""
        if not categories:
            return self.ranked
        if len(categories) == 1:
            return self.ranked_in.get(categories[0], [])
        return sorted(
            (p for c in categories for p in self.ranked_in.get(c, [])),
            key=lambda p: (-self.entries[p].importance, self.entries[p].title),
        )


def read_entries(path: Path, *, terms: bool = True) -> list[IndexEntry]:
    """The index one line (one entry) at a time: a whole 124,000-entry document parsed at once leaves
    the memory of its transient lists scattered among the entries kept, 50 MB of it. An index written
    as one JSON array (before it was written by lines) is read whole."""
    categories: dict[str, str] = {}
    with path.open("rb") as lines:
        if lines.read(2) == b"[[":
            return [IndexEntry.from_row(row, terms, categories) for row in orjson.loads(path.read_bytes())]
        lines.seek(0)
        return [IndexEntry.from_row(orjson.loads(line), terms, categories) for line in lines if line.strip()]


def read_fields(path: Path) -> dict[str, set[str]]:
    """Infobox field names per category; none before the first ingest."""
    try:
        return {category: set(names) for category, names in orjson.loads(path.read_bytes()).items()}
    except FileNotFoundError:
        return {}
