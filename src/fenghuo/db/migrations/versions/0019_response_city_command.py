"""city headquarters, field command and relayed Level II ending, issue 17 items 9-10 (City §3.3.3-3.3.4, Plan §4.3.2).

The members of a city's headquarters or field command name that body (``command_body_id``;
null for the response's own headquarters); ``response_notices`` records who was told that a
response ended, and by whom.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 22:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    """Existing members belong to the response's own headquarters (``command_body_id`` null);
    no ending was recorded as told before."""
    with op.batch_alter_table('headquarters_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('command_body_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_headquarters_members_command_body_id'),
                              ['command_body_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_headquarters_members_command_body_id_bodies'),
                                    'bodies', ['command_body_id'], ['id'])

    op.create_table(
        'response_notices',
        sa.Column('id', ID, nullable=False),
        sa.Column('response_id', ID, nullable=False),
        sa.Column('body_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('sent_by_body_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('messages', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['body_id'], ['bodies.id'],
                                name=op.f('fk_response_notices_body_id_bodies')),
        sa.ForeignKeyConstraint(['response_id'], ['responses.id'],
                                name=op.f('fk_response_notices_response_id_responses'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['sent_by_body_id'], ['bodies.id'],
                                name=op.f('fk_response_notices_sent_by_body_id_bodies')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_response_notices')),
        sa.UniqueConstraint('response_id', 'body_id', 'kind',
                            name=op.f('uq_response_notices_response_id')),
    )
    with op.batch_alter_table('response_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_notices_body_id'), ['body_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_response_notices_response_id'), ['response_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('response_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_notices_response_id'))
        batch_op.drop_index(batch_op.f('ix_response_notices_body_id'))
    op.drop_table('response_notices')
    with op.batch_alter_table('headquarters_members', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_headquarters_members_command_body_id_bodies'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_headquarters_members_command_body_id'))
        batch_op.drop_column('command_body_id')
