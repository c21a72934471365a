"""The MCP server: tools and resources over the read interface, so the file-cache fallback serves
them as it serves the JSON routes. Served over streamable HTTP at `/mcp` and over stdio by
`lorecache mcp`.

Descriptions are a line each and results are plain objects without output schemas: small models fail
more calls the more schema text they are given.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import orjson
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import Field
from starlette.types import Receive, Scope, Send

from lorecache import __version__
from lorecache.lore import blocks, context, graph
from lorecache.query import Continuity, ListQuery, unknown_filter
from lorecache.store.hybrid import HybridStore
from lorecache.universes import Universe

MAX_LIMIT = 50
SUMMARY_CHARS = 300
SIMPLE_TOKENS = 1500

Text = Annotated[str, Field(min_length=1, max_length=200)]
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT)]
Filters = Annotated[
    dict[str, Text] | None, Field(max_length=8, description="Infobox field: text it contains.")
]


def build(store: HybridStore, universe: Universe, tools: str = "full") -> MCPServer:
    server = MCPServer(
        "lorecache",
        version=__version__,
        instructions=f"{universe.display_name} lore: canon unless continuity says otherwise; cite sources.",
    )
    lore = _Lore(store, universe)
    if tools == "simple":
        server.add_tool(lore.lore, description="Prompt-ready lore about a name or topic, with sources.")
    else:
        for tool in (
            lore.search,
            lore.get_article,
            lore.list_articles,
            lore.random_article,
            lore.related,
            lore.lore_context,
            lore.categories,
            lore.stats,
        ):
            server.add_tool(tool, description=tool.__doc__, structured_output=True)
    server.resource(
        f"lore://{universe.name}/{{+title}}",
        name="article",
        description="An article as a fact block with its source.",
        mime_type="text/markdown",
    )(lore.article_block)
    return server


class HttpTransport:
    """Streamable HTTP as an ASGI endpoint of the app, and the sessions' lifetime for the app's lifespan.
    A session manager runs once only and an app's lifespan may be entered again (a test client per
    test), so each run of the lifespan makes a new one, which the endpoint then serves."""

    def __init__(self, server: MCPServer, hosts: str) -> None:
        self.server = server
        allowed = [host.strip() for host in hosts.split(",") if host.strip()]
        origins = [f"{scheme}://{host}" for host in allowed for scheme in ("http", "https")]
        self.security = TransportSecuritySettings(allowed_hosts=allowed, allowed_origins=origins)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        self.server.streamable_http_app(transport_security=self.security)
        async with self.server.session_manager.run():
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.server.session_manager.handle_request(scope, receive, send)


class _Lore:
    """The tools, bound to one store and universe. Each raises `ToolError` on a request it cannot
    answer, which the SDK returns as a tool error the model can read and correct."""

    def __init__(self, store: HybridStore, universe: Universe) -> None:
        self.store = store
        self.universe = universe

    async def search(
        self, query: Text, category: str | None = None, continuity: Continuity = "all", limit: Limit = 10
    ) -> dict[str, Any]:
        """Find articles by name (typos forgiven) or by words of their text."""
        self._known(category)
        asked = ListQuery(
            categories=(category,) if category else (), continuity=continuity, search=query, limit=limit
        )
        page, served_from = await self.store.list_articles(asked)
        return {
            "results": [_brief(item) for item in page.items],
            "did_you_mean": page.did_you_mean,
            "served_from": served_from,
        }

    async def get_article(self, title: Text, continuity: Continuity = "all") -> dict[str, Any]:
        """One article by title or alias: summary, infobox fields, URL, nearest related articles."""
        found, served_from = await self.store.detail(title, continuity)
        if found is None:
            raise ToolError(f"no article titled {title!r}; try search")
        detail = orjson.loads(found.json)
        shown = ("title", "category", "is_canon", "summary", "infobox", "aliases", "url", "revision_id")
        shown += ("related",)
        return {**{key: detail[key] for key in shown}, "served_from": served_from}

    async def list_articles(
        self,
        category: str,
        filters: Filters = None,
        continuity: Continuity = "canon",
        limit: Limit = 20,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """A category's articles, most linked first, filtered on infobox fields."""
        self._known(category)
        offset = _offset(cursor)
        asked = ListQuery(
            categories=(category,),
            continuity=continuity,
            filters=await self._filters(category, filters),
            limit=limit,
            offset=offset,
        )
        page, served_from = await self.store.list_articles(asked)
        return {
            "results": [_brief(item) for item in page.items],
            "next_cursor": str(offset + limit) if page.has_more else None,
            "served_from": served_from,
        }

    async def random_article(
        self, category: str | None = None, filters: Filters = None, continuity: Continuity = "canon"
    ) -> dict[str, Any]:
        """A random article, optionally of a category and matching infobox filters."""
        self._known(category)
        asked = ListQuery(
            categories=(category,) if category else (),
            continuity=continuity,
            filters=await self._filters(category, filters),
        )
        found, served_from = await self.store.random(asked)
        if found is None:
            raise ToolError("no article matches these filters")
        return {**_brief(found), "served_from": served_from}

    async def related(
        self,
        title: Text,
        direction: graph.Direction = "both",
        field: Text | None = None,
        continuity: Continuity = "all",
        limit: Limit = 20,
    ) -> dict[str, Any]:
        """What an article links to and what links to it, with the infobox field of each link."""
        found, served_from = await self.store.related(title, continuity, direction, field, limit)
        if found is None:
            raise ToolError(f"no article titled {title!r}; try search")
        return {**found.as_dict(), "served_from": served_from}

    async def lore_context(
        self,
        topics: Annotated[list[Text], Field(min_length=1, max_length=context.MAX_TOPICS)],
        max_tokens: Annotated[int, Field(ge=context.MIN_TOKENS, le=context.MAX_TOKENS)] = 1000,
        continuity: Continuity = "canon",
    ) -> dict[str, Any]:
        """Prompt-ready Markdown on topics and their neighbours, within max_tokens, with sources."""
        packed, served_from = await self.store.lore_context(
            tuple(topics), max_tokens, continuity, self.universe.attribution
        )
        return {**packed.as_dict(), "served_from": served_from}

    async def categories(self) -> dict[str, Any]:
        """Every category with its article and canon counts."""
        counts, served_from = await self.store.categories()
        return {"categories": counts, "served_from": served_from}

    async def stats(self) -> dict[str, Any]:
        """Article totals of the cache."""
        stats, served_from = await self.store.stats()
        return {**stats, "served_from": served_from}

    async def lore(self, query: Text) -> str:
        packed, _ = await self.store.lore_context((query,), SIMPLE_TOKENS, "canon", self.universe.attribution)
        if not packed.blocks:
            raise ToolError(f"nothing found for {query!r}")
        return packed.markdown

    async def article_block(self, title: str) -> str:
        found, _ = await self.store.article(title)
        if found is None:
            raise ValueError(f"no article titled {title!r}")
        made = blocks.block(found, context.MAX_TOKENS)
        return f"{made.text}\n\n{self.universe.attribution}" if made else self.universe.attribution

    def _known(self, category: str | None) -> None:
        if category is not None and category not in self.universe.categories:
            known = ", ".join(sorted(self.universe.categories))
            raise ToolError(f"unknown category {category!r}; known: {known}")

    async def _filters(self, category: str | None, filters: dict[str, str] | None) -> tuple:
        pairs = tuple((filters or {}).items())
        if pairs:
            fields, _ = await self.store.fields()
            if (wrong := unknown_filter(fields, category, pairs)) is not None:
                raise ToolError(wrong[1])
        return pairs


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isdigit() or int(cursor) > 100_000:
        raise ToolError("cursor is the next_cursor of a previous answer")
    return int(cursor)


def _brief(item: str) -> dict[str, Any]:
    """A list item as a model needs it: no image, no importance, the summary's start."""
    shown = orjson.loads(item)
    summary = shown["summary"]
    if len(summary) > SUMMARY_CHARS:
        summary = summary[:SUMMARY_CHARS].rsplit(" ", 1)[0] + "…"
    return {
        "title": shown["title"],
        "category": shown["category"],
        "is_canon": shown["is_canon"],
        "summary": summary,
        "url": shown["url"],
    }
