"""The `image_cache` table: one row per image URL, what became of it, and the figures the API reports."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text


@dataclass(frozen=True, slots=True)
class ImageRecord:
    """The outcome of one image: `fetched` with what was kept, or `failed` with why."""

    file_name: str
    source_url: str
    status: str
    error: str | None = None
    local_path: str | None = None
    sha256: str | None = None
    content_type: str | None = None
    bytes: int | None = None
    width: int | None = None
    height: int | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class Validators:
    """What the last good download said, for a conditional request."""

    etag: str | None
    last_modified: str | None


_UPSERT = text(
    "INSERT INTO image_cache (universe, source_url, file_name, local_path, sha256, content_type, bytes, "
    "width, height, status, error, etag, last_modified, fetched_at) VALUES (:universe, :source_url, "
    ":file_name, :local_path, :sha256, :content_type, :bytes, :width, :height, :status, :error, :etag, "
    ":last_modified, now()) ON CONFLICT (source_url) DO UPDATE SET file_name = EXCLUDED.file_name, "
    "status = EXCLUDED.status, error = EXCLUDED.error, fetched_at = EXCLUDED.fetched_at, "
    # A failed refresh keeps the last good copy's facts: that copy is still on disk and served.
    "local_path = COALESCE(EXCLUDED.local_path, image_cache.local_path), "
    "sha256 = COALESCE(EXCLUDED.sha256, image_cache.sha256), "
    "content_type = COALESCE(EXCLUDED.content_type, image_cache.content_type), "
    "bytes = COALESCE(EXCLUDED.bytes, image_cache.bytes), "
    "width = COALESCE(EXCLUDED.width, image_cache.width), "
    "height = COALESCE(EXCLUDED.height, image_cache.height), "
    "etag = COALESCE(EXCLUDED.etag, image_cache.etag), "
    "last_modified = COALESCE(EXCLUDED.last_modified, image_cache.last_modified)"
)


class ImageRepository:
    def __init__(self, engine: Engine, universe: str) -> None:
        self.engine = engine
        self.universe = universe

    def wanted_names(self) -> list[str]:
        """The image names the articles mention, as the wikitext wrote them."""
        with self.engine.connect() as connection:
            return list(
                connection.execute(
                    text(
                        "SELECT DISTINCT image FROM wiki_articles WHERE universe = :u AND image IS NOT NULL "
                        "ORDER BY image"
                    ),
                    {"u": self.universe},
                ).scalars()
            )

    def validators(self) -> dict[str, Validators]:
        """Per source URL with a good copy, its ETag and Last-Modified."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT source_url, etag, last_modified FROM image_cache "
                    "WHERE universe = :u AND sha256 IS NOT NULL"
                ),
                {"u": self.universe},
            ).all()
        return {url: Validators(etag, last_modified) for url, etag, last_modified in rows}

    def record(self, records: Iterable[ImageRecord]) -> None:
        rows = [{"universe": self.universe, **_fields(record)} for record in records]
        if rows:
            with self.engine.begin() as connection:
                connection.execute(_UPSERT, rows)

    def stats(self) -> dict[str, int]:
        with self.engine.connect() as connection:
            fetched, failed, size = connection.execute(
                text(
                    "SELECT count(*) FILTER (WHERE status = 'fetched'), count(*) FILTER (WHERE status = "
                    "'failed'), coalesce(sum(bytes) FILTER (WHERE status = 'fetched'), 0) "
                    "FROM image_cache WHERE universe = :u"
                ),
                {"u": self.universe},
            ).one()
        return {"fetched": fetched, "failed": failed, "bytes": int(size)}

    def by_name(self, file_name: str) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            return [
                dict(row)
                for row in connection.execute(
                    text("SELECT * FROM image_cache WHERE universe = :u AND file_name = :name"),
                    {"u": self.universe, "name": file_name},
                ).mappings()
            ]


def _fields(record: ImageRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in ImageRecord.__slots__}
