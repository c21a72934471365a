"""The pages: home, search (whole, and the list that search-as-you-type swaps in), the article card,
random, and category browsing. Each reads the hybrid store as the JSON routes do and renders HTML; a
parameter a page cannot use is a `PageError`, shown as a page with its status."""

from __future__ import annotations

import re
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from lorecache.api.routes import MAX_FILTERS, MAX_OFFSET, MAX_SEARCH_OFFSET, Reader
from lorecache.images.names import BadImageName, canonical, image_url
from lorecache.query import Continuity, ListQuery, unknown_filter
from lorecache.runtime import Runtime
from lorecache.store.hybrid import HybridStore
from lorecache.store.interface import Page
from lorecache.web import card, render
from lorecache.web.errors import PageError
from lorecache.web.urls import title_from_path, wiki_url, with_query

router = APIRouter(include_in_schema=False)

MAX_QUERY = 200
MAX_TITLE = 300
SEARCH_PAGE = 20
SUGGESTIONS = 8
BROWSE_PAGE = 24
CONTINUITIES = ("canon", "legends", "all")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
RESERVED = {"category", "continuity", "page", "field", "value"}
"""Parameters of the browse and random pages that are not infobox filters."""


def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def _printable(raw: str, what: str) -> str:
    """Text that may reach PostgreSQL, which refuses a NUL in a text parameter: an error the store
    would take for an outage, answering from the file cache for a while."""
    if CONTROL.search(raw):
        raise PageError(422, f"{what} holds control characters")
    return raw


def _continuity(raw: str) -> Continuity:
    if raw not in CONTINUITIES:
        raise PageError(422, f"continuity is one of {', '.join(CONTINUITIES)}, not {raw[:50]!r}")
    return raw  # type: ignore[return-value]


def _page_number(raw: str, size: int, max_offset: int) -> int:
    """The 1-based page asked, within the offsets the stores answer."""
    last = max_offset // size + 1
    if not raw.isdigit() or not 1 <= int(raw) <= last:
        raise PageError(422, f"page is a number from 1 to {last}, not {raw[:50]!r}")
    return int(raw)


def _category(request: Request, raw: str) -> str | None:
    known = _runtime(request).universe.categories
    if raw and raw not in known:
        raise PageError(404, f"no category {raw[:100]!r}; known: {', '.join(sorted(known))}")
    return raw or None


async def _filters(request: Request, reader: HybridStore, category: str | None) -> tuple:
    """Infobox filters: every parameter not reserved (`?climate=arid`), and the pair a filter form
    sends (`field=climate&value=arid`), checked against the fields the category has."""
    params = request.query_params
    pairs = [(name, value) for name, value in params.multi_items() if name not in RESERVED]
    if params.get("field", "").strip() and params.get("value", "").strip():
        pairs.append((params["field"].strip(), params["value"].strip()))
    if not pairs:
        return ()
    for name, value in pairs:
        _printable(name + value, "an infobox filter")
    if len(pairs) > MAX_FILTERS:
        raise PageError(422, f"at most {MAX_FILTERS} infobox filters")
    fields, _ = await reader.fields()
    if (wrong := unknown_filter(fields, category, tuple(pairs))) is not None:
        raise PageError(422, f"{wrong[0][:100]!r}: {wrong[1][:300]}")
    return tuple(pairs)


def _image(runtime: Runtime, name: str | None) -> dict[str, Any] | None:
    """The image's local URL and size, when it is on disk: an image not fetched yet is left out
    rather than shown broken."""
    if not name:
        return None
    try:
        stored = runtime.images.lookup(canonical(name))
    except BadImageName:
        return None
    if stored is None:
        return None
    return {"url": image_url(name), "width": stored.width, "height": stored.height}


def _items(runtime: Runtime, found: Page) -> list[dict[str, Any]]:
    items = [orjson.loads(item) for item in found.items]
    for item in items:
        item["thumb"] = _image(runtime, item.get("image"))
    return items


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, reader: Reader) -> HTMLResponse:
    counts, served_from = await reader.categories()
    return render.page(request, "home.html", served_from, **_categories(request, counts))


@router.get("/browse", response_class=HTMLResponse)
async def browse_all(request: Request, reader: Reader) -> HTMLResponse:
    counts, served_from = await reader.categories()
    return render.page(request, "categories.html", served_from, **_categories(request, counts))


def _categories(request: Request, counts: dict[str, dict[str, int]]) -> dict[str, Any]:
    """The universe's categories, in groups, each with its counts."""
    universe = _runtime(request).universe
    groups: dict[str, list[dict[str, Any]]] = {}
    for name in universe.categories:
        group = universe.group_of_category.get(name, "other")
        groups.setdefault(group, []).append({"name": name, **counts.get(name, {"articles": 0, "canon": 0})})
    return {"groups": groups, "categories": universe.categories}


@router.get("/search", response_class=HTMLResponse)
async def search(
    request: Request, reader: Reader, q: str = "", continuity: str = "canon", page: str = "1"
) -> HTMLResponse:
    """Results without JavaScript: the form submits here."""
    asked = _search(q)
    chosen = _continuity(continuity)
    number = _page_number(page, SEARCH_PAGE, MAX_SEARCH_OFFSET)
    context: dict[str, Any] = {"q": q, "continuity": chosen, "number": number, "items": [], "more": False}
    served_from = None
    query = ListQuery(
        continuity=chosen, search=asked, limit=SEARCH_PAGE, offset=(number - 1) * SEARCH_PAGE
    )
    if query.needle:
        found, served_from = await reader.list_articles(query)
        context |= {"items": _items(_runtime(request), found), "more": found.has_more}
        context["did_you_mean"] = found.did_you_mean
    return render.page(request, "search.html", served_from, **context)


@router.get("/search/suggest", response_class=HTMLResponse)
async def suggest(request: Request, reader: Reader, q: str = "", continuity: str = "canon") -> HTMLResponse:
    """The list search-as-you-type shows under the box: the search page's own rendering of results."""
    query = ListQuery(continuity=_continuity(continuity), search=_search(q), limit=SUGGESTIONS)
    if not query.needle:
        return render.page(request, "suggestions.html", None, items=[], q=q)
    found, served_from = await reader.list_articles(query)
    items = _items(_runtime(request), found)
    return render.page(request, "suggestions.html", served_from, items=items, q=q)


def _search(q: str) -> str:
    if len(q) > MAX_QUERY:
        raise PageError(422, f"a search has at most {MAX_QUERY} characters, not {len(q)}")
    return _printable(q, "a search").strip()


@router.get("/wiki/{title:path}", response_class=HTMLResponse, response_model=None)
async def article(
    request: Request, reader: Reader, title: str, continuity: str = "all"
) -> HTMLResponse | RedirectResponse:
    """The article card. Any other spelling of the title (a case, an alias, a redirect, spaces, the
    `/Legends` twin asked with `continuity=legends`) redirects to the card's own URL."""
    asked = _printable(title_from_path(title), "a title")
    chosen = _continuity(continuity)
    if not asked or len(asked) > MAX_TITLE:
        raise PageError(404, f"a title has 1 to {MAX_TITLE} characters", search=asked[:MAX_QUERY])
    universe = _runtime(request).universe
    found, served_from = await reader.view(
        ("card", asked, chosen),
        lambda store: card.build(store, asked, chosen, universe),
    )
    if found is None:
        raise PageError(404, f"No article titled {asked!r} is in the cache.", search=asked[:MAX_QUERY])
    own = found.article.title
    if title != own.replace(" ", "_") or "continuity" in request.query_params:
        return RedirectResponse(wiki_url(own), status_code=307)
    context = {
        "card": found,
        "article": found.article,
        "image": _image(_runtime(request), found.article.image),
    }
    return render.page(request, "card.html", served_from, **context)


@router.get("/random", response_model=None)
async def random(
    request: Request, reader: Reader, category: str = "", continuity: str = "canon"
) -> RedirectResponse:
    """A random article's card; the filters are the browse page's (`?category=planets&climate=arid`)."""
    chosen = _category(request, category)
    query = ListQuery(
        categories=(chosen,) if chosen else (),
        continuity=_continuity(continuity),
        filters=await _filters(request, reader, chosen),
    )
    found, _ = await reader.random(query)
    if found is None:
        raise PageError(404, "No article matches these filters.")
    return RedirectResponse(wiki_url(orjson.loads(found)["title"]), status_code=303)


@router.get("/browse/{category}", response_class=HTMLResponse)
async def browse(
    request: Request, reader: Reader, category: str, continuity: str = "canon", page: str = "1"
) -> HTMLResponse:
    """A category, most linked first, filtered on infobox fields, a page at a time."""
    chosen = _category(request, category)
    number = _page_number(page, BROWSE_PAGE, MAX_OFFSET)
    filters = await _filters(request, reader, chosen)
    query = ListQuery(
        categories=(chosen,),
        continuity=_continuity(continuity),
        filters=filters,
        limit=BROWSE_PAGE,
        offset=(number - 1) * BROWSE_PAGE,
    )
    found, served_from = await reader.list_articles(query)
    fields, _ = await reader.fields()
    kept = [("continuity", query.continuity), *filters]
    context = {
        "category": chosen,
        "continuity": query.continuity,
        "filters": filters,
        "fields": sorted(fields.get(chosen, ())),
        "items": _items(_runtime(request), found),
        "number": number,
        "more": found.has_more,
        "kept": kept,
        "removals": [
            (name, value, with_query(f"/browse/{chosen}", [pair for pair in kept if pair != (name, value)]))
            for name, value in filters
        ],
        "random": with_query("/random", [("category", chosen), *kept]),
    }
    return render.page(request, "category.html", served_from, **context)
