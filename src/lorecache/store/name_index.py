"""The file cache's in-memory search structures, derived from its index when it loads.

Trigram postings (pg_trgm's trigrams of every name an article answers to) narrow a query to the
articles that share enough trigrams with it, so a search touches a few hundred entries, not all.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator

from lorecache.search import SIMILARITY_THRESHOLD, TRIGRAM_MIN_LENGTH, joined, names_of, trigrams
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

    def candidates(self, needle: str) -> Iterator[int]:
        """Positions that could match `needle` in any tier; a superset, the caller ranks them."""
        if len(needle) < TRIGRAM_MIN_LENGTH:
            yield from self._prefixed(needle)
            return
        grams = trigrams(needle)
        shared: Counter[int] = Counter()
        for gram in grams:
            shared.update(self.postings.get(gram, ()))
        least = max(1, math.floor(SIMILARITY_THRESHOLD * len(grams)))
        yield from (position for position, count in shared.items() if count >= least)

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
