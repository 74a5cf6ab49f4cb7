"""warnings: monitoring information, risk assessments, warnings, recipients and tasks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 12:47:00.390084
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('risk_assessments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ref', sa.String(length=24), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_path', sa.String(length=400), nullable=False),
    sa.Column('assessed_by', sa.String(length=120), nullable=False),
    sa.Column('likelihood', sa.String(length=20), nullable=False),
    sa.Column('extent', sa.String(length=40), nullable=False),
    sa.Column('harm', sa.String(length=30), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('proposed_level', sa.String(length=10), nullable=False),
    sa.Column('proposal', sa.Text(), nullable=False),
    sa.Column('item_ids', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_risk_assessments_body_id_bodies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_assessments')),
    sa.UniqueConstraint('ref', name=op.f('uq_risk_assessments_ref'))
    )
    with op.batch_alter_table('risk_assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_assessments_body_id'), ['body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_assessments_jurisdiction_path'), ['jurisdiction_path'], unique=False)

    op.create_table('monitoring_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ref', sa.String(length=24), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('submitted_by_user_id', sa.Integer(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
    sa.Column('request_hash', sa.String(length=64), nullable=True),
    sa.Column('jurisdiction_path', sa.String(length=400), nullable=False),
    sa.Column('sector_code', sa.String(length=40), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('observed', sa.Text(), nullable=False),
    sa.Column('observed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('category', sa.String(length=80), nullable=True),
    sa.Column('jurisdictions', sa.Text(), nullable=False),
    sa.Column('sectors', sa.Text(), nullable=False),
    sa.Column('systems', sa.Text(), nullable=False),
    sa.Column('indicators', sa.Text(), nullable=False),
    sa.Column('important', sa.Boolean(), nullable=False),
    sa.Column('tlp', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_monitoring_items_body_id_bodies')),
    sa.ForeignKeyConstraint(['submitted_by_user_id'], ['users.id'], name=op.f('fk_monitoring_items_submitted_by_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitoring_items')),
    sa.UniqueConstraint('ref', name=op.f('uq_monitoring_items_ref')),
    sa.UniqueConstraint('submitted_by_user_id', 'idempotency_key', name=op.f('uq_monitoring_items_submitted_by_user_id'))
    )
    with op.batch_alter_table('monitoring_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monitoring_items_body_id'), ['body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitoring_items_sector_code'), ['sector_code'], unique=False)
        batch_op.create_index('ix_monitoring_scope', ['jurisdiction_path', 'created_at'], unique=False)

    op.create_table('warnings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ref', sa.String(length=24), nullable=False),
    sa.Column('issuer_body_id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_path', sa.String(length=400), nullable=False),
    sa.Column('drafted_by', sa.String(length=120), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('category', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('jurisdictions', sa.Text(), nullable=False),
    sa.Column('sectors', sa.Text(), nullable=False),
    sa.Column('items', sa.Text(), nullable=False),
    sa.Column('measures', sa.Text(), nullable=False),
    sa.Column('tlp', sa.String(length=20), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('assessment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('approved_by', sa.String(length=120), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lift_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['risk_assessments.id'], name=op.f('fk_warnings_assessment_id_risk_assessments')),
    sa.ForeignKeyConstraint(['issuer_body_id'], ['bodies.id'], name=op.f('fk_warnings_issuer_body_id_bodies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warnings')),
    sa.UniqueConstraint('ref', name=op.f('uq_warnings_ref'))
    )
    with op.batch_alter_table('warnings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_warnings_issuer_body_id'), ['issuer_body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_warnings_jurisdiction_path'), ['jurisdiction_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_warnings_level'), ['level'], unique=False)
        batch_op.create_index(batch_op.f('ix_warnings_state'), ['state'], unique=False)

    op.create_table('monitoring_shares',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('shared_by', sa.String(length=120), nullable=False),
    sa.Column('shared_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=120), nullable=True),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_monitoring_shares_body_id_bodies')),
    sa.ForeignKeyConstraint(['item_id'], ['monitoring_items.id'], name=op.f('fk_monitoring_shares_item_id_monitoring_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitoring_shares')),
    sa.UniqueConstraint('item_id', 'body_id', name=op.f('uq_monitoring_shares_item_id'))
    )
    with op.batch_alter_table('monitoring_shares', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monitoring_shares_body_id'), ['body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitoring_shares_item_id'), ['item_id'], unique=False)

    op.create_table('warning_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('warning_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['warning_id'], ['warnings.id'], name=op.f('fk_warning_events_warning_id_warnings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warning_events'))
    )
    with op.batch_alter_table('warning_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_warning_events_warning_id'), ['warning_id'], unique=False)

    op.create_table('warning_recipients',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('warning_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ack_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=120), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_warning_recipients_body_id_bodies')),
    sa.ForeignKeyConstraint(['warning_id'], ['warnings.id'], name=op.f('fk_warning_recipients_warning_id_warnings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warning_recipients')),
    sa.UniqueConstraint('warning_id', 'body_id', name=op.f('uq_warning_recipients_warning_id'))
    )
    with op.batch_alter_table('warning_recipients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_warning_recipients_body_id'), ['body_id'], unique=False)
        batch_op.create_index('ix_warning_recipients_open', ['acknowledged_at', 'ack_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_warning_recipients_warning_id'), ['warning_id'], unique=False)

    op.create_table('warning_tasks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('warning_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('owner', sa.String(length=30), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('title_zh', sa.Text(), nullable=False),
    sa.Column('title_en', sa.Text(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by', sa.String(length=120), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_warning_tasks_body_id_bodies')),
    sa.ForeignKeyConstraint(['warning_id'], ['warnings.id'], name=op.f('fk_warning_tasks_warning_id_warnings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warning_tasks'))
    )
    with op.batch_alter_table('warning_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_warning_tasks_body_id'), ['body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_warning_tasks_warning_id'), ['warning_id'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('warning_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_warning_id'), ['warning_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_warning_id_warnings'), 'warnings', ['warning_id'], ['id'], ondelete='CASCADE')



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_warning_id_warnings'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_warning_id'))
        batch_op.drop_column('warning_id')

    with op.batch_alter_table('warning_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_warning_tasks_warning_id'))
        batch_op.drop_index(batch_op.f('ix_warning_tasks_body_id'))

    op.drop_table('warning_tasks')
    with op.batch_alter_table('warning_recipients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_warning_recipients_warning_id'))
        batch_op.drop_index('ix_warning_recipients_open')
        batch_op.drop_index(batch_op.f('ix_warning_recipients_body_id'))

    op.drop_table('warning_recipients')
    with op.batch_alter_table('warning_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_warning_events_warning_id'))

    op.drop_table('warning_events')
    with op.batch_alter_table('monitoring_shares', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monitoring_shares_item_id'))
        batch_op.drop_index(batch_op.f('ix_monitoring_shares_body_id'))

    op.drop_table('monitoring_shares')
    with op.batch_alter_table('warnings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_warnings_state'))
        batch_op.drop_index(batch_op.f('ix_warnings_level'))
        batch_op.drop_index(batch_op.f('ix_warnings_jurisdiction_path'))
        batch_op.drop_index(batch_op.f('ix_warnings_issuer_body_id'))

    op.drop_table('warnings')
    with op.batch_alter_table('monitoring_items', schema=None) as batch_op:
        batch_op.drop_index('ix_monitoring_scope')
        batch_op.drop_index(batch_op.f('ix_monitoring_items_sector_code'))
        batch_op.drop_index(batch_op.f('ix_monitoring_items_body_id'))

    op.drop_table('monitoring_items')
    with op.batch_alter_table('risk_assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_assessments_jurisdiction_path'))
        batch_op.drop_index(batch_op.f('ix_risk_assessments_body_id'))

    op.drop_table('risk_assessments')
