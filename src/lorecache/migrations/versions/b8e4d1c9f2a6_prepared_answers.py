"""prepared_answers

What the read path needs prepared once, at write time, instead of on every request:
- `article_answers`: each article's answer in a list and on its own (`list_json`, `detail_json`), as
  JSON text; a page is these joined. A table of their own, not columns of `wiki_articles`: they would
  widen its rows threefold, and every search that rechecks names there would read that many pages.
- `category_ranks`: each article's place in its category's browse order (most linked first), per
  continuity, so that a page deep into a category reads its own rows, not every row before it.
- `category_cache.fields`: the infobox fields a category's articles have, which filters are checked
  against on every filtered request.
- `data_versions`: a number every load bumps (and announces with NOTIFY), which keys the API
  processes' in-process caches, so that none serves an answer from before an ingest.

Revision ID: b8e4d1c9f2a6
Revises: f3a9c1d7b2e8
Create Date: 2026-12-03 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision: str = "b8e4d1c9f2a6"
down_revision: str | None = "f3a9c1d7b2e8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "article_answers",
        sa.Column(
            "article_id",
            sa.BigInteger(),
            sa.ForeignKey("wiki_articles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("list_json", sa.Text(), nullable=False),
        sa.Column("detail_json", sa.Text(), nullable=False),
    )
    op.add_column("category_cache", sa.Column("fields", ARRAY(sa.Text())))
    op.create_table(
        "category_ranks",
        sa.Column("universe", sa.String(64), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("continuity", sa.String(8), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.BigInteger(), nullable=False),
    )
    op.create_index(
        "ix_category_ranks_place",
        "category_ranks",
        ["universe", "category", "continuity", "rank"],
        postgresql_include=["article_id"],
    )
    op.create_table(
        "data_versions",
        sa.Column("universe", sa.String(64), primary_key=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    # Filled when the service next starts or loads (`PostgresStore.ensure_derived`).


def downgrade() -> None:
    op.drop_table("data_versions")
    op.drop_table("category_ranks")
    op.drop_column("category_cache", "fields")
    op.drop_table("article_answers")
