"""auth version: a one-row table whose token changes with every change to what a bearer token
resolves to, so that each server process caches authenticated principals and drops them at
once when a token is revoked, a user disabled or a role changed (issue 21 item 5)

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-03 20:00:00
"""
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0030'
down_revision: str | None = '0029'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table('auth_version',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_version'))
    )
    op.bulk_insert(table, [{'id': 1, 'token': uuid.uuid4().hex}])


def downgrade() -> None:
    op.drop_table('auth_version')
