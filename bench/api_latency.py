"""API latency over HTTP: the seed's four queries plus search and lookup, PostgreSQL and file-cache
fallback side by side.

    python -m bench.api_latency [DUMP] [--requests N]     (default: the full corpus, 2,000 requests a query)

Starts `lorecache serve` on loopback with an embedded PostgreSQL of its own (so it can stop it for the
fallback run), waits for the prefetch and for the server to go idle, then times each query
sequentially on one keep-alive connection (p50/p99) and with 8 concurrent clients (req/s).
"""

from __future__ import annotations

import argparse
import signal
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.common import FULL_CORPUS, machine_speed, percentiles, serve, wait_complete, wait_idle
from lorecache.store import embedded

QUERIES = {
    "100 planets": ("/api/v1/wiki/locations/planets", {"limit": 100}),
    'search "Tato"': ("/api/v1/wiki/canon/category/planets", {"search": "Tato"}),
    "count by category": ("/api/v1/wiki/cache/stats", {}),
    "one article": ("/api/v1/wiki/articles/Tatooine", {}),
    "lookup any case": ("/api/v1/wiki/articles/luke skywalker", {}),
    'search "Tatoine"': ("/api/v1/wiki/search", {"q": "Tatoine"}),
    'search "Luke Sky"': ("/api/v1/wiki/search", {"q": "Luke Sky"}),
    'search "star"': ("/api/v1/wiki/search", {"q": "star"}),
    'search "Luke Skywalkr"': ("/api/v1/wiki/search", {"q": "Luke Skywalkr"}),
    "search full text": ("/api/v1/wiki/search", {"q": "desert planet Outer Rim"}),
}
CONCURRENT_CLIENTS = 8


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dump", nargs="?", type=Path, default=FULL_CORPUS)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--fallback-requests", type=int, default=200, help="The file cache is slower.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lorecache-bench-") as scratch:
        data_dir = Path(scratch) / "data"
        url = embedded.start(Path(scratch) / "pg")
        server, base = serve(data_dir, url, args.dump)
        try:
            wait_complete(base)
            wait_idle(server)
            print(
                f"dataset {args.dump.name}; per query {args.requests} sequential requests on PostgreSQL, "
                f"{args.fallback_requests} on the file cache, then as many from {CONCURRENT_CLIENTS} "
                f"concurrent clients; {machine_speed()}\n"
            )
            print(f"{'query':<24}{'store':<12}{'p50 ms':>9}{'p99 ms':>9}{'req/s seq':>11}{'req/s x8':>10}")
            for name, query in QUERIES.items():
                _print_row(name, "postgres", _measure(base, *query, args.requests))
            embedded.stop(Path(scratch) / "pg")
            for name, query in QUERIES.items():
                _print_row(name, "file_cache", _measure(base, *query, args.fallback_requests))
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)


def _print_row(name: str, store: str, figures: tuple[float, float, float, float]) -> None:
    cells = (
        f"{value:>{width}.{places}f}"
        for value, width, places in zip(figures, (9, 9, 11, 10), (2, 2, 0, 0), strict=True)
    )
    print(f"{name:<24}{store:<12}{''.join(cells)}", flush=True)


def _measure(base: str, path: str, params: dict, requests: int) -> tuple[float, float, float, float]:
    with httpx.Client(base_url=base) as client:
        expected = client.get(path, params=params).headers.get("X-Served-From")
        samples = []
        started = time.perf_counter()
        for _ in range(requests):
            begin = time.perf_counter()
            response = client.get(path, params=params)
            samples.append((time.perf_counter() - begin) * 1000)
            assert response.status_code == 200 and response.headers.get("X-Served-From") == expected
        sequential_rate = requests / (time.perf_counter() - started)
    p50, p99 = percentiles(samples)
    return p50, p99, sequential_rate, _concurrent_rate(base, path, params, requests)


def _concurrent_rate(base: str, path: str, params: dict, requests: int) -> float:
    per_client = max(1, requests // CONCURRENT_CLIENTS)

    def client_run(_: int) -> None:
        with httpx.Client(base_url=base) as client:
            for _ in range(per_client):
                client.get(path, params=params).raise_for_status()

    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENT_CLIENTS) as pool:
        list(pool.map(client_run, range(CONCURRENT_CLIENTS)))
    return per_client * CONCURRENT_CLIENTS / (time.perf_counter() - started)


if __name__ == "__main__":
    main()
