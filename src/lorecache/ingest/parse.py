"""Stage 1: parse a source's pages and file them into the file cache, on every core.

Parsing is the expensive part (mwparserfromhell), so batches of pages go to worker processes that
parse them and write the article files themselves; the parent keeps only what the index needs and the
inbound links, 4 bytes a link (28 MB for the full corpus's 7 million), never the articles. Each batch's
articles are also spilled into one file (`spill`), from which stage 1.5 reads them back with one read
a batch rather than one a file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from lorecache.article import Article, RawPage, Redirect
from lorecache.dates import Calendar
from lorecache.parallel import ordered_batches, worker_count
from lorecache.search.fulltext import document_terms, with_aliases
from lorecache.store.files import FileCache, IndexEntry
from lorecache.store.files.links import Inbound, add_links, merge_links
from lorecache.store.files.writer import write_article, write_spill
from lorecache.universes import load
from lorecache.wikitext import normalize_title, parse_page

BATCH_SIZE = 500


@dataclass
class BatchResult:
    pages: int = 0
    entries: list[IndexEntry] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    inbound: Inbound = field(default_factory=dict)
    fields: dict[str, set[str]] = field(default_factory=dict)
    failures: list[tuple[str, str]] = field(default_factory=list)
    spill: str | None = None
    """The batch's articles as their files hold them, one per line, when it filed any."""


@dataclass
class Categorized:
    """What stage 1 learned about the whole source."""

    entries: dict[int, IndexEntry] = field(default_factory=dict)
    redirects: list[Redirect] = field(default_factory=list)
    inbound: Inbound = field(default_factory=dict)
    fields: dict[str, set[str]] = field(default_factory=dict)
    spills: dict[str, list[int]] = field(default_factory=dict)
    """Each spill file of the batches and the pages it holds."""

    def merge(self, batch: BatchResult) -> None:
        for entry in batch.entries:
            self.entries[entry.page_id] = entry
        if batch.spill is not None:
            self.spills[batch.spill] = [entry.page_id for entry in batch.entries]
        self.redirects.extend(batch.redirects)
        merge_links(self.inbound, batch.inbound)
        merge_fields(self.fields, batch.fields)

    def finalize(self) -> list[IndexEntry]:
        """Attach redirects as aliases (their words join the full-text terms) and the number of
        inbound links as importance."""
        by_title = {entry.title: entry for entry in self.entries.values()}
        for redirect in self.redirects:
            target = by_title.get(normalize_title(redirect.target))
            if target and redirect.title not in target.aliases:
                target.aliases.append(redirect.title)
        for entry in self.entries.values():
            entry.importance = sum(len(self.inbound.get(name, ())) for name in (entry.title, *entry.aliases))
            if entry.aliases:
                entry.terms = with_aliases(entry.terms, entry.aliases)
        return sorted(self.entries.values(), key=lambda entry: entry.page_id)


def parse_batch(universe_name: str, root: str, pages: list[RawPage], spill: bool = False) -> BatchResult:
    """Runs in a worker: parse, write each article's file, return what the index needs (and, with
    `spill`, where the batch's articles were spilled)."""
    universe = load(universe_name)
    result = BatchResult(pages=len(pages))
    payloads = []
    for page in pages:
        if _without_text(page):
            result.failures.append((page.title, f"page {page.page_id} has no text (no or deleted revision)"))
            continue
        try:
            parsed = parse_page(page, universe)
            if isinstance(parsed, Article):
                payloads.append(write_article(Path(root), parsed))
                result.entries.append(_entry(parsed, universe.calendar))
                add_links(result.inbound, parsed.page_id, parsed.links)
                result.fields.setdefault(parsed.category, set()).update(parsed.infobox)
            elif isinstance(parsed, Redirect):
                result.redirects.append(parsed)
        except Exception as error:  # one bad page never aborts a run: it is recorded instead
            result.failures.append((page.title, f"{type(error).__name__}: {error}"))
    if spill and payloads:
        result.spill = str(write_spill(Path(root), result.entries[0].page_id, payloads))
    return result


def _without_text(page: RawPage) -> bool:
    """An article page with nothing to parse: kept out of the stores rather than filed as an empty article."""
    return page.namespace == 0 and page.redirect_to is None and not page.wikitext.strip()


def merge_fields(into: dict[str, set[str]], more: dict[str, set[str]]) -> None:
    for category, names in more.items():
        into.setdefault(category, set()).update(names)


def _entry(article: Article, calendar: Calendar) -> IndexEntry:
    return IndexEntry(
        page_id=article.page_id,
        title=article.title,
        category=article.category,
        is_canon=article.is_canon,
        importance=0,
        aliases=[],
        terms=document_terms(article),
        span=calendar.article_dates(article)[1],
    )


def categorize(
    pages: Iterable[RawPage], universe_name: str, files: FileCache, workers: int = 0
) -> Iterator[BatchResult]:
    """Parse every page into `files`, yielding each batch's result in source order.

    The caller merges them into a `Categorized`; the index is written by the caller, which alone knows
    whether the source was read to its end.
    """
    work = partial(parse_batch, universe_name, str(files.root), spill=True)
    yield from ordered_batches(work, pages, BATCH_SIZE, worker_count(workers))
