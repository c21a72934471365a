"""links_index

A GIN index on `wiki_articles.links`: "what links here" is an overlap of each article's links with a
title and its aliases, which without it reads every article.

Revision ID: a1c5e9f3b7d2
Revises: d2e6b9a4c8f1
Create Date: 2027-01-12 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "a1c5e9f3b7d2"
down_revision: str | None = "d2e6b9a4c8f1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_wiki_articles_links", "wiki_articles", ["links"], postgresql_using="gin")


def downgrade() -> None:
    op.drop_index("ix_wiki_articles_links", table_name="wiki_articles")
