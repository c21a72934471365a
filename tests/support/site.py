"""The web page's tests share one served app: `lorecache serve` on loopback over the bundled sample,
in a database of its own, with a few placeholder images on disk (a dump's images are on the internet,
so the sample has none), stopped by its process id."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from lorecache.images.disk import ImageDisk
from lorecache.images.names import canonical
from lorecache.images.verify import ImageFacts
from tests.conftest import SAMPLE
from tests.support.image_server import picture
from tests.support.processes import free_port, start_cli, wait_for

PICTURED = ("Tatooine", "Tatooine/Legends", "Coruscant", "Naboo", "Hoth", "Alderaan", "Dagobah", "Bespin")
"""Articles given an image, so thumbnails and the card's picture show."""


@dataclass(frozen=True)
class Site:
    base: str
    data_dir: Path


@contextmanager
def served(database_url: str, data_dir: Path) -> Iterator[Site]:
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LORECACHE_DATA_DIR": str(data_dir),
        "LORECACHE_SOURCE": str(SAMPLE),
    }
    base = f"http://127.0.0.1:{port}"
    with (data_dir.parent / "serve.log").open("w") as log:
        server = start_cli(["serve", "--port", str(port)], environment, log)
        try:
            wait_for(lambda: httpx.get(f"{base}/prefetch/status").json()["is_complete"], seconds=180)
            _picture(base, data_dir)
            yield Site(base, data_dir)
        finally:
            _stop(server)


def _picture(base: str, data_dir: Path) -> None:
    disk = ImageDisk(data_dir / "star_wars" / "images")
    for seed, title in enumerate(PICTURED):
        name = httpx.get(f"{base}/api/v1/wiki/articles/{title}").json()["image"]
        if name:
            size = (320, 200)
            disk.put(canonical(name), picture(seed, size=size), ImageFacts("image/png", *size))


def _stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
