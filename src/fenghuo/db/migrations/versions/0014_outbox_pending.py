"""the outbox's pending messages in claim order (priority, id), a partial index: a national
warning queues ten thousand messages and each claim reads the first few instead of sorting all
(issue 16 item 1).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 20:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_outbox_pending', 'outbox', ['priority', 'id'], unique=False,
                    postgresql_where=sa.text("state = 'pending'"),
                    sqlite_where=sa.text("state = 'pending'"))


def downgrade() -> None:
    op.drop_index('ix_outbox_pending', table_name='outbox',
                  postgresql_where=sa.text("state = 'pending'"),
                  sqlite_where=sa.text("state = 'pending'"))
