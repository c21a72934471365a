"""vocabulary_prefix

A pattern index on `search_vocabulary` holding each word's uses: how many names a typed word begins a
word of is the sum of the uses of the vocabulary words it begins, read by an index-only scan, so that a
typo search looks its candidates up by its rarest word (`search.postgres`).

Revision ID: d2e6b9a4c8f1
Revises: b8e4d1c9f2a6
Create Date: 2026-12-03 11:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "d2e6b9a4c8f1"
down_revision: str | None = "b8e4d1c9f2a6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_search_vocabulary_prefix",
        "search_vocabulary",
        ["universe", "word"],
        postgresql_ops={"word": "text_pattern_ops"},
        postgresql_include=["uses"],
    )


def downgrade() -> None:
    op.drop_index("ix_search_vocabulary_prefix", table_name="search_vocabulary")
