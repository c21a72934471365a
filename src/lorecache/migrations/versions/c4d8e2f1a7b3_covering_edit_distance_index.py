"""covering_edit_distance_index

The edit-distance candidates (same first letter, near length) are read by an index-only scan when the
index also holds the folded title and the row id: the distance is then computed on index entries,
without fetching a table row for each of the thousand or so candidates.

Revision ID: c4d8e2f1a7b3
Revises: 9a4f3c6e1d27
Create Date: 2026-11-24 15:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c4d8e2f1a7b3"
down_revision: str | None = "9a4f3c6e1d27"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = "ON wiki_articles (universe, left(search_title, 1), length(search_title))"


def upgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_wiki_articles_first_letter_length")
    op.execute(f"CREATE INDEX ix_wiki_articles_first_letter_length {_KEY} INCLUDE (search_title, id)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_wiki_articles_first_letter_length")
    op.execute(f"CREATE INDEX ix_wiki_articles_first_letter_length {_KEY}")
