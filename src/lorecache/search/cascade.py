"""The tier cascade: which tiers a search runs, in which order, when it stops, and when it says "did
you mean". Written once; each store supplies the tiers' matches through `Tiers`.

A tier is asked only while the page (`offset + limit`, and one more row to know whether there is
more) is not full, and never for what an earlier tier found, so a name typed in full costs one indexed
lookup. Needles shorter than trigrams match prefixes only; full text fills what the names leave.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from lorecache.query import ListQuery
from lorecache.search.rules import FUZZY, TRIGRAM_MIN_LENGTH
from lorecache.text import fold


@dataclass(frozen=True, slots=True)
class Hit:
    """One article a search found: the store's own reference to it, how it matched, and its title
    (for "did you mean")."""

    ref: int
    tier: int
    closeness: float
    title: str


@dataclass(slots=True)
class Found:
    hits: list[Hit]
    has_more: bool
    did_you_mean: str | None = None


Room = int
Seen = set[int]


class Tiers(Protocol):
    """One search's matches in one store, tier by tier, each best first: at most `room` hits whose
    `ref` is not in `seen`."""

    def prefixes(self, room: Room, seen: Seen) -> list[Hit]: ...
    def every_word(self, room: Room, seen: Seen) -> list[Hit]: ...
    def typos(self, room: Room, seen: Seen) -> list[Hit]: ...
    def inside_words(self, room: Room, seen: Seen) -> list[Hit]: ...
    def full_text(self, room: Room, skip: int, seen: Seen) -> list[Hit]: ...


def search(tiers: Tiers, query: ListQuery) -> Found:
    window = query.offset + query.limit + 1
    named: list[Hit] = []
    for tier in _name_tiers(tiers, query):
        room, seen = window - len(named), {hit.ref for hit in named}
        named += [hit for hit in tier(room, seen) if hit.ref not in seen][:room]
        if len(named) == window:
            break
    page = named[query.offset :]
    if len(named) < window:
        skip = max(0, query.offset - len(named))
        page += tiers.full_text(query.limit + 1 - len(page), skip, {hit.ref for hit in named})
    return Found(page[: query.limit], len(page) > query.limit, _suggestion(named, query.needle))


def _name_tiers(tiers: Tiers, query: ListQuery) -> list[Callable[[Room, Seen], list[Hit]]]:
    if len(query.needle) < TRIGRAM_MIN_LENGTH:
        return [tiers.prefixes]
    return [tiers.prefixes, tiers.every_word, tiers.typos, tiers.inside_words]


def _suggestion(named: list[Hit], needle: str) -> str | None:
    """When nothing matched by name but a typo-tolerant guess did, offer the best guess."""
    if named and named[0].tier == FUZZY and fold(named[0].title) != needle:
        return named[0].title
    return None
