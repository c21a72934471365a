"""The link graph around an article: what it links to, what links to it, and the infobox field each
link stands for (`homeworld`, `affiliation`), so that a link says how two things relate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import orjson

from lorecache.article import Article
from lorecache.query import Continuity
from lorecache.store.interface import Detail, LoreReader

Direction = Literal["out", "in", "both"]
MAX_BACKLINKS_SCANNED = 2000
"""Linking articles read when a field filter asks for a few of them: the field is known only after."""
RELATED = 5
RELATED_READ = 24
"""Neighbours weighed for `related`: the infobox's links and the text's first, which name the closest."""


@dataclass(frozen=True, slots=True)
class Link:
    title: str
    fields: tuple[str, ...]
    """The infobox fields that carry the link; empty when only the article's text does."""
    category: str | None = None
    is_canon: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        """Category and canon are known of the articles linking in only: left out when unknown."""
        shown = {"title": self.title, "fields": list(self.fields)}
        known = {"category": self.category, "is_canon": self.is_canon}
        return shown | {key: value for key, value in known.items() if value is not None}


@dataclass(frozen=True, slots=True)
class Related:
    title: str
    outgoing: tuple[Link, ...] | None
    incoming: tuple[Link, ...] | None

    def as_dict(self) -> dict[str, Any]:
        def shown(links: tuple[Link, ...] | None) -> list[dict[str, Any]] | None:
            return None if links is None else [link.as_dict() for link in links]

        return {"title": self.title, "links_out": shown(self.outgoing), "links_in": shown(self.incoming)}


def neighbours(article: Article) -> list[str]:
    """Link targets, the ones its infobox names first (in the infobox's order), each once."""
    return _targets(article.infobox_links, article.links, {article.title})


def _targets(infobox_links: dict[str, list[str]], links: list[str], names: set[str]) -> list[str]:
    seen = dict.fromkeys(target for targets in infobox_links.values() for target in targets)
    seen.update(dict.fromkeys(links))
    return [target for target in seen if target not in names]


def outgoing(article: Article) -> list[Link]:
    fields_of: dict[str, list[str]] = {}
    for field, targets in article.infobox_links.items():
        for target in targets:
            fields_of.setdefault(target, []).append(field)
    return [Link(target, tuple(fields_of.get(target, ()))) for target in neighbours(article)]


def related(
    reader: LoreReader,
    title: str,
    continuity: Continuity,
    direction: Direction,
    field: str | None,
    limit: int,
) -> Related | None:
    article = reader.get(title, continuity)
    if article is None:
        return None

    def wanted(links: list[Link]) -> tuple[Link, ...]:
        return tuple(link for link in links if field is None or field in link.fields)[:limit]

    out = wanted(outgoing(article)) if direction in ("out", "both") else None
    incoming = None
    if direction in ("in", "both"):
        names = [article.title, *article.aliases]
        scanned = limit if field is None else MAX_BACKLINKS_SCANNED
        backlinks = reader.backlinks(names, scanned)
        incoming = wanted([Link(b.title, b.fields, b.category, b.is_canon) for b in backlinks])
    return Related(article.title, out, incoming)


def with_related(reader: LoreReader, detail: Detail | None) -> Detail | None:
    """The article's answer with `related`: its nearest neighbours, those of the articles it links to
    that share the most links with it (a link back counts as one more), the most linked first among
    equals. Weighed when asked, from the neighbours' own links, as they change with every load."""
    if detail is None:
        return None
    shaped = orjson.loads(detail.json)
    mine = set(_targets(shaped["infobox_links"], shaped["links"], set()))
    names = {detail.title, *shaped["aliases"]}
    near = _targets(shaped["infobox_links"], shaped["links"], names)
    weighed = []
    for neighbour in reader.articles(near[:RELATED_READ]):
        if neighbour.title == detail.title:
            continue
        theirs = set(_targets(neighbour.infobox_links, neighbour.links, set()))
        shown = {"title": neighbour.title, "category": neighbour.category, "is_canon": neighbour.is_canon}
        shown |= {"shared_links": len(mine & theirs), "links_back": bool(names & theirs)}
        weight = shown["shared_links"] + shown["links_back"]
        weighed.append((-weight, -neighbour.importance, neighbour.title, shown))
    top = [shown for *_, shown in sorted(weighed, key=lambda w: w[:3])[:RELATED]]
    return Detail(detail.title, f'{detail.json[:-1]},"related":{orjson.dumps(top).decode()}}}')

