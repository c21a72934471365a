"""What a match is, in one place, so PostgreSQL and the file cache answer alike.

A query is folded (case, accents, punctuation gone) and matched against an article's names — its title,
its title without the Legends suffix, its aliases — in tiers: exact, prefix, every word begins a word,
then typos (every word as typed or corrected by `spelling`, or a short title within an edit distance),
then every word inside some word, then full text over summary and infobox. How matches rank within a
tier is `ranking`'s; which tiers run, and when to stop, `cascade`'s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lorecache.text import fold

SEPARATOR = "|"
EXACT, PREFIX, WORDS, FUZZY, SUBSTRING, FULLTEXT = range(6)
SIMILARITY_THRESHOLD = 0.3
TRIGRAM_MIN_LENGTH = 3
EDIT_MAX_LENGTH = 20
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
    """EXACT, PREFIX or WORDS (each word begins a word of a name, any order) for `names` (a `joined`
    string); None when none applies — typos and SUBSTRING are decided after."""
    if f"{SEPARATOR}{needle}{SEPARATOR}" in names:
        return EXACT
    if f"{SEPARATOR}{needle}" in names:
        return PREFIX
    if needle_words and all(f" {word}" in names or f"{SEPARATOR}{word}" in names for word in needle_words):
        return WORDS
    return None


def contains_words(names: str, needle_words: list[str]) -> bool:
    """Every word somewhere, even inside a word: the weakest name match, below typos. A query whose
    words are all shorter than a trigram (`r2 d2`, `t a`) has none: inside a word, such words match
    nearly every name, and an index cannot find them there."""
    if not any(len(word) >= TRIGRAM_MIN_LENGTH for word in needle_words):
        return False
    return all(word in names for word in needle_words)


def edit_budget(needle: str) -> int:
    """Typos forgiven by edit distance: one in a short name, two in a longer one; none past
    EDIT_MAX_LENGTH, where trigrams already tolerate typos well."""
    if len(needle) > EDIT_MAX_LENGTH or len(needle) < TRIGRAM_MIN_LENGTH:
        return 0
    return 1 if len(needle) <= 4 else 2


def edit_closeness(title: str, needle: str) -> float:
    """1 - distance / length for titles within the edit budget that share the first letter and a
    near length (users rarely mistype the first letter; PostgreSQL's index relies on it); else 0."""
    budget = edit_budget(needle)
    if not budget or not title or title[0] != needle[0] or abs(len(title) - len(needle)) > budget:
        return 0.0
    distance = levenshtein(title, needle, budget)
    return 1 - distance / max(len(title), len(needle)) if distance <= budget else 0.0


def levenshtein(left: str, right: str, budget: int) -> int:
    """Edit distance, or budget + 1 as soon as it is sure to exceed `budget` (fuzzystrmatch's
    levenshtein_less_equal)."""
    previous = list(range(len(right) + 1))
    for i, a in enumerate(left, 1):
        current = [i]
        for j, b in enumerate(right, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        if min(current) > budget:
            return budget + 1
        previous = current
    return min(previous[-1], budget + 1)


def trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams: each word padded with two spaces before and one after."""
    grams: set[str] = set()
    for word in _WORD.findall(text.lower()):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def inner_trigrams(word: str) -> set[str]:
    """The trigrams a word has wherever it stands, even inside another word: the unpadded ones."""
    return {word[i : i + 3] for i in range(len(word) - 2)}


def infobox_terms(infobox: dict[str, str | list[str]]) -> dict[str, str]:
    """Each infobox field folded and joined, so a filter `climate=arid` is a substring test."""
    return {
        field: joined(fold(item) for item in ([value] if isinstance(value, str) else value))
        for field, value in infobox.items()
    }
