"""What links to each article, compared between the two stores."""

from __future__ import annotations

from lorecache.store.files import FileCache
from lorecache.store.postgres import PostgresStore

ALL = 1000


def backlinks_differ(files: FileCache, postgres: PostgresStore) -> list[str]:
    """The articles whose "what links here" from the file cache is not PostgreSQL's: the same linking
    articles, in the same order, with the same fields."""
    differing = []
    for entry in files.entries():
        names = [entry.title, *entry.aliases]
        if files.backlinks(names, ALL) != postgres.backlinks(names, ALL):
            differing.append(entry.title)
    return differing
