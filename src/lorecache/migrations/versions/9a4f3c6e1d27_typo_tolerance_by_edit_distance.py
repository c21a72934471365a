"""typo_tolerance_by_edit_distance

Trigrams miss typos in short names (`Lotahl` shares too few with `Lothal`); edit distance does not.
fuzzystrmatch computes it; the index narrows candidates to titles of the same first letter and a near
length, so the distance is computed for a few hundred rows rather than all.

Revision ID: 9a4f3c6e1d27
Revises: 5c1e7d2a9b40
Create Date: 2026-11-24 06:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9a4f3c6e1d27"
down_revision: str | None = "5c1e7d2a9b40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS fuzzystrmatch")
    op.execute(
        "CREATE INDEX ix_wiki_articles_first_letter_length "
        "ON wiki_articles (universe, left(search_title, 1), length(search_title))"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_wiki_articles_first_letter_length")
