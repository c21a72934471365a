"""The file cache's crash hygiene: temporaries of dead writers go, those of live writers stay."""

import os
import subprocess
from pathlib import Path

from lorecache.store.files.writer import sweep_temporaries


def test_sweep_removes_only_the_temporaries_of_dead_writers(tmp_path: Path) -> None:
    finished = subprocess.Popen(["true"])
    finished.wait()
    shard = tmp_path / "articles" / "2a"
    shard.mkdir(parents=True)
    dead = [tmp_path / f".index.json.{finished.pid}.7.tmp", shard / f".42.json.{finished.pid}.7.tmp"]
    live = shard / f".43.json.{os.getpid()}.7.tmp"
    kept = shard / "42.json"
    for path in (*dead, live, kept):
        path.write_bytes(b"{")

    assert sweep_temporaries(tmp_path) == 2

    assert [path.exists() for path in dead] == [False, False]
    assert live.exists() and kept.exists()
