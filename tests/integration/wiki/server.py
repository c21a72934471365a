"""A throwaway MediaWiki for tests and benchmarks: Debian's `mediawiki` 1.39 on SQLite, filled from the
bundled sample with `importDump.php`, served by `php -S` on loopback.

`importDump.php` numbers pages and revisions afresh; they are renumbered to the dump's ids afterwards,
so a scrape of this wiki and an ingest of the dump can be compared article for article.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from lorecache.sources.dump import iter_dump

MEDIAWIKI = Path("/usr/share/mediawiki")
ADMIN = "Admin"
_PASSWORD = "lorecache-throwaway-wiki-password"
_SETTINGS = """
$wgJobRunRate = 0;
$wgEnableUploads = false;
"""
_PAGE_REFERENCES = (
    ("page", "page_id"),
    ("revision", "rev_page"),
    ("categorylinks", "cl_from"),
    ("pagelinks", "pl_from"),
    ("templatelinks", "tl_from"),
    ("externallinks", "el_from"),
    ("imagelinks", "il_from"),
    ("langlinks", "ll_from"),
    ("iwlinks", "iwl_from"),
    ("page_props", "pp_page"),
    ("redirect", "rd_from"),
    ("recentchanges", "rc_cur_id"),
    ("logging", "log_page"),
    ("searchindex", "rowid"),
)
_REVISION_REFERENCES = (
    ("revision", "rev_id"),
    ("page", "page_latest"),
    ("slots", "slot_revision_id"),
    ("revision_comment_temp", "revcomment_rev"),
    ("recentchanges", "rc_this_oldid"),
)


def unavailable() -> str | None:
    """Why no local wiki can run here, or None when one can."""
    if not (MEDIAWIKI / "maintenance" / "install.php").is_file():
        return f"MediaWiki is not installed at {MEDIAWIKI} (scripts/ensure-mediawiki installs it, as root)"
    if shutil.which("php") is None:
        return "php is not on PATH (scripts/ensure-mediawiki installs php-cli, as root)"
    probe = subprocess.run(["php", "-r", "exit(extension_loaded('pdo_sqlite') ? 0 : 1);"], check=False)
    if probe.returncode != 0:
        return "PHP lacks pdo_sqlite (scripts/ensure-mediawiki installs php-sqlite3, as root)"
    return None


def scratch_directory(fallback: Path) -> Path:
    """SQLite syncs every commit: on tmpfs the import takes a fifth of the time it takes on disk."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return Path(tempfile.mkdtemp(prefix="lorecache-wiki-", dir=shm))
    return fallback


class LocalWiki:
    """One wiki: its LocalSettings.php and SQLite files under `root`, its server on `port` once started."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = 0
        self._server: subprocess.Popen[bytes] | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api.php"

    @classmethod
    def build(cls, root: Path, dump: Path) -> LocalWiki:
        wiki = cls(root)
        root.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "php",
                str(MEDIAWIKI / "maintenance" / "install.php"),
                "--quiet",
                "--dbtype=sqlite",
                f"--dbpath={root / 'db'}",
                "--dbname=wiki",
                "--server=http://127.0.0.1",
                "--scriptpath=",
                f"--confpath={root}",
                f"--pass={_PASSWORD}",
                "--skins=",
                "Lorecache",
                ADMIN,
            ],
            check=True,
            capture_output=True,
        )
        with (root / "LocalSettings.php").open("a") as settings:
            settings.write(_SETTINGS)
        wiki.maintenance("importDump.php", str(dump))
        wiki.renumber_as(dump)
        return wiki

    def copy(self, root: Path) -> LocalWiki:
        """A stopped copy that a test may change without touching this one."""
        shutil.copytree(self.root, root)
        settings = root / "LocalSettings.php"
        settings.write_text(settings.read_text().replace(str(self.root), str(root)))
        return LocalWiki(root)

    def maintenance(self, script: str, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            ["php", str(MEDIAWIKI / "maintenance" / script), *args],
            input=stdin.encode() if stdin is not None else None,
            env={**os.environ, "MW_CONFIG_FILE": str(self.root / "LocalSettings.php")},
            check=True,
            capture_output=True,
        )
        return done.stdout.decode()

    def edit(self, title: str, wikitext: str) -> None:
        """A real edit: a new revision and a recent-changes row, as on a live wiki."""
        self.maintenance("edit.php", "--user", ADMIN, "--summary", "test edit", title, stdin=wikitext)

    def delete(self, title: str) -> None:
        listing = self.root / "delete.txt"
        listing.write_text(title + "\n")
        self.maintenance("deleteBatch.php", "-u", ADMIN, "-r", "test deletion", str(listing))

    def start(self) -> None:
        self.port = _free_port()
        self._server = subprocess.Popen(
            ["php", "-S", f"127.0.0.1:{self.port}", "-t", str(MEDIAWIKI)],
            env={
                **os.environ,
                "MW_CONFIG_FILE": str(self.root / "LocalSettings.php"),
                "PHP_CLI_SERVER_WORKERS": "2",
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.api_url, params={"action": "query", "format": "json"}).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"php -S did not answer on port {self.port}")

    def stop(self) -> None:
        """The server and the workers it forked: its process group, which bears its pid."""
        if self._server is not None:
            os.killpg(self._server.pid, signal.SIGTERM)
            self._server.wait(10)
            self._server = None

    def renumber_as(self, dump: Path) -> None:
        """Give every imported page and revision the id it has in the dump; other pages go after them."""
        wanted = {page.title.replace(" ", "_"): (page.page_id, page.revision_id) for page in iter_dump(dump)}
        with sqlite3.connect(self.root / "db" / "wiki.sqlite") as connection:
            rows = connection.execute(
                "SELECT page_id, CAST(page_title AS TEXT), page_latest FROM page"
            ).fetchall()
            next_page = max(page_id for page_id, _ in wanted.values()) + 1
            next_revision = max(revision or 0 for _, revision in wanted.values()) + 1
            pages, revisions = [], []
            for page_id, title, latest in rows:
                if title in wanted:
                    new_page, new_revision = wanted[title]
                else:
                    new_page, new_revision, next_page, next_revision = (
                        next_page,
                        next_revision,
                        next_page + 1,
                        next_revision + 1,
                    )
                pages.append((page_id, new_page))
                revisions.append((latest, new_revision))
            _remap(connection, "page_map", pages, _PAGE_REFERENCES)
            _remap(connection, "revision_map", revisions, _REVISION_REFERENCES)
            for table, column in (("page", "page_id"), ("revision", "rev_id")):
                connection.execute(
                    f"UPDATE sqlite_sequence SET seq = (SELECT max({column}) FROM {table}) WHERE name = ?",
                    (table,),
                )
            connection.execute("DELETE FROM objectcache")


def _remap(
    connection: sqlite3.Connection,
    name: str,
    pairs: list[tuple[int, int]],
    references: tuple[tuple[str, str], ...],
) -> None:
    """Move ids through negatives, so that no new id collides with an old one still in place."""
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    connection.execute(f"CREATE TEMP TABLE {name} (old INTEGER PRIMARY KEY, new INTEGER)")
    connection.executemany(f"INSERT INTO {name} VALUES (?, ?)", pairs)
    for table, column in references:
        if table not in tables:
            continue
        connection.execute(
            f"UPDATE {table} SET {column} = -{column} WHERE {column} IN (SELECT old FROM {name})"
        )
        connection.execute(
            f"UPDATE {table} SET {column} = (SELECT new FROM {name} WHERE old = -{table}.{column}) "
            f"WHERE {column} < 0"
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
