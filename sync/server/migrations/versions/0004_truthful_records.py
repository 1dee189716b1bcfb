"""Truthful records: device-reported quarantine count, satisfied disagreements, quarantine decisions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 15:00:00
"""

import sqlalchemy as sa
from alembic import op

import sync.server.models

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('devices') as batch:
        batch.add_column(sa.Column('quarantined', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('satisfied_disagreements', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('quarantine') as batch:
        batch.add_column(sa.Column('resolution', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('resolved_by', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('resolved_at', sync.server.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('quarantine') as batch:
        batch.drop_column('resolved_at')
        batch.drop_column('resolved_by')
        batch.drop_column('resolution')
    with op.batch_alter_table('devices') as batch:
        batch.drop_column('satisfied_disagreements')
        batch.drop_column('quarantined')
