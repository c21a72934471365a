"""Stage 2 throughput and image serving latency, all on loopback.

1,000 generated images (PNG and JPEG, noisy so they weigh what photos do) are served by a threaded
HTTP server; the fetcher downloads, verifies and stores them: images/s and MB/s. Then `lorecache serve`
answers `GET /api/v1/wiki/images/{name}` for them: p50/p99 over HTTP with keep-alive.

    .venv/bin/python -m bench.images [--images 1000] [--concurrency 4] [--requests 2000]
"""

from __future__ import annotations

import argparse
import io
import random
import signal
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import httpx
from PIL import Image
from tests.support.image_server import ImageServer, Reply

from bench.common import fresh_database, percentiles, serve, wait_complete
from lorecache.article import Article
from lorecache.images.disk import ImageDisk
from lorecache.images.names import image_url
from lorecache.images.stage import ImageStage
from lorecache.progress import Progress
from lorecache.runtime import bundled_sample
from lorecache.store import database
from lorecache.store.postgres import PostgresStore
from lorecache.universes import load

UNIVERSE = "star_wars"


def noisy(seed: int, image_format: str) -> bytes:
    generator = random.Random(seed)
    image = Image.frombytes("RGB", (160, 120), generator.randbytes(160 * 120 * 3))
    buffer = io.BytesIO()
    image.save(buffer, image_format, **({"quality": 85} if image_format == "JPEG" else {}))
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--requests", type=int, default=2000)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="lorecache-bench-images-") as scratch:
        scratch_path = Path(scratch)
        url = fresh_database(scratch_path)
        engine = database.make_engine(url, pool_size=2)
        names = [f"Bench_{n:04d}.{'png' if n % 2 else 'jpg'}" for n in range(arguments.images)]
        host = ImageServer(
            {
                f"/files/{name}": Reply(
                    noisy(n, "PNG" if n % 2 else "JPEG"), "image/png" if n % 2 else "image/jpeg"
                )
                for n, name in enumerate(names)
            }
        )
        articles = [
            Article(UNIVERSE, n + 1, f"Bench {n}", f"Bench_{n}", "u", None, "other", True, "", image=name)
            for n, name in enumerate(names)
        ]
        PostgresStore(engine, UNIVERSE).write_batch(articles)
        universe = load(UNIVERSE)
        rules = replace(
            universe.images,
            url=host.base + "/files/{name}",
            hosts=("127.0.0.1",),
            concurrency=arguments.concurrency,
        )
        disk = ImageDisk(scratch_path / "data" / UNIVERSE / "images")
        stage = ImageStage(engine, universe, disk, "bench@example.org", rules=rules)
        progress = Progress()
        started = time.perf_counter()
        stage.run(progress, lambda: None)
        seconds = time.perf_counter() - started
        host.close()
        engine.dispose()
        print(
            f"fetch: {progress.images_fetched:,} fetched, {progress.images_failed} failed, "
            f"{progress.images_bytes / 1e6:.1f} MB in {seconds:.2f} s — "
            f"{progress.images_fetched / seconds:,.0f} images/s, "
            f"{progress.images_bytes / 1e6 / seconds:.1f} MB/s (concurrency {arguments.concurrency})"
        )

        server, base = serve(scratch_path / "data", url, bundled_sample())
        try:
            wait_complete(base)
            samples = []
            with httpx.Client(base_url=base) as client:
                for _ in range(arguments.requests):
                    path = image_url(random.choice(names))
                    began = time.perf_counter()
                    response = client.get(path)
                    samples.append((time.perf_counter() - began) * 1000)
                    response.raise_for_status()
            p50, p99 = percentiles(samples)
            print(f"serve: {arguments.requests:,} GET images/{{name}}: p50 {p50:.2f} ms, p99 {p99:.2f} ms")
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(30)


if __name__ == "__main__":
    main()
