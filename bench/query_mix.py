"""A mix of search queries of every kind, built from a corpus's own titles and aliases.

Latency varies more by what a query is than by how often it is asked: a title is one index range, a
year (`9 AY`) or a code (`R2-D2`) is made of words too short for a trigram index. So the mix asks each
kind separately, the same number of times, from a seeded random choice of the corpus's names, and a
slow kind shows up however rare it is in real traffic.

Each query is `(kind, form, text)`: the kind is what the table reports on, the form (`typo`,
`prefix`…) says how the name was altered, so the slowest queries of a kind explain themselves.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

LEGENDS_SUFFIX = "/Legends"
YEAR = re.compile(r"(\d+) (BBY|ABY)")
SHORT_PART = re.compile(r"(?:^|-)[^\W_]{1,2}(?:-|$)")
LETTERS = "abcdefghijklmnopqrstuvwxyz"
PASSES = 4


@dataclass(frozen=True, slots=True)
class Query:
    kind: str
    form: str
    text: str


Maker = Callable[[str, random.Random], tuple[str, str] | None]
"""From a name, one query of the kind as (form, text), or None when the name does not suit it."""


def exact(title: str, _: random.Random) -> tuple[str, str]:
    return "exact", title


def prefix(title: str, rng: random.Random) -> tuple[str, str] | None:
    """The first 3 to 6 characters as typed so far, or, a third of the time, the first word and the
    space after it (`230 `): a user about to type the second word."""
    first, _, rest = title.partition(" ")
    if rest and rng.random() < 1 / 3:
        return "word and space", f"{first} "
    cut = rng.randint(3, 6)
    return ("first chars", title[:cut]) if len(title) > cut else None


def lower_case(title: str, _: random.Random) -> tuple[str, str] | None:
    return ("lower case", title.lower()) if title.lower() != title else None


def no_punctuation(title: str, _: random.Random) -> tuple[str, str] | None:
    plain = "".join(c for c in unicodedata.normalize("NFKD", title) if not unicodedata.combining(c))
    plain = re.sub(r"[^\w\s]", "", plain)
    return ("no punctuation", plain) if plain != title and plain.strip() else None


def typo(title: str, rng: random.Random) -> tuple[str, str] | None:
    """A letter dropped, two neighbours swapped or one replaced, inside a word of 4+ letters and never
    its first letter (the typo tier assumes users get that one right)."""
    spots = list(re.finditer(r"[^\W\d_]{4,}", title))
    if not spots:
        return None
    word = rng.choice(spots)
    edited = _edit(title, word.start(), word.end(), rng)
    return ("one typo", edited) if edited != title else None


def year(title: str, rng: random.Random) -> tuple[str, str] | None:
    """A year article (`19 BBY`) as typed in full, in lower case, cut after the space (`230 `) or the
    era's first letter (`34 A`), or with a typo in the era (`9 AY`)."""
    found = YEAR.fullmatch(title)
    if not found:
        return None
    number, era = found.groups()
    form = rng.choice(("exact", "lower case", "number and space", "era's first letter", "era typo"))
    text = {
        "exact": title,
        "lower case": title.lower(),
        "number and space": f"{number} ",
        "era's first letter": f"{number} {era[0]}",
        "era typo": f"{number} {_edit(era, 0, len(era), rng)}",
    }[form]
    return form, text


def code(title: str, rng: random.Random) -> tuple[str, str] | None:
    """A model number or designation (`MK5-L1`) as typed in full, in lower case, without its hyphens
    (`r2d2`), with spaces for them, or its first characters."""
    if not _is_code(title):
        return None
    forms = {
        "exact": title,
        "lower case": title.lower(),
        "no hyphen": title.replace("-", "").lower(),
        "hyphen as space": title.replace("-", " "),
        "first chars": title[: rng.randint(2, max(2, len(title) - 1))],
    }
    form = rng.choice(sorted(forms))
    return form, forms[form]


def _is_code(title: str) -> bool:
    """One token with a letter and a digit (`MK5-L1`, `R2-D2`, `T-65B`, `IG88`), or hyphenated with a
    part of one or two characters (`X-wing`); not a hyphenated word (`Chadra-Fan`)."""
    if " " in title or not any(c.isalpha() for c in title):
        return False
    return any(c.isdigit() for c in title) or bool("-" in title and SHORT_PART.search(title))


def two_letters(title: str, rng: random.Random) -> tuple[str, str] | None:
    """The first two characters, as typed or in lower case (`R2`, `C3`, `Ar`, `ar`)."""
    head = title[:2]
    if len(head) < 2 or not head.isalnum():
        return None
    lower = head.lower() != head and rng.random() < 0.5
    return ("lower case", head.lower()) if lower else ("as typed", head)


def multi_word(title: str, rng: random.Random) -> tuple[str, str] | None:
    """Two or three words of a longer name, in order (`Outer Rim` of `Outer Rim Territories`), some in
    lower case: the every-word tier's work."""
    words = title.split()
    if len(words) < 3:
        return None
    count = rng.randint(2, min(3, len(words) - 1))
    chosen = [words[i] for i in sorted(rng.sample(range(len(words)), count))]
    text = " ".join(chosen)
    return ("lower case", text.lower()) if rng.random() < 0.5 else ("as typed", text)


def _edit(text: str, start: int, end: int, rng: random.Random) -> str:
    """One edit of `text[start:end]` past its first character: a letter dropped, swapped with the next
    or replaced."""
    at = rng.randrange(start + 1, end)
    letter = rng.choice(LETTERS.replace(text[at].lower(), ""))
    if text[at].isupper():
        letter = letter.upper()
    edits = [text[:at] + text[at + 1 :], text[:at] + letter + text[at + 1 :]]
    if at + 1 < end and text[at] != text[at + 1]:
        edits.append(text[:at] + text[at + 1] + text[at] + text[at + 2 :])
    return rng.choice(edits)


TITLE_KINDS: dict[str, Maker] = {
    "exact title": exact,
    "prefix": prefix,
    "lower case": lower_case,
    "no punctuation": no_punctuation,
    "one typo": typo,
    "year": year,
    "code": code,
    "two letters": two_letters,
    "multi-word": multi_word,
}


KINDS = (*TITLE_KINDS, "alias")


def build(titles: Iterable[str], aliases: Iterable[str], per_kind: int, seed: int) -> list[Query]:
    """Up to `per_kind` distinct queries of every kind (fewer when the corpus has fewer names that
    suit it), then shuffled so that the kinds are timed interleaved, not one after the other while
    the machine's load drifts. Users do not type `/Legends`, so titles are asked without it."""
    rng = random.Random(seed)
    titles = sorted(set(titles))
    names = sorted({title.removesuffix(LEGENDS_SUFFIX) for title in titles})
    queries: list[Query] = []
    for kind, maker in TITLE_KINDS.items():
        queries += _sample(kind, names, maker, per_kind, rng)
    queries += _sample("alias", _other_names(titles, aliases), exact, per_kind, rng)
    rng.shuffle(queries)
    return queries


def _other_names(titles: list[str], aliases: Iterable[str]) -> list[str]:
    """The names an article answers to beside its title, which reach it through `article_names` only:
    its redirects, and a Legends article's title without `/Legends` when no article has that title (a
    dump without redirects has only these)."""
    known = set(titles)
    bare = (title.removesuffix(LEGENDS_SUFFIX) for title in titles if title.endswith(LEGENDS_SUFFIX))
    return sorted({*aliases, *bare} - known)


def _sample(kind: str, names: list[str], maker: Maker, wanted: int, rng: random.Random) -> list[Query]:
    """Names in a seeded random order, each made into a query until `wanted` distinct ones; a kind few
    names suit (years in a small sample) goes over them again, in other forms."""
    chosen: dict[str, Query] = {}
    order = rng.sample(names, len(names))
    for _ in range(PASSES):
        for name in order:
            made = maker(name, rng)
            if made and made[1].strip() and made[1] not in chosen:
                chosen[made[1]] = Query(kind, *made)
                if len(chosen) == wanted:
                    return list(chosen.values())
    return list(chosen.values())
