"""Inbound links on disk: for every name a link targets, the page ids of the articles linking to it.
Each complete load writes them, so the file cache answers "what links here" while PostgreSQL is down
without first reading every article file (11 s for 124,000 of them, longer than a request may wait).

One file, replaced atomically: an 8-byte length, a JSON header (the names, sorted, and where each
one's ids begin), then the ids as unsigned 32-bit integers. A reader keeps the header; a name's ids are
read from the file when asked.
"""

from __future__ import annotations

import os
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from pathlib import Path

import orjson

from lorecache.atomic import write_atomically

LINKS_NAME = "inbound.bin"
Inbound = dict[str, array]
"""Page ids of the articles linking to each name, as a load collects them."""

_LENGTH = 8
_ID = array("I").itemsize


def add_links(inbound: Inbound, page_id: int, targets: Iterable[str]) -> None:
    for target in targets:
        if (ids := inbound.get(target)) is None:
            inbound[target] = ids = array("I")
        ids.append(page_id)


def merge_links(into: Inbound, more: Inbound) -> None:
    for target, ids in more.items():
        if (have := into.get(target)) is None:
            into[target] = ids
        else:
            have.extend(ids)


def write_links(root: Path, inbound: Inbound) -> None:
    names = sorted(inbound)
    starts = [0]
    for name in names:
        starts.append(starts[-1] + len(inbound[name]))
    header = orjson.dumps({"names": names, "starts": starts})
    body = b"".join(inbound[name].tobytes() for name in names)
    write_atomically(root / LINKS_NAME, len(header).to_bytes(_LENGTH, "little") + header + body)


class LinksFile:
    """One written file, open until it is closed: a file replaced meanwhile is still read from the
    version whose header this holds. Not for concurrent use: its reader holds a lock around it."""

    def __init__(self, path: Path) -> None:
        self._handle = path.open("rb")
        length = int.from_bytes(self._handle.read(_LENGTH), "little")
        header = orjson.loads(self._handle.read(length))
        self._names: list[str] = header["names"]
        self._starts = array("Q", header["starts"])
        self._body = _LENGTH + length

    def linking(self, names: Sequence[str]) -> set[int]:
        """The page ids of the articles linking to any of `names`."""
        found: set[int] = set()
        for name in names:
            position = bisect_left(self._names, name)
            if position == len(self._names) or self._names[position] != name:
                continue
            start, end = self._starts[position], self._starts[position + 1]
            ids = array("I")
            ids.frombytes(os.pread(self._handle.fileno(), (end - start) * _ID, self._body + start * _ID))
            found.update(ids)
        return found

    def close(self) -> None:
        self._handle.close()


class LinksScanned:
    """The same answers, collected from the article files' own links: for a cache written before
    loads wrote the links file."""

    def __init__(self, links_of: Iterable[tuple[int, list[str]]]) -> None:
        self._inbound: Inbound = {}
        for page_id, targets in links_of:
            add_links(self._inbound, page_id, set(targets))

    def linking(self, names: Sequence[str]) -> set[int]:
        return {page_id for name in names for page_id in self._inbound.get(name, ())}

    def close(self) -> None:
        self._inbound = {}
