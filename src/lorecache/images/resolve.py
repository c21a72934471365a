"""Where each image lives: asked of the wiki (`prop=imageinfo`), or built by the universe's URL rule
when the articles came from a dump."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import quote

from lorecache.images.names import BadImageName, canonical, hashed_url, title
from lorecache.sources.client import ApiClient


@dataclass(frozen=True, slots=True)
class Located:
    """An image to fetch: its canonical name and URL, or, when it has none, why (`error`)."""

    name: str
    source_url: str
    error: str | None = None


def named(raw_names: Iterable[str]) -> tuple[list[str], list[Located]]:
    """Canonical names, once each, and the names refused as unsafe (as failures to record)."""
    names: dict[str, None] = {}
    refused: list[Located] = []
    for raw in raw_names:
        try:
            names[canonical(raw)] = None
        except BadImageName as error:
            refused.append(Located(raw[:240], f"invalid-name:{quote(raw[:200])}", str(error)))
    return list(names), refused


def by_rule(template: str | None, names: Iterable[str]) -> Iterator[Located]:
    for name in names:
        if template is None:
            yield Located(name, f"no-rule:{quote(name)}", "the universe has no image URL rule")
        else:
            yield Located(name, hashed_url(template, name))


def by_wiki(client: ApiClient, names: list[str]) -> Iterator[Located]:
    """`prop=imageinfo`, one request per batch of titles (the API's limit of 50)."""
    size = client.rules.batch_size
    for batch in (names[start : start + size] for start in range(0, len(names), size)):
        answer = client.get(
            {
                "action": "query",
                "prop": "imageinfo",
                "iiprop": "url|size|mime|sha1",
                "titles": "|".join(map(title, batch)),
            }
        ).get("query", {})
        urls = {
            _name_of(page["title"]): page["imageinfo"][0]["url"]
            for page in answer.get("pages", [])
            if page.get("imageinfo")
        }
        for name in batch:
            description = f"{client.api_url}?title={quote(title(name))}"
            if name in urls:
                yield Located(name, urls[name])
            else:
                yield Located(name, description, f"the wiki has no file {title(name)!r}")


def _name_of(page_title: str) -> str:
    return canonical(page_title.split(":", 1)[1])
