"""Throughput of dump reading plus wikitext parsing on one core, with counts to check an ingest against.

Usage: python bench/parse.py [DUMP] [--universe NAME]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from lorecache import universes
from lorecache.article import Article, Redirect
from lorecache.sources.dump import iter_dump
from lorecache.wikitext import parse_page

FULL_CORPUS = Path("/work/shared/data/wookieepedia-infoboxes-full.xml.gz")


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("dump", nargs="?", type=Path, default=FULL_CORPUS)
    arguments.add_argument("--universe", default="star_wars")
    options = arguments.parse_args()
    universe = universes.load(options.universe)

    counts: Counter[str] = Counter()
    started = time.perf_counter()
    for page in iter_dump(options.dump):
        counts["pages"] += 1
        parsed = parse_page(page, universe)
        if isinstance(parsed, Redirect):
            counts["redirects"] += 1
        elif isinstance(parsed, Article):
            counts["articles"] += 1
            counts["canon"] += parsed.is_canon
            counts["canon planets"] += parsed.is_canon and parsed.category == "planets"
    seconds = time.perf_counter() - started

    print(f"{options.dump}")
    print(f"pages     {counts['pages']:>10,}")
    print(f"seconds   {seconds:>10.2f}")
    print(f"pages/s   {counts['pages'] / seconds:>10,.0f}")
    for name in ("articles", "canon", "canon planets", "redirects"):
        print(f"{name:<14}{counts[name]:>6,}")


if __name__ == "__main__":
    main()
