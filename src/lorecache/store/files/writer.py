"""Writing the file cache: article files and the index, each replaced atomically, so that readers see
the old file or the new one, never half of one, even across a crash."""

from __future__ import annotations

import os
import shutil
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


def write_article(root: Path, article: Article) -> bytes:
    """The article's file, and what it holds. An identical file is left alone: a re-ingest then costs a
    read per article, not a rename. A new one is written in place, not renamed into it: no index names
    it yet, so no reader can see it half written, and bytes a killed writer left are found different
    and replaced by the next run."""
    path = article_path(root, article.page_id)
    payload = orjson.dumps(article)
    try:
        if path.read_bytes() == payload:
            return payload
    except FileNotFoundError:
        if _created(path, payload):
            return payload
    write_atomically(path, payload)
    return payload


def _created(path: Path, payload: bytes) -> bool:
    """False when a file appeared there meanwhile."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        return _created(path, payload)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(payload)
    return True


def write_index(root: Path, entries: Iterable[IndexEntry], fields: dict[str, set[str]]) -> None:
    """Fields first: a reader that sees the new index also sees the fields it may filter on."""
    write_atomically(root / FIELDS_NAME, orjson.dumps({c: sorted(f) for c, f in sorted(fields.items())}))
    write_atomically(root / INDEX_NAME, b"\n".join(orjson.dumps(entry.as_row()) for entry in entries) + b"\n")


def delete_articles(root: Path, page_ids: Iterable[int]) -> None:
    """Remove the files of pages the source no longer has; the caller rewrites the index."""
    for page_id in page_ids:
        article_path(root, page_id).unlink(missing_ok=True)


SPILL_DIRECTORY = "spill"


def write_spill(root: Path, first_page_id: int, payloads: list[bytes]) -> Path:
    """One batch's articles in one file, for the load that follows the parse to read back at once."""
    path = root / SPILL_DIRECTORY / f"{first_page_id}.jsonl"
    write_atomically(path, b"\n".join(payloads))
    return path


def read_spill(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")


def drop_spills(root: Path) -> None:
    """After the load, or what a killed run left."""
    shutil.rmtree(root / SPILL_DIRECTORY, ignore_errors=True)
