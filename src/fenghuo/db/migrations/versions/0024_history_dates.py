"""imported history with its own dates, as-of times (issue 18 item 9)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 03:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Imported history (incident.history): when, from which tool and under which id there an
    incident was imported, each row once; who entered a response's end and an investigation's
    filing, and when, beside their effective (as-of) times."""
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('imported_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('import_source', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('import_id', sa.String(length=120), nullable=True))
        batch_op.create_unique_constraint(op.f('uq_incidents_import'),
                                          ['import_source', 'import_id'])
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('end_entered_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('end_entered_by', sa.String(length=120), nullable=True))
    with op.batch_alter_table('investigations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('filed_entered_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('filed_entered_by', sa.String(length=120),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('investigations', schema=None) as batch_op:
        batch_op.drop_column('filed_entered_by')
        batch_op.drop_column('filed_entered_at')
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_column('end_entered_by')
        batch_op.drop_column('end_entered_at')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('uq_incidents_import'), type_='unique')
        batch_op.drop_column('import_id')
        batch_op.drop_column('import_source')
        batch_op.drop_column('imported_at')
