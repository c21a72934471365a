"""The in-memory backend of search, for the file cache: structures derived from its index when it
loads, and `MemoryTiers`, which answers the cascade's tiers from them.

Trigram postings (pg_trgm's trigrams of every name an article answers to) narrow a query to the
articles that share enough trigrams with it, so a search touches a few hundred entries, not all. The
vocabulary of names (every word, how many articles use it, grouped by first letter and length) corrects
typos as PostgreSQL's `search_vocabulary` does, and word postings lead from a correction to its names.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cached_property
from itertools import takewhile
from typing import Protocol, TypeVar

from lorecache.query import ListQuery
from lorecache.search.cascade import Hit
from lorecache.search.fulltext import query_terms, rank
from lorecache.search.ranking import Match, Ranked, sort_key
from lorecache.search.rules import (
    EXACT,
    FULLTEXT,
    FUZZY,
    PREFIX,
    SIMILARITY_THRESHOLD,
    SUBSTRING,
    TRIGRAM_MIN_LENGTH,
    WORDS,
    contains_words,
    edit_closeness,
    inner_trigrams,
    joined,
    names_of,
    tier,
    trigrams,
    words,
)
from lorecache.search.spelling import Fixes, fixes, lookup_word, needs_correction, pieces, typo_closeness
from lorecache.text import fold

T = TypeVar("T")


class Entry(Protocol):
    """What search reads of an index entry."""

    title: str
    search_title: str
    aliases: list[str]
    is_canon: bool
    importance: int
    terms: str


class NameIndex:
    def __init__(self, entries: Sequence[Entry], legends_suffix: str) -> None:
        self.entries = entries
        self.legends_suffix = legends_suffix
        self.names: list[str] = []
        self.by_name: dict[str, list[int]] = {}
        self.postings: dict[str, array] = {}
        self.word_postings: dict[str, array] = {}
        for position, entry in enumerate(entries):
            names = names_of(entry.title, entry.aliases, legends_suffix)
            self.names.append(joined(names))
            for name in names:
                self.by_name.setdefault(name, []).append(position)
            for gram in trigrams(" ".join(names)):
                self.postings.setdefault(gram, array("i")).append(position)
            for word in {word for name in names for word in name.split()}:
                self.word_postings.setdefault(word, array("i")).append(position)
        self.sorted_words = sorted(self.word_postings)
        self.words_by_shape: dict[tuple[str, int], list[str]] = {}
        for word in self.sorted_words:
            self.words_by_shape.setdefault((word[0], len(word)), []).append(word)
        self.sorted_names = sorted(self.by_name)

    def candidates(self, needle: str, fixed: Fixes) -> set[int]:
        """Positions that could match `needle` in any tier: those sharing enough trigrams with it, and
        those holding a correction of one of its words. A superset: the caller ranks them. Short needles
        have no useful trigrams, so they get the articles with a name starting with them."""
        if len(needle) < TRIGRAM_MIN_LENGTH:
            return set(self._prefixed(needle))
        grams = trigrams(needle)
        shared: Counter[int] = Counter()
        for gram in grams:
            shared.update(self.postings.get(gram, ()))
        least = max(1, math.floor(SIMILARITY_THRESHOLD * len(grams)))
        found = {position for position, count in shared.items() if count >= least}
        for correction, _ in (pair for corrected in fixed for pair in corrected):
            found.update(self.word_postings.get(lookup_word(correction, self.uses), ()))
        return found

    @cached_property
    def uses(self) -> dict[str, int]:
        """How many articles hold each word of the vocabulary."""
        return {word: len(postings) for word, postings in self.word_postings.items()}

    def containing(self, needle_words: list[str]) -> Iterable[int]:
        """Positions whose names may hold every word somewhere, even inside a word: those holding each
        inner trigram of every word of three letters or more (a superset: the caller checks them). When
        no word is that long, none: such words must begin words (`rules.inside_words`), which the
        every-word tier has found."""
        found: set[int] = set()
        for number, gram in enumerate(gram for word in needle_words for gram in inner_trigrams(word)):
            holding = set(self.postings.get(gram, ()))
            found = holding if number == 0 else found & holding
        return found

    def word_matches(self, needle: str) -> set[int]:
        """Positions whose names hold a word beginning with each word of the needle: every exact,
        prefix and every-word match. A needle too short for trigrams matches name prefixes only."""
        if len(needle) < TRIGRAM_MIN_LENGTH:
            return set(self._prefixed(needle))
        found: set[int] | None = None
        for word in sorted(set(words(needle)), key=len, reverse=True):
            beginning = set()
            for known in self._words_beginning(word):
                beginning.update(self.word_postings[known])
            found = beginning if found is None else found & beginning
            if not found:
                break
        return found or set()

    def fixes(self, needle_words: list[str]) -> Fixes:
        """Corrections of the words that are no common vocabulary word, as `search_vocabulary` gives
        them."""
        looked_up = {*needle_words, *(part for word in needle_words for part in pieces(word))}
        vocabulary = {word: len(self.word_postings[word]) for word in looked_up if word in self.word_postings}
        candidates = [
            (candidate, len(self.word_postings[candidate]))
            for word in set(needle_words)
            if needs_correction(word, vocabulary)
            for length in range(len(word) - 1, len(word) + 2)
            for candidate in self.words_by_shape.get((word[:1], length), ())
        ]
        return fixes(needle_words, candidates, vocabulary)

    def match(self, position: int, query: ListQuery, fixed: Fixes) -> Match | None:
        """How one article's names match the query, if they do."""
        names, needle, needle_words = self.names[position], query.needle, query.needle_words
        match_tier = tier(names, needle, needle_words)
        if match_tier is not None:
            return Match(match_tier)
        if len(needle) >= TRIGRAM_MIN_LENGTH and (typo := self.typo(position, needle, needle_words, fixed)):
            return typo
        return Match(SUBSTRING) if contains_words(names, needle_words) else None

    def typo(self, position: int, needle: str, needle_words: list[str], fixed: Fixes) -> Match | None:
        """A typo match, if it is one: every word as typed or by a correction begins a word of a name,
        or the whole title is within the edit budget."""
        nearness = typo_closeness(self.names[position], needle_words, fixed) if any(fixed) else 0.0
        edit = edit_closeness(self.entries[position].search_title, needle)
        return Match(FUZZY, max(nearness, edit), whole=edit > 0) if nearness or edit else None

    def named(self, title: str) -> list[int]:
        """Positions of articles answering to `title` or to its Legends twin's title, any case."""
        folded = {fold(title), fold(title + self.legends_suffix)}
        return sorted({position for name in folded for position in self.by_name.get(name, ())})

    def _words_beginning(self, prefix: str) -> Iterator[str]:
        start = bisect_left(self.sorted_words, prefix)
        return _starting(self.sorted_words, start, prefix, lambda word: word)

    def _prefixed(self, needle: str) -> Iterator[int]:
        start = bisect_left(self.sorted_names, needle)
        names = _starting(self.sorted_names, start, needle, lambda name: name)
        return (position for name in names for position in self.by_name[name])


def _starting(ordered: Sequence[T], start: int, prefix: str, text: Callable[[T], str]) -> Iterator[T]:
    """The items of a sorted sequence from `start` on whose text begins with `prefix`, read in place
    (a slice would copy the rest of the list)."""
    following = (ordered[at] for at in range(start, len(ordered)))
    return takewhile(lambda item: text(item).startswith(prefix), following)


class TextIndex:
    """Full-text postings of every term as the index keeps it: a title word (`^word`) apart from the
    same word in the text, so a rank reads which list holds a position rather than the entry's whole
    terms. Built on the first full-text query rather than with the names, since only a search that no
    name answers while PostgreSQL is away needs it."""

    def __init__(self, entries: Sequence[Entry], with_terms: Sequence[Entry]) -> None:
        self.entries = entries
        self.postings: dict[str, array] = {}
        for position, entry in enumerate(with_terms):
            for term in entry.terms.split():
                self.postings.setdefault(term, array("i")).append(position)

    def matches(self, needle: str) -> dict[int, float]:
        """Positions holding every stem of `needle`, in the title or the text, with their rank."""
        wanted = query_terms(needle)
        if not wanted:
            return {}
        in_title = {stem: set(self.postings.get(f"^{stem}", ())) for stem in wanted}
        holding = sorted((in_title[stem].union(self.postings.get(stem, ())) for stem in wanted), key=len)
        found = holding[0].intersection(*holding[1:])
        return {
            position: rank([f"^{s}" if position in in_title[s] else s for s in wanted], wanted) or 0.0
            for position in found
        }


class MemoryTiers:
    """The tiers of one search over the in-memory structures. Exact, prefix and every-word matches
    come from the word postings; only when they do not fill the page does the search rank every
    candidate a trigram or a correction finds, for the typo and inside-a-word tiers."""

    def __init__(
        self,
        names: NameIndex,
        text: Callable[[], TextIndex],
        query: ListQuery,
        keeps: Callable[[int], bool],
    ) -> None:
        self.names, self.text, self.query, self.keeps = names, text, query, keeps

    def prefixes(self, room: int, seen: set[int]) -> list[Hit]:
        return [hit for hit in self._strong if hit.tier in (EXACT, PREFIX)]

    def every_word(self, room: int, seen: set[int]) -> list[Hit]:
        return [hit for hit in self._strong if hit.tier == WORDS]

    def typos(self, room: int, seen: set[int]) -> list[Hit]:
        return [hit for hit in self._every_name if hit.tier == FUZZY]

    def inside_words(self, room: int, seen: set[int]) -> list[Hit]:
        """Every word inside some word of a name, among the names no earlier tier matched."""
        names, needle_words = self.names.names, self.query.needle_words
        candidates = (p for p in self.names.containing(needle_words) if p not in seen)
        inside = (p for p in candidates if contains_words(names[p], needle_words))
        return self._ranked((p, Match(SUBSTRING)) for p in inside)

    def full_text(self, room: int, skip: int, seen: set[int]) -> list[Hit]:
        found = self.text().matches(self.query.needle)
        matches = ((p, Match(FULLTEXT, closeness)) for p, closeness in found.items() if p not in seen)
        return self._ranked(matches)[skip : skip + room]

    @cached_property
    def _strong(self) -> list[Hit]:
        found = self.names.word_matches(self.query.needle)
        return self._ranked((p, self.names.match(p, self.query, [])) for p in found)

    @cached_property
    def _every_name(self) -> list[Hit]:
        needle = self.query.needle
        fixed = self.names.fixes(self.query.needle_words) if len(needle) >= TRIGRAM_MIN_LENGTH else []
        found = self.names.candidates(needle, fixed) | self.names.word_matches(needle)
        return self._ranked((p, self.names.match(p, self.query, fixed)) for p in found)

    def _ranked(self, matches: Iterable[tuple[int, Match | None]]) -> list[Hit]:
        entries, canon_first = self.names.entries, self.query.continuity == "all"
        ranked = [
            Ranked.of(p, match, entries[p].is_canon, entries[p].importance, entries[p].title)
            for p, match in matches
            if match is not None and self.keeps(p)
        ]
        ranked.sort(key=lambda candidate: sort_key(candidate, canon_first))
        return [Hit(r.ref, r.tier, r.closeness, r.title) for r in ranked]
