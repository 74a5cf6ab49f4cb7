"""the unit a monitoring item is about, issue 16 item 5 (Support obligation 7: a support unit
reports what it discovers at another unit; the item reaches that unit's chain).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 21:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Existing items are about no other unit (``subject_body_id`` null)."""
    with op.batch_alter_table('monitoring_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_body_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_monitoring_items_subject_body_id'),
                              ['subject_body_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_monitoring_items_subject_body_id_bodies'),
                                    'bodies', ['subject_body_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('monitoring_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_monitoring_items_subject_body_id_bodies'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_monitoring_items_subject_body_id'))
        batch_op.drop_column('subject_body_id')
