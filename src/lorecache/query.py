"""What a list or search asks: the question every store answers alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from lorecache.dates import EARLIEST, LATEST, Calendar, Span
from lorecache.search.rules import words
from lorecache.text import fold

Continuity = Literal["canon", "legends", "all"]


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A page of articles: some categories (none: all), a continuity, a search, infobox filters, and
    in-universe time: `span` keeps the articles whose span overlaps it, `as_of` hides those that begin
    after it."""

    categories: tuple[str, ...] = ()
    continuity: Continuity = "canon"
    search: str | None = None
    filters: tuple[tuple[str, str], ...] = ()
    limit: int = 20
    offset: int = 0
    span: Span | None = None
    as_of: int | None = None
    needle: str = field(init=False, compare=False, repr=False)
    """The search folded as names are; worked out once, as ranking reads it for every candidate."""
    needle_words: list[str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "needle", fold(self.search or ""))
        object.__setattr__(self, "needle_words", words(self.needle))

    @property
    def key(self) -> tuple:
        """What its answer depends on: the search as folded, so `Tato` and `tato` are one question."""
        return (
            self.categories,
            self.continuity,
            self.needle,
            self.filters,
            self.limit,
            self.offset,
            self.span,
            self.as_of,
        )

    @property
    def narrowed(self) -> bool:
        """Filtered on what only the articles themselves hold (infobox fields, dates), not the tables
        derived from their names."""
        return bool(self.filters) or self.span is not None or self.as_of is not None

    def in_time(self, span: Span | None) -> bool:
        """Whether an article of this span passes the time filters: an undated one has no span to
        overlap, and begins after no date."""
        if self.span is not None and (span is None or not span.overlaps(*self.span)):
            return False
        return self.as_of is None or span is None or span.start <= self.as_of

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


class BadParameter(ValueError):
    """A parameter that cannot be read, and its name: a 422 naming it, or a tool error."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def when(
    calendar: Calendar, start: str | None, end: str | None, as_of: str | None
) -> tuple[Span | None, int | None]:
    """The time filters of `from`, `to` and `as_of` as years (`22 BBY`, `0 ABY`, `-22`): the interval
    (a missing side open) and the moment."""
    years: dict[str, int | None] = {}
    for name, text in (("from", start), ("to", end), ("as_of", as_of)):
        years[name] = None if text is None else calendar.year(text)
        if text is not None and years[name] is None:
            shown = text[:40]
            raise BadParameter(name, f"{shown!r} is no year: write it as the wiki does (22 BBY) or as -22")
    low, high = years["from"], years["to"]
    if low is not None and high is not None and low > high:
        raise BadParameter("from", f"from ({start}) is after to ({end})")
    span = None
    if low is not None or high is not None:
        span = Span(EARLIEST if low is None else low, LATEST if high is None else high)
    return span, years["as_of"]
