"""A load run: N concurrent clients for T seconds over a realistic mix, on loopback, with a fault mid-run
if asked.

    python -m bench.load [DUMP] [--clients 16] [--seconds 60] [--workers 1]    (an embedded PostgreSQL)
    python -m bench.load --database URL --data-dir DIR [--replica URL …]     (a database already loaded)
        [--fault kill-primary --primary-data PGDATA | --fault stop-replica --replica-data PGDATA]
        [--fault-at 20] [--fault-for 10] [--rss-every 10]

Without `--database`, starts `lorecache serve` with an embedded PostgreSQL of its own and prefetches
DUMP (the full corpus by default). With it, serves that database and its file cache as they are, its
reads spread over the `--replica`s. Generated images are stored under the names of the most linked
articles first (a dump brings none), in the data directory's image store.

The mix is drawn from the corpus: searches of every kind (`bench.query_mix`: titles, prefixes, typos,
years, codes, two letters, several words, aliases), pages of categories at any depth, category searches,
filtered lists, articles and their links, images, counts. Articles and searches are drawn most linked
first more often (the cube of a uniform draw), as readers do, so kept answers serve some and the cascade
the rest. Each client is one keep-alive connection.

A fault: `kill-primary` SIGKILLs the PostgreSQL of `--primary-data` at `--fault-at` seconds and starts it
again `--fault-for` seconds later; `stop-replica` stops the replica of `--replica-data` (fast shutdown)
and starts it again. `/health` is polled every 0.25 s meanwhile.

Prints per kind of request the count, p50 and p99; req/s; errors (a transport failure or a status other
than 200: must be 0); where answers came from (`X-Served-From`); the API's resident memory over time;
and for a fault the p99 of requests begun during it, where those were answered, and the recovery time:
from the server's restart (accepting connections) until `/health` lists every database `up` again.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import signal
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families

from bench.common import FULL_CORPUS, machine_speed, percentiles, serve, tree_rss, wait_complete, wait_idle
from bench.faults import Server
from bench.query_mix import build
from lorecache.images.disk import ImageDisk
from lorecache.images.names import BadImageName, canonical
from lorecache.images.verify import ImageFacts
from lorecache.store import embedded
from lorecache.store.files import FileCache
from lorecache.store.files.index import IndexEntry

API = "/api/v1/wiki"
IMAGES = 300
HEALTH_EVERY = 0.25


@dataclass(frozen=True, slots=True)
class Sample:
    """One request: when it began (seconds into the run), what it was, how long, and how it ended."""

    began: float
    kind: str
    ms: float
    status: int | str
    served_from: str


@dataclass
class Mix:
    """What the clients ask, drawn from the corpus."""

    titles: list[str]
    queries: list[str]
    categories: list[tuple[str, int]]
    images: list[str]
    prefixes: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.prefixes = sorted({title[:4] for title in self.titles[:5000] if len(title) >= 4})

    @classmethod
    def of(cls, entries: list[IndexEntry], images: list[str]) -> Mix:
        popular = sorted(entries, key=lambda entry: -entry.importance)
        counts = Counter(entry.category for entry in entries if entry.is_canon)
        queries = build((e.title for e in entries), (a for e in entries for a in e.aliases), 150, seed=7)
        titles = [entry.title for entry in popular]
        return cls(titles, [query.text for query in queries], sorted(counts.items()), images)

    def request(self, rng: random.Random) -> tuple[str, str, dict[str, object]]:
        """(kind, path, query parameters), the kinds in roughly the proportions a reader asks them."""
        roll = rng.random()
        if roll < 0.30:
            return "search", f"{API}/search", {"q": _popular(rng, self.queries)}
        if roll < 0.40:
            category, _ = rng.choice(self.categories)
            prefix = rng.choice(self.prefixes)
            return "category search", f"{API}/canon/category/{category}", {"search": prefix}
        if roll < 0.55:
            category, articles = rng.choice(self.categories)
            offset = rng.randrange(0, max(1, min(articles, 100_000)))
            return "category page", f"{API}/canon/category/{category}", {"limit": 50, "offset": offset}
        if roll < 0.60:
            climate = rng.choice(["arid", "temperate", "frozen", "tropical", "murky"])
            return "filtered list", f"{API}/locations/planets", {"climate": climate, "limit": 20}
        if roll < 0.78:
            return "article", f"{API}/articles/{quote(_popular(rng, self.titles))}", {}
        if roll < 0.83:
            return "links", f"{API}/articles/{quote(_popular(rng, self.titles))}/links", {"limit": 20}
        if roll < 0.95 and self.images:
            return "image", f"{API}/images/{quote(_popular(rng, self.images))}", {}
        return "counts", rng.choice([f"{API}/categories", f"{API}/cache/stats"]), {}


def _popular(rng: random.Random, ranked: list[str]) -> str:
    return ranked[int(len(ranked) * rng.random() ** 3)]


@dataclass
class Fault:
    """When a fault began, when its server was back up, and when the API said every database was."""

    kind: str
    began: float | None = None
    restarted: float | None = None
    recovered: float | None = None


@dataclass
class Run:
    samples: list[Sample] = field(default_factory=list)
    rss: list[tuple[float, int, float | None]] = field(default_factory=list)
    """When, the API's resident memory, and what its kept answers take (`/metrics`)."""
    health: list[tuple[float, bool]] = field(default_factory=list)
    fault: Fault | None = None
    elapsed: float = 0.0


def main() -> None:
    args = _arguments()
    with tempfile.TemporaryDirectory(prefix="lorecache-load-") as scratch:
        data_dir = args.data_dir or Path(scratch) / "data"
        url = args.database or embedded.start(Path(scratch) / "pg")
        server, base = serve(data_dir, url, args.dump, args.workers, replicas=args.replica)
        try:
            wait_complete(base)
            files = FileCache(data_dir / "star_wars")
            entries = files.entries()
            mix = Mix.of(entries, _store_images(files.root / "images", entries))
            wait_idle(server)
            print(
                f"{len(entries):,} articles, {len(mix.queries):,} searches, {len(mix.images)} images; "
                f"{machine_speed()}"
            )
            run = _load(base, server.pid, mix, args)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=60)
    _report(args, run)
    if any(sample.status != 200 for sample in run.samples):
        raise SystemExit(1)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dump", nargs="?", type=Path, default=FULL_CORPUS)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=1, help="API processes (`serve --workers`).")
    parser.add_argument("--database", help="Serve this database, already loaded with DUMP.")
    parser.add_argument("--data-dir", type=Path, help="With --database: its file cache (LORECACHE_DATA_DIR).")
    parser.add_argument("--replica", action="append", default=[], help="A streaming replica's URL.")
    parser.add_argument("--fault", choices=["kill-primary", "stop-replica"])
    parser.add_argument("--primary-data", type=Path, help="The primary's PGDATA (--fault kill-primary).")
    parser.add_argument("--replica-data", type=Path, help="The replica's PGDATA (--fault stop-replica).")
    parser.add_argument("--fault-at", type=float, default=20.0, help="Seconds into the run.")
    parser.add_argument("--fault-for", type=float, default=10.0, help="Seconds until the restart.")
    parser.add_argument("--rss-every", type=float, default=10.0, help="Seconds between memory samples.")
    args = parser.parse_args()
    if bool(args.database) != bool(args.data_dir):
        parser.error("--database and --data-dir go together")
    if args.fault and not args.database:
        parser.error("a fault needs --database (a server this run may stop)")
    if args.fault == "kill-primary" and not args.primary_data:
        parser.error("--fault kill-primary needs --primary-data")
    if args.fault == "stop-replica" and not args.replica_data:
        parser.error("--fault stop-replica needs --replica-data")
    return args


def _store_images(root: Path, entries: list[IndexEntry]) -> list[str]:
    """Noisy JPEGs (they weigh what photos do) under the names of the most linked articles."""
    disk = ImageDisk(root)
    names = []
    for entry in sorted(entries, key=lambda entry: -entry.importance):
        with contextlib.suppress(BadImageName):
            names.append(canonical(f"{entry.title.replace('/', ' ')}.jpg"))
    kept = []
    for number, name in enumerate(names[:IMAGES]):
        if disk.lookup(name) is None:
            generator = random.Random(number)
            image = Image.frombytes("RGB", (320, 240), generator.randbytes(320 * 240 * 3))
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=85)
            disk.put(name, buffer.getvalue(), ImageFacts("image/jpeg", 320, 240))
        kept.append(name)
    return kept


def _load(base: str, pid: int, mix: Mix, args: argparse.Namespace) -> Run:
    run = Run(fault=Fault(args.fault) if args.fault else None)
    started = time.monotonic()
    deadline = started + args.seconds
    done = threading.Event()

    def client(number: int) -> list[Sample]:
        rng = random.Random(number)
        samples = []
        with httpx.Client(base_url=base, timeout=30) as http:
            while (began := time.monotonic()) < deadline:
                kind, path, params = mix.request(rng)
                try:
                    response = http.get(path, params=params)
                    status, served = response.status_code, response.headers.get("X-Served-From", "")
                except httpx.HTTPError as error:
                    status, served = f"{type(error).__name__}: {error}", ""
                ms = (time.monotonic() - began) * 1000
                samples.append(Sample(began - started, kind, ms, status, served))
        return samples

    def watch() -> None:
        next_rss = 0.0
        with httpx.Client(base_url=base, timeout=10) as http:
            while not done.is_set():
                now = time.monotonic() - started
                if now >= next_rss:
                    run.rss.append((now, tree_rss(pid), _kept_answers(http)))
                    next_rss += args.rss_every
                try:
                    databases = http.get("/health").json()["databases"]
                    run.health.append((now, all(database["state"] == "up" for database in databases)))
                except httpx.HTTPError:
                    run.health.append((now, False))
                done.wait(HEALTH_EVERY)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    injector = threading.Thread(target=_inject, args=(run, args, started), daemon=True)
    if run.fault:
        injector.start()
    with ThreadPoolExecutor(args.clients) as pool:
        for samples in pool.map(client, range(args.clients)):
            run.samples.extend(samples)
    run.elapsed = time.monotonic() - started
    if run.fault:
        injector.join()
    done.set()
    watcher.join()
    with httpx.Client(base_url=base, timeout=10) as http:
        run.rss.append((run.elapsed, tree_rss(pid), _kept_answers(http)))
    if run.fault and run.fault.restarted is not None:
        back = [t for t, up in run.health if t >= run.fault.restarted and up]
        run.fault.recovered = back[0] if back else None
    return run


def _kept_answers(http: httpx.Client) -> float | None:
    try:
        exposition = http.get("/metrics").text
    except httpx.HTTPError:
        return None
    for family in text_string_to_metric_families(exposition):
        if family.name == "lorecache_kept_answers_bytes":
            return sum(sample.value for sample in family.samples)
    return None


def _inject(run: Run, args: argparse.Namespace, started: float) -> None:
    fault = run.fault
    server = Server(args.primary_data if fault.kind == "kill-primary" else args.replica_data)
    time.sleep(max(0.0, started + args.fault_at - time.monotonic()))
    fault.began = time.monotonic() - started
    if fault.kind == "kill-primary":
        server.kill()
    else:
        server.stop()
    time.sleep(args.fault_for)
    server.start()
    fault.restarted = time.monotonic() - started


def _report(args: argparse.Namespace, run: Run) -> None:
    where = "an embedded PostgreSQL"
    if args.database:
        where = f"{args.database} with {len(args.replica)} replica(s)"
    print(
        f"\n{args.clients} concurrent clients for {run.elapsed:.1f} s on loopback, {args.workers} API "
        f"process(es), {where}\n"
    )
    by_kind: dict[str, list[float]] = defaultdict(list)
    for sample in run.samples:
        by_kind[sample.kind].append(sample.ms)
    print(f"{'request':<18}{'count':>8}{'p50 ms':>9}{'p99 ms':>9}")
    for kind, samples in sorted(by_kind.items()):
        print(f"{kind:<18}{len(samples):>8}{_cuts(samples)}")
    print(f"{'all':<18}{len(run.samples):>8}{_cuts([sample.ms for sample in run.samples])}")
    print(f"\nrequests/s: {len(run.samples) / run.elapsed:.0f}")
    errors = [sample for sample in run.samples if sample.status != 200]
    print(f"errors: {len(errors)}")
    for sample in errors[:10]:
        print(f"  {sample.kind} at {sample.began:.1f} s: {sample.status}")
    print(f"answered from: {_sources(run.samples)}")
    mib = 1024 * 1024
    series = ", ".join(f"{t:.0f}s {rss / mib:.0f}" for t, rss, _ in run.rss)
    print(f"API RSS (MiB) over time: {series}")
    kept = ", ".join(f"{t:.0f}s {held / mib:.0f}" for t, _, held in run.rss if held is not None)
    print(f"kept answers (MiB, of a 32 MB budget): {kept}")
    if run.fault:
        _report_fault(run)


def _report_fault(run: Run) -> None:
    fault = run.fault
    if fault.began is None or fault.restarted is None:
        print(f"\nfault {fault.kind}: the run ended before it was over")
        return
    end = fault.recovered if fault.recovered is not None else run.elapsed
    during = [sample for sample in run.samples if fault.began <= sample.began < end]
    errors = sum(sample.status != 200 for sample in during)
    print(
        f"\nfault {fault.kind} at {fault.began:.1f} s, server back at {fault.restarted:.1f} s; "
        f"{len(during)} requests until recovery, errors {errors}"
    )
    if during:
        print(
            f"during the fault: p50/p99 ms{_cuts([sample.ms for sample in during])}; "
            f"answered from: {_sources(during)}"
        )
    if fault.recovered is None:
        print("recovery: not within the run")
    else:
        print(
            f"recovery: {fault.recovered - fault.restarted:.2f} s from the restart until /health lists "
            f"every database up"
        )


def _cuts(samples: list[float]) -> str:
    p50, p99 = percentiles(samples) if len(samples) > 1 else (samples[0], samples[0])
    return f"{p50:>9.1f}{p99:>9.1f}"


def _sources(samples: list[Sample]) -> str:
    counted = Counter(sample.served_from or "-" for sample in samples)
    return ", ".join(f"{source} {count}" for source, count in counted.most_common())


if __name__ == "__main__":
    main()
