"""A live wiki, read through its MediaWiki Action API (`…/api.php`), as raw pages.

Pages are fetched by id, `batch_size` (50, the API's limit for content) per request, with the
categories the wiki itself computed: those added by templates are visible here, unlike in wikitext,
and they decide canon. Redirects to a fetched page come along as redirect pages, so they become its
aliases exactly as a dump's redirect pages do.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lorecache.article import RawPage
from lorecache.sources.client import ApiClient
from lorecache.universes import ScrapeRules, Universe

_FETCH = {
    "prop": "revisions|categories|info|redirects",
    "rvprop": "ids|timestamp|content",
    "rvslots": "main",
    "cllimit": "max",
    "rdprop": "pageid|title",
    "rdnamespace": "0",
    "rdlimit": "max",
    "redirects": "1",
}


@dataclass
class Batch:
    """One request's worth of pages: what came back, and what did not."""

    page_ids: list[int]
    pages: list[RawPage] = field(default_factory=list)
    failures: dict[int, tuple[str, str]] = field(default_factory=dict)

    @property
    def article_ids(self) -> set[int]:
        return {page.page_id for page in self.pages if page.redirect_to is None}


@dataclass
class Changes:
    """What recent changes say happened since a point in time."""

    page_ids: set[int] = field(default_factory=set)
    deleted_titles: set[str] = field(default_factory=set)


class MediaWikiSource:
    """The members of a universe's scrape categories on a live wiki."""

    def __init__(
        self, api_url: str, universe: Universe, contact: str | None, rules: ScrapeRules | None = None
    ) -> None:
        self.api_url = api_url
        self.universe = universe
        self.rules = rules or universe.scrape
        self.client = ApiClient(api_url, self.rules, contact)

    @property
    def name(self) -> str:
        return self.api_url

    def fingerprint(self) -> str | None:
        """A live wiki changes under us: never skip it."""
        return None

    def count(self) -> int:
        return len(self.member_ids())

    def pages(self) -> Iterator[RawPage]:
        for batch in self.fetch(self.member_ids()):
            yield from batch.pages

    def server_time(self) -> datetime:
        """The wiki's clock, so that sync points never depend on ours."""
        answer = self.client.get({"action": "query", "meta": "siteinfo", "siprop": "general"})
        return _timestamp(answer["query"]["general"]["time"])

    def member_ids(self) -> list[int]:
        """Page ids of the articles in the scrape categories, ascending: the order a full pass fetches."""
        members: set[int] = set()
        for category in self.rules.categories:
            params = {
                "list": "categorymembers",
                "cmtitle": f"Category:{category}",
                "cmnamespace": "0",
                "cmtype": "page",
                "cmprop": "ids",
                "cmlimit": "max",
            }
            for result in self.client.query(params):
                members.update(member["pageid"] for member in result.get("categorymembers", ()))
        return sorted(members)

    def fetch(self, page_ids: Sequence[int]) -> Iterator[Batch]:
        """Batches in the order asked, `concurrency` requests in flight at most."""
        size = self.rules.batch_size
        groups = [list(page_ids[at : at + size]) for at in range(0, len(page_ids), size)]
        if self.rules.concurrency <= 1:
            yield from map(self._fetch_batch, groups)
            return
        yield from _in_order(self._fetch_batch, groups, self.rules.concurrency)

    def changes_since(self, since: datetime) -> Changes:
        """Pages edited, created, moved, imported or restored since `since`, and titles deleted."""
        changes = Changes()
        params = {
            "list": "recentchanges",
            "rcstart": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "rcdir": "newer",
            "rcnamespace": "0",
            "rctype": "edit|new|log",
            "rcprop": "title|ids|loginfo",
            "rclimit": "max",
        }
        for result in self.client.query(params):
            for change in result.get("recentchanges", ()):
                if change.get("logtype") == "delete" and change.get("logaction") == "delete":
                    changes.deleted_titles.add(change["title"])
                    changes.page_ids.discard(change.get("pageid", 0))
                elif change.get("pageid"):
                    changes.page_ids.add(change["pageid"])
        return changes

    def _fetch_batch(self, page_ids: list[int]) -> Batch:
        params = {**_FETCH, "pageids": "|".join(map(str, page_ids))}
        found: dict[int, dict[str, Any]] = {}
        for result in self.client.query(params):
            for page in result.get("pages", ()):
                _merge(found.setdefault(page.get("pageid", 0), {}), page)
        batch = Batch(page_ids)
        for page in found.values():
            self._add(batch, page)
        return batch

    def _add(self, batch: Batch, page: dict[str, Any]) -> None:
        if page.get("missing") or page.get("ns") != 0:
            return
        categories = tuple(_category_name(c["title"]) for c in page.get("categories", ()))
        if not set(categories) & set(self.rules.categories):
            return
        revisions = page.get("revisions") or [{}]
        content = revisions[-1].get("slots", {}).get("main", {}).get("content")
        if content is None:
            batch.failures[page["pageid"]] = (page["title"], "the wiki returned no content for it")
            return
        batch.pages.append(
            RawPage(
                page_id=page["pageid"],
                title=page["title"],
                namespace=0,
                wikitext=content,
                revision_id=revisions[-1].get("revid"),
                timestamp=_timestamp(revisions[-1]["timestamp"]) if "timestamp" in revisions[-1] else None,
                categories=categories,
            )
        )
        batch.pages.extend(
            RawPage(r["pageid"], r["title"], namespace=0, wikitext="", redirect_to=page["title"])
            for r in page.get("redirects", ())
        )


def _merge(into: dict[str, Any], part: dict[str, Any]) -> None:
    """Fold a continued answer's piece of a page into what is known of it; lists grow, values stay."""
    for key, value in part.items():
        if isinstance(value, list):
            into.setdefault(key, []).extend(value)
        else:
            into[key] = value


def _category_name(title: str) -> str:
    """`Category:Canon articles` → `Canon articles`, whatever the wiki's language calls the namespace."""
    return title.partition(":")[2] or title


def _timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _in_order(
    work: Callable[[list[int]], Batch], groups: Iterable[list[int]], concurrency: int
) -> Iterator[Batch]:
    """Like ThreadPoolExecutor.map, but never more than two rounds ahead, and cancelling on failure."""
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="wiki-fetch") as pool:
        pending: deque[Future[Batch]] = deque()
        try:
            for group in groups:
                pending.append(pool.submit(work, group))
                if len(pending) >= 2 * concurrency:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
