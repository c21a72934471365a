"""The public shape of an article in an answer, prepared once when the article is written: its list
item and its detail as JSON text, which both stores keep, so a page is its items joined and an answer
costs no serialisation. What depends on the request — a search's `score`, the title an article was
asked by — is spliced in.
"""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import orjson

from lorecache.article import Article
from lorecache.dates import Calendar, future
from lorecache.images.names import image_url
from lorecache.search.ranking import score
from lorecache.universes import load

if TYPE_CHECKING:
    from lorecache.store.interface import Page

SUMMARY_FIELDS = ("title", "category", "kind", "is_canon", "summary", "url", "infobox", "image", "importance")
ARTICLE_ROUTE = "/api/v1/wiki/articles/"
FORMAT = 3
"""Bumped when either shape changes, so that the next load rewrites every prepared answer."""


def list_item(article: Article) -> str:
    """An article in a list: `name` is the seed's word for the title."""
    shaped: dict[str, Any] = {"name": article.title}
    shaped |= {field: getattr(article, field) for field in SUMMARY_FIELDS}
    shaped["image_url"] = image_url(article.image)
    return orjson.dumps(shaped | timed(article)).decode()


def timed(article: Article) -> dict[str, Any]:
    """The article's in-universe dates, each as written and as years, and its span."""
    found, span = load(article.universe).calendar.article_dates(article)
    return {
        "dates": {name: date.as_dict() for name, date in found.items()},
        "span": span.as_dict() if span else None,
    }


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
    return orjson.dumps(shaped | timed(article)).decode()


def scored(item: str, score: float) -> str:
    return f'{item[:-1]},"score":{orjson.dumps(score).decode()}}}'


def seen_from(item: str, year: int) -> str:
    """A list item seen from `year`: which of its dates are still in the future then."""
    return f'{item[:-1]},"future":{orjson.dumps(future(orjson.loads(item)["dates"], year)).decode()}}}'


def redirected(detail_json: str, asked: str, title: str) -> str:
    """The detail, saying which title it was asked by when that is not its own (an alias, a case)."""
    source = orjson.dumps(asked).decode() if asked != title else "null"
    return f'{detail_json[:-1]},"redirected_from":{source}}}'


def page_items(page: Page, as_of: int | None = None) -> list[str]:
    """A page's items; a search's with the score of how each matched; seen from `as_of`, with what is
    still in the future then."""
    items = page.items
    if page.hits is not None:
        scores = (score(hit.tier, hit.closeness) for hit in page.hits)
        items = [scored(item, value) for item, value in zip(items, scores, strict=True)]
    if as_of is not None:
        items = [seen_from(item, as_of) for item in items]
    return items


def event(item: str, calendar: Calendar) -> dict[str, Any]:
    """A list item as a timeline shows it: the text of the date that places it, its years, its link,
    and the year article of where it begins (`19 BBY`; none for a span open on both sides, which the
    timeline places last)."""
    shown = orjson.loads(item)
    span = shown["span"]
    when = span["from"] if span["from"] is not None else span["to"]
    placed = next(
        (date for date in shown["dates"].values() if date["from"] is not None or date["to"] is not None), None
    )
    return {
        "title": shown["title"],
        "category": shown["category"],
        "is_canon": shown["is_canon"],
        "date": placed["text"] if placed else None,
        "from": span["from"],
        "to": span["to"],
        "year": None if when is None else calendar.label(when),
        "url": shown["url"],
        "link": f"{ARTICLE_ROUTE}{quote(shown['title'], safe='')}",
    }


def array(items: list[str]) -> bytes:
    return f"[{','.join(items)}]".encode()


def search_results(query: str, items: list[str], has_more: bool, did_you_mean: str | None) -> bytes:
    head = orjson.dumps({"query": query}).decode()[:-1]
    tail = orjson.dumps({"has_more": has_more, "did_you_mean": did_you_mean}).decode()[1:]
    return f'{head},"results":[{",".join(items)}],{tail}'.encode()
