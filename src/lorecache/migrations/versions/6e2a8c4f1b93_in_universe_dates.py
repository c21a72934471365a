"""in_universe_dates

Each article's in-universe span on the years axis (`lorecache.dates`): `span_from`, `span_to` (an
open side holds the axis' far end; both NULL when the article has no date) and `span_at`, where a
timeline places it, indexed in timeline order. `category_ranks` carries the span beside each place, in
its index, so that a page of a category filtered by time is read by an index-only scan; and a GiST
index of the spans of each category's places (boxes one place wide, one per category and continuity),
which finds the few places an interval holds without walking the category.

The prepared answers are dropped: the service prepares them again at its next start, with their dates,
and fills the spans as it does (`PostgresStore.ensure_derived`).

Revision ID: 6e2a8c4f1b93
Revises: a1c5e9f3b7d2
Create Date: 2027-01-20 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6e2a8c4f1b93"
down_revision: str | None = "a1c5e9f3b7d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SPAN = ("span_from", "span_to")
_PLACE = "hashtext(universe || '/' || category || '/' || continuity)"
PLACE_SPAN = f"box(point({_PLACE}, span_from), point({_PLACE}, span_to))"


def upgrade() -> None:
    for column in (*_SPAN, "span_at"):
        op.add_column("wiki_articles", sa.Column(column, sa.Integer()))
    op.create_index(
        "ix_wiki_articles_timeline",
        "wiki_articles",
        ["universe", "span_at", sa.text("importance DESC"), "page_id"],
        postgresql_where=sa.text("span_at IS NOT NULL"),
    )
    for column in _SPAN:
        op.add_column("category_ranks", sa.Column(column, sa.Integer()))
    op.drop_index("ix_category_ranks_place", table_name="category_ranks")
    op.create_index(
        "ix_category_ranks_place",
        "category_ranks",
        ["universe", "category", "continuity", "rank"],
        postgresql_include=["article_id", *_SPAN],
    )
    op.create_index(
        "ix_category_ranks_span",
        "category_ranks",
        [sa.text(PLACE_SPAN)],
        postgresql_using="gist",
        postgresql_where=sa.text("span_from IS NOT NULL"),
    )
    op.execute("DELETE FROM article_answers")


def downgrade() -> None:
    op.drop_index("ix_category_ranks_span", table_name="category_ranks")
    op.drop_index("ix_category_ranks_place", table_name="category_ranks")
    op.create_index(
        "ix_category_ranks_place",
        "category_ranks",
        ["universe", "category", "continuity", "rank"],
        postgresql_include=["article_id"],
    )
    for column in _SPAN:
        op.drop_column("category_ranks", column)
    op.drop_index("ix_wiki_articles_timeline", table_name="wiki_articles")
    for column in (*_SPAN, "span_at"):
        op.drop_column("wiki_articles", column)
    # The answers prepared with dates stay: an older release reads the fields it knows of them.
