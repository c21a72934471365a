"""A bounded load run: N concurrent clients for T seconds over a mix of routes, on loopback.

    python -m bench.load [DUMP] [--clients 16] [--seconds 30] [--workers 1]   (default: the full corpus)

Starts `lorecache serve` with an embedded PostgreSQL of its own, waits for the prefetch and for the
server to go idle, then lets every client loop over the mix (lists, searches, lookups, stats) on its
own keep-alive connection until the time is up. Prints errors (any transport failure or a status
other than 200: must be 0), how many answers came from the file cache (PostgreSQL too slow or away),
p50/p99 per route and overall, req/s, and the resident memory of the API processes before and after.
"""

from __future__ import annotations

import argparse
import itertools
import signal
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from bench.common import FULL_CORPUS, percentiles, serve, wait_complete, wait_idle
from lorecache.store import embedded

MIX = {
    "planets": ("/api/v1/wiki/locations/planets", {"limit": 20}),
    "planets page 5": ("/api/v1/wiki/locations/planets", {"limit": 100, "offset": 400}),
    "filtered planets": ("/api/v1/wiki/locations/planets", {"climate": "arid"}),
    "canon characters": ("/api/v1/wiki/canon/category/characters", {"limit": 50}),
    "category search": ("/api/v1/wiki/canon/category/planets", {"search": "Tato"}),
    "search prefix": ("/api/v1/wiki/search", {"q": "Luke Sky"}),
    "search typo": ("/api/v1/wiki/search", {"q": "Corusant"}),
    "search full text": ("/api/v1/wiki/search", {"q": "desert planet Outer Rim"}),
    "lookup": ("/api/v1/wiki/articles/Tatooine", {}),
    "lookup alias": ("/api/v1/wiki/articles/luke skywalker", {}),
    "categories": ("/api/v1/wiki/categories", {}),
    "stats": ("/api/v1/wiki/cache/stats", {}),
}


@dataclass
class Tally:
    """One client's results: latencies per route, and what went wrong."""

    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    from_file_cache: int = 0

    def merge(self, other: Tally) -> None:
        for route, samples in other.latencies_ms.items():
            self.latencies_ms[route].extend(samples)
        self.errors.extend(other.errors)
        self.from_file_cache += other.from_file_cache


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dump", nargs="?", type=Path, default=FULL_CORPUS)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=1, help="API processes (`serve --workers`).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lorecache-load-") as scratch:
        url = embedded.start(Path(scratch) / "pg")
        server, base = serve(Path(scratch) / "data", url, args.dump, args.workers)
        try:
            wait_complete(base)
            wait_idle(server)
            rss_before = _rss(server.pid)
            started = time.perf_counter()
            tally = _load(base, args.clients, args.seconds)
            elapsed = time.perf_counter() - started
            rss_after = _rss(server.pid)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
    _report(args, tally, elapsed, rss_before, rss_after)
    if tally.errors:
        raise SystemExit(1)


def _rss(pid: int) -> int:
    """Resident memory of the API process and its children (the workers of `--workers N`)."""
    api = psutil.Process(pid)
    return sum(process.memory_info().rss for process in [api, *api.children(recursive=True)])


def _load(base: str, clients: int, seconds: float) -> Tally:
    deadline = time.monotonic() + seconds

    def client(number: int) -> Tally:
        tally = Tally()
        routes = itertools.islice(itertools.cycle(MIX.items()), number, None)
        with httpx.Client(base_url=base, timeout=30) as http:
            for name, (path, params) in routes:
                if time.monotonic() >= deadline:
                    return tally
                begin = time.perf_counter()
                try:
                    response = http.get(path, params=params)
                except httpx.HTTPError as error:
                    tally.errors.append(f"{name}: {type(error).__name__}: {error}")
                    continue
                tally.latencies_ms[name].append((time.perf_counter() - begin) * 1000)
                if response.status_code != 200:
                    tally.errors.append(f"{name}: HTTP {response.status_code} {response.text[:200]}")
                tally.from_file_cache += response.headers.get("X-Served-From") == "file_cache"
        return tally

    total = Tally()
    with ThreadPoolExecutor(clients) as pool:
        for tally in pool.map(client, range(clients)):
            total.merge(tally)
    return total


def _report(args: argparse.Namespace, tally: Tally, elapsed: float, rss_before: int, rss_after: int) -> None:
    everything = [ms for samples in tally.latencies_ms.values() for ms in samples]
    print(
        f"\ndataset {args.dump.name}; {args.clients} concurrent clients for {elapsed:.1f} s on loopback, "
        f"{args.workers} API process(es)\n"
    )
    print(f"{'route':<20}{'requests':>10}{'p50 ms':>9}{'p99 ms':>9}")
    for name in MIX:
        samples = tally.latencies_ms[name]
        p50, p99 = percentiles(samples)
        print(f"{name:<20}{len(samples):>10}{p50:>9.1f}{p99:>9.1f}")
    p50, p99 = percentiles(everything)
    print(f"{'all':<20}{len(everything):>10}{p50:>9.1f}{p99:>9.1f}")
    print(f"\nrequests/s: {len(everything) / elapsed:.0f}")
    print(f"errors: {len(tally.errors)}; answers from the file cache: {tally.from_file_cache}")
    for error in tally.errors[:10]:
        print(f"  {error}")
    mib = 1024 * 1024
    print(f"API RSS: {rss_before / mib:.0f} MiB before, {rss_after / mib:.0f} MiB after")


if __name__ == "__main__":
    main()
