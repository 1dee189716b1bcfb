"""Ratings and tickets partitioned by month (PostgreSQL); record-id tables for idempotency.

Converts an existing database without losing a row, on PostgreSQL and SQLite alike:

1. ``rating_ids`` (id, local_date, content_hash) is filled from ``ratings``; it now decides
   whether an uploaded rating is new, a duplicate or a conflict (see ``models``).
2. ``ticket_records`` gains ``local_date`` (the ticket's issue date), filled from ``tickets``.
3. ``ratings`` and ``tickets`` are rebuilt: the old table is renamed aside, the new one is
   created with the key (id, local_date) / (ticket_id, local_date) — on PostgreSQL as
   ``PARTITION BY RANGE (local_date)`` with a partition for every month from the oldest row
   to three months ahead — the rows are copied in one ``INSERT … SELECT``, the old table is
   dropped and the indexes are built on the filled table. ``ratings.content_hash`` moves to
   ``rating_ids``.

Everything runs in the migration's one transaction: it either completes or leaves the
database as it was. It rewrites both tables, so plan for the time of one copy (measured by
``bench/bench_exports.py`` seeding: millions of rows per minute) and twice their disk space.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 14:40:00
"""

from datetime import date

import sqlalchemy as sa
from alembic import op

import sync.server.models
from sync.server.partitions import AHEAD_MONTHS, add_months, ensure_partitions

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_BY_MONTH = {"postgresql_partition_by": "RANGE (local_date)"}


def _rating_columns():
    return [
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('office_id', sa.String(length=64), nullable=False),
        sa.Column('device_id', sa.String(length=64), nullable=False),
        sa.Column('source_device_id', sa.String(length=64), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('created_at', sync.server.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('local_date', sa.Date(), nullable=False),
        sa.Column('local_hour', sa.Integer(), nullable=False),
        sa.Column('counter_id', sa.Integer(), nullable=False),
        sa.Column('clerk_id', sa.String(length=64), nullable=True),
        sa.Column('ticket_id', sa.String(length=36), nullable=True),
        sa.Column('ticket_number', sa.Integer(), nullable=True),
        sa.Column('service_id', sa.String(length=64), nullable=True),
        sa.Column('score', sa.Integer(), nullable=True),
        sa.Column('scale', sa.Integer(), nullable=False),
        sa.Column('satisfied', sa.Boolean(), nullable=True),
        sa.Column('reasons', sa.Text(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.Column('misuse', sa.Boolean(), nullable=False),
        sa.Column('lang', sa.String(length=8), nullable=False),
        sa.Column('channel', sa.String(length=8), server_default='tablet', nullable=False),
        sa.Column('received_at', sync.server.models.UTCDateTime(timezone=True), nullable=False),
    ]


def _ticket_columns():
    return [
        sa.Column('ticket_id', sa.String(length=36), nullable=False),
        sa.Column('office_id', sa.String(length=64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('service_id', sa.String(length=64), nullable=False),
        sa.Column('priority', sa.Boolean(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('issued_at', sync.server.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('called_at', sync.server.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('served_at', sync.server.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sync.server.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('counter_id', sa.Integer(), nullable=True),
        sa.Column('clerk_id', sa.String(length=64), nullable=True),
        sa.Column('transfers', sa.Integer(), nullable=False),
        sa.Column('recalls', sa.Integer(), nullable=False),
        sa.Column('wait_s', sa.Float(), nullable=True),
        sa.Column('service_s', sa.Float(), nullable=True),
        sa.Column('local_date', sa.Date(), nullable=False),
        sa.Column('local_hour', sa.Integer(), nullable=False),
        sa.Column('received_at', sync.server.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=True),
        sa.Column('code_hash', sa.String(length=64), nullable=True),
        sa.Column('token_seal', sa.String(length=30), nullable=True),
    ]


def _rebuild(table: str, columns: list, key: list[str], indexes: dict[str, list[str]]) -> None:
    """Recreate ``table`` with ``key`` (partitioned by month on PostgreSQL) and copy its rows."""
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    aside = f"{table}_before_partitions"
    for name in indexes:
        op.drop_index(name, table_name=table)
    op.rename_table(table, aside)
    if postgres:  # constraint names are index names, shared by the whole schema
        op.execute(f"ALTER TABLE {aside} RENAME CONSTRAINT pk_{table} TO pk_{aside}")
    op.create_table(table, *columns, sa.PrimaryKeyConstraint(*key, name=f"pk_{table}"),
                    **(_BY_MONTH if postgres else {}))
    if postgres:
        oldest = bind.execute(sa.text(f"SELECT min(local_date) FROM {aside}")).scalar() or date.today()
        this_month = date.today().replace(day=1)
        ensure_partitions(bind, min(oldest, this_month), add_months(this_month, AHEAD_MONTHS), (table,))
    names = ", ".join(c.name for c in columns)
    op.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {aside}")
    op.drop_table(aside)
    for name, cols in indexes.items():
        op.create_index(name, table, cols, unique=False)


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table('rating_ids',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_ids'))
    )
    op.execute("INSERT INTO rating_ids (id, local_date, content_hash) SELECT id, local_date, content_hash FROM ratings")

    with op.batch_alter_table('ticket_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('local_date', sa.Date(), nullable=True))
    op.execute("UPDATE ticket_records SET local_date = (SELECT t.local_date FROM tickets t "
               "WHERE t.ticket_id = ticket_records.ticket_id)")
    # A snapshot of a ticket kept under another office has no row to take the date from:
    # the day it arrived is the best there is (it only guards later snapshots of that ticket).
    received_day = "CAST(received_at AS date)" if bind.dialect.name == "postgresql" else "date(received_at)"
    op.execute(f"UPDATE ticket_records SET local_date = {received_day} WHERE local_date IS NULL")
    with op.batch_alter_table('ticket_records', schema=None) as batch_op:
        batch_op.alter_column('local_date', existing_type=sa.Date(), nullable=False)

    _rebuild("ratings", _rating_columns(), ["id", "local_date"], {
        'ix_ratings_local_date': ['local_date'], 'ix_ratings_office_clerk': ['office_id', 'clerk_id'],
        'ix_ratings_office_counter': ['office_id', 'counter_id'], 'ix_ratings_office_date': ['office_id', 'local_date']})
    _rebuild("tickets", _ticket_columns(), ["ticket_id", "local_date"],
             {'ix_tickets_office_date': ['office_id', 'local_date'], 'ix_tickets_token_hash': ['token_hash'],
              'ix_tickets_code_hash': ['code_hash']})


def downgrade() -> None:
    raise NotImplementedError("0006 (month partitions) cannot be undone in place: restore the backup taken "
                              "before `sync-server migrate`")
