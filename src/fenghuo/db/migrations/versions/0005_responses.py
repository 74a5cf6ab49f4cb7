"""responses: emergency responses, headquarters, duty rosters, progress, support, investigations

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 13:22:21.508185
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('duty_shifts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('officer', sa.String(length=120), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('contact', sa.String(length=300), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('handover_note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_duty_shifts_body_id_bodies')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_duty_shifts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_shifts'))
    )
    with op.batch_alter_table('duty_shifts', schema=None) as batch_op:
        batch_op.create_index('ix_duty_shifts_when', ['body_id', 'starts_at', 'ends_at'], unique=False)

    op.create_table('responses',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ref', sa.String(length=24), nullable=False),
    sa.Column('incident_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('level', sa.String(length=4), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('running', sa.Boolean(), nullable=True),
    sa.Column('activated_by_body_id', sa.Integer(), nullable=False),
    sa.Column('activated_by', sa.String(length=120), nullable=False),
    sa.Column('jurisdiction_path', sa.String(length=400), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('progress_every_minutes', sa.Integer(), nullable=False),
    sa.Column('headquarters_body_id', sa.Integer(), nullable=True),
    sa.Column('end_proposed_by', sa.String(length=120), nullable=True),
    sa.Column('end_proposed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_approved_by', sa.String(length=120), nullable=True),
    sa.Column('end_approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['activated_by_body_id'], ['bodies.id'], name=op.f('fk_responses_activated_by_body_id_bodies')),
    sa.ForeignKeyConstraint(['headquarters_body_id'], ['bodies.id'], name=op.f('fk_responses_headquarters_body_id_bodies')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_responses_incident_id_incidents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_responses')),
    sa.UniqueConstraint('incident_id', 'running', name=op.f('uq_responses_incident_id')),
    sa.UniqueConstraint('ref', name=op.f('uq_responses_ref'))
    )
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_responses_activated_by_body_id'), ['activated_by_body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_responses_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_responses_jurisdiction_path'), ['jurisdiction_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_responses_state'), ['state'], unique=False)

    op.create_table('headquarters_members',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('response_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_headquarters_members_body_id_bodies')),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_headquarters_members_response_id_responses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_headquarters_members_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_headquarters_members'))
    )
    with op.batch_alter_table('headquarters_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_headquarters_members_response_id'), ['response_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_headquarters_members_user_id'), ['user_id'], unique=False)

    op.create_table('investigations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('response_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('organizer', sa.String(length=30), nullable=False),
    sa.Column('organizer_body_id', sa.Integer(), nullable=False),
    sa.Column('file_with_emergency_office', sa.Boolean(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('sections', sa.Text(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_by', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organizer_body_id'], ['bodies.id'], name=op.f('fk_investigations_organizer_body_id_bodies')),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_investigations_response_id_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_investigations')),
    sa.UniqueConstraint('response_id', name=op.f('uq_investigations_response_id'))
    )
    with op.batch_alter_table('investigations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_investigations_due_at'), ['due_at'], unique=False)

    op.create_table('progress_reports',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('response_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('reported_by', sa.String(length=120), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('developments', sa.Text(), nullable=False),
    sa.Column('progress', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_progress_reports_body_id_bodies')),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_progress_reports_response_id_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_progress_reports'))
    )
    with op.batch_alter_table('progress_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_progress_reports_response_id'), ['response_id'], unique=False)

    op.create_table('response_bodies',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('response_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.Column('duty_24h', sa.Boolean(), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_progress_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('flagged_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_response_bodies_body_id_bodies')),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_response_bodies_response_id_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_bodies'))
    )
    with op.batch_alter_table('response_bodies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_bodies_body_id'), ['body_id'], unique=False)
        batch_op.create_index('ix_response_bodies_pair', ['response_id', 'body_id'], unique=True)
        batch_op.create_index(batch_op.f('ix_response_bodies_response_id'), ['response_id'], unique=False)

    op.create_table('response_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('response_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_response_events_response_id_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_events'))
    )
    with op.batch_alter_table('response_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_events_response_id'), ['response_id'], unique=False)

    op.create_table('support_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ref', sa.String(length=24), nullable=False),
    sa.Column('response_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('requesting_body_id', sa.Integer(), nullable=False),
    sa.Column('requested_by', sa.String(length=120), nullable=False),
    sa.Column('needs', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('coordinator', sa.String(length=120), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['requesting_body_id'], ['bodies.id'], name=op.f('fk_support_requests_requesting_body_id_bodies')),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_support_requests_response_id_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_requests')),
    sa.UniqueConstraint('ref', name=op.f('uq_support_requests_ref'))
    )
    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_requests_response_id'), ['response_id'], unique=False)

    op.create_table('support_dispatches',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=True),
    sa.Column('expert_id', sa.Integer(), nullable=True),
    sa.Column('dispatched_by', sa.String(length=120), nullable=False),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_support_dispatches_body_id_bodies')),
    sa.ForeignKeyConstraint(['expert_id'], ['experts.id'], name=op.f('fk_support_dispatches_expert_id_experts')),
    sa.ForeignKeyConstraint(['request_id'], ['support_requests.id'], name=op.f('fk_support_dispatches_request_id_support_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_dispatches'))
    )
    with op.batch_alter_table('support_dispatches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_dispatches_request_id'), ['request_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('support_dispatches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_dispatches_request_id'))

    op.drop_table('support_dispatches')
    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_requests_response_id'))

    op.drop_table('support_requests')
    with op.batch_alter_table('response_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_events_response_id'))

    op.drop_table('response_events')
    with op.batch_alter_table('response_bodies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_bodies_response_id'))
        batch_op.drop_index('ix_response_bodies_pair')
        batch_op.drop_index(batch_op.f('ix_response_bodies_body_id'))

    op.drop_table('response_bodies')
    with op.batch_alter_table('progress_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_progress_reports_response_id'))

    op.drop_table('progress_reports')
    with op.batch_alter_table('investigations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_investigations_due_at'))

    op.drop_table('investigations')
    with op.batch_alter_table('headquarters_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_headquarters_members_user_id'))
        batch_op.drop_index(batch_op.f('ix_headquarters_members_response_id'))

    op.drop_table('headquarters_members')
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_responses_state'))
        batch_op.drop_index(batch_op.f('ix_responses_jurisdiction_path'))
        batch_op.drop_index(batch_op.f('ix_responses_incident_id'))
        batch_op.drop_index(batch_op.f('ix_responses_activated_by_body_id'))

    op.drop_table('responses')
    with op.batch_alter_table('duty_shifts', schema=None) as batch_op:
        batch_op.drop_index('ix_duty_shifts_when')

    op.drop_table('duty_shifts')
