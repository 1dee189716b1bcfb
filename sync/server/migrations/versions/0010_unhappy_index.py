"""A partial index of the unhappy rated answers, for the burst rule at ingest: without it
each batch reads every rating of the days it touches to find the few unhappy ones, a cost
that grows with the office's data.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_UNHAPPY_ANSWER = sa.text("score IS NOT NULL AND misuse = false AND satisfied IS NOT true")


def upgrade() -> None:
    op.create_index('ix_ratings_office_unhappy', 'ratings', ['office_id', 'created_at'], unique=False,
                    postgresql_where=_UNHAPPY_ANSWER, sqlite_where=_UNHAPPY_ANSWER)


def downgrade() -> None:
    op.drop_index('ix_ratings_office_unhappy', table_name='ratings')
