"""add_wiki_cache_tables

Revision ID: 83814bca1097
Revises:
Create Date: 2026-11-24 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "83814bca1097"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    ]


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.create_table(
        "wiki_articles",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("universe", sa.String(64), nullable=False),
        sa.Column("page_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text()),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("is_canon", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False, server_default=""),
        sa.Column("infobox", postgresql.JSONB(), nullable=False, server_default="{}"),
        sa.Column("links", postgresql.ARRAY(sa.Text()), nullable=False, server_default="{}"),
        sa.Column("aliases", postgresql.ARRAY(sa.Text()), nullable=False, server_default="{}"),
        sa.Column("image", sa.Text()),
        sa.Column("extra_metadata", postgresql.JSONB(), nullable=False, server_default="{}"),
        sa.Column("revision_id", sa.BigInteger()),
        sa.Column("revision_timestamp", sa.DateTime(timezone=True)),
        sa.Column("importance", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("search_title", sa.Text(), nullable=False),
        sa.Column("search_vector", postgresql.TSVECTOR()),
        sa.Column("content_hash", sa.String(64), nullable=False),
        *_timestamps(),
        sa.UniqueConstraint("universe", "page_id", name="uq_wiki_articles_universe_page"),
        sa.UniqueConstraint("universe", "title", name="uq_wiki_articles_universe_title"),
    )
    op.create_index(
        "ix_wiki_articles_category_rank",
        "wiki_articles",
        ["universe", "category", "is_canon", sa.text("importance DESC"), "title"],
    )
    op.create_index(
        "ix_wiki_articles_universe_category_title", "wiki_articles", ["universe", "category", "title"]
    )
    op.create_index(
        "ix_wiki_articles_search_title_trgm",
        "wiki_articles",
        ["search_title"],
        postgresql_using="gin",
        postgresql_ops={"search_title": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_wiki_articles_search_vector", "wiki_articles", ["search_vector"], postgresql_using="gin"
    )

    op.create_table(
        "category_cache",
        sa.Column("universe", sa.String(64), primary_key=True),
        sa.Column("category", sa.Text(), primary_key=True),
        sa.Column("article_count", sa.Integer(), nullable=False),
        sa.Column("canon_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )

    op.create_table(
        "image_cache",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("universe", sa.String(64), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=False, unique=True),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("local_path", sa.Text()),
        sa.Column("sha256", sa.String(64)),
        sa.Column("content_type", sa.Text()),
        sa.Column("bytes", sa.BigInteger()),
        sa.Column("width", sa.Integer()),
        sa.Column("height", sa.Integer()),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("error", sa.Text()),
        sa.Column("etag", sa.Text()),
        sa.Column("last_modified", sa.Text()),
        sa.Column("fetched_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_image_cache_universe_file", "image_cache", ["universe", "file_name"])

    op.create_table(
        "scraping_logs",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("universe", sa.String(64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("stage", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("articles_processed", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("articles_created", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("articles_updated", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("errors", postgresql.JSONB(), nullable=False, server_default="[]"),
        sa.Column("error_message", sa.Text()),
        sa.Column("checkpoint", postgresql.JSONB(), nullable=False, server_default="{}"),
    )
    op.create_index("ix_scraping_logs_universe_started", "scraping_logs", ["universe", "started_at"])


def downgrade() -> None:
    op.drop_table("scraping_logs")
    op.drop_table("image_cache")
    op.drop_table("category_cache")
    op.drop_table("wiki_articles")
