"""Where raw pages come from: a dump file, a live MediaWiki, … — each a `Source`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from lorecache.article import RawPage
from lorecache.config import Settings, get_settings


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


def open_source(spec: str | Path, settings: Settings | None = None) -> Source:
    """A wiki's `http(s)://…/api.php` or a dump path, as a Source; a wiki needs `settings.contact`."""
    if isinstance(spec, str) and spec.startswith(("http://", "https://")):
        from lorecache.sources.mediawiki import MediaWikiSource
        from lorecache.universes import load

        settings = settings or get_settings()
        return MediaWikiSource(spec, load(settings.universe), settings.contact)
    from lorecache.sources.dump import DumpSource

    return DumpSource(Path(spec))
