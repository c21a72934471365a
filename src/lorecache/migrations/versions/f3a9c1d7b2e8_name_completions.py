"""name_completions

The first names of every crowded prefix, ranked in advance. A prefix that thousands of names begin with
(`s`, `star`, `unidentified`) costs a range of thousands of `article_names` entries, grouped and sorted
for every keystroke of a search box; `name_completions` holds, for each prefix that more than
`postgres_search.CROWDED_PREFIX` names begin with, the first `postgres_search.COMPLETIONS` articles of each
continuity in search order, so that such a prefix reads a few hundred rows whatever its size.

Derived from `article_names` and rebuilt with it; no key of its own, for the same reason.

Revision ID: f3a9c1d7b2e8
Revises: e7b2c9d4a5f1
Create Date: 2026-12-02 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f3a9c1d7b2e8"
down_revision: str | None = "e7b2c9d4a5f1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "name_completions",
        sa.Column("universe", sa.String(64), nullable=False),
        sa.Column("prefix", sa.Text(), nullable=False),
        sa.Column("is_canon", sa.Boolean(), nullable=False),
        sa.Column("article_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("importance", sa.Integer(), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
    )
    op.create_index("ix_name_completions_prefix", "name_completions", ["universe", "prefix"])
    # Filled when the service next starts or loads (`PostgresStore.ensure_derived`).


def downgrade() -> None:
    op.drop_table("name_completions")
