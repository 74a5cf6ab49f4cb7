"""reporting chain

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:29:06.090161
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('incidents',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ref', sa.String(length=24), nullable=False),
    sa.Column('subject_body_id', sa.Integer(), nullable=False),
    sa.Column('reporting_body_id', sa.Integer(), nullable=True),
    sa.Column('reported_by_user_id', sa.Integer(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
    sa.Column('request_hash', sa.String(length=64), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('jurisdiction_path', sa.String(length=400), nullable=False),
    sa.Column('sector_code', sa.String(length=40), nullable=True),
    sa.Column('system_id', sa.Integer(), nullable=True),
    sa.Column('cii', sa.Boolean(), nullable=False),
    sa.Column('category', sa.String(length=80), nullable=False),
    sa.Column('subcategory', sa.String(length=120), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('impact', sa.Text(), nullable=False),
    sa.Column('measures', sa.Text(), nullable=False),
    sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('grade', sa.String(length=30), nullable=False),
    sa.Column('grading_profile', sa.String(length=40), nullable=False),
    sa.Column('facts', sa.Text(), nullable=False),
    sa.Column('grade_reasons', sa.Text(), nullable=False),
    sa.Column('report_finding', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['reported_by_user_id'], ['users.id'], name=op.f('fk_incidents_reported_by_user_id_users')),
    sa.ForeignKeyConstraint(['reporting_body_id'], ['bodies.id'], name=op.f('fk_incidents_reporting_body_id_bodies')),
    sa.ForeignKeyConstraint(['subject_body_id'], ['bodies.id'], name=op.f('fk_incidents_subject_body_id_bodies')),
    sa.ForeignKeyConstraint(['system_id'], ['systems.id'], name=op.f('fk_incidents_system_id_systems')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents')),
    sa.UniqueConstraint('ref', name=op.f('uq_incidents_ref')),
    sa.UniqueConstraint('reported_by_user_id', 'idempotency_key', name=op.f('uq_incidents_reported_by_user_id'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incidents_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_grade'), ['grade'], unique=False)
        batch_op.create_index('ix_incidents_scope', ['jurisdiction_path', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_sector_code'), ['sector_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_subject_body_id'), ['subject_body_id'], unique=False)

    op.create_table('duties',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('incident_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('overdue_flagged_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_duties_body_id_bodies')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_duties_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duties'))
    )
    with op.batch_alter_table('duties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_duties_body_id'), ['body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_duties_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index('ix_duties_open', ['done_at', 'due_at'], unique=False)

    op.create_table('evidence',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('incident_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('filename', sa.String(length=300), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('added_by', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_evidence_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence'))
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_incident_id'), ['incident_id'], unique=False)

    op.create_table('incident_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('incident_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_events_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_events'))
    )
    with op.batch_alter_table('incident_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_events_incident_id'), ['incident_id'], unique=False)

    op.create_table('incident_routes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('incident_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('reason_code', sa.String(length=80), nullable=False),
    sa.Column('reason_zh', sa.Text(), nullable=False),
    sa.Column('reason_en', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('immediate', sa.Boolean(), nullable=False),
    sa.Column('routed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=120), nullable=True),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_incident_routes_body_id_bodies')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_routes_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_routes')),
    sa.UniqueConstraint('incident_id', 'body_id', name=op.f('uq_incident_routes_incident_id'))
    )
    with op.batch_alter_table('incident_routes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_routes_body_id'), ['body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_routes_incident_id'), ['incident_id'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('delivery_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('address', sa.String(length=500), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('incident_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_outbox_body_id_bodies')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_outbox_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_outbox_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('delivery_id', name=op.f('uq_outbox_delivery_id'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_claimable', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_incident_id'), ['incident_id'], unique=False)

    op.create_table('tips',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ref', sa.String(length=24), nullable=False),
    sa.Column('receiving_body_id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_path', sa.String(length=400), nullable=False),
    sa.Column('category', sa.String(length=80), nullable=True),
    sa.Column('unit_name', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('found_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reporter_name', sa.String(length=200), nullable=True),
    sa.Column('reporter_contact', sa.String(length=300), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('incident_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_tips_incident_id_incidents')),
    sa.ForeignKeyConstraint(['receiving_body_id'], ['bodies.id'], name=op.f('fk_tips_receiving_body_id_bodies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tips')),
    sa.UniqueConstraint('ref', name=op.f('uq_tips_ref'))
    )
    with op.batch_alter_table('tips', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tips_jurisdiction_path'), ['jurisdiction_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_tips_receiving_body_id'), ['receiving_body_id'], unique=False)

    op.create_table('evidence_custody',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('evidence_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence.id'], name=op.f('fk_evidence_custody_evidence_id_evidence'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_custody'))
    )
    with op.batch_alter_table('evidence_custody', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_custody_evidence_id'), ['evidence_id'], unique=False)

    with op.batch_alter_table('bodies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('function', sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_bodies_function'), ['function'], unique=False)

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('secret', sa.String(length=200), nullable=True))




def downgrade() -> None:

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('secret')

    with op.batch_alter_table('bodies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bodies_function'))
        batch_op.drop_column('function')

    with op.batch_alter_table('evidence_custody', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_custody_evidence_id'))

    op.drop_table('evidence_custody')
    with op.batch_alter_table('tips', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tips_receiving_body_id'))
        batch_op.drop_index(batch_op.f('ix_tips_jurisdiction_path'))

    op.drop_table('tips')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_incident_id'))
        batch_op.drop_index('ix_outbox_claimable')

    op.drop_table('outbox')
    with op.batch_alter_table('incident_routes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_routes_incident_id'))
        batch_op.drop_index(batch_op.f('ix_incident_routes_body_id'))

    op.drop_table('incident_routes')
    with op.batch_alter_table('incident_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_events_incident_id'))

    op.drop_table('incident_events')
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_incident_id'))

    op.drop_table('evidence')
    with op.batch_alter_table('duties', schema=None) as batch_op:
        batch_op.drop_index('ix_duties_open')
        batch_op.drop_index(batch_op.f('ix_duties_incident_id'))
        batch_op.drop_index(batch_op.f('ix_duties_body_id'))

    op.drop_table('duties')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incidents_subject_body_id'))
        batch_op.drop_index(batch_op.f('ix_incidents_state'))
        batch_op.drop_index(batch_op.f('ix_incidents_sector_code'))
        batch_op.drop_index('ix_incidents_scope')
        batch_op.drop_index(batch_op.f('ix_incidents_grade'))
        batch_op.drop_index(batch_op.f('ix_incidents_category'))

    op.drop_table('incidents')

