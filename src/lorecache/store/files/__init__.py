"""The file cache: one JSON file per article plus an index, per universe, under the data directory —
the raw archive, and the store that answers while PostgreSQL cannot. `reader` answers the read
interface, `writer` writes files atomically, `index` is what the cache knows of every article."""

from lorecache.store.files.index import IndexEntry
from lorecache.store.files.reader import FileCache

__all__ = ["FileCache", "IndexEntry"]
