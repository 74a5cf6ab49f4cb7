"""responsible persons in commendations and accountability, issue 17 item 14 (Plan §7.10).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 22:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """The persons a commendation names, and decisions about responsible persons (处分)."""
    op.create_table('commendation_persons',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('commendation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('position', sa.String(length=200), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'],
                            name=op.f('fk_commendation_persons_body_id_bodies')),
    sa.ForeignKeyConstraint(['commendation_id'], ['commendations.id'],
                            name=op.f('fk_commendation_persons_commendation_id_commendations'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commendation_persons'))
    )
    with op.batch_alter_table('commendation_persons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commendation_persons_commendation_id'),
                              ['commendation_id'], unique=False)

    op.create_table('accountability_decisions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('position', sa.String(length=200), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
              nullable=True),
    sa.Column('matter', sa.Text(), nullable=True),
    sa.Column('conduct', sa.String(length=30), nullable=False),
    sa.Column('sanction', sa.String(length=30), nullable=False),
    sa.Column('sanction_text', sa.Text(), nullable=True),
    sa.Column('decided_by_body_id', sa.Integer(), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'],
                            name=op.f('fk_accountability_decisions_body_id_bodies')),
    sa.ForeignKeyConstraint(['decided_by_body_id'], ['bodies.id'],
                            name=op.f('fk_accountability_decisions_decided_by_body_id_bodies')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'],
                            name=op.f('fk_accountability_decisions_incident_id_incidents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accountability_decisions'))
    )
    with op.batch_alter_table('accountability_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accountability_decisions_body_id'), ['body_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_accountability_decisions_decided_on'),
                              ['decided_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_accountability_decisions_incident_id'),
                              ['incident_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('accountability_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accountability_decisions_incident_id'))
        batch_op.drop_index(batch_op.f('ix_accountability_decisions_decided_on'))
        batch_op.drop_index(batch_op.f('ix_accountability_decisions_body_id'))
    op.drop_table('accountability_decisions')
    with op.batch_alter_table('commendation_persons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commendation_persons_commendation_id'))
    op.drop_table('commendation_persons')
