"""search_vocabulary_and_names

Three tables derived from `wiki_articles` and rebuilt after every load, so that the commonest searches
are index lookups rather than trigram scans of every name:

- `article_names`: one row per name an article answers to, with what ranking needs (canon, importance,
  title), behind a pattern index: a prefix (`star`, matched by 4,000 names) is one range of an
  index-only scan, where a trigram index returns every name holding a word that begins so and reads
  each row.
- `article_words`: the same for every word of those names, so a one-word search (`wars`, in 3,000
  names) is one range too.

Neither has a key of its own: each is written whole from `wiki_articles`, and a second index would
double the cost of writing it.
- `search_vocabulary`: the distinct words of every name, with how many articles use each and each
  word's delete neighbourhood (the word and every way of dropping one letter): typos are corrected here,
  on the few entries an exact lookup of the typed word's neighbourhood finds, before the corrected words
  are looked up in the names.

Revision ID: e7b2c9d4a5f1
Revises: c4d8e2f1a7b3
Create Date: 2026-12-02 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "e7b2c9d4a5f1"
down_revision: str | None = "c4d8e2f1a7b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _ranked_table("article_names", "name")
    _ranked_table("article_words", "word")
    op.create_table(
        "search_vocabulary",
        sa.Column("universe", sa.String(64), primary_key=True),
        sa.Column("word", sa.Text(), primary_key=True),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("deletes", postgresql.ARRAY(sa.Text()), nullable=False),
    )
    op.create_index("ix_search_vocabulary_deletes", "search_vocabulary", ["deletes"], postgresql_using="gin")
    # Filled when the service next starts or loads; until then the trigram tiers find names alone.


def _ranked_table(table: str, column: str) -> None:
    """A name or word of an article with the article's ranking keys, behind a pattern index that
    holds them all (index-only scans)."""
    op.create_table(
        table,
        sa.Column("universe", sa.String(64), nullable=False),
        sa.Column(column, sa.Text(), nullable=False),
        sa.Column("article_id", sa.BigInteger(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("is_canon", sa.Boolean(), nullable=False),
        sa.Column("importance", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
    )
    op.create_index(
        f"ix_{table}_prefix",
        table,
        ["universe", column],
        postgresql_ops={column: "text_pattern_ops"},
        postgresql_include=["article_id", "category", "is_canon", "importance", "title"],
    )


def downgrade() -> None:
    op.drop_table("search_vocabulary")
    op.drop_table("article_words")
    op.drop_table("article_names")
