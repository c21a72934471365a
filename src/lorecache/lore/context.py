"""Lore context: prompt-ready Markdown about a few topics and their nearest neighbours in the link
graph, packed to a token budget, every block followed by its source, the licence's attribution last.

The asked topics come first, each in a fair share of the budget; what is left goes to their neighbours,
taken from each topic in turn, in short blocks so that more of them fit: the articles a topic's infobox
links to (the defining relations: region, affiliation), those its text links to, then the articles
linking to it, those whose infobox does first (the characters whose homeworld it is).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, zip_longest
from typing import Any

import orjson

from lorecache.article import Article
from lorecache.lore import tokens
from lorecache.lore.blocks import Block, block
from lorecache.lore.graph import neighbours
from lorecache.query import Continuity, ListQuery
from lorecache.store.interface import LoreReader

MIN_TOKENS = 100
MAX_TOKENS = 32_000
MAX_TOPICS = 10
NEIGHBOUR_TOKENS = 120
"""A neighbour's block at most: its heading, the start of its summary, a fact or two."""
NEIGHBOURS_READ = 24
"""Link targets of each topic read at most: enough to fill a budget of thousands of tokens."""


@dataclass(frozen=True, slots=True)
class Context:
    markdown: str
    blocks: tuple[Block, ...]
    missing: tuple[str, ...]
    """Topics no article answers to, even by search."""
    tokens: int
    max_tokens: int

    def as_dict(self) -> dict[str, Any]:
        """The Markdown and each block's source: what the MCP tool and the JSON route answer."""
        return {
            "markdown": self.markdown,
            "tokens": self.tokens,
            "max_tokens": self.max_tokens,
            "missing": list(self.missing),
            "blocks": [
                {"title": b.title, "url": b.url, "revision_id": b.revision_id, "is_canon": b.is_canon}
                | {"tokens": b.tokens}
                for b in self.blocks
            ],
        }


def pack(
    reader: LoreReader, topics: Sequence[str], max_tokens: int, continuity: Continuity, attribution: str
) -> Context:
    if not MIN_TOKENS <= max_tokens <= MAX_TOKENS:
        raise ValueError(f"max_tokens must be between {MIN_TOKENS} and {MAX_TOKENS}")
    if not 1 <= len(topics) <= MAX_TOPICS:
        raise ValueError(f"between 1 and {MAX_TOPICS} topics")
    found = [(topic, _resolve(reader, topic, continuity)) for topic in topics]
    articles = list({a.page_id: a for _, a in found if a is not None}.values())
    remaining = max_tokens - tokens.count(attribution)
    blocks: list[Block] = []
    for left, article in zip(range(len(articles), 0, -1), articles, strict=True):
        if (made := block(article, remaining // left)) is not None:
            blocks.append(made)
            remaining -= made.tokens
    taken = {article.page_id for article in articles}
    for neighbour in _neighbours(reader, articles, continuity):
        if neighbour.page_id in taken:
            continue
        if (made := block(neighbour, min(remaining, NEIGHBOUR_TOKENS))) is not None:
            taken.add(neighbour.page_id)
            blocks.append(made)
            remaining -= made.tokens
    markdown = "\n\n".join([*(b.text for b in blocks), attribution])
    missing = tuple(topic for topic, article in found if article is None)
    return Context(markdown, tuple(blocks), missing, tokens.count(markdown), max_tokens)


def _resolve(reader: LoreReader, topic: str, continuity: Continuity) -> Article | None:
    """By title or alias, else the best match of a search: a model misspells names as people do."""
    if (article := reader.get(topic, continuity)) is not None:
        return article
    page = reader.list_articles(ListQuery(continuity=continuity, search=topic, limit=1))
    if not page.items:
        return None
    return reader.get(orjson.loads(page.items[0])["title"], continuity)


def _neighbours(reader: LoreReader, articles: list[Article], continuity: Continuity) -> list[Article]:
    """Each topic's neighbours in turn, as its links name them, in the continuity asked for."""
    per_topic = [neighbours(article)[:NEIGHBOURS_READ] + _linking(reader, article) for article in articles]
    titles = [t for t in chain.from_iterable(zip_longest(*per_topic)) if t is not None]
    if not titles:
        return []
    wanted = ListQuery(continuity=continuity).wants
    return [article for article in reader.articles(titles) if wanted(article.is_canon)]


def _linking(reader: LoreReader, article: Article) -> list[str]:
    backlinks = reader.backlinks([article.title, *article.aliases], NEIGHBOURS_READ)
    return [b.title for b in sorted(backlinks, key=lambda b: not b.fields)]
