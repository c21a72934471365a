"""Writing the file cache: article files and the index, each replaced atomically, so that readers see
the old file or the new one, never half of one, even across a crash."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from pathlib import Path

import orjson

from lorecache.article import Article
from lorecache.store.files.index import FIELDS_NAME, INDEX_NAME, IndexEntry, article_path

log = logging.getLogger(__name__)


def write_atomically(path: Path, payload: bytes) -> None:
    """The temporary name carries the writer's pid and thread, so concurrent writers never share one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        handle = temporary.open("wb")
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = temporary.open("wb")
    try:
        with handle:
            handle.write(payload)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _writer_alive(temporary: Path) -> bool:
    """Whether the process named in a temporary's name (`.name.pid.thread.tmp`) still runs here."""
    try:
        os.kill(int(temporary.name.split(".")[-3]), 0)
    except PermissionError:
        return True
    except (ValueError, IndexError, ProcessLookupError):
        return False
    return True


def remove_stale_temporaries(root: Path, candidates: Iterable[Path]) -> int:
    """Delete the temporaries among `candidates` whose writer is gone; returns how many."""
    stale = [temporary for temporary in candidates if not _writer_alive(temporary)]
    for temporary in stale:
        temporary.unlink(missing_ok=True)
    if stale:
        log.warning("removed %d temporary files left by killed writers under %s", len(stale), root)
    return len(stale)


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
    write_atomically(root / INDEX_NAME, orjson.dumps([entry.as_row() for entry in entries]))


def delete_articles(root: Path, page_ids: Iterable[int]) -> None:
    """Remove the files of pages the source no longer has; the caller rewrites the index."""
    for page_id in page_ids:
        article_path(root, page_id).unlink(missing_ok=True)
