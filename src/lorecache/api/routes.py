"""Routes. Data answers carry `X-Served-From: replica|postgres|file_cache`."""

import logging
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import StringConstraints

from lorecache import answers
from lorecache.api import admin
from lorecache.api.schemas import (
    ArticleDetail,
    ArticleSummary,
    CacheStats,
    CategoryInfo,
    ErrorBody,
    Health,
    PrefetchStatus,
    SearchResults,
    Timeline,
)
from lorecache.dates import Span
from lorecache.lore import context, graph, lorebook
from lorecache.query import BadParameter, Continuity, ListQuery, unknown_filter, when
from lorecache.runtime import DatabaseUnavailable, Runtime
from lorecache.store.hybrid import HybridStore

log = logging.getLogger(__name__)

service = APIRouter(tags=["service"])
wiki = APIRouter(prefix="/api/v1/wiki", tags=["wiki"])

MAX_OFFSET = 100_000
MAX_SEARCH_OFFSET = 1_000
MAX_FILTERS = 8
MAX_TOPICS = 5
MAX_TOPIC = 100
"""Topics of a lore context over HTTP: any five fit in a URL of 8 KiB, however they are encoded."""
NOT_FOUND = {404: {"model": ErrorBody, "description": "Unknown category or article"}}
FILTERS_NOTE = (
    " Any other query parameter filters on an infobox field of the category "
    "(`?region=Outer Rim Territories&climate=arid`): the field's text must contain the value, "
    "any case, accents and punctuation ignored. Unknown field names are a 422."
)

Limit = Annotated[int, Query(ge=1, description="Page size; values above the server's cap are capped.")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
Search = Annotated[
    str | None,
    Query(max_length=200, description="Any part of a name; case, accents, punctuation and typos forgiven."),
]
ContinuityParam = Annotated[Continuity, Query(description="canon, legends or all.")]
OneCategory = Annotated[str | None, Query(description="Only this category.")]
YEAR = "a year as the wiki writes it (`22 BBY`, `4 ABY`) or an integer on its axis (`-22`)"
From = Annotated[
    str | None,
    Query(alias="from", max_length=40, description=f"Only articles whose span reaches this year: {YEAR}."),
]
To = Annotated[
    str | None, Query(max_length=40, description=f"Only articles whose span begins by this year: {YEAR}.")
]
AsOf = Annotated[
    str | None,
    Query(
        max_length=40,
        description=f"No spoilers: hides what begins after this year and lists the dates still to come "
        f"(`future`): {YEAR}.",
    ),
]
TIME_PARAMETERS = {"from", "to", "as_of"}


def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime


async def _reader(request: Request) -> HybridStore:
    """The read interface, PostgreSQL first and the file cache when it cannot answer. Async, as
    FastAPI runs a plain function dependency on a worker thread."""
    return request.app.state.runtime.store


Reader = Annotated[HybridStore, Depends(_reader)]


def _json(content: Any, served_from: str | None = None, status_code: int = 200) -> Response:
    return _prepared(orjson.dumps(content), served_from, status_code)


def _prepared(body: bytes, served_from: str | None = None, status_code: int = 200) -> Response:
    """An answer already serialised: prepared items joined, nothing validated or encoded again."""
    headers = {"X-Served-From": served_from} if served_from else None
    return Response(body, status_code=status_code, media_type="application/json", headers=headers)


def _invalid(parameter: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": ("query", parameter), "msg": message}])


@service.get("/health", response_model=Health)
def health(request: Request) -> Response:
    store = _runtime(request).store
    return _json({"status": store.health(), "databases": store.databases()})


@service.get("/prefetch/status", response_model=PrefetchStatus)
def prefetch_status(request: Request) -> Response:
    return _json(_runtime(request).prefetch_status())


@service.post(
    "/prefetch",
    status_code=202,
    response_model=PrefetchStatus,
    dependencies=[Depends(admin.require_admin)],
    tags=["admin"],
    responses={
        **admin.RESPONSES,
        409: {"model": PrefetchStatus, "description": "A prefetch already runs in this process"},
        503: {"model": ErrorBody, "description": "PostgreSQL is not up yet"},
    },
)
def start_prefetch(
    request: Request,
    force: Annotated[bool, Query(description="Ingest again even if this source is in already.")] = False,
) -> Response:
    """Start a prefetch of the configured source in the background (admin token required); follow it at
    `/prefetch/status`. One runs at a time across every process sharing the database."""
    runtime = _runtime(request)
    try:
        started = runtime.refresh(force=force)
    except DatabaseUnavailable as error:
        raise HTTPException(503, str(error)) from None
    return _json(runtime.prefetch_status(), status_code=202 if started else 409)


def _known(category: str, allowed: list[str]) -> None:
    if category not in allowed:
        raise HTTPException(404, f"unknown category {category!r}; known: {', '.join(sorted(allowed))}")


async def _filters(request: Request, reader: HybridStore, category: str | None, declared: set[str]) -> tuple:
    """Undeclared query parameters, checked against the infobox fields the category has."""
    extra = [(name, value) for name, value in request.query_params.multi_items() if name not in declared]
    if not extra:
        return ()
    if len(extra) > MAX_FILTERS:
        raise _invalid(extra[0][0], f"at most {MAX_FILTERS} infobox filters")
    if (wrong := unknown_filter((await reader.fields()).answer, category, tuple(extra))) is not None:
        raise _invalid(*wrong)
    return tuple(extra)


def _scope(runtime: Runtime, category: str | None, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The categories a route's optional `category` parameter scopes it to: that one, else `default`;
    an unknown one is a 422 naming it."""
    if category is None:
        return default
    if category not in runtime.universe.categories:
        raise _invalid("category", f"unknown category {category!r}")
    return (category,)


def _when(
    runtime: Runtime, start: str | None, end: str | None, as_of: str | None
) -> tuple[Span | None, int | None]:
    """The time parameters as years, or a 422 naming the one that is wrong."""
    try:
        return when(runtime.universe.calendar, start, end, as_of)
    except BadParameter as error:
        log.info("refused a request: %s: %s", error.name, error)
        raise _invalid(error.name, str(error)) from None


async def _list(reader: HybridStore, query: ListQuery) -> Response:
    page, served_from = await reader.list_articles(query)
    return _prepared(answers.array(answers.page_items(page, query.as_of)), served_from)


def _capped(runtime: Runtime, limit: int) -> int:
    return min(limit, runtime.settings.max_page_size)


@wiki.get(
    "/locations/{category}",
    response_model=list[ArticleSummary],
    responses=NOT_FOUND,
    description="Articles of a location category, ranked by match, then inbound links." + FILTERS_NOTE,
)
async def locations(
    request: Request,
    reader: Reader,
    category: Annotated[str, Path(description="A location category: planets, moons, systems…")],
    limit: Limit = 20,
    offset: Offset = 0,
    search: Search = None,
    continuity: ContinuityParam = "canon",
    start: From = None,
    to: To = None,
    as_of: AsOf = None,
) -> Response:
    runtime = _runtime(request)
    _known(category, runtime.universe.categories_in("locations"))
    span, moment = _when(runtime, start, to, as_of)
    declared = {"limit", "offset", "search", "continuity", *TIME_PARAMETERS}
    query = ListQuery(
        categories=(category,),
        continuity=continuity,
        search=search,
        filters=await _filters(request, reader, category, declared),
        limit=_capped(runtime, limit),
        offset=offset,
        span=span,
        as_of=moment,
    )
    return await _list(reader, query)


@wiki.get(
    "/canon/category/{category}",
    response_model=list[ArticleSummary],
    responses=NOT_FOUND,
    description="Canon articles of any category." + FILTERS_NOTE,
)
async def canon_category(
    request: Request,
    reader: Reader,
    category: str,
    search: Search = None,
    limit: Limit = 20,
    offset: Offset = 0,
    start: From = None,
    to: To = None,
    as_of: AsOf = None,
) -> Response:
    runtime = _runtime(request)
    _known(category, runtime.universe.categories)
    span, moment = _when(runtime, start, to, as_of)
    query = ListQuery(
        categories=(category,),
        continuity="canon",
        search=search,
        filters=await _filters(request, reader, category, {"limit", "offset", "search", *TIME_PARAMETERS}),
        limit=_capped(runtime, limit),
        offset=offset,
        span=span,
        as_of=moment,
    )
    return await _list(reader, query)


@wiki.get("/search", response_model=SearchResults)
async def search(
    request: Request,
    reader: Reader,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            description="What to look for; without a letter or digit it matches nothing.",
        ),
    ],
    category: OneCategory = None,
    canon: Annotated[bool | None, Query(description="true: canon only; false: Legends only.")] = None,
    limit: Limit = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_SEARCH_OFFSET)] = 0,
    start: From = None,
    to: To = None,
    as_of: AsOf = None,
) -> Response:
    """Ranked across categories: exact name, prefix, every word, typos, then full text; importance
    breaks ties, and the canon article comes before its Legends twin."""
    runtime = _runtime(request)
    categories = _scope(runtime, category)
    span, moment = _when(runtime, start, to, as_of)
    query = ListQuery(
        categories=categories,
        continuity="all" if canon is None else ("canon" if canon else "legends"),
        search=q,
        limit=_capped(runtime, limit),
        offset=offset,
        span=span,
        as_of=moment,
    )
    if not query.needle:
        return _json({"query": q, "results": [], "has_more": False, "did_you_mean": None})
    page, served_from = await reader.list_articles(query)
    items = answers.page_items(page, query.as_of)
    body = answers.search_results(q, items, page.has_more, page.did_you_mean)
    return _prepared(body, served_from)


@wiki.get(
    "/lore",
    responses={
        200: {"content": {"text/markdown": {}}},
        414: {"model": ErrorBody, "description": "The topics make a URL over 8 KiB"},
    },
)
async def lore(
    request: Request,
    reader: Reader,
    topics: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=MAX_TOPIC)]],
        Query(min_length=1, max_length=MAX_TOPICS, description="Titles, aliases or searches."),
    ],
    max_tokens: Annotated[int, Query(ge=context.MIN_TOKENS, le=context.MAX_TOKENS)] = 1000,
    continuity: ContinuityParam = "canon",
    format: Annotated[str | None, Query(pattern="^(markdown|json)$")] = None,
) -> Response:
    """Prompt-ready Markdown about the topics and their neighbours in the link graph, within
    `max_tokens`, every block followed by its source and revision. JSON (the blocks and their sources
    beside the Markdown) with `format=json` or `Accept: application/json`."""
    attribution = _runtime(request).universe.attribution
    packed, served_from = await reader.lore_context(tuple(topics), max_tokens, continuity, attribution)
    accepts_json = "application/json" in request.headers.get("accept", "")
    if format == "json" or (format is None and accepts_json):
        return _json(packed.as_dict(), served_from)
    return Response(packed.markdown, media_type="text/markdown", headers={"X-Served-From": served_from})


@wiki.get(
    "/export/sillytavern",
    responses={200: {"description": "A SillyTavern World Info file"}},
    description="A lorebook (SillyTavern's World Info) of the articles a category, a search and infobox "
    "filters list, in their order: one entry per article, keyed by its title and aliases, holding its "
    "fact block with its source." + FILTERS_NOTE,
)
async def export_sillytavern(
    request: Request,
    reader: Reader,
    category: OneCategory = None,
    search: Search = None,
    continuity: ContinuityParam = "canon",
    limit: Annotated[int, Query(ge=1, le=lorebook.MAX_ENTRIES, description="Entries at most.")] = 100,
    entry_tokens: Annotated[
        int, Query(ge=lorebook.MIN_ENTRY_TOKENS, le=lorebook.MAX_ENTRY_TOKENS, description="Per entry.")
    ] = 150,
    start: From = None,
    to: To = None,
    as_of: AsOf = None,
) -> Response:
    runtime = _runtime(request)
    categories = _scope(runtime, category)
    span, moment = _when(runtime, start, to, as_of)
    declared = {"category", "search", "continuity", "limit", "entry_tokens", *TIME_PARAMETERS}
    query = ListQuery(
        categories=categories,
        continuity=continuity,
        search=search,
        filters=await _filters(request, reader, category, declared),
        span=span,
        as_of=moment,
    )
    name = lorebook.title(runtime.universe.display_name, query)
    book, served_from = await reader.sillytavern(
        query, limit, entry_tokens, name, runtime.universe.attribution
    )
    response = _json(book, served_from)
    response.headers["Content-Disposition"] = f'attachment; filename="{lorebook.file_name(name)}"'
    return response


@wiki.get("/articles/{title:path}/links", responses=NOT_FOUND)
async def links(
    reader: Reader,
    title: Annotated[str, Path(max_length=300)],
    direction: Annotated[graph.Direction, Query(description="out, in or both.")] = "both",
    field: Annotated[str | None, Query(max_length=100, description="Only this infobox field.")] = None,
    continuity: ContinuityParam = "all",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    """What the article links to and what links to it ("what links here"), each link with the infobox
    fields it is made from (`homeworld`); declared before the article route, whose title may hold `/`."""
    found, served_from = await reader.related(title, continuity, direction, field, limit)
    if found is None:
        raise HTTPException(404, f"no article titled {title!r}")
    return _json(found.as_dict(), served_from)


@wiki.get("/articles/{title:path}", response_model=ArticleDetail, responses=NOT_FOUND)
async def article(
    reader: Reader,
    title: Annotated[str, Path(max_length=300)],
    continuity: ContinuityParam = "all",
) -> Response:
    """One article by title, any case; aliases and redirects resolve to the canonical title.
    `continuity=legends` picks the `/Legends` twin; otherwise the canon article comes first."""
    found, served_from = await reader.detail(title, continuity)
    if found is None:
        raise HTTPException(404, f"no article titled {title!r}")
    return _prepared(answers.redirected(found.json, title, found.title).encode(), served_from)


@wiki.get("/categories", response_model=list[CategoryInfo])
async def categories(request: Request, reader: Reader) -> Response:
    """Every category of the universe with its article and canon counts."""
    runtime = _runtime(request)
    counts, served_from = await reader.categories()
    groups = runtime.universe.group_of_category
    body = [
        {"category": name, "group": groups.get(name), **counts.get(name, {"articles": 0, "canon": 0})}
        for name in runtime.universe.categories
    ]
    return _json(body, served_from)


@wiki.get(
    "/random",
    response_model=ArticleSummary,
    responses={404: {"model": ErrorBody, "description": "Nothing matches the filters"}},
    description="A random article matching the filters: session prep." + FILTERS_NOTE,
)
async def random_article(
    request: Request,
    reader: Reader,
    category: OneCategory = None,
    continuity: ContinuityParam = "canon",
    start: From = None,
    to: To = None,
    as_of: AsOf = None,
) -> Response:
    runtime = _runtime(request)
    categories = _scope(runtime, category)
    span, moment = _when(runtime, start, to, as_of)
    query = ListQuery(
        categories=categories,
        continuity=continuity,
        filters=await _filters(request, reader, category, {"category", "continuity", *TIME_PARAMETERS}),
        span=span,
        as_of=moment,
    )
    found, served_from = await reader.random(query)
    if found is None:
        raise HTTPException(404, "no article matches these filters")
    if moment is not None:
        found = answers.seen_from(found, moment)
    return _prepared(found.encode(), served_from)


@wiki.get("/timeline", response_model=Timeline)
async def timeline(
    request: Request,
    reader: Reader,
    start: From = None,
    to: To = None,
    category: Annotated[
        str | None, Query(description="Only this category (default: battles, wars, missions… as configured).")
    ] = None,
    continuity: ContinuityParam = "canon",
    as_of: AsOf = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Response:
    """What has a date, in order: where each begins, the most linked first. Each event has the text of
    its date, its years, its link, and the year article it begins in (`year`: `19 BBY`), whose own
    timeline is `?from=19 BBY&to=19 BBY`."""
    runtime = _runtime(request)
    calendar = runtime.universe.calendar
    categories = _scope(runtime, category, calendar.timeline)
    span, moment = _when(runtime, start, to, as_of)
    query = ListQuery(
        categories=categories,
        continuity=continuity,
        limit=_capped(runtime, limit),
        offset=offset,
        span=span,
        as_of=moment,
    )
    page, served_from = await reader.timeline(query)
    events = [answers.event(item, calendar) for item in answers.page_items(page, moment)]
    return _json({"events": events, "has_more": page.has_more}, served_from)


@wiki.get("/cache/stats", response_model=CacheStats)
async def cache_stats(request: Request, reader: Reader) -> Response:
    runtime = _runtime(request)
    stats, served_from = await reader.stats()
    body = {"universe": runtime.universe.name, **stats, "served_from": served_from}
    return _json(body, served_from)
