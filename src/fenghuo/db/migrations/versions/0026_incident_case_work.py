"""the incident carries its work: assignee, resolution, observables, tasks, comments; the
notice bell's read mark (issue 19 items 1, 2, 7)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02 12:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0026'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """An incident is assigned to a person and closed with a resolution; it has observables
    (which feed the exports), tasks with owners and due times, and internal comments; a user's
    bell remembers when it was last opened."""
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignee_user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('resolution', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_incidents_assignee_user_id'),
                              ['assignee_user_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_incidents_assignee_user_id_users'),
                                    'users', ['assignee_user_id'], ['id'])
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notices_seen_at', TS, nullable=True))
    op.create_table(
        'incident_observables',
        sa.Column('id', ID, nullable=False),
        sa.Column('incident_id', ID, nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('value', sa.String(length=2048), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('added_at', TS, nullable=False),
        sa.Column('added_by', sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ondelete='CASCADE',
                                name=op.f('fk_incident_observables_incident_id_incidents')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_observables')),
        sa.UniqueConstraint('incident_id', 'kind', 'value', name='uq_incident_observables'),
    )
    op.create_index(op.f('ix_incident_observables_incident_id'), 'incident_observables',
                    ['incident_id'])
    op.create_index('ix_incident_observables_value', 'incident_observables', ['kind', 'value'])
    op.create_table(
        'incident_tasks',
        sa.Column('id', ID, nullable=False),
        sa.Column('incident_id', ID, nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('owner_user_id', sa.Integer(), nullable=True),
        sa.Column('due_at', TS, nullable=True),
        sa.Column('created_at', TS, nullable=False),
        sa.Column('created_by', sa.String(length=120), nullable=False),
        sa.Column('done_at', TS, nullable=True),
        sa.Column('done_by', sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ondelete='CASCADE',
                                name=op.f('fk_incident_tasks_incident_id_incidents')),
        sa.ForeignKeyConstraint(['owner_user_id'], ['users.id'],
                                name=op.f('fk_incident_tasks_owner_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_tasks')),
    )
    op.create_index(op.f('ix_incident_tasks_incident_id'), 'incident_tasks', ['incident_id'])
    op.create_index('ix_incident_tasks_owner', 'incident_tasks',
                    ['owner_user_id', 'done_at', 'due_at'])
    op.create_table(
        'incident_comments',
        sa.Column('id', ID, nullable=False),
        sa.Column('incident_id', ID, nullable=False),
        sa.Column('at', TS, nullable=False),
        sa.Column('author', sa.String(length=120), nullable=False),
        sa.Column('author_user_id', sa.Integer(), nullable=True),
        sa.Column('text', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ondelete='CASCADE',
                                name=op.f('fk_incident_comments_incident_id_incidents')),
        sa.ForeignKeyConstraint(['author_user_id'], ['users.id'],
                                name=op.f('fk_incident_comments_author_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_comments')),
    )
    op.create_index(op.f('ix_incident_comments_incident_id'), 'incident_comments',
                    ['incident_id'])


def downgrade() -> None:
    op.drop_table('incident_comments')
    op.drop_table('incident_tasks')
    op.drop_table('incident_observables')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('notices_seen_at')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_incidents_assignee_user_id_users'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_incidents_assignee_user_id'))
        batch_op.drop_column('resolution')
        batch_op.drop_column('assignee_user_id')
