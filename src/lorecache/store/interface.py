"""The read interface every reader of lore goes through — JSON routes today — and the question a list
or search asks. PostgreSQL, the file cache and the hybrid of both implement it, so they answer alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, Literal, NamedTuple, Protocol, TypeVar

from lorecache.article import Article
from lorecache.search.rules import words
from lorecache.text import fold

Continuity = Literal["canon", "legends", "all"]
Counts = dict[str, dict[str, int]]
"""Per category: `{"articles": n, "canon": m}`."""

T = TypeVar("T")


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


class LoreReader(Protocol):
    """What the API reads. `source_name` is what `X-Served-From` says of the answers."""

    source_name: str

    def list_articles(self, query: ListQuery) -> list[dict[str, Any]]: ...
    def search(self, query: ListQuery) -> SearchPage: ...
    def get(self, title: str, continuity: Continuity = "all") -> Article | None: ...
    def random(self, query: ListQuery) -> dict[str, Any] | None: ...
    def categories(self) -> Counts: ...
    def fields(self) -> dict[str, set[str]]: ...
    def stats(self) -> dict[str, Any]: ...
    def ping(self) -> None: ...


class Served(NamedTuple, Generic[T]):
    """An answer and the store that gave it."""

    answer: T
    source: str


def summarize(by_category: Counts) -> dict[str, Any]:
    """Totals over per-category counts: the shape of `/cache/stats` whichever store answers."""
    return {
        "total_articles": sum(counts["articles"] for counts in by_category.values()),
        "canon_articles": sum(counts["canon"] for counts in by_category.values()),
        "by_category": by_category,
    }
