"""incidents with many owners and personal-information notification, issue 16 items 5 and 6 (Law art. 42).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 20:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
WHEN = sa.DateTime(timezone=True)
PI_COLUMNS = ('pi_informed_count', 'pi_informed_how', 'pi_informed_at', 'pi_reason',
              'pi_inform_users', 'pi_records')


def upgrade() -> None:
    """Parents and their affected units (``parent_id``, ``is_parent``) and the personal-
    information fields; existing incidents stay single-owner, with no personal information."""
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_parent', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('parent_id', ID, nullable=True))
        batch_op.add_column(sa.Column('pi_records', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('pi_inform_users', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('pi_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('pi_informed_at', WHEN, nullable=True))
        batch_op.add_column(sa.Column('pi_informed_how', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('pi_informed_count', sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f('ix_incidents_parent_id'), ['parent_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_incidents_parent_id_incidents'), 'incidents',
                                    ['parent_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_incidents_parent_id_incidents'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_incidents_parent_id'))
        for column in (*PI_COLUMNS, 'parent_id', 'is_parent'):
            batch_op.drop_column(column)
