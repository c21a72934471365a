"""Stage 2 against a loopback image host that misbehaves in every way it can: each bad image is refused
and recorded with its reason, nothing of it stays on disk, and the good images of the same run are kept."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text

from lorecache.article import Article
from lorecache.images.disk import ImageDisk
from lorecache.images.stage import ImageStage
from lorecache.progress import Progress
from lorecache.store.postgres import PostgresStore
from lorecache.universes import load
from tests.support.image_server import ImageServer, Reply, picture

UNIVERSE = "star_wars"
CONTACT = "lorecache-tests@example.org"
CAP = 20_000
GOOD = {f"Good_{n}.png": Reply(picture(n)) for n in range(6)} | {
    "Good_photo.jpg": Reply(picture(99, "JPEG"), content_type="image/jpeg"),
    "Same_as_good_0.png": Reply(picture(0)),
}
FAULTS = {
    "Too_large.png": (Reply(picture(1, size=(400, 400)) + bytes(CAP)), "over the cap"),
    "Too_large_chunked.png": (Reply(picture(1) + bytes(2 * CAP), chunked=True), "more than the cap"),
    "Wrong_type.png": (Reply(picture(2), content_type="text/html"), "content type 'text/html'"),
    "Html_as_png.png": (Reply(b"<html><script>alert(1)</script></html>"), "none of image/png"),
    "Jpeg_called_png.png": (Reply(picture(3, "JPEG")), "declared image/png but the bytes are JPEG"),
    "Truncated.png": (Reply(picture(4, size=(64, 64)), send_bytes=120), "download failed"),
    "Slow_drip.png": (Reply(picture(5, size=(64, 64)), drip_seconds=0.2), "not complete within"),
    "Missing.png": (Reply(status=404), "HTTP 404"),
}


def _redirect(location: str) -> Reply:
    return Reply(status=302, headers={"Location": location}, content_type="text/plain")


@pytest.fixture
def host() -> Iterator[ImageServer]:
    server = ImageServer({f"/files/{name}": reply for name, reply in GOOD.items()})
    server.routes |= {f"/files/{name}": reply for name, (reply, _) in FAULTS.items()}
    server.routes["/files/Redirect_home.png"] = _redirect("/files/Good_0.png")
    away = server.base.replace("127.0.0.1", "localhost")
    server.routes["/files/Redirect_away.png"] = _redirect(f"{away}/files/Good_1.png")
    yield server
    server.close()


def _articles(engine, names: list[str]) -> None:
    articles = [
        Article(UNIVERSE, page, f"Page {page}", f"Page_{page}", "u", None, "other", True, "", image=name)
        for page, name in enumerate(names, start=1)
    ]
    PostgresStore(engine, UNIVERSE).write_batch(articles)


def _stage(engine, host: ImageServer, disk: ImageDisk) -> ImageStage:
    universe = load(UNIVERSE)
    rules = replace(
        universe.images,
        url=host.base + "/files/{name}",
        hosts=("127.0.0.1",),
        max_bytes=CAP,
        timeout_seconds=2.0,
        deadline_seconds=1.0,
    )
    return ImageStage(engine, universe, disk, CONTACT, rules=rules)


def _rows(engine) -> dict[str, dict]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM image_cache")).mappings()
        return {row["file_name"]: dict(row) for row in rows}


def _leftovers(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file() and path.name.startswith(".")]


def test_each_fault_is_refused_and_recorded_and_the_good_images_are_kept(
    engine, tmp_path: Path, host
) -> None:
    unsafe = "../../etc/passwd.png"
    names = [*GOOD, *FAULTS, "Redirect_home.png", "Redirect_away.png", unsafe]
    _articles(engine, names)
    disk = ImageDisk(tmp_path / "images")
    progress = Progress()

    _stage(engine, host, disk).run(progress, lambda: None)

    rows = _rows(engine)
    assert len(rows) == len(names)
    for name in [*GOOD, "Redirect_home.png"]:
        assert rows[name]["status"] == "fetched", rows[name]["error"]
        stored = disk.lookup(name)
        assert stored is not None and rows[name]["sha256"] == stored.sha256
        assert disk.path_of(stored).read_bytes() == host.routes[f"/files/{name}"].body or name.startswith(
            "Redirect"
        )
    for name, (_, reason) in FAULTS.items():
        assert rows[name]["status"] == "failed"
        assert reason in rows[name]["error"], rows[name]["error"]
        assert disk.lookup(name) is None
    assert "not on an allowed image host" in rows["Redirect_away.png"]["error"]
    assert "not a file name" in rows[unsafe]["error"]
    assert progress.images_fetched == len(GOOD) + 1
    assert progress.images_failed == len(FAULTS) + 2
    assert progress.images_bytes == sum(row["bytes"] for row in rows.values() if row["status"] == "fetched")
    objects = list((disk.root / "objects").rglob("*"))
    assert len([path for path in objects if path.is_file()]) == len(GOOD) - 1
    assert _leftovers(disk.root) == []
    assert not (tmp_path / "etc").exists()


def test_a_refresh_asks_conditionally_and_keeps_the_copy_on_304(engine, tmp_path: Path, host) -> None:
    _articles(engine, list(GOOD))
    disk = ImageDisk(tmp_path / "images")
    _stage(engine, host, disk).run(Progress(), lambda: None)
    first = _rows(engine)

    progress = Progress()
    _stage(engine, host, disk).run(progress, lambda: None)

    assert progress.images_fetched == len(GOOD)
    assert all(count == 2 for count in host.requests.values())
    assert {name: row["sha256"] for name, row in _rows(engine).items()} == {
        name: row["sha256"] for name, row in first.items()
    }


def test_a_failed_refresh_keeps_the_last_good_copy(engine, tmp_path: Path, host) -> None:
    _articles(engine, ["Good_0.png"])
    disk = ImageDisk(tmp_path / "images")
    _stage(engine, host, disk).run(Progress(), lambda: None)
    host.routes["/files/Good_0.png"] = Reply(b"garbage")

    _stage(engine, host, disk).run(Progress(), lambda: None)

    row = _rows(engine)["Good_0.png"]
    assert row["status"] == "failed" and row["sha256"] is not None
    assert disk.path_of(disk.lookup("Good_0.png")).read_bytes() == GOOD["Good_0.png"].body
