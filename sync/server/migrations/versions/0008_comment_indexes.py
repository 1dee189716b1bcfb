"""Partial indexes of the ratings that carry a comment, for the feedback page's latest
comments: without them PostgreSQL reads every rating of the period to find thirty comments
(about a second over a province's year of 10M ratings).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_HAS_COMMENT = sa.text("comment IS NOT NULL AND comment <> ''")


def upgrade() -> None:
    op.create_index('ix_ratings_comments', 'ratings', ['local_date', 'created_at'], unique=False,
                    postgresql_where=_HAS_COMMENT, sqlite_where=_HAS_COMMENT)
    op.create_index('ix_ratings_office_comments', 'ratings', ['office_id', 'local_date', 'created_at'], unique=False,
                    postgresql_where=_HAS_COMMENT, sqlite_where=_HAS_COMMENT)


def downgrade() -> None:
    op.drop_index('ix_ratings_office_comments', table_name='ratings')
    op.drop_index('ix_ratings_comments', table_name='ratings')
