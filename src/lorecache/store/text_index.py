"""The file cache's full-text postings: which articles hold a term, from the terms in its index.

Built on the first full-text query rather than with the name index, since only a search that no
name answers while PostgreSQL is away needs it.
"""

from __future__ import annotations

from array import array

from lorecache.fulltext import query_terms, rank
from lorecache.store.index_entry import IndexEntry


class TextIndex:
    def __init__(self, entries: list[IndexEntry]) -> None:
        self.entries = entries
        self.postings: dict[str, array] = {}
        for position, entry in enumerate(entries):
            for term in {term.lstrip("^") for term in entry.terms.split()}:
                self.postings.setdefault(term, array("i")).append(position)

    def matches(self, needle: str) -> dict[int, float]:
        """Positions holding every stem of `needle`, with their rank."""
        wanted = query_terms(needle)
        if not wanted:
            return {}
        lists = sorted((self.postings.get(term, array("i")) for term in wanted), key=len)
        found = set(lists[0])
        for postings in lists[1:]:
            found.intersection_update(postings)
        return {position: rank(self.entries[position].terms.split(), wanted) or 0.0 for position in found}
