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
from typing import TYPE_CHECKING, Any

from lorecache.categorize import Categorized, merge_fields, parse_batch
from lorecache.sources import SourceError
from lorecache.sources.mediawiki import Batch, MediaWikiSource
from lorecache.store import runs
from lorecache.store.files import IndexEntry, writer

if TYPE_CHECKING:
    from lorecache.prefetch import Prefetch

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
    """One sync of a Prefetch's stores with a wiki, logged in the Prefetch's run."""

    def __init__(self, job: Prefetch, source: MediaWikiSource, since: str | datetime) -> None:
        self.job = job
        self.files = job.files
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
        self.job.checkpoint.update(mode=plan.mode, synced_from=plan.synced_from.isoformat())
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
        assert self.job._log is not None
        earlier = runs.earlier(self.job.engine, self.job.universe, self.source.name, self.job._log.id)
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
            self.job.checkpoint["fell_back_to_full"] = since.isoformat()
            return _Plan(FULL, now, retry=retry)
        return _Plan(INCREMENTAL, now, since=since, retry=retry)

    def _full(self, plan: _Plan) -> None:
        members = self.source.member_ids()
        todo = [page_id for page_id in members if page_id > plan.done_through]
        self._enter(len(members), done=len(members) - len(todo))
        self.job.checkpoint["done_through"] = plan.done_through
        log.info("full pass of %s: %d pages, %d to fetch", self.source.name, len(members), len(todo))
        for batch in self.source.fetch(todo):
            self._apply(batch)
            self.job.checkpoint["done_through"] = batch.page_ids[-1]
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
        self.job.progress.enter("scraping", total=total)
        self.job.progress.articles_processed = done
        self._checkpoint()

    def _apply(self, batch: Batch) -> None:
        """File one fetched batch in both stores; a page that fails is recorded, not fatal."""
        result = parse_batch(self.source.universe.name, str(self.files.root), batch.pages)
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
        self.job.store.write_batch([self.files.read(entry) for entry in fresh])

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
        progress = self.job.progress
        progress.articles_processed += len(batch.page_ids)
        progress.pages_read += len(batch.pages)
        progress.redirects += len(redirects)
        for title, reason in failures.values():
            log.warning("page %r failed: %s; it will be fetched again next run", title, reason)
            progress.articles_failed += 1
            progress.record_error(title, reason)

    def _remove(self, page_ids: Iterable[int]) -> None:
        """Drop pages from the index first, then their files and rows: no entry ever lacks its file."""
        gone = [page_id for page_id in page_ids if page_id in self.entries]
        if not gone:
            return
        for page_id in gone:
            self.titles.pop(self.entries.pop(page_id).title, None)
        self._write_index()
        writer.delete_articles(self.files.root, gone)
        self.job.store.delete_pages(gone)
        log.info("removed %d pages the wiki no longer has in %s", len(gone), self.source.name)

    def _write_index(self) -> None:
        entries = sorted(self.entries.values(), key=lambda entry: entry.page_id)
        writer.write_index(self.files.root, entries, self.fields)

    def _checkpoint(self) -> None:
        self.job.checkpoint["failed"] = sorted(self.failed)
        self.job._at_boundary(force=True)

    def _finish(self, *, complete: bool) -> None:
        """Importance and aliases from the whole file cache, then PostgreSQL in line with it."""
        self._write_index()
        corpus = Categorized(entries=self.entries)
        for article in self.files.iter_articles():
            corpus.inbound.update(article.links)
            corpus.fields.setdefault(article.category, set()).update(article.infobox)
        writer.write_index(self.files.root, corpus.finalize(), corpus.fields)
        self.job._write_postgres(complete=complete)


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
