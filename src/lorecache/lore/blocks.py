"""A fact block: one article as a few lines of Markdown a model can quote, followed by where they come
from. Blocks are what lore context packs and what a lorebook entry holds."""

from __future__ import annotations

from dataclasses import dataclass

from lorecache.article import Article, InfoboxValue
from lorecache.lore import tokens

MAX_FACTS = 8
"""Infobox fields a block shows at most: the first ones, which infoboxes put the defining facts in."""
MAX_FACT_TOKENS = 40


@dataclass(frozen=True, slots=True)
class Block:
    title: str
    url: str
    revision_id: int | None
    is_canon: bool
    text: str
    """Markdown: heading, summary, facts, and the source line last."""
    tokens: int


def citation(article: Article) -> str:
    revision = f"revision {article.revision_id}" if article.revision_id else "revision unknown"
    return f"Source: {article.url} ({revision})"


def block(article: Article, budget: int) -> Block | None:
    """The article in at most `budget` tokens: fewer facts first, then a shorter summary; None when not
    even its heading, a few words and its source fit."""
    heading = f"## {article.title} ({article.category}, {'canon' if article.is_canon else 'Legends'})"
    facts = _facts(article.infobox, article.title)
    frame = [heading, citation(article)]
    spare = budget - sum(map(tokens.count, frame))
    shown = [fact for fact in facts if (spare := spare - tokens.count(fact)) >= 0]
    used = sum(map(tokens.count, shown))
    while shown and budget - sum(map(tokens.count, frame)) - used < min(tokens.count(article.summary), 24):
        used -= tokens.count(shown.pop())
    summary = tokens.truncate(article.summary, budget - sum(map(tokens.count, frame)) - used)
    if not summary and not shown:
        return None
    text = "\n".join(part for part in (heading, summary, *shown, frame[1]) if part)
    return Block(article.title, article.url, article.revision_id, article.is_canon, text, tokens.count(text))


def _facts(infobox: dict[str, InfoboxValue], title: str) -> list[str]:
    """The infobox's first fields; a field repeating the title (`name`) says nothing."""
    lines = []
    for field, value in list(infobox.items())[:MAX_FACTS]:
        shown = ", ".join(value) if isinstance(value, list) else value
        if shown.strip() and shown != title:
            lines.append(f"- {field.replace('_', ' ')}: {tokens.truncate(shown, MAX_FACT_TOKENS)}")
    return [line for line in lines if not line.endswith(": ")]
