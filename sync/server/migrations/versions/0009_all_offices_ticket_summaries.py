"""The ticket summaries' all-offices rows (``summaries.ALL_OFFICES``), filled by rebuilding
the summaries from the rows already stored (``summaries.rebuild``, idempotent: the same code
as ``sync-server rebuild-summaries``), so an upgraded server answers the same figures at once.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    from sync.server.summaries import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    op.execute("DELETE FROM ticket_times WHERE office_id = ''")
    op.execute("DELETE FROM ticket_counts WHERE office_id = ''")
