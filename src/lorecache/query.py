"""What a list or search asks: the question every store answers alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from lorecache.search.rules import words
from lorecache.text import fold

Continuity = Literal["canon", "legends", "all"]


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
    def key(self) -> tuple:
        """What its answer depends on: the search as folded, so `Tato` and `tato` are one question."""
        return self.categories, self.continuity, self.needle, self.filters, self.limit, self.offset

    @property
    def folded_filters(self) -> list[tuple[str, str]]:
        return [(field, fold(value)) for field, value in self.filters]

    def wants(self, is_canon: bool) -> bool:
        if self.continuity == "all":
            return True
        return is_canon == (self.continuity == "canon")


def unknown_filter(
    fields: dict[str, set[str]], category: str | None, filters: tuple[tuple[str, str], ...]
) -> tuple[str, str] | None:
    """The first wrong infobox filter on `category` (any category when None), given the fields each
    category has, and what is wrong with it; None when nothing is."""
    allowed = fields.get(category, set()) if category else set().union(*fields.values())
    for name, value in filters:
        if name not in allowed:
            where = f"category {category!r}" if category else "any category"
            return name, f"unknown infobox field {name!r} for {where}"
        if not value.strip() or len(value) > 200:
            return name, "a filter value needs 1 to 200 characters"
    return None
