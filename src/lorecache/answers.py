"""The public shape of an article in an answer, prepared once when the article is written: its list
item and its detail as JSON text, which both stores keep, so a page is its items joined and an answer
costs no serialisation. What depends on the request — a search's `score`, the title an article was
asked by — is spliced in.
"""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING, Any

import orjson

from lorecache.article import Article
from lorecache.images.names import image_url
from lorecache.search.ranking import score

if TYPE_CHECKING:
    from lorecache.store.interface import Page

SUMMARY_FIELDS = ("title", "category", "kind", "is_canon", "summary", "url", "infobox", "image", "importance")
FORMAT = 2
"""Bumped when either shape changes, so that the next load rewrites every prepared answer."""


def list_item(article: Article) -> str:
    """An article in a list: `name` is the seed's word for the title."""
    shaped: dict[str, Any] = {"name": article.title}
    shaped |= {field: getattr(article, field) for field in SUMMARY_FIELDS}
    shaped["image_url"] = image_url(article.image)
    return orjson.dumps(shaped).decode()


def detail(article: Article) -> str:
    """An article on its own, every field; `redirected_from` is spliced in per request."""
    shaped = article.to_dict()
    shaped.pop("universe")
    shaped |= {
        "name": article.title,
        "timestamp": article.timestamp.astimezone(UTC).isoformat() if article.timestamp else None,
        "inbound_links": article.importance,
        "image_url": image_url(article.image),
    }
    return orjson.dumps(shaped).decode()


def scored(item: str, score: float) -> str:
    return f'{item[:-1]},"score":{orjson.dumps(score).decode()}}}'


def redirected(detail_json: str, asked: str, title: str) -> str:
    """The detail, saying which title it was asked by when that is not its own (an alias, a case)."""
    source = orjson.dumps(asked).decode() if asked != title else "null"
    return f'{detail_json[:-1]},"redirected_from":{source}}}'


def page_items(page: Page) -> list[str]:
    """A page's items; a search's with the score of how each matched."""
    if page.hits is None:
        return page.items
    scores = (score(hit.tier, hit.closeness) for hit in page.hits)
    return [scored(item, value) for item, value in zip(page.items, scores, strict=True)]


def array(items: list[str]) -> bytes:
    return f"[{','.join(items)}]".encode()


def search_results(query: str, items: list[str], has_more: bool, did_you_mean: str | None) -> bytes:
    head = orjson.dumps({"query": query}).decode()[:-1]
    tail = orjson.dumps({"has_more": has_more, "did_you_mean": did_you_mean}).decode()[1:]
    return f'{head},"results":[{",".join(items)}],{tail}'.encode()
