"""The citizen's phone page: rating channel, ticket page hashes, one rating per ticket.

* ``ratings.channel`` — ``tablet`` (every rating stored before) or ``phone``.
* ``tickets.token_hash`` / ``code_hash`` / ``token_seal`` — how the centre finds a ticket
  from the token or short code a phone brings (sync/citizen/tokens.py).
* ``rated_tickets`` — the first rating with a score claims its ticket.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import sync.server.models

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=8), server_default='tablet', nullable=False))
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('code_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('token_seal', sa.String(length=30), nullable=True))
        batch_op.create_index(batch_op.f('ix_tickets_token_hash'), ['token_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_code_hash'), ['code_hash'], unique=False)
    op.create_table('rated_tickets',
    sa.Column('office_id', sa.String(length=64), nullable=False),
    sa.Column('ticket_id', sa.String(length=36), nullable=False),
    sa.Column('rating_id', sa.String(length=36), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('rated_at', sync.server.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('office_id', 'ticket_id', name=op.f('pk_rated_tickets'))
    )
    # Tickets rated before this revision claim their ticket too (the earliest rating wins).
    op.execute(
        "INSERT INTO rated_tickets (office_id, ticket_id, rating_id, channel, rated_at) "
        "SELECT r.office_id, r.ticket_id, MIN(r.id), 'tablet', MIN(r.created_at) FROM ratings r "
        "WHERE r.ticket_id IS NOT NULL AND r.score IS NOT NULL GROUP BY r.office_id, r.ticket_id")


def downgrade() -> None:
    op.drop_table('rated_tickets')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tickets_code_hash'))
        batch_op.drop_index(batch_op.f('ix_tickets_token_hash'))
        batch_op.drop_column('token_seal')
        batch_op.drop_column('code_hash')
        batch_op.drop_column('token_hash')
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_column('channel')
