"""In-universe dates: how much of the corpus's date text the parser reads, and how fast lists filter by
time on the largest category.

    python -m bench.dates [DUMP] [--workers N]                                (coverage only)
    python -m bench.dates [DUMP] --database URL --data-dir DIR [--rounds 3] [--no-coverage]   (and latency)

Coverage is read straight from the dump, through the page parser (every core) and the universe's
calendar: per date field, how many infobox values there are, how many hold a year of an era (`19 BBY`),
how many of those were read as years, and the forms left unread that occur most (digits shown as `#`).
The real people's birthdays (`born` of the `people` category) must read as no year at all.

Latency asks the stores directly (no HTTP, no kept answers) for pages of the largest category filtered
by `from`/`to`, `as_of`, and both: PostgreSQL on a database already loaded with the dump, and the file
cache of the same ingest; each round asks every question once, and the figures are the medians over
rounds of each round's p50, p99 and max.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from bench.common import FULL_CORPUS, machine_speed, percentiles
from lorecache.article import Article
from lorecache.dates import Calendar, Span
from lorecache.parallel import ordered_batches, worker_count
from lorecache.query import ListQuery
from lorecache.sources.dump import DumpReader
from lorecache.store import database
from lorecache.store.files import FileCache
from lorecache.store.postgres import PostgresStore
from lorecache.universes import load
from lorecache.wikitext import parse_page

UNIVERSE = "star_wars"
TARGET = 98.0
SHOWN_FORMS = 8
QUESTIONS = 200


@dataclass
class FieldCoverage:
    values: int = 0
    with_year: int = 0
    parsed_with_year: int = 0
    parsed: int = 0
    unread: Counter[str] = field(default_factory=Counter)
    """Forms holding a year that were not read, digits as `#`."""
    yearless: Counter[str] = field(default_factory=Counter)

    def add(self, other: FieldCoverage) -> None:
        self.values += other.values
        self.with_year += other.with_year
        self.parsed_with_year += other.parsed_with_year
        self.parsed += other.parsed
        self.unread.update(other.unread)
        self.yearless.update(other.yearless)


@dataclass
class Coverage:
    fields: dict[str, FieldCoverage] = field(default_factory=dict)
    people_on_axis: int = 0
    people_born: int = 0
    articles: int = 0
    spanned: int = 0

    def add(self, other: Coverage) -> None:
        for name, counted in other.fields.items():
            self.fields.setdefault(name, FieldCoverage()).add(counted)
        self.people_on_axis += other.people_on_axis
        self.people_born += other.people_born
        self.articles += other.articles
        self.spanned += other.spanned


def _with_year(calendar: Calendar) -> re.Pattern[str]:
    markers = "|".join(map(re.escape, calendar.eras))
    return re.compile(rf"\d\s*(?:{markers})\b", re.IGNORECASE)


def count_batch(universe_name: str, pages: list) -> Coverage:
    """Runs in a worker: parse a batch of pages and count their date values."""
    universe = load(universe_name)
    calendar = universe.calendar
    year = _with_year(calendar)
    counted = Coverage()
    for page in pages:
        article = parse_page(page, universe)
        if not isinstance(article, Article):
            continue
        counted.articles += 1
        counted.spanned += calendar.article_dates(article)[1] is not None
        for name in calendar.fields:
            value = article.infobox.get(name)
            if value is None:
                continue
            tally = counted.fields.setdefault(name, FieldCoverage())
            for text in [value] if isinstance(value, str) else value:
                read = calendar.parse(text).parsed
                tally.values += 1
                tally.parsed += read
                form = re.sub(r"\d", "#", text)[:60]
                if year.search(text):
                    tally.with_year += 1
                    tally.parsed_with_year += read
                    if not read:
                        tally.unread[form] += 1
                elif not read:
                    tally.yearless[form] += 1
                if article.category == "people" and name == "born":
                    counted.people_born += 1
                    counted.people_on_axis += read
    return counted


def coverage(dump: Path, workers: int) -> Coverage:
    total = Coverage()
    work = partial(count_batch, UNIVERSE)
    for batch in ordered_batches(work, DumpReader(dump), 1000, worker_count(workers)):
        total.add(batch)
    return total


def print_coverage(found: Coverage) -> None:
    print(f"{found.articles:,} articles, {found.spanned:,} with a span")
    print(f"{'field':<18}{'values':>8}{'with a year':>13}{'read':>8}{'read %':>9}{'all read':>10}")
    ranked = sorted(found.fields.items(), key=lambda item: -item[1].values)
    for name, counted in ranked:
        share = 100 * counted.parsed_with_year / counted.with_year if counted.with_year else 100.0
        print(
            f"{name:<18}{counted.values:>8,}{counted.with_year:>13,}{counted.parsed_with_year:>8,}"
            f"{share:>8.2f}%{counted.parsed:>10,}"
        )
    with_year = sum(c.with_year for c in found.fields.values())
    read = sum(c.parsed_with_year for c in found.fields.values())
    values = sum(c.values for c in found.fields.values())
    share = 100 * read / with_year
    verdict = "meets" if share >= TARGET else "misses"
    print(f"{'all':<18}{values:>8,}{with_year:>13,}{read:>8,}{share:>8.2f}%", end="")
    print(f"  ({verdict} the {TARGET}% target)")
    print(f"real people's birthdays on the axis: {found.people_on_axis} of {found.people_born}")
    unread = sum((c.unread for c in found.fields.values()), Counter())
    print("forms holding a year left unread, most frequent:")
    for form, count in unread.most_common(SHOWN_FORMS):
        print(f"  {count:>6,}  {form}")
    yearless = sum((c.yearless for c in found.fields.values()), Counter())
    print("forms without a year (left as text), most frequent:")
    for form, count in yearless.most_common(SHOWN_FORMS):
        print(f"  {count:>6,}  {form}")


def questions(category: str, rng: random.Random) -> list[tuple[str, ListQuery]]:
    """Pages of `category` by time: a year (`from=to`), an era of a few decades, a moment (`as_of`), and
    both, around the films' years and far before them, some pages deep."""
    asked = []
    for _ in range(QUESTIONS):
        year = rng.choice([rng.randint(-60, 40), rng.randint(-5000, 140)])
        kind = rng.choice(["year", "era", "as_of", "both"])
        offset = rng.choice([0, 0, 0, 20, 100])
        continuity = rng.choice(["canon", "all"])
        span = {"year": Span(year, year), "era": Span(year, year + rng.randint(5, 50))}.get(kind)
        if kind == "both":
            span = Span(year - 30, year)
        as_of = year if kind in ("as_of", "both") else None
        query = ListQuery((category,), continuity, limit=20, offset=offset, span=span, as_of=as_of)
        asked.append((kind, query))
    return asked


def timed(ask: Callable[[ListQuery], object], asked: list[tuple[str, ListQuery]], rounds: int) -> list[float]:
    """Per figure (p50, p99, max), the median over rounds."""
    figures: list[tuple[float, float, float]] = []
    for _ in range(rounds):
        samples = []
        for _, query in asked:
            started = time.perf_counter()
            ask(query)
            samples.append((time.perf_counter() - started) * 1000)
        p50, p99 = percentiles(samples)
        figures.append((p50, p99, max(samples)))
    return [statistics.median(column) for column in zip(*figures, strict=True)]


def latency(url: str, data_dir: Path, rounds: int) -> None:
    engine = database.make_engine(url, pool_size=2)
    postgres = PostgresStore(engine, UNIVERSE)
    files = FileCache(data_dir / UNIVERSE)
    counts = postgres.categories()
    category = max(counts, key=lambda name: counts[name]["articles"])
    print(f"largest category: {category} ({counts[category]['articles']:,} articles)")
    asked = questions(category, random.Random(17))
    files.list_articles(asked[0][1])  # the file cache's index loads on its first question
    for name, store in (("postgres", postgres), ("file_cache", files)):
        timed(store.list_articles, asked[:20], 1)
        p50, p99, worst = timed(store.list_articles, asked, rounds)
        print(f"{name:<11} from/to/as_of pages: p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {worst:.2f} ms")
        timeline = load(UNIVERSE).calendar.timeline
        events = [(kind, ListQuery(timeline, q.continuity, span=q.span)) for kind, q in asked]
        p50, p99, worst = timed(store.timeline, events, rounds)
        print(f"{name:<11} timeline pages:      p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {worst:.2f} ms")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dump", nargs="?", type=Path, default=FULL_CORPUS)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--database", help="a database loaded with the dump: time its filters")
    parser.add_argument("--data-dir", type=Path, help="the data directory of that load (its file cache)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-coverage", action="store_true", help="latency only")
    args = parser.parse_args()
    print(f"{args.dump.name}; {machine_speed()}")
    if not args.no_coverage:
        print_coverage(coverage(args.dump, args.workers))
    if args.database:
        latency(args.database, args.data_dir, args.rounds)


if __name__ == "__main__":
    main()
