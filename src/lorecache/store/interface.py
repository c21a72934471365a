"""The read interface every reader of lore goes through — JSON routes, MCP tools, lore context and
exports — and the question a list or search asks. PostgreSQL, the file cache and the hybrid of both
implement it, so they answer alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from lorecache.article import Article
from lorecache.query import Continuity, ListQuery
from lorecache.search.cascade import Hit
from lorecache.text import fold

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


@dataclass(frozen=True, slots=True)
class Backlink:
    """An article that links to another, and the infobox fields it links from (none: only its text)."""

    title: str
    category: str
    is_canon: bool
    fields: tuple[str, ...]


def linking_fields(infobox_links: dict[str, list[str]], names: Sequence[str]) -> tuple[str, ...]:
    """Which infobox fields link to one of `names`: the relation a link stands for (`homeworld`). Sorted,
    as PostgreSQL's JSONB keeps no order of keys."""
    wanted = set(names)
    return tuple(sorted(field for field, targets in infobox_links.items() if wanted.intersection(targets)))


class Named(Protocol):
    """What choosing an article by a name reads: an `Article`, or a file cache index entry."""

    page_id: int
    title: str
    aliases: Sequence[str]
    importance: int


N = TypeVar("N", bound=Named)


def named_by(found: Sequence[N], titles: Sequence[str]) -> dict[str, N]:
    """For each title asked that names one of `found`, that one: the article of that title (any case),
    else the most linked one having it as an alias. A title that only a `/Legends` twin's title begins
    names nothing: a link names its continuity."""
    by_name: dict[str, list[N]] = {}
    for candidate in found:
        for name in {fold(candidate.title), *map(fold, candidate.aliases)}:
            by_name.setdefault(name, []).append(candidate)
    chosen: dict[str, N] = {}
    for title in titles:
        asked = fold(title)
        if candidates := by_name.get(asked):
            chosen[title] = min(candidates, key=lambda c: (fold(c.title) != asked, -c.importance))
    return chosen


def in_asked_order(found: Sequence[N], titles: Sequence[str]) -> list[N]:
    """For each title asked, in order, the one of `found` it names (`named_by`), each article once."""
    chosen: dict[int, N] = {}
    for best in named_by(found, titles).values():
        chosen.setdefault(best.page_id, best)
    return list(chosen.values())


class LoreReader(Protocol):
    """What every reader of lore reads. `source_name` is what `X-Served-From` says of the answers."""

    source_name: str

    def list_articles(self, query: ListQuery) -> Page:
        """A page of a category or search: browsing when the query has no search, else the cascade's."""

    def timeline(self, query: ListQuery) -> Page:
        """A page of the dated articles of the query's categories, in timeline order: where each
        begins (`dates.Span.at`), the most linked first, then by page id."""

    def get(self, title: str, continuity: Continuity = "all") -> Article | None:
        """By title, any case, or alias; `legends` prefers the `/Legends` twin, otherwise canon first."""

    def detail(self, title: str, continuity: Continuity = "all") -> Detail | None:
        """What `get` finds, as its prepared answer."""

    def articles(self, titles: Sequence[str]) -> list[Article]:
        """The articles that links name (a title or an alias, any case), in the order asked, each once;
        the names no article answers to are left out."""

    def titles(self, names: Sequence[str]) -> dict[str, str]:
        """For each of `names` that `articles` would answer, the title of that article: where a link
        leads, without reading the articles."""

    def backlinks(self, names: Sequence[str], limit: int) -> list[Backlink]:
        """Up to `limit` articles linking to any of `names` (an article's title and aliases), the most
        linked first."""

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
