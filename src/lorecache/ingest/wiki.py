"""Keeping the cache in step with a live wiki: a full pass that survives being stopped, then incremental
passes that fetch only what changed.

A full pass fetches the members of the scrape categories in ascending page id, one API batch at a
time; each batch is parsed into the file cache and PostgreSQL and checkpointed in `scraping_logs`
before the next, so a pass stopped at any point resumes after its last finished batch. An incremental
pass reads the wiki's recent changes since the last sync began (by the wiki's clock), refetches those
pages and removes deleted ones. Pages that fail are listed in the checkpoint and fetched again by the
next run. Importance and aliases depend on the whole corpus, so they are recomputed from the file cache
at the end of every pass, and PostgreSQL is then brought in line with it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from lorecache.ingest.parse import Categorized, merge_fields
from lorecache.ingest.run import Run
from lorecache.ingest.stages import writing_to_postgresql
from lorecache.ingest.writer import CacheWriter
from lorecache.sources import SourceError
from lorecache.sources.mediawiki import Batch, MediaWikiSource
from lorecache.store.files import IndexEntry
from lorecache.store.files.links import add_links

log = logging.getLogger(__name__)

FULL, LAST, INCREMENTAL = "full", "last", "incremental"


def parse_since(text: str) -> str | datetime:
    """`last`, `full`, or an ISO timestamp (UTC unless it says otherwise)."""
    if text in (FULL, LAST):
        return text
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--since takes 'last', 'full' or an ISO timestamp, not {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class _Plan:
    mode: str
    synced_from: datetime
    since: datetime | None = None
    done_through: int = 0
    retry: set[int] = field(default_factory=set)


class WikiSync:
    """One sync of the cache with a wiki, as one run."""

    def __init__(self, run: Run, writer: CacheWriter, source: MediaWikiSource, since: str | datetime) -> None:
        self.state = run
        self.writer = writer
        self.files = writer.files
        self.source = source
        self.since = since
        self.entries: dict[int, IndexEntry] = {}
        self.titles: dict[str, int] = {}
        self.fields: dict[str, set[str]] = {}
        self.failed: set[int] = set()

    def run(self) -> None:
        plan = self._plan()
        self.entries = {entry.page_id: entry for entry in self.files.stored_entries()}
        self.titles = {entry.title: entry.page_id for entry in self.entries.values()}
        self.fields = self.files.fields()
        self.failed = set(plan.retry)
        self.state.checkpoint.update(mode=plan.mode, synced_from=plan.synced_from.isoformat())
        try:
            if plan.mode == FULL:
                self._full(plan)
            else:
                self._incremental(plan)
        except SourceError:
            self._finish(complete=False)
            raise
        self._finish(complete=True)

    def _plan(self) -> _Plan:
        now = self.source.server_time()
        earlier = self.state.earlier(self.source.name)
        retry = set(earlier[0]["checkpoint"].get("failed", ())) if earlier else set()
        unfinished = _unfinished_full_pass(earlier)
        if unfinished is not None and self.since in (FULL, LAST):
            log.info("resuming the full pass of run %d after page %d", unfinished["id"], unfinished["done"])
            return _Plan(FULL, unfinished["synced_from"], done_through=unfinished["done"], retry=retry)
        if self.since == FULL:
            return _Plan(FULL, now, retry=retry)
        since = self.since if isinstance(self.since, datetime) else _last_sync(earlier)
        if since is None:
            log.info("no earlier sync of %s: fetching every page", self.source.name)
            return _Plan(FULL, now, retry=retry)
        kept = timedelta(days=self.source.rules.recent_changes_days)
        if now - since > kept:
            log.warning(
                "the last sync (%s) is older than the %d days the wiki keeps recent changes: "
                "fetching every page instead",
                since.isoformat(),
                kept.days,
            )
            self.state.checkpoint["fell_back_to_full"] = since.isoformat()
            return _Plan(FULL, now, retry=retry)
        return _Plan(INCREMENTAL, now, since=since, retry=retry)

    def _full(self, plan: _Plan) -> None:
        members = self.source.member_ids()
        todo = [page_id for page_id in members if page_id > plan.done_through]
        self._enter(len(members), done=len(members) - len(todo))
        self.state.checkpoint["done_through"] = plan.done_through
        log.info("full pass of %s: %d pages, %d to fetch", self.source.name, len(members), len(todo))
        for batch in self.source.fetch(todo):
            self._apply(batch)
            self.state.checkpoint["done_through"] = batch.page_ids[-1]
            self._checkpoint()
        wanted = set(members)
        for batch in self.source.fetch(sorted((self.failed & wanted) - set(todo))):
            self._apply(batch)
            self._checkpoint()
        self._remove(self.entries.keys() - wanted)

    def _incremental(self, plan: _Plan) -> None:
        assert plan.since is not None
        changes = self.source.changes_since(plan.since)
        deleted = {
            page_id
            for page_id, entry in self.entries.items()
            if entry.title in changes.deleted_titles and page_id not in changes.page_ids
        }
        todo = sorted(changes.page_ids | self.failed)
        log.info(
            "changes on %s since %s: %d pages to fetch, %d deleted",
            self.source.name,
            plan.since.isoformat(),
            len(todo),
            len(deleted),
        )
        self._enter(len(todo), done=0)
        self._remove(deleted)
        for batch in self.source.fetch(todo):
            self._apply(batch)
            self._checkpoint()

    def _enter(self, total: int, done: int) -> None:
        self.state.progress.enter("scraping", total=total)
        self.state.progress.articles_processed = done
        self._checkpoint()

    def _apply(self, batch: Batch) -> None:
        """File one fetched batch in both stores; a page that fails is recorded, not fatal."""
        result = self.writer.file_batch(batch.pages)
        chunk = Categorized()
        chunk.merge(result)
        fresh = chunk.finalize()
        ids_by_title = {page.title: page.page_id for page in batch.pages}
        failures = {**batch.failures, **{ids_by_title[title]: (title, why) for title, why in result.failures}}
        fetched = {entry.page_id for entry in fresh}
        self.failed = (self.failed - set(batch.page_ids) - fetched) | failures.keys()
        for entry in fresh:
            self._keep(entry)
        merge_fields(self.fields, result.fields)
        self._record(batch, result.redirects, failures)
        self._remove(set(batch.page_ids) - fetched - failures.keys())
        self._write_index()
        self.writer.write_rows(fresh)

    def _keep(self, entry: IndexEntry) -> None:
        """Take the fresh entry; a page deleted and recreated under the same title leaves no twin."""
        previous = self.entries.get(entry.page_id)
        entry.importance = previous.importance if previous else 0
        twin = self.titles.get(entry.title)
        if twin is not None and twin != entry.page_id:
            self._remove({twin})
        if previous is not None and previous.title != entry.title:
            self.titles.pop(previous.title, None)
        self.entries[entry.page_id] = entry
        self.titles[entry.title] = entry.page_id

    def _record(self, batch: Batch, redirects: list, failures: dict[int, tuple[str, str]]) -> None:
        progress = self.state.progress
        progress.articles_processed += len(batch.page_ids)
        progress.pages_read += len(batch.pages)
        progress.redirects += len(redirects)
        for title, reason in failures.values():
            log.warning("page %r failed: %s; it will be fetched again next run", title, reason)
            self.state.count_failure(title, reason)

    def _remove(self, page_ids: Iterable[int]) -> None:
        """Drop pages from the index first, then their files and rows: no entry ever lacks its file."""
        gone = [page_id for page_id in page_ids if page_id in self.entries]
        if not gone:
            return
        for page_id in gone:
            self.titles.pop(self.entries.pop(page_id).title, None)
        self.writer.remove(gone, self.entries.values(), self.fields)
        log.info("removed %d pages the wiki no longer has in %s", len(gone), self.source.name)

    def _write_index(self) -> None:
        self.writer.write_index(self.entries.values(), self.fields)

    def _checkpoint(self) -> None:
        self.state.checkpoint["failed"] = sorted(self.failed)
        self.state.boundary(force=True)

    def _finish(self, *, complete: bool) -> None:
        """Importance and aliases from the whole file cache, then PostgreSQL in line with it."""
        self._write_index()
        corpus = Categorized(entries=self.entries)
        for article in self.files.iter_articles():
            add_links(corpus.inbound, article.page_id, article.links)
            corpus.fields.setdefault(article.category, set()).update(article.infobox)
        self.writer.settle(corpus)
        writing_to_postgresql(self.state, self.writer, complete=complete)


def _unfinished_full_pass(earlier: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The last run, when it was a full pass that failed or was stopped: where to pick up."""
    if not earlier or earlier[0]["status"] == "completed":
        return None
    checkpoint = earlier[0]["checkpoint"]
    if checkpoint.get("mode") != FULL or "done_through" not in checkpoint:
        return None
    return {
        "id": earlier[0]["id"],
        "done": checkpoint["done_through"],
        "synced_from": _moment(checkpoint["synced_from"]),
    }


def _last_sync(earlier: list[dict[str, Any]]) -> datetime | None:
    """Where the last completed sync began, by the wiki's clock."""
    for run in earlier:
        if run["status"] == "completed" and "synced_from" in run["checkpoint"]:
            return _moment(run["checkpoint"]["synced_from"])
    return None


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)
