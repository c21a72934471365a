"""PostgresStore: the primary store. Bulk writes go through COPY into a temporary table and one
INSERT … ON CONFLICT per batch, so re-running an ingest rewrites nothing that did not change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Engine, text

from lorecache.article import Article
from lorecache.store.query import SUMMARY_FIELDS, ListQuery, listing
from lorecache.text import fold

STAGING_COLUMNS = (
    "universe",
    "page_id",
    "title",
    "slug",
    "url",
    "kind",
    "category",
    "is_canon",
    "summary",
    "infobox",
    "links",
    "aliases",
    "image",
    "extra_metadata",
    "revision_id",
    "revision_timestamp",
    "importance",
    "search_title",
    "search_text",
    "content_hash",
)

_CREATE_STAGING = """
CREATE TEMPORARY TABLE staged_articles (
    universe text, page_id bigint, title text, slug text, url text, kind text, category text,
    is_canon boolean, summary text, infobox jsonb, links text[], aliases text[], image text,
    extra_metadata jsonb, revision_id bigint, revision_timestamp timestamptz, importance integer,
    search_title text, search_text text, content_hash text
) ON COMMIT DROP
"""

_COPIED = ", ".join(column for column in STAGING_COLUMNS if column != "search_text")
_REFRESHED = ", ".join(
    f"{column} = EXCLUDED.{column}"
    for column in STAGING_COLUMNS
    if column not in ("universe", "page_id", "search_text")
)

_UPSERT = f"""
WITH evicted AS (
    DELETE FROM wiki_articles w USING staged_articles s
    WHERE w.universe = s.universe AND w.title = s.title AND w.page_id <> s.page_id
), written AS (
    INSERT INTO wiki_articles ({_COPIED}, search_vector)
    SELECT {_COPIED},
           setweight(to_tsvector('simple', unaccent(title)), 'A')
           || setweight(to_tsvector('english', unaccent(search_text)), 'B')
    FROM staged_articles
    ON CONFLICT (universe, page_id) DO UPDATE SET
        {_REFRESHED},
        search_vector = EXCLUDED.search_vector,
        updated_at = now()
    WHERE wiki_articles.content_hash IS DISTINCT FROM EXCLUDED.content_hash
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written
"""

_ARTICLE_COLUMNS = ", ".join(
    (
        "page_id",
        "title",
        "slug",
        "url",
        "kind",
        "category",
        "is_canon",
        "summary",
        "infobox",
        "links",
        "aliases",
        "image",
        "extra_metadata",
        "revision_id",
        "revision_timestamp",
        "importance",
    )
)


@dataclass(slots=True)
class WriteCounts:
    processed: int = 0
    created: int = 0
    updated: int = 0

    @property
    def unchanged(self) -> int:
        return self.processed - self.created - self.updated

    def add(self, other: WriteCounts) -> None:
        self.processed += other.processed
        self.created += other.created
        self.updated += other.updated


def content_hash(article: Article) -> str:
    return hashlib.sha256(orjson.dumps(article, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _search_text(article: Article) -> str:
    values = (v for value in article.infobox.values() for v in ([value] if isinstance(value, str) else value))
    return " ".join((article.summary, *values, *article.aliases))


def _staging_row(article: Article) -> tuple[Any, ...]:
    return (
        article.universe,
        article.page_id,
        article.title,
        article.slug,
        article.url,
        article.kind,
        article.category,
        article.is_canon,
        article.summary,
        orjson.dumps(article.infobox).decode(),
        article.links,
        article.aliases,
        article.image,
        orjson.dumps({"infobox_links": article.infobox_links}).decode(),
        article.revision_id,
        article.timestamp,
        article.importance,
        fold(article.title),
        _search_text(article),
        content_hash(article),
    )


class PostgresStore:
    source_name = "postgres"

    def __init__(self, engine: Engine, universe: str) -> None:
        self.engine = engine
        self.universe = universe

    def write_batch(self, batch: list[Article]) -> WriteCounts:
        """Upsert one batch in one transaction; rows whose content is unchanged are not rewritten."""
        with self.engine.begin() as connection:
            raw = connection.connection.driver_connection
            with raw.cursor() as cursor:
                cursor.execute(_CREATE_STAGING)
                with cursor.copy(f"COPY staged_articles ({', '.join(STAGING_COLUMNS)}) FROM STDIN") as copy:
                    for article in batch:
                        copy.write_row(_staging_row(article))
                created, updated = cursor.execute(_UPSERT).fetchone()
        return WriteCounts(processed=len(batch), created=created, updated=updated)

    def delete_missing(self, keep_page_ids: set[int]) -> int:
        """Drop articles the source no longer has, so PostgreSQL mirrors the file cache exactly."""
        with self.engine.begin() as connection:
            current = connection.execute(
                text("SELECT page_id FROM wiki_articles WHERE universe = :u"), {"u": self.universe}
            ).scalars()
            gone = [page_id for page_id in current if page_id not in keep_page_ids]
            if gone:
                connection.execute(
                    text("DELETE FROM wiki_articles WHERE universe = :u AND page_id = ANY(:ids)"),
                    {"u": self.universe, "ids": gone},
                )
        return len(gone)

    def refresh_category_cache(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(text("DELETE FROM category_cache WHERE universe = :u"), {"u": self.universe})
            connection.execute(
                text(
                    "INSERT INTO category_cache (universe, category, article_count, canon_count) "
                    "SELECT universe, category, count(*), count(*) FILTER (WHERE is_canon) "
                    "FROM wiki_articles WHERE universe = :u GROUP BY universe, category"
                ),
                {"u": self.universe},
            )

    def list_articles(self, query: ListQuery) -> list[dict[str, Any]]:
        needle = query.folded_search
        continuity = "" if query.continuity == "all" else "AND is_canon = :canon"
        if needle:
            match = "AND search_title LIKE :contains ESCAPE '\\'"
            order = "(search_title = :needle) DESC, (search_title LIKE :prefix ESCAPE '\\') DESC, "
        else:
            match = order = ""
        sql = (
            f"SELECT {', '.join(SUMMARY_FIELDS)} FROM wiki_articles "
            f"WHERE universe = :u AND category = ANY(:categories) {continuity} {match} "
            f"ORDER BY {order}importance DESC, title LIMIT :limit OFFSET :offset"
        )
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params = {
            "u": self.universe,
            "categories": list(query.categories),
            "canon": query.continuity == "canon",
            "needle": needle,
            "prefix": f"{escaped}%",
            "contains": f"%{escaped}%",
            "limit": query.limit,
            "offset": query.offset,
        }
        with self.engine.connect() as connection:
            rows = connection.execute(text(sql), params).mappings()
            return [listing(row) for row in rows]

    def get(self, title: str) -> Article | None:
        with self.engine.connect() as connection:
            row = (
                connection.execute(
                    text(
                        f"SELECT {_ARTICLE_COLUMNS} FROM wiki_articles WHERE universe = :u "
                        "AND (title = :title OR search_title = :folded OR :title = ANY(aliases)) "
                        "ORDER BY (title = :title) DESC, is_canon DESC, importance DESC LIMIT 1"
                    ),
                    {"u": self.universe, "title": title, "folded": fold(title)},
                )
                .mappings()
                .first()
            )
        return _article(self.universe, row) if row else None

    def iter_articles(self) -> Iterator[Article]:
        with self.engine.connect() as connection:
            rows = connection.execution_options(yield_per=2000).execute(
                text(f"SELECT {_ARTICLE_COLUMNS} FROM wiki_articles WHERE universe = :u ORDER BY page_id"),
                {"u": self.universe},
            )
            for row in rows.mappings():
                yield _article(self.universe, row)

    def stats(self) -> dict[str, Any]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT category, article_count, canon_count FROM category_cache "
                    "WHERE universe = :u ORDER BY category"
                ),
                {"u": self.universe},
            ).all()
        by_category = {category: {"articles": total, "canon": canon} for category, total, canon in rows}
        return {
            "total_articles": sum(c["articles"] for c in by_category.values()),
            "canon_articles": sum(c["canon"] for c in by_category.values()),
            "by_category": by_category,
        }

    def category_counts(self) -> dict[str, dict[str, int]]:
        """Counted from the articles themselves, not from `category_cache`: what verification trusts."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT category, count(*), count(*) FILTER (WHERE is_canon) FROM wiki_articles "
                    "WHERE universe = :u GROUP BY category"
                ),
                {"u": self.universe},
            ).all()
        return {category: {"articles": total, "canon": canon} for category, total, canon in rows}

    def count(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(
                text("SELECT count(*) FROM wiki_articles WHERE universe = :u"), {"u": self.universe}
            ).scalar_one()

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))


def _article(universe: str, row: Any) -> Article:
    timestamp: datetime | None = row["revision_timestamp"]
    return Article(
        universe=universe,
        page_id=row["page_id"],
        title=row["title"],
        slug=row["slug"],
        url=row["url"],
        kind=row["kind"],
        category=row["category"],
        is_canon=row["is_canon"],
        summary=row["summary"],
        infobox=row["infobox"],
        infobox_links=row["extra_metadata"].get("infobox_links", {}),
        links=list(row["links"]),
        aliases=list(row["aliases"]),
        image=row["image"],
        revision_id=row["revision_id"],
        timestamp=timestamp,
        importance=row["importance"],
    )
