"""Writing the file cache: article files and the index, each replaced atomically, so that readers see
the old file or the new one, never half of one, even across a crash."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import orjson

from lorecache.article import Article
from lorecache.atomic import remove_stale_temporaries, write_atomically
from lorecache.store.files.index import FIELDS_NAME, INDEX_NAME, IndexEntry, article_path


def sweep_temporaries(root: Path) -> int:
    """Delete the temporaries of writers killed mid-write; those of live writers stay.

    A killed writer never reaches its rename, so readers never saw its file; only the disk does.
    """
    return remove_stale_temporaries(root, (*root.glob(".*.tmp"), *root.glob("articles/*/.*.tmp")))


def write_article(root: Path, article: Article) -> None:
    """Leave an identical file alone: a re-ingest then costs a read per article, not a rename."""
    path = article_path(root, article.page_id)
    payload = orjson.dumps(article)
    try:
        if path.read_bytes() == payload:
            return
    except FileNotFoundError:
        pass
    write_atomically(path, payload)


def write_index(root: Path, entries: Iterable[IndexEntry], fields: dict[str, set[str]]) -> None:
    """Fields first: a reader that sees the new index also sees the fields it may filter on."""
    write_atomically(root / FIELDS_NAME, orjson.dumps({c: sorted(f) for c, f in sorted(fields.items())}))
    write_atomically(root / INDEX_NAME, b"\n".join(orjson.dumps(entry.as_row()) for entry in entries) + b"\n")


def delete_articles(root: Path, page_ids: Iterable[int]) -> None:
    """Remove the files of pages the source no longer has; the caller rewrites the index."""
    for page_id in page_ids:
        article_path(root, page_id).unlink(missing_ok=True)
