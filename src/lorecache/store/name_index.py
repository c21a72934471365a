"""The file cache's in-memory search structures, derived from its index when it loads.

Trigram postings (pg_trgm's trigrams of every name an article answers to) narrow a query to the
articles that share enough trigrams with it, so a search touches a few hundred entries, not all.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator

from lorecache.search import (
    SIMILARITY_THRESHOLD,
    TRIGRAM_MIN_LENGTH,
    WORD_SIMILARITY_THRESHOLD,
    edit_closeness,
    initials_begin_words,
    joined,
    names_of,
    similarity,
    trigrams,
    word_similarity,
    words,
)
from lorecache.store.index_entry import IndexEntry
from lorecache.text import fold


class NameIndex:
    def __init__(self, entries: list[IndexEntry], legends_suffix: str) -> None:
        self.entries = entries
        self.legends_suffix = legends_suffix
        self.names: list[str] = []
        self.by_name: dict[str, list[int]] = {}
        self.postings: dict[str, array] = {}
        for position, entry in enumerate(entries):
            names = names_of(entry.title, entry.aliases, legends_suffix)
            self.names.append(joined(names))
            for name in names:
                self.by_name.setdefault(name, []).append(position)
            for gram in trigrams(" ".join(names)):
                self.postings.setdefault(gram, array("i")).append(position)
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

    def candidates(self, needle: str) -> dict[int, int]:
        """Positions that could match `needle` in any tier, with the trigrams each shares with it.

        A superset: the caller ranks them. Short needles have no useful trigrams, so they get the
        articles with a name starting with them.
        """
        if len(needle) < TRIGRAM_MIN_LENGTH:
            return dict.fromkeys(self._prefixed(needle), 0)
        grams = trigrams(needle)
        shared: Counter[int] = Counter()
        for gram in grams:
            shared.update(self.postings.get(gram, ()))
        least = max(1, math.floor(SIMILARITY_THRESHOLD * len(grams)))
        return {position: count for position, count in shared.items() if count >= least}

    def closeness(self, position: int, needle: str, shared: int) -> float | None:
        """How near a typo match comes, or None when PostgreSQL would not call it a match: strict word
        similarity of at least 0.5 to some name whose words begin with the needle's initials, or a
        title within the edit budget."""
        needle_grams = len(trigrams(needle))
        title = self.entries[position].search_title
        names = self.names[position]
        reachable = needle_grams and shared / needle_grams >= WORD_SIMILARITY_THRESHOLD
        word = word_similarity(needle, names) if reachable else 0.0
        edit = edit_closeness(title, needle)
        near_words = word >= WORD_SIMILARITY_THRESHOLD and initials_begin_words(names, words(needle))
        if not near_words and not edit:
            return None
        return max(similarity(title, needle), word, edit)

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

    def _prefixed(self, needle: str) -> Iterator[int]:
        start = bisect_left(self.sorted_names, (needle, -1))
        for name, position in self.sorted_names[start:]:
            if not name.startswith(needle):
                return
            yield position
