"""The file cache's crash hygiene: temporaries of dead writers go, those of live writers stay."""

import os
import subprocess
from pathlib import Path

import orjson

from lorecache.store.files.index import read_entries
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


def test_an_index_written_whole_reads_as_one_written_by_lines(tmp_path: Path) -> None:
    """Indexes written before entries went one per line are read as they are, until the next ingest."""
    rows = [
        [1, "Tatooine", "planets", True, 7, ["Tatooine (planet)"], "^tatooine desert"],
        [2, "Hoth", "planets", True, 3, []],
    ]
    whole, by_lines = tmp_path / "whole.json", tmp_path / "lines.json"
    whole.write_bytes(orjson.dumps(rows))
    by_lines.write_bytes(b"\n".join(orjson.dumps(row) for row in rows) + b"\n")
    assert read_entries(whole) == read_entries(by_lines)
    assert [entry.terms for entry in read_entries(by_lines)] == ["^tatooine desert", ""]
    kept = read_entries(by_lines, terms=False)
    assert [(entry.title, entry.aliases, entry.terms) for entry in kept] == [
        ("Tatooine", ["Tatooine (planet)"], ""),
        ("Hoth", (), ""),
    ]
