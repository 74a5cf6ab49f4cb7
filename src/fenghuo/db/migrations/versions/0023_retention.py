"""retention policy, legal holds and the access log (issue 18 item 8)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 03:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Explicit legal holds on incidents, and the purge point of each kind of record (the
    audit trail's: the sequence and hash of the last purged row)."""
    op.create_table('legal_holds',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('incident_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('placed_by', sa.String(length=120), nullable=False),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('released_by', sa.String(length=120), nullable=True),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('release_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_legal_holds_body_id_bodies')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_legal_holds_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_holds'))
    )
    with op.batch_alter_table('legal_holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legal_holds_incident_id'), ['incident_id'], unique=False)

    op.create_table('retention_purges',
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('last_run_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_cutoff', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_purged', sa.BigInteger(), nullable=False),
    sa.Column('total_purged', sa.BigInteger(), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=True),
    sa.Column('last_hash', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('kind', name=op.f('pk_retention_purges'))
    )


def downgrade() -> None:
    op.drop_table('retention_purges')
    with op.batch_alter_table('legal_holds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_legal_holds_incident_id'))
    op.drop_table('legal_holds')
