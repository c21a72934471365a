"""The peer's load of a dump: what a Datasette user would write to publish it. Each page parsed into
mwparserfromhell's full tree on one core (its infobox template's parameters as fields, the lead's text
as the summary, the link count as importance), written to SQLite in one transaction with the schema
`bench.peers` serves (listing and title indexes, FTS5 over title and summary), then analysed.

    python -m bench.sqlite_load [DUMP] [OUT.sqlite]
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import mwparserfromhell
import orjson

from bench.common import FULL_CORPUS
from bench.peers import SCHEMA
from lorecache.sources.dump import iter_dump

Row = tuple[int, str, str, int, str, str, int]


def load(dump: Path, path: Path) -> int:
    """The dump into a new SQLite database at `path`; returns how many articles it holds."""
    with closing(sqlite3.connect(path)) as connection:
        with connection:
            connection.executescript(SCHEMA)
            inbound: Counter[str] = Counter()
            connection.executemany("INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?)", _rows(dump, inbound))
            connection.executemany(
                "UPDATE articles SET importance = ? WHERE title = ?", ((n, t) for t, n in inbound.items())
            )
            connection.execute(
                "INSERT INTO articles_fts (rowid, title, summary) "
                "SELECT page_id, title, summary FROM articles"
            )
        connection.execute("ANALYZE")
        return connection.execute("SELECT count(*) FROM articles").fetchone()[0]


def _rows(dump: Path, inbound: Counter[str]) -> Iterator[Row]:
    for page in iter_dump(dump):
        if page.namespace != 0 or page.redirect_to is not None or not page.wikitext.strip():
            continue
        tree = mwparserfromhell.parse(page.wikitext)
        templates = tree.filter_templates(recursive=False)
        infobox = next((t for t in templates if "infobox" in str(t.name).lower()), None)
        params = infobox.params if infobox else []
        fields = {str(param.name).strip(): param.value.strip_code().strip() for param in params}
        category = str(infobox.name).strip().lower() if infobox else "other"
        lead = tree.get_sections(include_lead=True, flat=True)[0]
        summary = lead.strip_code().strip()[:1000]
        inbound.update(str(link.title).strip() for link in tree.filter_wikilinks())
        legends = page.title.endswith("/Legends")
        yield page.page_id, page.title, category, int(not legends), summary, orjson.dumps(fields).decode(), 0


def main() -> None:
    dump = Path(sys.argv[1]) if len(sys.argv) > 1 else FULL_CORPUS
    with tempfile.TemporaryDirectory(prefix="lorecache-sqlite-") as scratch:
        path = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(scratch) / "peer.sqlite"
        started = time.perf_counter()
        count = load(dump, path)
        seconds = time.perf_counter() - started
        print(f"SQLite load of {dump.name}: {count:,} articles in {seconds:.1f} s (one core)")


if __name__ == "__main__":
    main()
