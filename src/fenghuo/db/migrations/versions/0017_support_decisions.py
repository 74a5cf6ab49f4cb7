"""CNCERT's decisions ending a support unit's status, issue 17 item 15 (Support 五 授权约定:
CNCERT有权随时终止授权，并取消其应急服务支撑单位的资格; obligation 9).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 22:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """One decision per membership (a status ends once)."""
    op.create_table(
        'support_decisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('membership_id', sa.Integer(), nullable=False),
        sa.Column('body_id', sa.Integer(), nullable=False),
        sa.Column('ground', sa.String(length=30), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('decided_on', sa.Date(), nullable=False),
        sa.Column('decided_by', sa.String(length=120), nullable=False),
        sa.Column('decided_by_body_id', sa.Integer(), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['body_id'], ['bodies.id'],
                                name=op.f('fk_support_decisions_body_id_bodies')),
        sa.ForeignKeyConstraint(['decided_by_body_id'], ['bodies.id'],
                                name=op.f('fk_support_decisions_decided_by_body_id_bodies')),
        sa.ForeignKeyConstraint(['membership_id'], ['support_memberships.id'],
                                name=op.f('fk_support_decisions_membership_id_support_memberships')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_support_decisions')),
        sa.UniqueConstraint('membership_id', name=op.f('uq_support_decisions_membership_id')))
    with op.batch_alter_table('support_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_decisions_body_id'), ['body_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('support_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_decisions_body_id'))
    op.drop_table('support_decisions')
