"""Lore context latency: `context.pack` for a 1,000-token budget, topic by topic, in PostgreSQL and in
the file cache, in process (no HTTP, no kept answers: every pack reads its articles again).

    python -m bench.lore --database URL --data-dir DIR [--topics 300] [--seed 7]

`--data-dir` is the data directory of a loaded cache (`LORECACHE_DATA_DIR`), `--database` the
PostgreSQL it was loaded into. Topics are titles drawn at random from the cache, the most linked
tenth counted twice (a game master asks about famous things more). Prints p50 and p99 per store.
"""

from __future__ import annotations

import random
import time

from bench.common import loaded_cache_parser, machine_speed, percentiles
from lorecache.lore import context
from lorecache.store import database
from lorecache.store.files import FileCache
from lorecache.store.interface import LoreReader
from lorecache.store.postgres import PostgresStore
from lorecache.universes import load

BUDGET = 1000


def timings(reader: LoreReader, topics: list[str], attribution: str) -> list[float]:
    samples = []
    for topic in topics:
        started = time.perf_counter()
        context.pack(reader, [topic], BUDGET, "canon", attribution)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = loaded_cache_parser(__doc__.splitlines()[0])
    parser.add_argument("--topics", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    universe = load(options.universe)
    files = FileCache(options.data_dir / options.universe)
    entries = sorted(files.entries(), key=lambda entry: -entry.importance)
    pool = [entry.title for entry in entries] + [entry.title for entry in entries[: len(entries) // 10]]
    topics = random.Random(options.seed).choices(pool, k=options.topics)
    engine = database.make_engine(options.database, pool_size=1)
    print(machine_speed())
    try:
        for reader in (PostgresStore(engine, options.universe), files):
            timings(reader, topics[:20], universe.attribution)
            p50, p99 = percentiles(timings(reader, topics, universe.attribution))
            name = reader.source_name
            print(f"{name:>10}: lore_context({BUDGET} tokens) p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
