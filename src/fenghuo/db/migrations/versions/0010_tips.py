"""public tips are handled (issue 16 item 4, Law art. 14): the receipt code's hash, the
handling clock, transfers (移送) with the kind of authority, the public outcome, and the tip's
history (tip_events). Tips received before this revision keep no clock and no receipt code;
their states are renamed: new → received, dismissed → closed.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 18:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
WHEN = sa.DateTime(timezone=True)
DISMISSED_OUTCOME = '经核查，不予处理。 After review, no action was taken.'


def upgrade() -> None:
    with op.batch_alter_table('tips', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', WHEN, nullable=True))
        batch_op.add_column(sa.Column('receipt_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('authority_kind', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('public_outcome', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('closed_at', WHEN, nullable=True))
        batch_op.add_column(sa.Column('clock_kind', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('clock_source', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('clock_starts_at', WHEN, nullable=True))
        batch_op.add_column(sa.Column('due_at', WHEN, nullable=True))
        batch_op.add_column(sa.Column('clock_done_at', WHEN, nullable=True))
        batch_op.add_column(sa.Column('overdue_flagged_at', WHEN, nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_tips_receipt_hash'), ['receipt_hash'])
        batch_op.create_index('ix_tips_clock', ['clock_done_at', 'due_at'], unique=False)

    op.create_table('tip_events',
    sa.Column('id', ID, nullable=False),
    sa.Column('tip_id', ID, nullable=False),
    sa.Column('at', WHEN, nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_tip_events_body_id_bodies')),
    sa.ForeignKeyConstraint(['tip_id'], ['tips.id'], name=op.f('fk_tip_events_tip_id_tips'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tip_events'))
    )
    with op.batch_alter_table('tip_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tip_events_body_id'), ['body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tip_events_tip_id'), ['tip_id'], unique=False)

    tips = sa.table('tips', sa.column('state', sa.String), sa.column('public_outcome', sa.Text),
                    sa.column('updated_at', WHEN), sa.column('created_at', WHEN))
    op.execute(tips.update().values(updated_at=tips.c.created_at))
    op.execute(tips.update().where(tips.c.state == 'new').values(state='received'))
    op.execute(tips.update().where(tips.c.state == 'dismissed')
               .values(state='closed', public_outcome=DISMISSED_OUTCOME))


def downgrade() -> None:
    tips = sa.table('tips', sa.column('state', sa.String))
    op.execute(tips.update().where(tips.c.state.in_(['received', 'transferred', 'accepted']))
               .values(state='new'))
    op.execute(tips.update().where(tips.c.state == 'closed').values(state='dismissed'))
    with op.batch_alter_table('tip_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_events_tip_id'))
        batch_op.drop_index(batch_op.f('ix_tip_events_body_id'))

    op.drop_table('tip_events')
    with op.batch_alter_table('tips', schema=None) as batch_op:
        batch_op.drop_index('ix_tips_clock')
        batch_op.drop_constraint(batch_op.f('uq_tips_receipt_hash'), type_='unique')
        for column in ('overdue_flagged_at', 'clock_done_at', 'due_at', 'clock_starts_at',
                       'clock_source', 'clock_kind', 'closed_at', 'public_outcome',
                       'authority_kind', 'receipt_hash', 'updated_at'):
            batch_op.drop_column(column)
