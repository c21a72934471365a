"""The file cache's full-text postings: which articles hold a term, from the terms in its index.

Built on the first full-text query rather than with the name index, since only a search that no
name answers while PostgreSQL is away needs it.
"""

from __future__ import annotations

from array import array

from lorecache.fulltext import query_terms, rank
from lorecache.store.index_entry import IndexEntry


class TextIndex:
    """Postings of every term as `index.json` keeps it: a title word (`^word`) apart from the same word
    in the text, so a rank reads which list holds a position rather than the entry's whole terms."""

    def __init__(self, entries: list[IndexEntry]) -> None:
        self.entries = entries
        self.postings: dict[str, array] = {}
        for position, entry in enumerate(entries):
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
