"""The ratings' index on office and day gains the time of day (``ix_ratings_office_time``): the
burst rule at ingest reads the ratings of a few minutes around a batch's new ones, and with
the day alone PostgreSQL read every rating of those days (at a busy office, ten times what
it kept). It serves every query the old index served (same leading columns), so it replaces
it and ingest maintains no extra index.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_ratings_office_time', 'ratings', ['office_id', 'local_date', 'created_at'], unique=False)
    op.drop_index('ix_ratings_office_date', table_name='ratings')


def downgrade() -> None:
    op.create_index('ix_ratings_office_date', 'ratings', ['office_id', 'local_date'], unique=False)
    op.drop_index('ix_ratings_office_time', table_name='ratings')
