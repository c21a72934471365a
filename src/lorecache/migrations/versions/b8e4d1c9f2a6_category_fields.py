"""category_cache.fields

The infobox fields each category's articles have, kept with its counts: a list route checks its filters
against them on every request, from whichever store answers.

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
    op.add_column("category_cache", sa.Column("fields", ARRAY(sa.Text())))
    # Filled when the service next starts or loads (`PostgresStore.ensure_derived`).


def downgrade() -> None:
    op.drop_column("category_cache", "fields")
