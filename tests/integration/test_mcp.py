"""The MCP server driven by the SDK's own client: in memory against the app's store (PostgreSQL, then
the file cache alone), and over streamable HTTP against a real `lorecache serve`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import anyio
import httpx
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mcp import Client

from lorecache.api import mcp
from lorecache.lore import context, graph
from lorecache.store import embedded
from lorecache.store.hybrid import HybridStore
from lorecache.universes import load
from tests.conftest import SAMPLE
from tests.support.processes import free_port, start_cli, wait_for

UNIVERSE = load("star_wars")
TOOLS = {
    "search",
    "get_article",
    "list_articles",
    "random_article",
    "related",
    "lore_context",
    "categories",
    "stats",
}


def call(store: HybridStore, name: str, arguments: dict, tools: str = "full"):
    async def run():
        async with Client(mcp.build(store, UNIVERSE, tools)) as client:
            return await client.call_tool(name, arguments)

    return anyio.run(run)


def test_lists_every_tool_with_small_schemas(loaded) -> None:
    async def run():
        async with Client(mcp.build(loaded[0].store, UNIVERSE)) as client:
            return (await client.list_tools()).tools

    tools = anyio.run(run)
    assert {tool.name for tool in tools} == TOOLS
    schemas = json.dumps([tool.model_dump(mode="json", exclude_none=True) for tool in tools])
    assert len(schemas) < 6000, len(schemas)
    assert all(len(tool.description) <= 100 for tool in tools)


def test_every_tool_answers_from_postgres(loaded) -> None:
    store = loaded[0].store
    found = call(store, "search", {"query": "Tatoine", "category": "planets"})
    assert not found.is_error
    assert found.structured_content["results"][0]["title"] == "Tatooine"
    assert found.structured_content["served_from"] == "postgres"

    article = call(store, "get_article", {"title": "tatooine"}).structured_content
    assert (article["title"], article["is_canon"]) == ("Tatooine", True)
    assert article["infobox"]["region"]
    assert article["url"].endswith("/Tatooine")

    page = call(store, "list_articles", {"category": "planets", "limit": 5}).structured_content
    assert len(page["results"]) == 5 and page["next_cursor"] == "5"
    after = call(
        store, "list_articles", {"category": "planets", "limit": 5, "cursor": "5"}
    ).structured_content
    assert not {a["title"] for a in page["results"]} & {a["title"] for a in after["results"]}
    outer = call(
        store, "list_articles", {"category": "planets", "filters": {"region": "Outer Rim"}}
    ).structured_content
    assert outer["results"] and "Tatooine" in {a["title"] for a in outer["results"]}

    drawn = call(store, "random_article", {"category": "planets"}).structured_content
    assert drawn["category"] == "planets" and drawn["is_canon"]

    related = call(store, "related", {"title": "Tatooine", "field": "homeworld"}).structured_content
    assert related["links_out"] == []
    assert {"Luke Skywalker", "Anakin Skywalker"} <= {link["title"] for link in related["links_in"]}
    assert all("homeworld" in link["fields"] for link in related["links_in"])

    counts = call(store, "categories", {}).structured_content["categories"]
    assert counts["planets"]["canon"] == 30
    stats = call(store, "stats", {}).structured_content
    assert (stats["total_articles"], stats["canon_articles"]) == (1000, 415)


def test_lore_context_puts_the_topic_first_and_cites_every_block(loaded) -> None:
    packed = call(loaded[0].store, "lore_context", {"topics": ["Tatooine"], "max_tokens": 600})
    context = packed.structured_content
    assert context["blocks"][0]["title"] == "Tatooine"
    assert len(context["blocks"]) > 1
    assert context["tokens"] <= 600
    for block in context["blocks"]:
        assert f"Source: {block['url']} (revision {block['revision_id']})" in context["markdown"]
    assert context["markdown"].endswith(UNIVERSE.attribution)


TOPICS = ["Tatooine", "Luke Skywalker", "Tatoine", "C-3PO", "Coruscant", "Jabba", "No such place", "Hoth"]


@settings(max_examples=60, deadline=None)
@given(
    budget=st.integers(context.MIN_TOKENS, 3000),
    topics=st.lists(st.sampled_from(TOPICS), min_size=1, max_size=4),
    continuity=st.sampled_from(["canon", "legends", "all"]),
)
def test_lore_context_stays_within_its_budget(loaded, budget: int, topics: list[str], continuity) -> None:
    packed = context.pack(loaded[0].files, topics, budget, continuity, UNIVERSE.attribution)
    assert packed.tokens <= budget
    assert packed.markdown.endswith(UNIVERSE.attribution)
    texts = packed.markdown.split("\n\n")
    assert len(texts) == len(packed.blocks) + 1
    for block, text in zip(packed.blocks, texts, strict=False):
        assert text.startswith(f"## {block.title} ")
        assert text.endswith(f"Source: {block.url} (revision {block.revision_id})")
    first = loaded[0].files.get(topics[0], continuity)
    titles = [block.title for block in packed.blocks]
    if first is not None and first.title in titles:
        assert titles[0] == first.title


@pytest.mark.parametrize(
    ("name", "arguments"),
    [
        ("list_articles", {"category": "no_such_category"}),
        ("search", {"query": "x" * 10_000}),
        ("lore_context", {"topics": ["Tatooine"], "max_tokens": -1}),
        ("lore_context", {"topics": []}),
        ("get_article", {"title": "No such place at all"}),
        ("list_articles", {"category": "planets", "filters": {"no_such_field": "x"}}),
        ("list_articles", {"category": "planets", "cursor": "-3"}),
        ("related", {"title": "Tatooine", "direction": "sideways"}),
    ],
)
def test_bad_arguments_are_tool_errors(loaded, name: str, arguments: dict) -> None:
    result = call(loaded[0].store, name, arguments)
    assert result.is_error
    assert result.content[0].text


def test_the_file_cache_answers_without_postgres(loaded) -> None:
    runtime = loaded[0]
    files_only = HybridStore(None, runtime.files)
    article = call(files_only, "get_article", {"title": "Tatooine"}).structured_content
    assert (article["title"], article["served_from"]) == ("Tatooine", "file_cache")
    from_postgres = call(
        runtime.store, "related", {"title": "Tatooine", "direction": "in"}
    ).structured_content
    from_files = call(files_only, "related", {"title": "Tatooine", "direction": "in"}).structured_content
    assert from_files["links_in"] == from_postgres["links_in"]
    context = call(files_only, "lore_context", {"topics": ["Tatooine"]}).structured_content
    assert context["served_from"] == "file_cache" and context["blocks"][0]["title"] == "Tatooine"


def test_simple_mode_has_one_tool(loaded) -> None:
    async def run():
        async with Client(mcp.build(loaded[0].store, UNIVERSE, "simple")) as client:
            tools = (await client.list_tools()).tools
            return tools, await client.call_tool("lore", {"query": "Tatoine"})

    tools, answer = anyio.run(run)
    assert [tool.name for tool in tools] == ["lore"]
    text = answer.content[0].text
    assert text.startswith("## Tatooine") and text.endswith(UNIVERSE.attribution)


def test_articles_are_resources(loaded) -> None:
    async def run():
        async with Client(mcp.build(loaded[0].store, UNIVERSE)) as client:
            return await client.read_resource("lore://star_wars/Tatooine/Legends")

    contents = anyio.run(run).contents[0]
    assert contents.text.startswith("## Tatooine/Legends (planets, Legends)")
    assert "Source: https://starwars.fandom.com/wiki/Tatooine/Legends" in contents.text


def test_lore_and_links_routes(loaded) -> None:
    client = loaded[1]
    markdown = client.get("/api/v1/wiki/lore", params={"topics": ["Tatooine", "Luke Skywalker"]})
    assert markdown.status_code == 200
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert markdown.text.startswith("## Tatooine")
    blocks = client.get(
        "/api/v1/wiki/lore",
        params={"topics": "Tatooine", "max_tokens": 300},
        headers={"Accept": "application/json"},
    ).json()
    assert blocks["tokens"] <= 300 and blocks["blocks"][0]["title"] == "Tatooine"
    assert client.get("/api/v1/wiki/lore", params={"topics": "Tatooine", "max_tokens": -1}).status_code == 422

    links = client.get(
        "/api/v1/wiki/articles/Tatooine/links", params={"direction": "in", "field": "homeworld"}
    )
    assert links.status_code == 200 and links.headers["X-Served-From"] == "postgres"
    assert links.json()["links_out"] is None
    assert "Luke Skywalker" in {link["title"] for link in links.json()["links_in"]}
    assert client.get("/api/v1/wiki/articles/No such place/links").status_code == 404


def test_streamable_http_against_lorecache_serve(loaded, tmp_path: Path) -> None:
    _, _, url, data = loaded
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": url, "LORECACHE_DATA_DIR": str(data)}
    with (tmp_path / "serve.log").open("w") as log:
        process = start_cli(["serve", "--port", str(port)], environment, log)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(lambda: httpx.get(f"{base}/prefetch/status").json()["is_complete"], 60)

            async def run():
                async with Client(f"{base}/mcp") as client:
                    tools = (await client.list_tools()).tools
                    return (
                        tools,
                        await client.call_tool("search", {"query": "Tatooine"}),
                        await client.call_tool("lore_context", {"topics": ["Tatooine"], "max_tokens": 99}),
                    )

            tools, found, refused = anyio.run(run)
        finally:
            process.terminate()
            process.wait(30)
    assert {tool.name for tool in tools} == TOOLS
    assert found.structured_content["results"][0]["title"] == "Tatooine"
    assert refused.is_error
    assert process.returncode == 0


def test_mcp_over_stdio(loaded) -> None:
    _, _, url, data = loaded
    request = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    done = subprocess.run(
        [sys.executable, "-m", "lorecache.cli", "mcp"],
        input=json.dumps(request) + "\n",
        env={**os.environ, "DATABASE_URL": url, "LORECACHE_DATA_DIR": str(data)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert json.loads(done.stdout.splitlines()[0])["id"] == 1, done.stderr


@pytest.mark.embedded
def test_tools_answer_from_the_file_cache_with_postgres_stopped(tmp_path: Path) -> None:
    """A real `serve` whose PostgreSQL is stopped under it: every tool still answers, from the files."""
    pg_dir = tmp_path / "pg"
    environment = {
        **os.environ,
        "DATABASE_URL": embedded.start(pg_dir),
        "LORECACHE_DATA_DIR": str(tmp_path / "data"),
        "LORECACHE_SOURCE": str(SAMPLE),
    }
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    try:
        with (tmp_path / "serve.log").open("w") as log:
            process = start_cli(["serve", "--port", str(port)], environment, log)
            try:
                wait_for(lambda: httpx.get(f"{base}/prefetch/status").json()["is_complete"], 120)
                embedded.stop(pg_dir)

                async def run():
                    async with Client(f"{base}/mcp") as client:
                        return [
                            await client.call_tool(name, arguments)
                            for name, arguments in [
                                ("search", {"query": "Tatoine"}),
                                ("get_article", {"title": "Tatooine"}),
                                ("list_articles", {"category": "planets", "filters": {"region": "Outer"}}),
                                ("random_article", {"category": "planets"}),
                                ("related", {"title": "Tatooine", "direction": "in"}),
                                ("lore_context", {"topics": ["Tatooine"]}),
                                ("categories", {}),
                                ("stats", {}),
                            ]
                        ]

                answers = anyio.run(run)
            finally:
                process.terminate()
                process.wait(30)
    finally:
        if (pg_dir / "postgres" / "postmaster.pid").exists():
            embedded.stop(pg_dir)
    for answer in answers:
        assert not answer.is_error, answer.content
        assert answer.structured_content["served_from"] == "file_cache"
    assert answers[0].structured_content["results"][0]["title"] == "Tatooine"
    assert answers[5].structured_content["blocks"][0]["title"] == "Tatooine"


def test_an_article_answer_names_its_nearest_neighbours(loaded) -> None:
    runtime, client = loaded[:2]
    answer = client.get("/api/v1/wiki/articles/c-3po").json()
    related = answer["related"]
    assert 0 < len(related) <= graph.RELATED
    targets = {*answer["links"], *(t for targets in answer["infobox_links"].values() for t in targets)}
    assert {item["title"] for item in related} <= targets
    weights = [item["shared_links"] + item["links_back"] for item in related]
    assert weights == sorted(weights, reverse=True) and weights[0] > 1
    assert related[0]["title"] == "Anakin Skywalker"
    from_files = graph.with_related(runtime.files, runtime.files.detail("c-3po"))
    assert orjson.loads(from_files.json)["related"] == related
    assert call(runtime.store, "get_article", {"title": "C-3PO"}).structured_content["related"] == related


def test_a_nul_in_a_title_or_search_is_no_outage(loaded) -> None:
    """PostgreSQL refuses a NUL in a text value: that answer comes from the file cache, the next from
    PostgreSQL again, and the MCP tools answer alike."""
    runtime, client = loaded[:2]
    assert client.get("/api/v1/wiki/articles/Tat%00ooine").status_code == 404
    found = client.get("/api/v1/wiki/search", params={"q": "Tato\x00"})
    assert found.status_code == 200 and found.json()["results"][0]["title"] == "Tatooine"
    assert not runtime.store.degraded
    assert client.get("/api/v1/wiki/articles/Tatooine").headers["X-Served-From"] == "postgres"
    assert call(runtime.store, "get_article", {"title": "Tat\x00ooine"}).is_error
