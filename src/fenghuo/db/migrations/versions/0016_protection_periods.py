"""important-event protection periods, issue 17 item 6 (Plan §6.5).

The Emergency Office declares a period for an important national event or meeting, with its
scope, span and reason (protection_periods), and may require the red-warning response of the
bodies in scope, whose red-checklist tasks are protection_tasks.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 22:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('protection_periods',
    sa.Column('id', ID, nullable=False),
    sa.Column('ref', sa.String(length=24), nullable=False),
    sa.Column('name_zh', sa.String(length=300), nullable=False),
    sa.Column('name_en', sa.String(length=300), nullable=False),
    sa.Column('declared_by_body_id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_path', sa.String(length=400), nullable=False),
    sa.Column('declared_by', sa.String(length=120), nullable=False),
    sa.Column('declared_at', WHEN, nullable=False),
    sa.Column('jurisdictions', sa.Text(), nullable=False),
    sa.Column('sectors', sa.Text(), nullable=False),
    sa.Column('starts_at', WHEN, nullable=False),
    sa.Column('ends_at', WHEN, nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('red_required_at', WHEN, nullable=True),
    sa.Column('red_required_by', sa.String(length=120), nullable=True),
    sa.Column('ended_at', WHEN, nullable=True),
    sa.Column('ended_by', sa.String(length=120), nullable=True),
    sa.Column('end_reason', sa.Text(), nullable=True),
    sa.Column('start_notified_at', WHEN, nullable=True),
    sa.Column('end_notified_at', WHEN, nullable=True),
    sa.Column('updated_at', WHEN, nullable=False),
    sa.ForeignKeyConstraint(['declared_by_body_id'], ['bodies.id'], name=op.f('fk_protection_periods_declared_by_body_id_bodies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protection_periods')),
    sa.UniqueConstraint('ref', name=op.f('uq_protection_periods_ref'))
    )
    with op.batch_alter_table('protection_periods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_protection_periods_declared_by_body_id'), ['declared_by_body_id'], unique=False)
        batch_op.create_index('ix_protection_periods_span', ['starts_at', 'ends_at'], unique=False)

    op.create_table('protection_tasks',
    sa.Column('id', ID, nullable=False),
    sa.Column('period_id', ID, nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('owner', sa.String(length=30), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('title_zh', sa.Text(), nullable=False),
    sa.Column('title_en', sa.Text(), nullable=False),
    sa.Column('due_at', WHEN, nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('done_at', WHEN, nullable=True),
    sa.Column('done_by', sa.String(length=120), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_protection_tasks_body_id_bodies')),
    sa.ForeignKeyConstraint(['period_id'], ['protection_periods.id'], name=op.f('fk_protection_tasks_period_id_protection_periods'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protection_tasks'))
    )
    with op.batch_alter_table('protection_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_protection_tasks_body_id'), ['body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_protection_tasks_period_id'), ['period_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('protection_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_protection_tasks_period_id'))
        batch_op.drop_index(batch_op.f('ix_protection_tasks_body_id'))

    op.drop_table('protection_tasks')
    with op.batch_alter_table('protection_periods', schema=None) as batch_op:
        batch_op.drop_index('ix_protection_periods_span')
        batch_op.drop_index(batch_op.f('ix_protection_periods_declared_by_body_id'))

    op.drop_table('protection_periods')
