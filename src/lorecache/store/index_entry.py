"""One row of the file cache's index: what a list or search needs without opening the article's file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lorecache.text import fold


@dataclass(slots=True)
class IndexEntry:
    page_id: int
    title: str
    category: str
    is_canon: bool
    importance: int
    aliases: list[str]
    search_title: str
    terms: str = ""

    def as_row(self) -> list[Any]:
        return [
            self.page_id,
            self.title,
            self.category,
            self.is_canon,
            self.importance,
            self.aliases,
            self.terms,
        ]

    @classmethod
    def from_row(cls, row: list[Any]) -> IndexEntry:
        """Rows written before full text had six columns; they load with no terms."""
        page_id, title, category, is_canon, importance, aliases, *terms = row
        return cls(page_id, title, category, is_canon, importance, aliases, fold(title), "".join(terms))
