"""Typo correction against the vocabulary of names: the distinct words of every name an article answers
to, with how many articles use each.

A typed word that is no word of any name is corrected to the vocabulary words one typo away — a letter
dropped, added or replaced, or two neighbours swapped — that keep its first letter (users rarely
mistype it), and to the two or three vocabulary words it joins (`xwing`, `tatooinelegends`,
`bookandrecord`: punctuation dropped without a space). A word of the vocabulary is left as typed,
unless it is rare (RARE_USES): the query is then no misspelling but a combination no name has, which
full text answers. Correcting words first, then looking the corrected words up, touches a few
vocabulary entries and the names holding them, where comparing the whole query with every name is a
scan of each name that shares a trigram with it.

Both stores find the same corrections: PostgreSQL by the delete neighbourhoods (`deletes`) of its
`search_vocabulary` table and an exact lookup of the words and their pieces, the file cache from its
in-memory vocabulary; `fixes` then keeps the same few of either's candidates.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from lorecache.search.rules import SEPARATOR, TRIGRAM_MIN_LENGTH

MAX_CORRECTIONS = 4
RARE_USES = 2
"""A vocabulary word used by no more articles than this may itself be a misspelling (`modl` for
`model`, in one name): it is corrected too, its own spelling matching first."""
MAX_JOINED_LENGTH = 24

Fixes = list[list[tuple[str, float]]]
"""Per word of a query, its corrections with their closeness, the closest first."""


def deletes(word: str) -> list[str]:
    """The word and each way of dropping one letter: two words one typo apart share one of these
    (SymSpell's delete neighbourhood), so an exact lookup of them finds every one-typo candidate."""
    return list(dict.fromkeys([word, *(word[:i] + word[i + 1 :] for i in range(len(word)))]))


def one_edit(left: str, right: str) -> bool:
    """Exactly one letter dropped, added or replaced, or two neighbours swapped (the optimal string
    alignment distance is 1)."""
    if left == right or abs(len(left) - len(right)) > 1:
        return False
    start = 0
    while start < min(len(left), len(right)) and left[start] == right[start]:
        start += 1
    if len(left) != len(right):
        shorter, longer = sorted((left, right), key=len)
        return shorter[start:] == longer[start + 1 :]
    if left[start + 1 :] == right[start + 1 :]:
        return True
    swapped = left[start + 1 : start + 2] + left[start] + left[start + 2 :]
    return swapped == right[start:]


def closeness(word: str, edits: int = 1) -> float:
    """How near a correction of `word` comes: each typo (a missing space among them) costs one of the
    word's letters."""
    return 1 - edits / len(word)


def is_correction(candidate: str, word: str) -> bool:
    return candidate[:1] == word[:1] and one_edit(candidate, word)


def needs_correction(word: str, vocabulary: dict[str, int]) -> bool:
    """Rare or unknown words of two letters or more (`2m` may be `2 m`), but not numbers: `230` is no
    misspelling of `20` or `23`, and years and model numbers are typed as they are."""
    return len(word) >= 2 and not word.isdigit() and vocabulary.get(word, 0) <= RARE_USES


def pieces(word: str) -> set[str]:
    """Every run of letters inside the word: the words it may join, to look up. Words too long to be
    a few run together have none."""
    if len(word) > MAX_JOINED_LENGTH:
        return set()
    return {word[start:end] for start in range(len(word)) for end in range(start + 1, len(word) + 1)}


def corrections(
    word: str, candidates: Iterable[tuple[str, int]], vocabulary: dict[str, int]
) -> list[tuple[str, float]]:
    """The closest few corrections of `word`: candidates one typo away and the two or three vocabulary
    words it joins, with the closeness of each; between equally close ones the more used wins, as a
    spelling corrector prefers the common word."""
    if not needs_correction(word, vocabulary):
        return []
    typos = candidates if len(word) >= TRIGRAM_MIN_LENGTH else ()
    options = [(1, -uses, candidate) for candidate, uses in typos if is_correction(candidate, word)]
    for parts in _splits(word, vocabulary):
        options.append((len(parts) - 1, -min(vocabulary[part] for part in parts), " ".join(parts)))
    kept = sorted(options)[:MAX_CORRECTIONS]
    return [(option, closeness(word, edits)) for edits, _, option in kept]


def _splits(word: str, vocabulary: dict[str, int]) -> Iterator[tuple[str, ...]]:
    """The ways `word` joins two or three vocabulary words (`xwing`, `bookandrecord`)."""
    if len(word) > MAX_JOINED_LENGTH:
        return
    for first in range(1, len(word)):
        head, rest = word[:first], word[first:]
        if head not in vocabulary:
            continue
        if rest in vocabulary:
            yield head, rest
        for second in range(1, len(rest)):
            if rest[:second] in vocabulary and rest[second:] in vocabulary:
                yield head, rest[:second], rest[second:]


def fixes(needle_words: list[str], candidates: list[tuple[str, int]], vocabulary: dict[str, int]) -> Fixes:
    """Corrections for each word of a query; `vocabulary` holds whichever of the words and their pieces
    are vocabulary words, with their uses."""
    return [corrections(word, candidates, vocabulary) for word in needle_words]


def lookup_word(correction: str, uses: Mapping[str, int]) -> str:
    """The word of a correction an index is asked for: a correction that splits a word (`star forth`)
    is a whole word of every name it matches in each of its parts, and the part the fewest names hold
    finds them reading the fewest."""
    return min(correction.split(), key=lambda part: uses.get(part, 0))


def word_closeness(names: str, word: str, fixes: list[tuple[str, float]]) -> float:
    """1 when the word as typed begins a word of a name (the last word is often typed in part), else the
    closeness of the best correction that is a whole word of one, else 0. A correction is a vocabulary
    word: taken as a mere beginning, a short one (`sa` for `sah`) would match thousands of names, and
    every one of them would have to be read to rank it."""
    spaced = names.replace(SEPARATOR, " ")
    if f" {word}" in spaced:
        return 1.0
    for option, near in fixes:
        if f" {option} " in spaced:
            return near
    return 0.0


def typo_closeness(names: str, needle_words: list[str], fixes: Fixes) -> float:
    """The mean closeness of the query's words to a name's words, 0 unless every word is matched as
    typed or by a correction."""
    nearness = [word_closeness(names, word, fixed) for word, fixed in zip(needle_words, fixes, strict=True)]
    return sum(nearness) / len(nearness) if nearness and all(nearness) else 0.0
