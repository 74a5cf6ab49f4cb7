"""directives, interviews (约谈) and rectification (整改), issue 16 item 3 (Law arts. 55 (2), 56).

An office or a sector department directs a unit to take measures within a time limit, or records
an interview of its responsible person with rectification requirements and a deadline
(supervision_items); the unit's rectification reports with their evidence
(supervision_rectifications); the item's history (supervision_events).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 20:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('supervision_items',
    sa.Column('id', ID, nullable=False),
    sa.Column('ref', sa.String(length=24), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('issuer_body_id', sa.Integer(), nullable=False),
    sa.Column('issued_by', sa.String(length=120), nullable=False),
    sa.Column('unit_body_id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_path', sa.String(length=400), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('requirements', sa.Text(), nullable=False),
    sa.Column('interviewee', sa.String(length=200), nullable=True),
    sa.Column('interviewee_role', sa.String(length=30), nullable=True),
    sa.Column('interviewed_at', WHEN, nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('due_at', WHEN, nullable=False),
    sa.Column('clock_started_at', WHEN, nullable=False),
    sa.Column('created_at', WHEN, nullable=False),
    sa.Column('updated_at', WHEN, nullable=False),
    sa.Column('acknowledged_at', WHEN, nullable=True),
    sa.Column('reported_at', WHEN, nullable=True),
    sa.Column('closed_at', WHEN, nullable=True),
    sa.Column('reminded_at', WHEN, nullable=True),
    sa.Column('overdue_flagged_at', WHEN, nullable=True),
    sa.ForeignKeyConstraint(['issuer_body_id'], ['bodies.id'], name=op.f('fk_supervision_items_issuer_body_id_bodies')),
    sa.ForeignKeyConstraint(['unit_body_id'], ['bodies.id'], name=op.f('fk_supervision_items_unit_body_id_bodies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_items')),
    sa.UniqueConstraint('ref', name=op.f('uq_supervision_items_ref'))
    )
    with op.batch_alter_table('supervision_items', schema=None) as batch_op:
        batch_op.create_index('ix_supervision_items_clock', ['state', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_items_issuer_body_id'), ['issuer_body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_items_jurisdiction_path'), ['jurisdiction_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_items_unit_body_id'), ['unit_body_id'], unique=False)

    op.create_table('supervision_events',
    sa.Column('id', ID, nullable=False),
    sa.Column('item_id', ID, nullable=False),
    sa.Column('at', WHEN, nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_supervision_events_body_id_bodies')),
    sa.ForeignKeyConstraint(['item_id'], ['supervision_items.id'], name=op.f('fk_supervision_events_item_id_supervision_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_events'))
    )
    with op.batch_alter_table('supervision_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_events_body_id'), ['body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_events_item_id'), ['item_id'], unique=False)

    op.create_table('supervision_rectifications',
    sa.Column('id', ID, nullable=False),
    sa.Column('item_id', ID, nullable=False),
    sa.Column('reported_at', WHEN, nullable=False),
    sa.Column('reported_by', sa.String(length=120), nullable=False),
    sa.Column('measures', sa.Text(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('attachments', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['supervision_items.id'], name=op.f('fk_supervision_rectifications_item_id_supervision_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_rectifications'))
    )
    with op.batch_alter_table('supervision_rectifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_rectifications_item_id'), ['item_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('supervision_rectifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_rectifications_item_id'))

    op.drop_table('supervision_rectifications')
    with op.batch_alter_table('supervision_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_events_item_id'))
        batch_op.drop_index(batch_op.f('ix_supervision_events_body_id'))

    op.drop_table('supervision_events')
    with op.batch_alter_table('supervision_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_items_unit_body_id'))
        batch_op.drop_index(batch_op.f('ix_supervision_items_jurisdiction_path'))
        batch_op.drop_index(batch_op.f('ix_supervision_items_issuer_body_id'))
        batch_op.drop_index('ix_supervision_items_clock')

    op.drop_table('supervision_items')
