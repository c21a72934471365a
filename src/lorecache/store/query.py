"""What a list or search asks — shared by both stores so they answer alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from lorecache.images.names import image_url
from lorecache.search import words
from lorecache.text import fold

Continuity = Literal["canon", "legends", "all"]

SUMMARY_FIELDS = ("title", "category", "kind", "is_canon", "summary", "url", "infobox", "image", "importance")


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A page of articles: some categories (none: all), a continuity, a search, infobox filters."""

    categories: tuple[str, ...] = ()
    continuity: Continuity = "canon"
    search: str | None = None
    filters: tuple[tuple[str, str], ...] = ()
    limit: int = 20
    offset: int = 0
    needle: str = field(init=False, compare=False, repr=False)
    """The search folded as names are; worked out once, as ranking reads it for every candidate."""
    needle_words: list[str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "needle", fold(self.search or ""))
        object.__setattr__(self, "needle_words", words(self.needle))

    @property
    def folded_filters(self) -> list[tuple[str, str]]:
        return [(field, fold(value)) for field, value in self.filters]

    def wants(self, is_canon: bool) -> bool:
        if self.continuity == "all":
            return True
        return is_canon == (self.continuity == "canon")


@dataclass(slots=True)
class SearchPage:
    rows: list[dict[str, Any]]
    has_more: bool
    did_you_mean: str | None = None


def summarize(by_category: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Totals over per-category counts: the shape of `/cache/stats` whichever store answers."""
    return {
        "total_articles": sum(counts["articles"] for counts in by_category.values()),
        "canon_articles": sum(counts["canon"] for counts in by_category.values()),
        "by_category": by_category,
    }


def listing(row: dict[str, Any], score: float | None = None) -> dict[str, Any]:
    """The public shape of an article in a list: `name` is the seed's word for the title."""
    shaped = {"name": row["title"], **{field: row[field] for field in SUMMARY_FIELDS}}
    shaped["image_url"] = image_url(row["image"])
    if score is not None:
        shaped["score"] = score
    return shaped
