"""The file cache's in-memory search structures, derived from its index when it loads.

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
from itertools import takewhile
from operator import itemgetter
from typing import TypeVar

from lorecache.search import (
    FUZZY,
    SIMILARITY_THRESHOLD,
    TRIGRAM_MIN_LENGTH,
    Match,
    edit_closeness,
    joined,
    names_of,
    trigrams,
    words,
)
from lorecache.spelling import Fixes, fixes, needs_correction, pieces, typo_closeness
from lorecache.store.index_entry import IndexEntry
from lorecache.text import fold

T = TypeVar("T")


class NameIndex:
    def __init__(self, entries: list[IndexEntry], legends_suffix: str) -> None:
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
        self.sorted_names = sorted(
            (name, position) for name, positions in self.by_name.items() for position in positions
        )
        self.ranked = sorted(range(len(entries)), key=lambda p: (-entries[p].importance, entries[p].title))
        self.ranked_in: dict[str, list[int]] = {}
        for position in self.ranked:
            self.ranked_in.setdefault(entries[position].category, []).append(position)
        self.counts: dict[str, dict[str, int]] = {}
        for entry in entries:
            counts = self.counts.setdefault(entry.category, {"articles": 0, "canon": 0})
            counts["articles"] += 1
            counts["canon"] += entry.is_canon

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
            for word in self._words_beginning(correction):
                found.update(self.word_postings[word])
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

    def typo(self, position: int, needle: str, needle_words: list[str], fixed: Fixes) -> Match | None:
        """A typo match, if it is one: every word as typed or by a correction begins a word of a name,
        or the whole title is within the edit budget."""
        nearness = typo_closeness(self.names[position], needle_words, fixed) if any(fixed) else 0.0
        edit = edit_closeness(self.entries[position].search_title, needle)
        return Match(FUZZY, max(nearness, edit), whole=edit > 0) if nearness or edit else None

    def by_rank(self, categories: tuple[str, ...]) -> Iterable[int]:
        """Positions in browse order (most linked first), only of `categories` when given."""
        if not categories:
            return self.ranked
        if len(categories) == 1:
            return self.ranked_in.get(categories[0], [])
        return sorted(
            (p for c in categories for p in self.ranked_in.get(c, [])),
            key=lambda p: (-self.entries[p].importance, self.entries[p].title),
        )

    def named(self, title: str) -> list[int]:
        """Positions of articles answering to `title` or to its Legends twin's title, any case."""
        folded = {fold(title), fold(title + self.legends_suffix)}
        return sorted({position for name in folded for position in self.by_name.get(name, ())})

    def _words_beginning(self, prefix: str) -> Iterator[str]:
        start = bisect_left(self.sorted_words, prefix)
        return _starting(self.sorted_words, start, prefix, lambda word: word)

    def _prefixed(self, needle: str) -> Iterator[int]:
        start = bisect_left(self.sorted_names, (needle, -1))
        return (position for _, position in _starting(self.sorted_names, start, needle, itemgetter(0)))


def _starting(ordered: Sequence[T], start: int, prefix: str, text: Callable[[T], str]) -> Iterator[T]:
    """The items of a sorted sequence from `start` on whose text begins with `prefix`, read in place
    (a slice would copy the rest of the list)."""
    following = (ordered[at] for at in range(start, len(ordered)))
    return takewhile(lambda item: text(item).startswith(prefix), following)
