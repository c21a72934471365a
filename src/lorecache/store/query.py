"""What a list query asks, and how results are ordered — shared by both stores so they agree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from lorecache.text import fold

Continuity = Literal["canon", "legends", "all"]

SUMMARY_FIELDS = ("title", "category", "kind", "is_canon", "summary", "url", "infobox", "image", "importance")


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A page of articles from some categories, optionally narrowed by a search on the title."""

    categories: tuple[str, ...]
    continuity: Continuity = "canon"
    search: str | None = None
    limit: int = 20
    offset: int = 0

    @property
    def folded_search(self) -> str:
        return fold(self.search or "")

    def wants(self, is_canon: bool) -> bool:
        if self.continuity == "all":
            return True
        return is_canon == (self.continuity == "canon")


def match_rank(search_title: str, needle: str) -> int | None:
    """0 for an exact title, 1 for a prefix, 2 for a substring, None for no match.

    PostgreSQL orders by the same three tiers (see PostgresStore.list_articles).
    """
    if search_title == needle:
        return 0
    if search_title.startswith(needle):
        return 1
    if needle in search_title:
        return 2
    return None


def listing(row: dict[str, Any]) -> dict[str, Any]:
    """The public shape of an article in a list: `name` is the seed's word for the title."""
    return {"name": row["title"], **{field: row[field] for field in SUMMARY_FIELDS}}
