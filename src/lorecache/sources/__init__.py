"""Where raw pages come from: a dump file, a live MediaWiki, … — each a `Source`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from lorecache.article import RawPage


class SourceError(Exception):
    """The source broke off; every page before the fault was already yielded and is kept."""


class Source(Protocol):
    @property
    def name(self) -> str:
        """Shown in progress and logs, stored in `scraping_logs.source`."""
        ...

    def fingerprint(self) -> str | None:
        """Equal fingerprints mean an equal result, so the prefetch may skip; None: never skip."""
        ...

    def count(self) -> int:
        """Pages expected, for progress totals; 0 when unknown."""
        ...

    def pages(self) -> Iterator[RawPage]: ...


def open_source(spec: str | Path) -> Source:
    """A dump path, as a Source."""
    from lorecache.sources.dump import DumpSource

    return DumpSource(Path(spec))
