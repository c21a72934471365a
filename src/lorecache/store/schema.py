"""The PostgreSQL tables, as SQLAlchemy models; the Alembic migrations create exactly these."""

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

_PLACE = "hashtext(universe || '/' || category || '/' || continuity)"
PLACE_SPAN = f"box(point({_PLACE}, span_from), point({_PLACE}, span_to))"
"""A place's span as its GiST index holds it: a box one point wide, at the hash of its universe,
category and continuity, so one index serves every category without an extension for text keys."""


class Base(DeclarativeBase):
    pass


def _created() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class WikiArticle(Base):
    __tablename__ = "wiki_articles"
    __table_args__ = (
        UniqueConstraint("universe", "page_id", name="uq_wiki_articles_universe_page"),
        UniqueConstraint("universe", "title", name="uq_wiki_articles_universe_title"),
        Index(
            "ix_wiki_articles_category_rank",
            "universe",
            "category",
            "is_canon",
            text("importance DESC"),
            "title",
        ),
        Index("ix_wiki_articles_universe_category_title", "universe", "category", "title"),
        Index(
            "ix_wiki_articles_search_names_trgm",
            "search_names",
            postgresql_using="gin",
            postgresql_ops={"search_names": "gin_trgm_ops"},
        ),
        Index(
            "ix_wiki_articles_search_title_pattern",
            "universe",
            "search_title",
            postgresql_ops={"search_title": "text_pattern_ops"},
        ),
        Index("ix_wiki_articles_search_vector", "search_vector", postgresql_using="gin"),
        Index("ix_wiki_articles_links", "links", postgresql_using="gin"),
        Index(
            "ix_wiki_articles_first_letter_length",
            "universe",
            func.left(text("search_title"), 1),
            func.length(text("search_title")),
            postgresql_include=["search_title", "id"],
        ),
        Index(
            "ix_wiki_articles_timeline",
            "universe",
            "span_at",
            text("importance DESC"),
            "page_id",
            postgresql_where=text("span_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    universe: Mapped[str] = mapped_column(String(64), nullable=False)
    page_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    slug: Mapped[str] = mapped_column(Text, nullable=False)
    url: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text, nullable=False)
    is_canon: Mapped[bool] = mapped_column(Boolean, nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    infobox: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default="{}")
    links: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default="{}")
    aliases: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default="{}")
    image: Mapped[str | None] = mapped_column(Text)
    extra_metadata: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default="{}")
    revision_id: Mapped[int | None] = mapped_column(BigInteger)
    revision_timestamp: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    importance: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    search_title: Mapped[str] = mapped_column(Text, nullable=False)
    search_names: Mapped[str] = mapped_column(Text, nullable=False, server_default="|")
    search_infobox: Mapped[dict[str, str]] = mapped_column(JSONB, nullable=False, server_default="{}")
    search_vector: Mapped[Any] = mapped_column(TSVECTOR)
    span_from: Mapped[int | None] = mapped_column(Integer)
    """The in-universe span (`lorecache.dates.Span`); NULL when the article has no date."""
    span_to: Mapped[int | None] = mapped_column(Integer)
    span_at: Mapped[int | None] = mapped_column(Integer)
    """Where a timeline places it."""
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()


class ArticleAnswer(Base):
    """An article's answers, prepared when it is written (`lorecache.answers`): in a list and on its
    own. Apart from `wiki_articles`, whose rows searches recheck and which they would widen threefold."""

    __tablename__ = "article_answers"

    article_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("wiki_articles.id", ondelete="CASCADE"), primary_key=True
    )
    list_json: Mapped[str] = mapped_column(Text, nullable=False)
    detail_json: Mapped[str] = mapped_column(Text, nullable=False)


class CategoryCache(Base):
    __tablename__ = "category_cache"

    universe: Mapped[str] = mapped_column(String(64), primary_key=True)
    category: Mapped[str] = mapped_column(Text, primary_key=True)
    article_count: Mapped[int] = mapped_column(Integer, nullable=False)
    canon_count: Mapped[int] = mapped_column(Integer, nullable=False)
    fields: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    """The infobox fields its articles have, which filters may name."""
    updated_at: Mapped[datetime] = _created()


def _ranked_by_prefix(table: str, column: str) -> tuple[Index]:
    """A pattern index holding what ranking needs, so that a prefix is read by an index-only scan."""
    return (
        Index(
            f"ix_{table}_prefix",
            "universe",
            column,
            postgresql_ops={column: "text_pattern_ops"},
            postgresql_include=["article_id", "category", "is_canon", "importance", "title"],
        ),
    )


class _RankedNaming:
    """An article's name or word, with the article's ranking keys beside it. The table has no key (it
    is written whole from `wiki_articles`); the mapper's is the row's identity."""

    universe: Mapped[str] = mapped_column(String(64), nullable=False)
    article_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    category: Mapped[str] = mapped_column(Text, nullable=False)
    is_canon: Mapped[bool] = mapped_column(Boolean, nullable=False)
    importance: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)


class ArticleName(_RankedNaming, Base):
    """Every name an article answers to: prefixes by an index-only scan."""

    __tablename__ = "article_names"
    __table_args__ = _ranked_by_prefix("article_names", "name")

    name: Mapped[str] = mapped_column(Text, nullable=False)
    __mapper_args__: ClassVar[dict] = {"primary_key": ["universe", "name", "article_id"]}


class ArticleWord(_RankedNaming, Base):
    """Every word of those names: one-word searches by an index-only scan."""

    __tablename__ = "article_words"
    __table_args__ = _ranked_by_prefix("article_words", "word")

    word: Mapped[str] = mapped_column(Text, nullable=False)
    __mapper_args__: ClassVar[dict] = {"primary_key": ["universe", "word", "article_id"]}


class SearchVocabulary(Base):
    """The words of every name, for typo correction (see `search.spelling`)."""

    __tablename__ = "search_vocabulary"
    __table_args__ = (
        Index("ix_search_vocabulary_deletes", "deletes", postgresql_using="gin"),
        Index(
            "ix_search_vocabulary_prefix",
            "universe",
            "word",
            postgresql_ops={"word": "text_pattern_ops"},
            postgresql_include=["uses"],
        ),
    )

    universe: Mapped[str] = mapped_column(String(64), primary_key=True)
    word: Mapped[str] = mapped_column(Text, primary_key=True)
    uses: Mapped[int] = mapped_column(Integer, nullable=False)
    deletes: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False)


class NameCompletion(Base):
    """The first articles of each crowded prefix, per continuity, in search order (see
    `search.postgres.PostgresTiers`). Written whole from `article_names`; the mapper's key is the
    row's identity."""

    __tablename__ = "name_completions"
    __table_args__ = (Index("ix_name_completions_prefix", "universe", "prefix"),)

    universe: Mapped[str] = mapped_column(String(64), nullable=False)
    prefix: Mapped[str] = mapped_column(Text, nullable=False)
    is_canon: Mapped[bool] = mapped_column(Boolean, nullable=False)
    article_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    importance: Mapped[int] = mapped_column(Integer, nullable=False)
    tier: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__: ClassVar[dict] = {"primary_key": ["universe", "prefix", "article_id"]}


class CategoryRank(Base):
    """Each article's place in its category's browse order (most linked first), per continuity
    (`canon`, `legends`, `all`): a page deep into a category reads its own rows. Written whole from
    `wiki_articles`; the mapper's key is the row's identity."""

    __tablename__ = "category_ranks"
    __table_args__ = (
        Index(
            "ix_category_ranks_place",
            "universe",
            "category",
            "continuity",
            "rank",
            postgresql_include=["article_id", "span_from", "span_to"],
        ),
        Index(
            "ix_category_ranks_span",
            text(PLACE_SPAN),
            postgresql_using="gist",
            postgresql_where=text("span_from IS NOT NULL"),
        ),
    )

    universe: Mapped[str] = mapped_column(String(64), nullable=False)
    category: Mapped[str] = mapped_column(Text, nullable=False)
    continuity: Mapped[str] = mapped_column(String(8), nullable=False)
    rank: Mapped[int] = mapped_column(Integer, nullable=False)
    article_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    span_from: Mapped[int | None] = mapped_column(Integer)
    span_to: Mapped[int | None] = mapped_column(Integer)
    __mapper_args__: ClassVar[dict] = {"primary_key": ["universe", "category", "continuity", "rank"]}


class DataVersion(Base):
    """Bumped by every load, and announced (`NOTIFY lorecache_data`): what the API processes' caches
    are keyed by."""

    __tablename__ = "data_versions"

    universe: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    changed_at: Mapped[datetime] = _created()


class ImageCache(Base):
    __tablename__ = "image_cache"
    __table_args__ = (Index("ix_image_cache_universe_file", "universe", "file_name"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    universe: Mapped[str] = mapped_column(String(64), nullable=False)
    source_url: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    file_name: Mapped[str] = mapped_column(Text, nullable=False)
    local_path: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    content_type: Mapped[str | None] = mapped_column(Text)
    bytes: Mapped[int | None] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="pending")
    error: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ScrapingLog(Base):
    __tablename__ = "scraping_logs"
    __table_args__ = (Index("ix_scraping_logs_universe_started", "universe", "started_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    universe: Mapped[str] = mapped_column(String(64), nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    stage: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    started_at: Mapped[datetime] = _created()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    articles_processed: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    articles_created: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    articles_updated: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    errors: Mapped[list[Any]] = mapped_column(JSONB, nullable=False, server_default="[]")
    error_message: Mapped[str | None] = mapped_column(Text)
    checkpoint: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default="{}")
