"""Routes. Data answers carry `X-Served-From: postgres|file_cache`."""

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Path, Query, Request, Response

from lorecache.api.schemas import (
    ArticleDetail,
    ArticleSummary,
    CacheStats,
    ErrorBody,
    Health,
    PrefetchStatus,
)
from lorecache.runtime import Runtime
from lorecache.store.query import Continuity, ListQuery

service = APIRouter(tags=["service"])
wiki = APIRouter(prefix="/api/v1/wiki", tags=["wiki"])

MAX_OFFSET = 100_000
NOT_FOUND = {404: {"model": ErrorBody, "description": "Unknown category or article"}}

Limit = Annotated[int, Query(ge=1, description="Page size; values above the server's cap are capped.")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
Search = Annotated[
    str | None,
    Query(max_length=200, description="Part of the title, any case, accents and punctuation ignored."),
]


def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def _json(content: Any, served_from: str | None = None) -> Response:
    headers = {"X-Served-From": served_from} if served_from else None
    return Response(orjson.dumps(content), media_type="application/json", headers=headers)


@service.get("/health", response_model=Health)
def health(request: Request) -> Response:
    return _json({"status": _runtime(request).store.health()})


@service.get("/prefetch/status", response_model=PrefetchStatus)
def prefetch_status(request: Request) -> Response:
    return _json(_runtime(request).prefetch_status())


def _list(runtime: Runtime, categories: list[str], continuity: Continuity, search, limit, offset) -> Response:
    query = ListQuery(
        categories=tuple(categories),
        continuity=continuity,
        search=search,
        limit=min(limit, runtime.settings.max_page_size),
        offset=offset,
    )
    rows, served_from = runtime.store.read(lambda store: store.list_articles(query))
    return _json(rows, served_from)


def _known(runtime: Runtime, category: str, allowed: list[str]) -> None:
    if category not in allowed:
        raise HTTPException(404, f"unknown category {category!r}; known: {', '.join(sorted(allowed))}")


@wiki.get("/locations/{category}", response_model=list[ArticleSummary], responses=NOT_FOUND)
def locations(
    request: Request,
    category: Annotated[str, Path(description="A location category: planets, moons, systems…")],
    limit: Limit = 20,
    offset: Offset = 0,
    search: Search = None,
    continuity: Continuity = "canon",
) -> Response:
    runtime = _runtime(request)
    _known(runtime, category, runtime.universe.categories_in("locations"))
    return _list(runtime, [category], continuity, search, limit, offset)


@wiki.get("/canon/category/{category}", response_model=list[ArticleSummary], responses=NOT_FOUND)
def canon_category(
    request: Request,
    category: str,
    search: Search = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Response:
    runtime = _runtime(request)
    _known(runtime, category, runtime.universe.categories)
    return _list(runtime, [category], "canon", search, limit, offset)


@wiki.get("/articles/{title:path}", response_model=ArticleDetail, responses=NOT_FOUND)
def article(request: Request, title: Annotated[str, Path(max_length=300)]) -> Response:
    runtime = _runtime(request)
    found, served_from = runtime.store.read(lambda store: store.get(title))
    if found is None:
        raise HTTPException(404, f"no article titled {title!r}")
    body = found.to_dict()
    body["name"] = found.title
    body["timestamp"] = found.timestamp.isoformat() if found.timestamp else None
    body.pop("universe")
    return _json(body, served_from)


@wiki.get("/cache/stats", response_model=CacheStats)
def cache_stats(request: Request) -> Response:
    runtime = _runtime(request)
    stats, served_from = runtime.store.read(lambda store: store.stats())
    return _json({"universe": runtime.universe.name, **stats, "served_from": served_from}, served_from)
