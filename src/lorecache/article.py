"""The records that flow through every stage: a raw page from a source, and the Article parsed from it."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

InfoboxValue = str | list[str]


@dataclass(frozen=True, slots=True)
class RawPage:
    """One page as a source yields it, before any parsing."""

    page_id: int
    title: str
    namespace: int
    wikitext: str
    revision_id: int | None = None
    timestamp: datetime | None = None
    redirect_to: str | None = None
    categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Redirect:
    """A redirect page: its title becomes an alias of the target article."""

    title: str
    target: str


@dataclass(slots=True)
class Article:
    universe: str
    page_id: int
    title: str
    slug: str
    url: str
    kind: str | None
    category: str
    is_canon: bool
    summary: str
    infobox: dict[str, InfoboxValue] = field(default_factory=dict)
    infobox_links: dict[str, list[str]] = field(default_factory=dict)
    links: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    image: str | None = None
    revision_id: int | None = None
    timestamp: datetime | None = None
    importance: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Shallow: the values are shared with the article (dataclasses.asdict deep-copies, 10x slower)."""
        return {name: getattr(self, name) for name in _ARTICLE_FIELDS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        values = dict(data)
        stamp = values.get("timestamp")
        if isinstance(stamp, str):
            values["timestamp"] = datetime.fromisoformat(stamp)
        return cls(**values)


_ARTICLE_FIELDS = tuple(f.name for f in fields(Article))
