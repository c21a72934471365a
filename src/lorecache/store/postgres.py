"""PostgresStore: the primary store. Bulk writes go through COPY into a temporary table and one
INSERT … ON CONFLICT per batch, so re-running an ingest rewrites nothing that did not change.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Connection, Engine, text

from lorecache import answers
from lorecache.article import Article
from lorecache.dates import Span
from lorecache.query import Continuity, ListQuery
from lorecache.search import cascade
from lorecache.search import postgres as pg
from lorecache.search.fulltext import search_text
from lorecache.search.ranking import order_by
from lorecache.search.rules import EXACT, PREFIX, infobox_terms, joined, names_of
from lorecache.store.driver import Statement, fetch, fetch_together
from lorecache.store.images import ImageRepository
from lorecache.store.interface import (
    Backlink,
    Detail,
    Page,
    in_asked_order,
    linking_fields,
    named_by,
    summarize,
)
from lorecache.store.schema import PLACE_SPAN
from lorecache.text import fold
from lorecache.universes import load

ARTICLE_COLUMNS = (
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
SEARCH_COLUMNS = ("search_title", "search_names", "search_infobox", "search_text")
SPAN_COLUMNS = ("span_from", "span_to", "span_at")
PREPARED_COLUMNS = ("list_json", "detail_json")
STAGING_COLUMNS = (
    "universe",
    *ARTICLE_COLUMNS,
    *SEARCH_COLUMNS,
    *SPAN_COLUMNS,
    *PREPARED_COLUMNS,
    "content_hash",
)

_CREATE_STAGING = """
CREATE TEMPORARY TABLE staged_articles (
    universe text, page_id bigint, title text, slug text, url text, kind text, category text,
    is_canon boolean, summary text, infobox jsonb, links text[], aliases text[], image text,
    extra_metadata jsonb, revision_id bigint, revision_timestamp timestamptz, importance integer,
    search_title text, search_names text, search_infobox jsonb, search_text text,
    span_from integer, span_to integer, span_at integer, list_json text, detail_json text, content_hash text
) ON COMMIT DROP
"""

_COPIED = ", ".join(c for c in STAGING_COLUMNS if c not in ("search_text", *PREPARED_COLUMNS))
_REFRESHED = ", ".join(
    f"{column} = EXCLUDED.{column}"
    for column in STAGING_COLUMNS
    if column not in ("universe", "page_id", "search_text", *PREPARED_COLUMNS)
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
    RETURNING id, page_id, (xmax = 0) AS inserted
), answered AS (
    INSERT INTO article_answers (article_id, list_json, detail_json)
    SELECT written.id, s.list_json, s.detail_json FROM written JOIN staged_articles s USING (page_id)
    ON CONFLICT (article_id) DO UPDATE
    SET list_json = EXCLUDED.list_json, detail_json = EXCLUDED.detail_json
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written
"""

DATA_CHANNEL = "lorecache_data"
"""What every load NOTIFYs, with the universe, once its derived tables and data version are committed."""

# The names a crowded prefix begins, as a range of `article_names`' pattern index.
_UNDER_CROWDED = f"name ~>=~ crowded.prefix AND name ~<~ (crowded.prefix || chr({pg.LAST_CODE_POINT}))"

@dataclass(frozen=True)
class Lane:
    """Derived tables rebuilt in one transaction, each from the one before it, then made ready for
    searches (`VACUUM (ANALYZE)`): `ready_first` before the rebuild, `ready_after` after it."""

    statements: tuple[str, ...]
    ready_after: str
    ready_first: str | None = None


# What `refresh_derived` rebuilds from `wiki_articles`, in two lanes that run at once (each table built by
# one backend on one core: in one lane, the second core would idle). `search_names` holds an article's
# names joined by `|`, each name's words joined by one space; the vocabulary keeps each word's delete
# neighbourhood as `spelling.deletes` makes it. A prefix is crowded when more than `:crowded` names begin
# with it, which only a longer crowded prefix's own shorter prefixes can be: they are found a letter at a
# time from the first.
_NAMES = Lane(
    (
        "SET LOCAL work_mem = '64MB'",
        "DELETE FROM article_names WHERE universe = :u",
        r"""
        INSERT INTO article_names (universe, name, article_id, category, is_canon, importance, title)
        SELECT universe, name, id, category, is_canon, importance, title
        FROM wiki_articles, regexp_split_to_table(trim(BOTH '|' FROM search_names), '\|') AS name
        WHERE universe = :u AND name <> ''
        """,
        "DELETE FROM name_completions WHERE universe = :u",
        f"""
        INSERT INTO name_completions (universe, prefix, is_canon, article_id, title, importance, tier)
        WITH RECURSIVE crowded(prefix) AS (
            SELECT left(name, 1) FROM article_names WHERE universe = :u GROUP BY 1 HAVING count(*) > :crowded
          UNION ALL
            SELECT longer.prefix FROM crowded, LATERAL (
                SELECT left(name, length(crowded.prefix) + 1) AS prefix FROM article_names
                WHERE universe = :u AND length(name) > length(crowded.prefix)
                  AND {_UNDER_CROWDED}
                GROUP BY 1 HAVING count(*) > :crowded
            ) AS longer
        )
        SELECT :u, crowded.prefix, first.* FROM crowded, (VALUES (true), (false)) AS continuity (canon),
        LATERAL (
            SELECT is_canon, article_id, title, importance,
                   min(CASE WHEN name = crowded.prefix THEN {EXACT} ELSE {PREFIX} END) AS tier
            FROM article_names
            WHERE universe = :u AND is_canon = continuity.canon
              AND {_UNDER_CROWDED}
            GROUP BY article_id, title, is_canon, importance
            ORDER BY {order_by(False, closeness=None, whole=None)}, article_id LIMIT :kept
        ) AS first
        """,
        "DELETE FROM category_cache WHERE universe = :u",
        """
        INSERT INTO category_cache (universe, category, article_count, canon_count, fields)
        WITH counted AS (
            SELECT category, count(*) AS articles, count(*) FILTER (WHERE is_canon) AS canon
            FROM wiki_articles WHERE universe = :u GROUP BY category
        ), named AS (
            SELECT category, array_agg(DISTINCT field ORDER BY field) AS fields
            FROM wiki_articles, jsonb_object_keys(infobox) AS field WHERE universe = :u GROUP BY category
        )
        SELECT :u, category, articles, canon, coalesce(fields, '{}')
        FROM counted LEFT JOIN named USING (category)
        """,
    ),
    ready_first="wiki_articles",
    ready_after="article_names, name_completions, category_cache",
)
_WORDS = Lane(
    (
        "SET LOCAL work_mem = '64MB'",
        "DELETE FROM article_words WHERE universe = :u",
        r"""
        INSERT INTO article_words (universe, word, article_id, category, is_canon, importance, title)
        SELECT DISTINCT universe, word, id, category, is_canon, importance, title
        FROM wiki_articles, regexp_split_to_table(trim(BOTH '|' FROM search_names), '\|') AS name,
             regexp_split_to_table(name, ' ') AS word
        WHERE universe = :u AND name <> ''
        """,
        "DELETE FROM search_vocabulary WHERE universe = :u",
        """
        INSERT INTO search_vocabulary (universe, word, uses, deletes)
        SELECT universe, word, count(*),
               word || ARRAY(
                   SELECT DISTINCT left(word, i - 1) || substr(word, i + 1)
                   FROM generate_series(1, length(word)) AS i
               )
        FROM article_words WHERE universe = :u
        GROUP BY universe, word
        """,
        "DELETE FROM category_ranks WHERE universe = :u",
        """
        INSERT INTO category_ranks (universe, category, continuity, rank, article_id, span_from, span_to)
        SELECT universe, category, CASE WHEN is_canon THEN 'canon' ELSE 'legends' END,
               row_number() OVER (
                   PARTITION BY category, is_canon ORDER BY importance DESC, title COLLATE "C"
               ), id, span_from, span_to
        FROM wiki_articles WHERE universe = :u
        UNION ALL
        SELECT universe, category, 'all',
               row_number() OVER (PARTITION BY category ORDER BY importance DESC, title COLLATE "C"), id,
               span_from, span_to
        FROM wiki_articles WHERE universe = :u
        """,
    ),
    ready_after="article_words, search_vocabulary, category_ranks",
)
_DERIVED = (_NAMES, _WORDS)

# The data version's bump and its announcement, delivered when the transaction holding them commits.
_BUMP = (
    """
    INSERT INTO data_versions (universe, version) VALUES (:u, 1)
    ON CONFLICT (universe) DO UPDATE SET version = data_versions.version + 1, changed_at = now()
    """,
    f"SELECT pg_notify('{DATA_CHANNEL}', :u)",
)

_ARTICLE_COLUMNS = ", ".join(ARTICLE_COLUMNS)

log = logging.getLogger(__name__)


class _Name(NamedTuple):
    """What choosing an article by a name reads of its row."""

    page_id: int
    title: str
    aliases: list[str]
    importance: int


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
    """Of the article, of the format of its prepared answers and of the calendar its dates are read
    by: any of them changed, the row is rewritten."""
    content = orjson.dumps(article, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(b"%d:%s:%s" % (answers.FORMAT, _calendar_of(article.universe), content)).hexdigest()


@lru_cache
def _calendar_of(universe: str) -> bytes:
    return repr(load(universe).calendar).encode()


def _staging_row(article: Article, legends_suffix: str) -> tuple[Any, ...]:
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
        orjson.dumps({"infobox_links": article.infobox_links, "infobox_order": [*article.infobox]}).decode(),
        article.revision_id,
        article.timestamp,
        article.importance,
        fold(article.title),
        joined(names_of(article.title, article.aliases, legends_suffix)),
        orjson.dumps(infobox_terms(article.infobox)).decode(),
        search_text(article),
        *_span_row(article),
        answers.list_item(article),
        answers.detail(article),
        content_hash(article),
    )


def _span_row(article: Article) -> tuple[int | None, int | None, int | None]:
    """The span columns: all NULL for an article without a date."""
    span = load(article.universe).calendar.article_dates(article)[1]
    return (span.start, span.end, span.at) if span else (None, None, None)


class PostgresStore:
    def __init__(self, engine: Engine, universe: str, source_name: str = "postgres") -> None:
        """`source_name` is what `X-Served-From` says of its answers: `replica` for a read replica's."""
        self.engine = engine
        self.source_name = source_name
        # Reads run statement by statement: no BEGIN and ROLLBACK round trips around each request.
        self.reader = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.universe = universe
        self.legends_suffix = load(universe).canon.legends_suffix

    def write_batch(self, batch: list[Article]) -> WriteCounts:
        """Upsert one batch in one transaction; rows whose content is unchanged are not rewritten."""
        with self.engine.begin() as connection:
            raw = connection.connection.driver_connection
            with raw.cursor() as cursor:
                cursor.execute(_CREATE_STAGING)
                with cursor.copy(f"COPY staged_articles ({', '.join(STAGING_COLUMNS)}) FROM STDIN") as copy:
                    for article in batch:
                        copy.write_row(_staging_row(article, self.legends_suffix))
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

    def refresh_derived(self) -> None:
        """After a bulk write: what is derived from all the articles — every name and word, the search
        vocabulary, the completions of crowded prefixes, counts and ranks per category — rebuilt, each
        lane in one transaction (readers see its old tables or its new ones), the lanes at once; then
        the data version bumped, so that no API process keeps an answer from before."""
        params = {"u": self.universe, "crowded": pg.CROWDED_PREFIX, "kept": pg.COMPLETIONS}
        with ThreadPoolExecutor(len(_DERIVED), thread_name_prefix="derived") as lanes:
            for rebuilt in [lanes.submit(self._rebuild, lane, params) for lane in _DERIVED]:
                rebuilt.result()
        self.bump_version()

    def _rebuild(self, lane: Lane, params: dict[str, Any]) -> None:
        if lane.ready_first:
            self._vacuum(lane.ready_first)
        with self.engine.begin() as connection:
            for sql in lane.statements:
                connection.execute(text(sql), params)
        self._vacuum(lane.ready_after)

    def bump_version(self) -> None:
        """After a write that no derived table reflects (images fetched): answers kept are dropped."""
        with self.engine.begin() as connection:
            for sql in _BUMP:
                connection.execute(text(sql), {"u": self.universe})

    def ensure_derived(self) -> None:
        """A database upgraded to a release that added a derived table or prepared answers holds
        articles and none of them: build them now, not at the next load."""
        with self.engine.connect() as connection:
            params = {"u": self.universe, "crowded": pg.CROWDED_PREFIX}
            unprepared, missing = connection.execute(text(_MISSING), params).one()
        if unprepared:
            log.info("preparing the answers of %s's articles", self.universe)
            self._prepare_answers()
        if missing or unprepared:
            log.info("building the derived tables of %s from its articles", self.universe)
            self.refresh_derived()

    def _prepare_answers(self) -> None:
        """The prepared answers of the articles written before they were kept (or dropped by a
        migration that changed them), and their spans, a batch at a time."""
        while True:
            with self.engine.begin() as connection:
                rows = connection.execute(
                    text(
                        f"SELECT id, {_ARTICLE_COLUMNS} FROM wiki_articles "
                        f"WHERE universe = :u {_UNANSWERED} LIMIT 2000"
                    ),
                    {"u": self.universe},
                ).mappings().all()
                if not rows:
                    return
                prepared = [
                    {
                        "id": row["id"],
                        "list": answers.list_item(article),
                        "detail": answers.detail(article),
                        **dict(zip(SPAN_COLUMNS, _span_row(article), strict=True)),
                    }
                    for row in rows
                    for article in [_article(self.universe, row)]
                ]
                connection.execute(
                    text(
                        "INSERT INTO article_answers (article_id, list_json, detail_json) "
                        "VALUES (:id, :list, :detail)"
                    ),
                    prepared,
                )
                connection.execute(
                    text(
                        "UPDATE wiki_articles SET span_from = :span_from, span_to = :span_to, "
                        "span_at = :span_at WHERE id = :id"
                    ),
                    prepared,
                )

    def _vacuum(self, tables: str) -> None:
        """After a bulk write the planner believes a table is small and scans all of it for every
        search (800 ms instead of 40), the trigram and full-text indexes keep thousands of entries in
        an unsorted pending list that every search reads, and index-only scans fall back to the
        table. VACUUM (ANALYZE) fixes all three; on pages a previous VACUUM saw it costs little."""
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f"VACUUM (ANALYZE) {tables}"))

    def list_articles(self, query: ListQuery) -> Page:
        """Browsing reads the page's place in `category_ranks`; a search is the cascade's hits, then
        their prepared items, on one connection."""
        if not query.needle:
            rows = self._browse(query)
            return Page([row["list_json"] for row in rows[: query.limit]], len(rows) > query.limit)
        with self.reader.connect() as connection:
            found = cascade.search(pg.PostgresTiers(connection, query, self.universe), query)
            ids = [hit.ref for hit in found.hits]
            items = {row["id"]: row["list_json"] for row in fetch(connection, *pg.by_id(ids))} if ids else {}
        hits = [hit for hit in found.hits if hit.ref in items]
        return Page([items[hit.ref] for hit in hits], found.has_more, hits, found.did_you_mean)

    def _browse(self, query: ListQuery) -> list[dict[str, Any]]:
        """The most linked first. One category without filters reads its page's place in
        `category_ranks`, so a page deep into it does not read every row before it."""
        with self.reader.connect() as connection:
            if not query.filters and len(query.categories) == 1:
                if query.span and (few := self._few_placed(connection, query, query.span)) is not None:
                    return few
                page, ranked = fetch_together(connection, _placed(query, self.universe))
                if ranked[0]["ranked"]:
                    return page
            return fetch(connection, *_live(query, self.universe))

    def _few_placed(
        self, connection: Connection, query: ListQuery, span: Span
    ) -> list[dict[str, Any]] | None:
        """An interval few places of the category hold (a year long before the films), found by the
        GiST index of their spans and ranked here; None when it holds more than FEW_PLACES, which a
        walk of the category in rank order meets soon enough, or the category is not ranked yet."""
        placed, ranked = fetch_together(connection, _spanned(query, span, self.universe))
        if len(placed) > FEW_PLACES or not ranked[0]["ranked"]:
            return None
        placed.sort(key=lambda row: row["rank"])
        ids = [row["article_id"] for row in placed[query.offset : query.offset + query.limit + 1]]
        if not ids:
            return []
        items = {row["id"]: row for row in fetch(connection, *pg.by_id(ids))}
        return [items[article_id] for article_id in ids]

    def timeline(self, query: ListQuery) -> Page:
        """In the order of `ix_wiki_articles_timeline`, which a page reads from its start."""
        statement = pg.scope(query, self.universe)
        sql = (
            "SELECT list_json FROM wiki_articles JOIN article_answers ON article_id = id "
            f"WHERE {statement.where()} AND span_at IS NOT NULL "
            "ORDER BY span_at, importance DESC, page_id LIMIT :limit OFFSET :offset"
        )
        rows = self._rows(sql, {**statement.params, "limit": query.limit + 1, "offset": query.offset})
        return Page([row["list_json"] for row in rows[: query.limit]], len(rows) > query.limit)

    def random(self, query: ListQuery) -> str | None:
        statement = pg.scope(query, self.universe)
        sql = (
            f"SELECT list_json FROM wiki_articles JOIN article_answers ON article_id = id "
            f"WHERE {statement.where()} ORDER BY random() LIMIT 1"
        )
        rows = self._rows(sql, statement.params)
        return rows[0]["list_json"] if rows else None

    def get(self, title: str, continuity: Continuity = "all") -> Article | None:
        rows = self._lookup(_ARTICLE_COLUMNS, title, continuity)
        return _article(self.universe, rows[0]) if rows else None

    def detail(self, title: str, continuity: Continuity = "all") -> Detail | None:
        answer = "(SELECT detail_json FROM article_answers WHERE article_id = id) AS detail_json"
        rows = self._lookup(f"title, {answer}", title, continuity)
        return Detail(rows[0]["title"], rows[0]["detail_json"]) if rows else None

    def articles(self, titles: Sequence[str]) -> list[Article]:
        rows = self._named(_ARTICLE_COLUMNS, titles)
        return in_asked_order([_article(self.universe, row) for row in rows], titles)

    def titles(self, names: Sequence[str]) -> dict[str, str]:
        rows = self._named("page_id, title, aliases, importance", names)
        return {name: found.title for name, found in named_by([_Name(**row) for row in rows], names).items()}

    def _named(self, columns: str, titles: Sequence[str]) -> list[dict[str, Any]]:
        """The articles that any of `titles` names: by title, folded title or alias."""
        return self._rows(
            f"SELECT {columns} FROM wiki_articles WHERE universe = :u "
            "AND (title = ANY(:titles) OR search_title = ANY(:folded) OR id = ANY(ARRAY("
            "SELECT article_id FROM article_names WHERE universe = :u AND name = ANY(:folded))))",
            {"u": self.universe, "titles": list(titles), "folded": [fold(title) for title in titles]},
        )

    def backlinks(self, names: Sequence[str], limit: int) -> list[Backlink]:
        """By the GIN index on `links`: an overlap with the names, whichever of them a page links by."""
        rows = self._rows(
            "SELECT title, category, is_canon, "
            "coalesce(extra_metadata -> 'infobox_links', '{}') AS infobox_links "
            "FROM wiki_articles WHERE universe = :u AND links && CAST(:names AS text[]) "
            "ORDER BY importance DESC, title COLLATE \"C\" LIMIT :limit",
            {"u": self.universe, "names": list(names), "limit": limit},
        )
        return [
            Backlink(r["title"], r["category"], r["is_canon"], linking_fields(r["infobox_links"], names))
            for r in rows
        ]

    def _lookup(self, columns: str, title: str, continuity: Continuity) -> list[dict[str, Any]]:
        """Titles are looked up in `wiki_articles` itself, so an article just written is found before
        `article_names` (its aliases) is rebuilt. The aliases' ids come as an array: `id IN (…)` ORed
        with the title lookups would make PostgreSQL scan the table."""
        return self._rows(
            f"SELECT {columns} FROM wiki_articles WHERE universe = :u "
            "AND (title = :title OR title = :twin OR search_title = :folded "
            "OR search_title = :folded_twin OR id = ANY(ARRAY("
            "SELECT article_id FROM article_names WHERE universe = :u AND name = :folded))) "
            "ORDER BY (is_canon <> :legends) DESC, (title = :title) DESC, importance DESC "
            "LIMIT 1",
            {
                "u": self.universe,
                "title": title,
                "twin": title + self.legends_suffix,
                "folded": fold(title),
                "folded_twin": fold(title + self.legends_suffix),
                "legends": continuity == "legends",
            },
        )

    def categories(self) -> dict[str, dict[str, int]]:
        """From `category_cache`, kept by every load: no count over the articles per request."""
        rows = self._rows(
            "SELECT category, article_count AS articles, canon_count AS canon FROM category_cache "
            "WHERE universe = :u ORDER BY category",
            {"u": self.universe},
        )
        return {row.pop("category"): row for row in rows}

    def fields(self) -> dict[str, set[str]]:
        rows = self._rows(
            "SELECT category, fields FROM category_cache WHERE universe = :u", {"u": self.universe}
        )
        return {row["category"]: set(row["fields"] or ()) for row in rows}

    def _rows(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self.reader.connect() as connection:
            return fetch(connection, sql, params)

    def iter_articles(self) -> Iterator[Article]:
        with self.engine.connect() as connection:
            rows = connection.execution_options(yield_per=2000).execute(
                text(f"SELECT {_ARTICLE_COLUMNS} FROM wiki_articles WHERE universe = :u ORDER BY page_id"),
                {"u": self.universe},
            )
            for row in rows.mappings():
                yield _article(self.universe, row)

    def stats(self) -> dict[str, Any]:
        """Counts per category from `category_cache`, image counts from `image_cache`."""
        return summarize(self.categories()) | {"images": ImageRepository(self.engine, self.universe).stats()}

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

    def delete_pages(self, page_ids: Iterable[int]) -> int:
        """Remove pages the source deleted, without touching the rest."""
        with self.engine.begin() as connection:
            result = connection.execute(
                text("DELETE FROM wiki_articles WHERE universe = :u AND page_id = ANY(:ids)"),
                {"u": self.universe, "ids": list(page_ids)},
            )
        return result.rowcount


def _in_order(infobox: dict[str, Any], order: list[str]) -> dict[str, Any]:
    """The infobox in the wiki's order, which JSONB does not keep: its first fields are the defining
    ones, which a fact block shows."""
    return {field: infobox[field] for field in order if field in infobox} | infobox


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
        infobox=_in_order(row["infobox"], row["extra_metadata"].get("infobox_order", ())),
        infobox_links=row["extra_metadata"].get("infobox_links", {}),
        links=list(row["links"]),
        aliases=list(row["aliases"]),
        image=row["image"],
        revision_id=row["revision_id"],
        timestamp=timestamp,
        importance=row["importance"],
    )


_UNANSWERED = "AND NOT EXISTS (SELECT FROM article_answers WHERE article_id = id)"

_MISSING = f"""
SELECT EXISTS (SELECT FROM wiki_articles WHERE universe = :u {_UNANSWERED}),
       EXISTS (SELECT FROM wiki_articles WHERE universe = :u) AND (
           NOT EXISTS (SELECT FROM search_vocabulary WHERE universe = :u)
           OR NOT EXISTS (SELECT FROM data_versions WHERE universe = :u)
           OR NOT EXISTS (SELECT FROM category_ranks WHERE universe = :u)
           OR EXISTS (SELECT FROM category_cache WHERE universe = :u AND fields IS NULL)
           OR NOT EXISTS (SELECT FROM name_completions WHERE universe = :u) AND EXISTS (
               SELECT FROM article_names WHERE universe = :u GROUP BY left(name, 1) HAVING count(*) > :crowded
           )
       )
"""


def _live(query: ListQuery, universe: str) -> Statement:
    """A page ranked from the articles themselves: filtered, or before a load ranked the category."""
    statement = pg.scope(query, universe)
    sql = (
        f"SELECT list_json FROM wiki_articles JOIN article_answers ON article_id = id "
        f"WHERE {statement.where()} "
        "ORDER BY importance DESC, title COLLATE \"C\" LIMIT :limit OFFSET :offset"
    )
    return sql, {**statement.params, "limit": query.limit + 1, "offset": query.offset}


FEW_PLACES = 500


def _spanned(query: ListQuery, span: Span, universe: str) -> list[Statement]:
    """The places (id, rank) of one category whose spans overlap the query's, up to one more than
    FEW_PLACES, by `ix_category_ranks_span`; and whether the category is ranked."""
    category, continuity = query.categories[0], query.continuity
    params = {
        "u": universe,
        "category": category,
        "continuity": continuity,
        "place": f"{universe}/{category}/{continuity}",
        "span_start": span.start,
        "span_end": span.end,
        "as_of": query.as_of,
        "few": FEW_PLACES + 1,
    }
    moment = "AND span_from <= :as_of" if query.as_of is not None else ""
    wanted = "box(point(hashtext(:place), :span_start), point(hashtext(:place), :span_end))"
    places = f"""
        SELECT article_id, rank FROM category_ranks
        WHERE universe = :u AND category = :category AND continuity = :continuity AND span_from IS NOT NULL
          AND {PLACE_SPAN} && {wanted} {moment}
        LIMIT :few
    """
    return [(places, params), (_RANKED, params)]


_RANKED = """
    SELECT EXISTS (
        SELECT FROM category_ranks WHERE universe = :u AND category = :category AND continuity = :continuity
    ) AS ranked
"""


def _placed(query: ListQuery, universe: str) -> list[Statement]:
    """A page of one category read by its place in `category_ranks`, and whether the category is ranked
    at all (in the same round trip)."""
    statement = pg.Statement(
        ["r.universe = :u", "r.category = :category", "r.continuity = :continuity"],
        {
            "u": universe,
            "category": query.categories[0],
            "continuity": query.continuity,
            "limit": query.limit + 1,
            "offset": query.offset,
        },
    )
    pg.in_time(query, statement, "r.")
    # Unfiltered, ranks are consecutive: the page begins past the offset's rank, found in the index.
    paged = "LIMIT :limit OFFSET :offset" if query.narrowed else "LIMIT :limit"
    if not query.narrowed:
        statement.conditions.append("r.rank > :offset")
    # The page's places first, then their answers: an offset skips places, not answers.
    page = f"""
        SELECT a.list_json FROM (
            SELECT r.article_id, r.rank FROM category_ranks r
            WHERE {statement.where()} ORDER BY r.rank {paged}
        ) AS r JOIN article_answers a USING (article_id)
        ORDER BY r.rank
    """
    return [(page, statement.params), (_RANKED, statement.params)]
