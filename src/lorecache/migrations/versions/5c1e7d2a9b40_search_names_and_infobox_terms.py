"""search_names_and_infobox_terms

Every name an article answers to (title, title without the Legends suffix, aliases), folded and joined,
with a trigram index for prefix, substring and typo search; the infobox folded per field, for filters;
and a pattern index on the folded title for short prefixes, which trigrams cannot serve.

Revision ID: 5c1e7d2a9b40
Revises: 83814bca1097
Create Date: 2026-11-24 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5c1e7d2a9b40"
down_revision: str | None = "83814bca1097"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("wiki_articles", sa.Column("search_names", sa.Text(), nullable=False, server_default="|"))
    op.add_column(
        "wiki_articles", sa.Column("search_infobox", postgresql.JSONB(), nullable=False, server_default="{}")
    )
    op.drop_index("ix_wiki_articles_search_title_trgm", table_name="wiki_articles")
    op.create_index(
        "ix_wiki_articles_search_names_trgm",
        "wiki_articles",
        ["search_names"],
        postgresql_using="gin",
        postgresql_ops={"search_names": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_wiki_articles_search_title_pattern",
        "wiki_articles",
        ["universe", "search_title"],
        postgresql_ops={"search_title": "text_pattern_ops"},
    )
    # Rows written before this revision get their names at the next ingest (content_hash changes).
    op.execute("UPDATE wiki_articles SET content_hash = ''")


def downgrade() -> None:
    op.drop_index("ix_wiki_articles_search_title_pattern", table_name="wiki_articles")
    op.drop_index("ix_wiki_articles_search_names_trgm", table_name="wiki_articles")
    op.create_index(
        "ix_wiki_articles_search_title_trgm",
        "wiki_articles",
        ["search_title"],
        postgresql_using="gin",
        postgresql_ops={"search_title": "gin_trgm_ops"},
    )
    op.drop_column("wiki_articles", "search_infobox")
    op.drop_column("wiki_articles", "search_names")
