"""The read interface every reader of lore goes through — JSON routes today — and the question a list
or search asks. PostgreSQL, the file cache and the hybrid of both implement it, so they answer alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from lorecache.article import Article
from lorecache.query import Continuity, ListQuery
from lorecache.search.cascade import Hit

Counts = dict[str, dict[str, int]]
"""Per category: `{"articles": n, "canon": m}`."""

T = TypeVar("T")


@dataclass(slots=True)
class Page:
    """A page of articles as prepared list items (`lorecache.answers`). A search's page has its hits
    beside them, in the same order: how each matched, which the answer shows as its score."""

    items: list[str]
    has_more: bool
    hits: list[Hit] | None = None
    did_you_mean: str | None = None


@dataclass(frozen=True, slots=True)
class Detail:
    """One article's prepared answer, and its title (which an alias or another case resolved to)."""

    title: str
    json: str


class LoreReader(Protocol):
    """What every reader of lore reads. `source_name` is what `X-Served-From` says of the answers."""

    source_name: str

    def list_articles(self, query: ListQuery) -> Page:
        """A page of a category or search: browsing when the query has no search, else the cascade's."""

    def get(self, title: str, continuity: Continuity = "all") -> Article | None:
        """By title, any case, or alias; `legends` prefers the `/Legends` twin, otherwise canon first."""

    def detail(self, title: str, continuity: Continuity = "all") -> Detail | None:
        """What `get` finds, as its prepared answer."""

    def random(self, query: ListQuery) -> str | None: ...
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
