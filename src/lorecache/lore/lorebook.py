"""A lorebook: SillyTavern's World Info, one entry per article, triggered by the article's names and
holding its fact block, so a chat front end puts an article in the prompt when the chat names it.

SillyTavern's importer keeps any JSON with `entries` and fills nothing in later, so every field of its
entry template (`newWorldInfoEntryDefinition` in `public/scripts/world-info.js`) is written with its
default, and the ones that matter here are set: the keys, the content, the comment (the entry's title
in its editor) and the insertion order, the most linked article strongest.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import orjson

from lorecache.article import Article
from lorecache.lore.blocks import block
from lorecache.query import ListQuery
from lorecache.store.interface import LoreReader

MAX_ENTRIES = 1000
MIN_ENTRY_TOKENS = 40
MAX_ENTRY_TOKENS = 1000
PAGE = 100

ENTRY_DEFAULTS: dict[str, Any] = {
    "key": [],
    "keysecondary": [],
    "comment": "",
    "content": "",
    "constant": False,
    "vectorized": False,
    "selective": True,
    "selectiveLogic": 0,
    "addMemo": False,
    "order": 100,
    "position": 0,
    "disable": False,
    "ignoreBudget": False,
    "excludeRecursion": False,
    "preventRecursion": False,
    "matchPersonaDescription": False,
    "matchCharacterDescription": False,
    "matchCharacterPersonality": False,
    "matchCharacterDepthPrompt": False,
    "matchScenario": False,
    "matchCreatorNotes": False,
    "delayUntilRecursion": 0,
    "probability": 100,
    "useProbability": True,
    "depth": 4,
    "outletName": "",
    "group": "",
    "groupOverride": False,
    "groupWeight": 100,
    "scanDepth": None,
    "caseSensitive": None,
    "matchWholeWords": None,
    "useGroupScoring": None,
    "automationId": "",
    "role": 0,
    "sticky": None,
    "cooldown": None,
    "delay": None,
    "triggers": [],
}
"""SillyTavern's entry template: position 0 is "before the character definition", role 0 the system."""


def sillytavern(
    reader: LoreReader, query: ListQuery, limit: int, entry_tokens: int, name: str, attribution: str
) -> dict:
    """Up to `limit` articles the query lists, in its order, as a World Info file named `name`; the
    licence's attribution goes with it as its description (every entry cites its own source)."""
    if not 1 <= limit <= MAX_ENTRIES:
        raise ValueError(f"limit must be between 1 and {MAX_ENTRIES}")
    if not MIN_ENTRY_TOKENS <= entry_tokens <= MAX_ENTRY_TOKENS:
        raise ValueError(f"entry_tokens must be between {MIN_ENTRY_TOKENS} and {MAX_ENTRY_TOKENS}")
    articles = reader.articles(_listed(reader, query, limit))
    entries = {}
    for uid, article in enumerate(articles):
        if (made := block(article, entry_tokens)) is None:
            continue
        entries[str(uid)] = ENTRY_DEFAULTS | {
            "uid": uid,
            "displayIndex": uid,
            "key": keys(article),
            "comment": article.title,
            "addMemo": True,
            "content": made.text,
            "order": len(articles) - uid,
        }
    return {"name": name, "description": attribution, "entries": entries}


def title(universe: str, query: ListQuery) -> str:
    """What the lorebook holds, as SillyTavern lists it: `Star Wars: planets, "tato", region=…`."""
    parts = [*query.categories, *([f'"{query.search}"'] if query.search else [])]
    parts += [f"{field}={value}" for field, value in query.filters]
    if query.continuity != "all":
        parts.append(query.continuity)
    return f"{universe}: {', '.join(parts)}"


def file_name(name: str) -> str:
    """A name for the file SillyTavern names the lorebook after, in the characters any system takes."""
    return "-".join(re.findall(r"[A-Za-z0-9]+", name))[:100] + ".json"


def keys(article: Article) -> list[str]:
    """The names a chat would use: the title without its continuity suffix, then the aliases, each
    once whatever its case."""
    names: dict[str, str] = {}
    for name in (article.title.removesuffix("/Legends"), *article.aliases):
        names.setdefault(name.casefold(), name)
    return list(names.values())


def _listed(reader: LoreReader, query: ListQuery, limit: int) -> Sequence[str]:
    """The titles of the query's first `limit` articles, read a page at a time."""
    titles: list[str] = []
    while len(titles) < limit:
        asked = min(PAGE, limit - len(titles))
        page = reader.list_articles(replace(query, limit=asked, offset=len(titles)))
        titles += [orjson.loads(item)["title"] for item in page.items]
        if not page.has_more or not page.items:
            break
    return titles
