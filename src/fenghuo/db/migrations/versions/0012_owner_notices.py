"""owner notices (通报) from monitoring with handling feedback (处置反馈), issue 16 item 2 (Law arts. 51, 52).

The notices (immediate, or a unit's daily digest), their events per day × kind × indicator, the
ledger of the ingest batches the notice job has looked at; and two indexes it reads by: the
aggregates of a batch, and the batches received since a moment.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 20:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('owner_notice_batches',
    sa.Column('batch_id', ID, nullable=False),
    sa.Column('received_at', WHEN, nullable=False),
    sa.Column('handled_at', WHEN, nullable=False),
    sa.PrimaryKeyConstraint('batch_id', name=op.f('pk_owner_notice_batches'))
    )
    op.create_table('owner_notices',
    sa.Column('id', ID, nullable=False),
    sa.Column('ref', sa.String(length=24), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_path', sa.String(length=400), nullable=False),
    sa.Column('sender_body_id', sa.Integer(), nullable=False),
    sa.Column('office_body_id', sa.Integer(), nullable=True),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('digest_day', sa.Date(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('tlp', sa.String(length=12), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('period_start', WHEN, nullable=False),
    sa.Column('period_end', WHEN, nullable=False),
    sa.Column('events_total', sa.BigInteger(), nullable=False),
    sa.Column('created_at', WHEN, nullable=False),
    sa.Column('updated_at', WHEN, nullable=False),
    sa.Column('sent_at', WHEN, nullable=True),
    sa.Column('deadline_at', WHEN, nullable=True),
    sa.Column('acknowledged_at', WHEN, nullable=True),
    sa.Column('acknowledged_by', sa.String(length=120), nullable=True),
    sa.Column('feedback', sa.Text(), nullable=True),
    sa.Column('feedback_at', WHEN, nullable=True),
    sa.Column('feedback_by', sa.String(length=120), nullable=True),
    sa.Column('contest_address', sa.String(length=253), nullable=True),
    sa.Column('contest_entry', sa.String(length=270), nullable=True),
    sa.Column('contest_indicator', sa.String(length=300), nullable=True),
    sa.Column('contest_reason', sa.Text(), nullable=True),
    sa.Column('contested_at', WHEN, nullable=True),
    sa.Column('contested_by', sa.String(length=120), nullable=True),
    sa.Column('resolution', sa.String(length=12), nullable=True),
    sa.Column('resolution_note', sa.Text(), nullable=True),
    sa.Column('resolved_at', WHEN, nullable=True),
    sa.Column('resolved_by', sa.String(length=120), nullable=True),
    sa.Column('close_note', sa.Text(), nullable=True),
    sa.Column('closed_at', WHEN, nullable=True),
    sa.Column('closed_by', sa.String(length=120), nullable=True),
    sa.Column('reminders', sa.SmallInteger(), nullable=False),
    sa.Column('reminded_at', WHEN, nullable=True),
    sa.Column('office_told_at', WHEN, nullable=True),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_owner_notices_body_id_bodies')),
    sa.ForeignKeyConstraint(['office_body_id'], ['bodies.id'], name=op.f('fk_owner_notices_office_body_id_bodies')),
    sa.ForeignKeyConstraint(['sender_body_id'], ['bodies.id'], name=op.f('fk_owner_notices_sender_body_id_bodies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owner_notices')),
    sa.UniqueConstraint('ref', name=op.f('uq_owner_notices_ref'))
    )
    op.create_index(op.f('ix_owner_notices_body_id'), 'owner_notices', ['body_id'], unique=False)
    op.create_index('ix_owner_notices_clock', 'owner_notices', ['state', 'deadline_at'], unique=False)
    op.create_table('owner_notice_items',
    sa.Column('id', ID, nullable=False),
    sa.Column('notice_id', ID, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('indicator', sa.String(length=300), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.Column('first_seen', WHEN, nullable=False),
    sa.Column('last_seen', WHEN, nullable=False),
    sa.ForeignKeyConstraint(['notice_id'], ['owner_notices.id'], name=op.f('fk_owner_notice_items_notice_id_owner_notices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owner_notice_items')),
    sa.UniqueConstraint('notice_id', 'day', 'kind', 'indicator', name=op.f('uq_owner_notice_items_notice_id'))
    )
    op.create_index(op.f('ix_owner_notice_items_notice_id'), 'owner_notice_items', ['notice_id'], unique=False)
    op.create_index('ix_ingest_batches_received_at', 'ingest_batches', ['received_at'], unique=False)
    op.create_index('ix_monitoring_aggregates_batch', 'monitoring_aggregates', ['batch_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_monitoring_aggregates_batch', table_name='monitoring_aggregates')
    op.drop_index('ix_ingest_batches_received_at', table_name='ingest_batches')
    op.drop_index(op.f('ix_owner_notice_items_notice_id'), table_name='owner_notice_items')
    op.drop_table('owner_notice_items')
    op.drop_index('ix_owner_notices_clock', table_name='owner_notices')
    op.drop_index(op.f('ix_owner_notices_body_id'), table_name='owner_notices')
    op.drop_table('owner_notices')
    op.drop_table('owner_notice_batches')
