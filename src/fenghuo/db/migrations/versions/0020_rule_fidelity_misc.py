"""routing and reporting additions of issue 17 (items 8, 12, 13).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 22:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Item 8 (Plan §3.2): when and by whom an office or department of a unit's chain reported
    a monitoring item on to the Emergency Office; existing shares were never reported on."""
    with op.batch_alter_table('monitoring_shares', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reported_up_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('reported_up_by', sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('monitoring_shares', schema=None) as batch_op:
        batch_op.drop_column('reported_up_by')
        batch_op.drop_column('reported_up_at')
