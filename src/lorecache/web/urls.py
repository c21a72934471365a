"""The pages' URLs. A card's path is its title as MediaWiki writes it in a URL, spaces as underscores
(`/wiki/Outer_Rim_Territories`); MediaWiki titles cannot hold an underscore, so the way back is exact."""

from __future__ import annotations

from urllib.parse import quote, urlencode

SAFE = "/()',!:~-_."


def wiki_url(title: str) -> str:
    return "/wiki/" + quote(title.replace(" ", "_"), safe=SAFE)


def title_from_path(path: str) -> str:
    return path.replace("_", " ").strip()


def with_query(path: str, params: list[tuple[str, str]]) -> str:
    """`path` with the non-empty parameters as its query string."""
    kept = [(name, value) for name, value in params if value]
    return f"{path}?{urlencode(kept)}" if kept else path
