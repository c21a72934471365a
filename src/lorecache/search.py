"""What a search means, in one place, so PostgreSQL and the file cache answer alike.

A query is folded (case, accents, punctuation gone) and matched against an article's names — its title,
its title without the Legends suffix, its aliases — in tiers: exact, prefix, every word somewhere,
then typo-tolerant trigram similarity (pg_trgm's measure), then full text over summary and infobox.
Within a tier the more linked article wins, and the canon one before its Legends twin.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lorecache.text import fold

SEPARATOR = "|"
EXACT, PREFIX, WORDS, FUZZY, FULLTEXT = range(5)
TIER_SCORES = {EXACT: 1.0, PREFIX: 0.9, WORDS: 0.8}
FUZZY_WEIGHT = 0.7
FULLTEXT_WEIGHT = 0.5
SIMILARITY_THRESHOLD = 0.3
WORD_SIMILARITY_THRESHOLD = 0.6
TRIGRAM_MIN_LENGTH = 3
MAX_WORDS = 8

_WORD = re.compile(r"[^\W_]+")


def names_of(title: str, aliases: Iterable[str], legends_suffix: str) -> list[str]:
    """Folded names an article answers to; `Tatooine/Legends` also answers to `tatooine`."""
    names = [title, title.removesuffix(legends_suffix), *aliases]
    return list(dict.fromkeys(folded for folded in map(fold, names) if folded))


def joined(names: Iterable[str]) -> str:
    """`|tatooine|tatooine legends|`: one string in which `|name|` is an exact match, `|name` a prefix."""
    return SEPARATOR + SEPARATOR.join(names) + SEPARATOR


def words(needle: str) -> list[str]:
    return needle.split()[:MAX_WORDS]


def tier(names: str, needle: str, needle_words: list[str]) -> int | None:
    """EXACT, PREFIX or WORDS for `names` (a `joined` string), None when none of them applies."""
    if f"{SEPARATOR}{needle}{SEPARATOR}" in names:
        return EXACT
    if f"{SEPARATOR}{needle}" in names:
        return PREFIX
    if needle_words and all(word in names for word in needle_words):
        return WORDS
    return None


def score(match_tier: int, similarity: float) -> float:
    if match_tier in TIER_SCORES:
        return TIER_SCORES[match_tier]
    weight = FUZZY_WEIGHT if match_tier == FUZZY else FULLTEXT_WEIGHT
    return round(weight * similarity, 4)


def trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams: each word padded with two spaces before and one after."""
    grams: set[str] = set()
    for word in _WORD.findall(text.lower()):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def similarity(left: str, right: str) -> float:
    a, b = trigrams(left), trigrams(right)
    return len(a & b) / len(a | b) if a and b else 0.0


def word_similarity(needle: str, text: str) -> float:
    """How well `needle` matches some run of consecutive words of `text` (pg_trgm's word_similarity,
    measured on whole-word runs, which is what matters for names)."""
    needle_grams = trigrams(needle)
    if not needle_grams:
        return 0.0
    best = 0.0
    text_words = _WORD.findall(text.lower())
    span = max(1, len(_WORD.findall(needle)))
    for start in range(len(text_words)):
        for width in range(1, span + 2):
            window = trigrams(" ".join(text_words[start : start + width]))
            shared = len(needle_grams & window)
            best = max(best, shared / len(needle_grams | window) if window else 0.0)
    return best


def infobox_terms(infobox: dict[str, str | list[str]]) -> dict[str, str]:
    """Each infobox field folded and joined, so a filter `climate=arid` is a substring test."""
    return {
        field: joined(fold(item) for item in ([value] if isinstance(value, str) else value))
        for field, value in infobox.items()
    }
