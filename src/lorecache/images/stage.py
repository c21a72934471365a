"""Stage 2 of the prefetch, `prefetching_images`: every image the articles name, fetched, kept, recorded.

Images are located through the wiki's API when the articles came from one (its answer is the truth,
whatever host it uses), else by the universe's URL rule. The allowed hosts are the universe's image
hosts plus the wiki's own host. Rows reach `image_cache` in batches as downloads finish, so a stopped
run keeps what it fetched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import replace
from urllib.parse import urlsplit

from sqlalchemy import Engine

from lorecache.config import is_wiki
from lorecache.images.fetch import ImageFetcher
from lorecache.images.resolve import Located, by_rule, by_wiki, named
from lorecache.images.store import ImageStore
from lorecache.progress import Progress
from lorecache.sources.client import ApiClient, user_agent
from lorecache.store.images import ImageRecord, ImageRepository
from lorecache.universes import ImageRules, ScrapeRules, Universe

log = logging.getLogger(__name__)

STAGE = "prefetching_images"
RECORD_BATCH = 100


class ImageStage:
    def __init__(
        self,
        engine: Engine,
        universe: Universe,
        store: ImageStore,
        contact: str | None,
        *,
        api_url: str | None = None,
        scrape: ScrapeRules | None = None,
        rules: ImageRules | None = None,
    ) -> None:
        self.repository = ImageRepository(engine, universe.name)
        self.universe = universe
        self.store = store
        self.contact = contact
        self.api_url = api_url
        self.scrape = scrape or universe.scrape
        self.rules = rules or universe.images
        if api_url:
            self.rules = replace(self.rules, hosts=(*self.rules.hosts, urlsplit(api_url).hostname or ""))

    def run(self, progress: Progress, report: Callable[[], None]) -> None:
        names, refused = named(self.repository.wanted_names())
        progress.enter(STAGE, total=len(names) + len(refused))
        progress.images_total = progress.articles_total
        log.info("STAGE 2: prefetching %s images", f"{progress.images_total:,}")
        report()
        self.store.sweep_temporaries()
        fetcher = ImageFetcher(self.rules, self.store, user_agent(self.contact))
        pending: list[ImageRecord] = []

        def on_record(record: ImageRecord) -> None:
            _count(progress, record)
            pending.append(record)
            if len(pending) >= RECORD_BATCH:
                self.repository.record(pending)
                pending.clear()
            report()

        try:
            fetcher.fetch_all([*refused, *self._locate(names)], self.repository.validators(), on_record)
        finally:
            self.repository.record(pending)
            fetcher.close()
        log.info(
            "images: %d fetched, %d failed, %s bytes",
            progress.images_fetched,
            progress.images_failed,
            f"{progress.images_bytes:,}",
        )

    def _locate(self, names: list[str]) -> Iterable[Located]:
        if not self.api_url:
            return by_rule(self.rules.url, names)
        client = ApiClient(self.api_url, self.scrape, self.contact)
        try:
            return list(by_wiki(client, names))
        finally:
            client.close()


def _count(progress: Progress, record: ImageRecord) -> None:
    progress.articles_processed += 1
    if record.status == "fetched":
        progress.images_fetched += 1
        progress.images_bytes += record.bytes or 0
    else:
        progress.images_failed += 1
        progress.record_error(f"File:{record.file_name}", record.error or "failed")


def image_stage(
    engine: Engine, universe: Universe, store: ImageStore, contact: str | None, source: str | None
) -> ImageStage:
    """Stage 2 for the articles of `source`: its images located through the wiki when it is one."""
    api_url = source if source and is_wiki(source) else None
    return ImageStage(engine, universe, store, contact, api_url=api_url)
