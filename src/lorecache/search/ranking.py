"""How search ranks: one specification, from which both PostgreSQL's `ORDER BY` and the file cache's
sort key are made, so the two stores cannot drift apart.

Matches are ordered by tier (exact, prefix, every word, typo, inside a word, full text); within a tier
by closeness in tenths (typos and full-text ranks a tenth apart count as equal, so importance decides
between them), then a whole title before a word of one (`Omen` before `Dark Omen` for `Omeen`), then
the canon article before its Legends twin when both continuities are asked for, then the more linked,
then the title in code-point order (PostgreSQL's `COLLATE "C"`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lorecache.search.rules import EXACT, FUZZY, PREFIX, SUBSTRING, WORDS

TIER_SCORES = {EXACT: 1.0, PREFIX: 0.9, WORDS: 0.8, SUBSTRING: 0.3}
FUZZY_WEIGHT = 0.7
FULLTEXT_WEIGHT = 0.5


@dataclass(frozen=True, slots=True)
class Term:
    """One sort term: its SQL (`{}` standing for the statement's expression of it, or `column` when the
    statement names none) and the same order as a Python key."""

    name: str
    sql: str
    column: str
    key: Callable[[Ranked], Any]


RANKING = (
    Term("tier", "{}", "tier", lambda c: c.tier),
    Term("closeness", "floor(({}) * 10) DESC", "similarity", lambda c: -closeness_bucket(c.closeness)),
    Term("whole", "({}) DESC", "false", lambda c: not c.whole),
    Term("canon", "{} DESC", "is_canon", lambda c: not c.is_canon),
    Term("importance", "{} DESC", "importance", lambda c: -c.importance),
    Term("title", '{} COLLATE "C"', "title", lambda c: c.title),
)


def _applies(term: Term, canon_first: bool) -> bool:
    return term.name != "canon" or canon_first


def order_by(canon_first: bool, **expressions: str | None) -> str:
    """The `ORDER BY` list of a statement. Keyword arguments give a term's expression in that statement;
    None leaves the term out, as a statement whose rows all share it (one tier, no closeness)."""
    parts = []
    for term in RANKING:
        expression = expressions.get(term.name, term.column)
        if expression is not None and _applies(term, canon_first):
            parts.append(term.sql.format(expression))
    return ", ".join(parts)


def sort_key(candidate: Ranked, canon_first: bool) -> tuple:
    return tuple(term.key(candidate) for term in RANKING if _applies(term, canon_first))


def closeness_bucket(closeness: float) -> float:
    return math.floor(closeness * 10) / 10


@dataclass(frozen=True, slots=True)
class Match:
    """How one article matched a query: its tier, how close it came (typos, full text), and whether
    its whole title did (a typo match by edit distance)."""

    tier: int
    closeness: float = 1.0
    whole: bool = False

    @property
    def score(self) -> float:
        return score(self.tier, self.closeness)


def score(match_tier: int, closeness: float) -> float:
    """The `score` an answer shows: the tier's, scaled by closeness for typos and full text."""
    if match_tier in TIER_SCORES:
        return TIER_SCORES[match_tier]
    weight = FUZZY_WEIGHT if match_tier == FUZZY else FULLTEXT_WEIGHT
    return round(weight * closeness, 4)


@dataclass(frozen=True, slots=True)
class Ranked:
    """A match beside what ranking reads of its article (what `RANKING` sorts); `ref` is the store's
    reference to it."""

    ref: int
    tier: int
    closeness: float
    whole: bool
    is_canon: bool
    importance: int
    title: str

    @classmethod
    def of(cls, ref: int, match: Match, is_canon: bool, importance: int, title: str) -> Ranked:
        return cls(ref, match.tier, match.closeness, match.whole, is_canon, importance, title)
