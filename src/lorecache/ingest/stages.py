"""The seed's stages, each reported as it goes: `categorizing` (a source parsed into the file cache),
`writing_to_postgresql` (the file cache loaded into PostgreSQL), `prefetching_images` (the images the
articles name). Plans run them in their order; the CacheWriter does their writing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from lorecache.images.stage import ImageStage
from lorecache.ingest.parse import BatchResult, Categorized, merge_fields
from lorecache.ingest.run import Run
from lorecache.ingest.writer import CacheWriter
from lorecache.sources import Source, SourceError
from lorecache.store.files import IndexEntry

log = logging.getLogger(__name__)

CATEGORIZING, WRITING = "categorizing", "writing_to_postgresql"


@dataclass
class Filed:
    """What stage 1 leaves stage 1.5: the spill files of its batches, and the fault that cut the
    source short, if one did."""

    spills: dict[str, list[int]]
    error: SourceError | None


def categorizing(run: Run, writer: CacheWriter, source: Source) -> Filed:
    """Stage 1. A fault in the source keeps everything read before it: the index then keeps the
    entries of the pages it did not reach, and the links file the last complete pass wrote."""
    run.enter(CATEGORIZING, total=source.count())
    log.info("STAGE 1: categorizing %s pages of %s", f"{run.progress.articles_total:,}", source.name)
    corpus = Categorized()
    error: SourceError | None = None
    try:
        for result in writer.file_pages(source.pages()):
            corpus.merge(result)
            count_batch(run, result)
    except SourceError as fault:
        error = fault
    entries = corpus.finalize()
    if error is not None:
        entries = list({**_by_page(writer.files.stored_entries()), **_by_page(entries)}.values())
        merge_fields(corpus.fields, writer.files.fields())
    writer.write_index(entries, corpus.fields)
    if error is None:
        writer.write_links(corpus.inbound)
    return Filed(corpus.spills, error)


def count_batch(run: Run, result: BatchResult) -> None:
    progress = run.progress
    progress.articles_processed += result.pages
    progress.pages_read += result.pages
    progress.redirects += len(result.redirects)
    for title, reason in result.failures:
        run.count_failure(title, reason)
    run.boundary()


def writing_to_postgresql(
    run: Run, writer: CacheWriter, *, complete: bool, spills: dict[str, list[int]] | None = None
) -> None:
    """Stage 1.5. `complete`: the file cache holds the whole source, so PostgreSQL drops the rest."""
    run.enter(WRITING, total=len(writer.files.entries()))
    log.info("STAGE 1.5: writing %s articles to PostgreSQL", f"{run.progress.articles_total:,}")
    progress = run.progress
    for counts in writer.load(spills):
        progress.articles_processed += counts.processed
        progress.articles_created += counts.created
        progress.articles_updated += counts.updated
        progress.articles_unchanged += counts.unchanged
        run.boundary()
    writer.finish(complete=complete)


def prefetching_images(run: Run, writer: CacheWriter, images: ImageStage) -> None:
    """Stage 2; the counts the API keeps change with it."""
    images.run(run.progress, run.boundary)
    writer.changed_outside_articles()


def _by_page(entries: list[IndexEntry]) -> dict[int, IndexEntry]:
    return {entry.page_id: entry for entry in entries}
