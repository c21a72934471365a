"""Universes: one TOML file per wiki, describing where it lives and how its pages are sorted.

Adding a wiki is adding a file here; nothing in the code names a universe.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from urllib.parse import quote

from lorecache.dates import Calendar, load_calendar


class UnknownUniverseError(LookupError):
    pass


@dataclass(frozen=True)
class CanonRules:
    canon_categories: frozenset[str]
    legends_categories: frozenset[str]
    top_template: str
    legends_top_params: frozenset[str]
    legends_suffix: str


@dataclass(frozen=True)
class ScrapeRules:
    """How to scrape the live wiki: what to enumerate, and how gently.

    Defaults follow the etiquette Wikimedia and Fandom ask of bots: one request at a time, at most one a
    second, and back off whenever the wiki says it is busy.
    """

    categories: tuple[str, ...] = ()
    rate_per_second: float = 1.0
    concurrency: int = 1
    batch_size: int = 50
    maxlag_seconds: int = 5
    timeout_seconds: float = 30.0
    max_attempts: int = 6
    backoff_seconds: float = 2.0
    max_wait_seconds: float = 300.0
    recent_changes_days: int = 90


@dataclass(frozen=True)
class ImageRules:
    """Where a universe's images come from and how far a download is trusted.

    `url` builds a file's address when no wiki API says it (dumps): `{name}` is the file name with
    underscores, `{hash1}` and `{hash2}` the first one and two hex digits of its MD5, as in MediaWiki's
    hashed upload paths. Only `hosts` are fetched from, redirects included.
    """

    hosts: tuple[str, ...] = ()
    url: str | None = None
    concurrency: int = 4
    max_bytes: int = 20_000_000
    timeout_seconds: float = 10.0
    deadline_seconds: float = 60.0
    max_redirects: int = 3


@dataclass(frozen=True)
class Universe:
    name: str
    display_name: str
    api_url: str
    article_url: str
    default_category: str
    canon: CanonRules
    category_of_kind: dict[str, str]
    group_of_category: dict[str, str]
    scrape: ScrapeRules = ScrapeRules()
    images: ImageRules = ImageRules()
    license: str = "CC BY-SA 3.0"
    calendar: Calendar = field(default_factory=lambda: load_calendar({}))
    """In-universe dates (`[dates]`): none read without it."""

    @property
    def attribution(self) -> str:
        """The line that lore quoted from the wiki ends with: its licence asks for it."""
        site = self.article_url.split("/wiki/")[0]
        return f"Text from {self.display_name} ({site}) by its contributors, licensed {self.license}."

    @property
    def categories(self) -> list[str]:
        return [*self.group_of_category, self.default_category]

    def categories_in(self, group: str) -> list[str]:
        return [category for category, owner in self.group_of_category.items() if owner == group]

    def category_for(self, kind: str | None) -> str:
        return self.category_of_kind.get(kind or "", self.default_category)

    def url_for(self, slug: str) -> str:
        return self.article_url.format(slug=quote(slug, safe="/:()'!,"))


def available() -> list[str]:
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in resources.files(__name__).iterdir()
        if entry.name.endswith(".toml")
    )


@lru_cache
def load(name: str) -> Universe:
    path = resources.files(__name__) / f"{name}.toml"
    if not path.is_file():
        raise UnknownUniverseError(f"unknown universe {name!r}; known: {', '.join(available())}")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    canon = data["canon"]
    category_of_kind: dict[str, str] = {}
    group_of_category: dict[str, str] = {}
    for category, spec in data["categories"].items():
        group_of_category[category] = spec["group"]
        for kind in spec["kinds"]:
            category_of_kind[kind] = category
    return Universe(
        name=data["name"],
        display_name=data["display_name"],
        license=data.get("license", Universe.license),
        api_url=data["api_url"],
        article_url=data["article_url"],
        default_category=data["default_category"],
        canon=CanonRules(
            canon_categories=frozenset(canon.get("canon_categories", ())),
            legends_categories=frozenset(canon.get("legends_categories", ())),
            top_template=canon["top_template"],
            legends_top_params=frozenset(canon.get("legends_top_params", ())),
            legends_suffix=canon["legends_suffix"],
        ),
        category_of_kind=category_of_kind,
        group_of_category=group_of_category,
        scrape=_scrape_rules(data.get("scrape", {})),
        images=ImageRules(**{**data.get("images", {}), "hosts": tuple(data.get("image_hosts", ()))}),
        calendar=load_calendar(data.get("dates", {})),
    )


def _scrape_rules(data: dict) -> ScrapeRules:
    return ScrapeRules(**{**data, "categories": tuple(data.get("categories", ()))})
