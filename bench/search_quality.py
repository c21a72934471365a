"""Search quality: recall@10 and MRR per query form, PostgreSQL and file-cache fallback side by side.

    python -m bench.search_quality [DUMP] [--top 200] [--spread 300] [--seed 7]

The query set is built from the corpus itself: the most-linked canon titles and a seeded random spread
of the others, each asked in four forms — a prefix (the first 70% of the title, at least 4 characters),
lower case, one typo (a letter dropped, doubled, swapped or replaced inside a word of 4+ letters), and
without punctuation or accents. A hit is the article itself within the first 10 results (the search
runs over all continuities, as a game master's search box does).
"""

from __future__ import annotations

import argparse
import math
import random
import re
import tempfile
import unicodedata
from collections.abc import Callable
from pathlib import Path

import orjson

from bench.common import FULL_CORPUS, ingest
from lorecache.query import ListQuery
from lorecache.store.postgres import PostgresStore

FORMS = ("prefix", "lower case", "one typo", "no punctuation")
K = 10


def prefix(title: str, _: random.Random) -> str:
    return title[: max(4, math.ceil(0.7 * len(title)))]


def lower_case(title: str, _: random.Random) -> str:
    return title.lower()


def one_typo(title: str, rng: random.Random) -> str | None:
    spots = [m for m in re.finditer(r"[^\W\d_]{4,}", title)]
    if not spots:
        return None
    word = rng.choice(spots)
    at = rng.randrange(word.start() + 1, word.end() - 1)
    letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
    edits = (
        title[:at] + title[at + 1 :],
        title[:at] + title[at] + title[at:],
        title[:at] + title[at + 1] + title[at] + title[at + 2 :],
        title[:at] + letter + title[at + 1 :],
    )
    typo = rng.choice(edits)
    return typo if typo != title else None


def no_punctuation(title: str, _: random.Random) -> str | None:
    plain = "".join(c for c in unicodedata.normalize("NFKD", title) if not unicodedata.combining(c))
    plain = re.sub(r"[^\w\s]", "", plain)
    return plain if plain != title else None


MAKERS: dict[str, Callable[[str, random.Random], str | None]] = dict(
    zip(FORMS, (prefix, lower_case, one_typo, no_punctuation), strict=True)
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dump", nargs="?", type=Path, default=FULL_CORPUS)
    parser.add_argument("--top", type=int, default=200)
    parser.add_argument("--spread", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="lorecache-bench-") as scratch:
        engine, files, seconds = ingest(args.dump, Path(scratch))
        print(f"dataset {args.dump.name}, ingested in {seconds:.0f} s")
        entries = files.entries()
        canon = sorted((e for e in entries if e.is_canon), key=lambda e: -e.importance)
        top = [e.title for e in canon[: args.top]]
        rest = [e.title for e in entries if e.title not in set(top)]
        groups = {"most-linked canon": top, "random spread": rng.sample(rest, min(args.spread, len(rest)))}
        stores = {"postgres": PostgresStore(engine, "star_wars"), "file_cache": files}
        print(
            f"\n{'group':<19}{'form':<16}{'queries':>8}"
            + "".join(f"{s + ' R@10':>17}{'MRR':>7}" for s in stores)
        )
        for group, titles in groups.items():
            for form in FORMS:
                queries = [(q, t) for t in titles if (q := MAKERS[form](t, rng))]
                cells = "".join(_score(store, queries) for store in stores.values())
                print(f"{group:<19}{form:<16}{len(queries):>8}{cells}", flush=True)
        engine.dispose()


def _score(store, queries: list[tuple[str, str]]) -> str:
    hits, reciprocal = 0, 0.0
    for query, title in queries:
        page = store.list_articles(ListQuery(search=query, continuity="all", limit=K))
        found = [orjson.loads(item)["name"] for item in page.items]
        if title in found:
            hits += 1
            reciprocal += 1 / (found.index(title) + 1)
    count = max(1, len(queries))
    return f"{hits / count:>17.3f}{reciprocal / count:>7.3f}"


if __name__ == "__main__":
    main()
