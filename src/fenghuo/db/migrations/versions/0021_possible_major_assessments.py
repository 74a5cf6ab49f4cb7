"""possible major incidents reported at once: orange/red risk assessments routed to the
Emergency Office with a clock, issue 17 item 7 (Plan §3.3 ¶1); and the level of a risk
assessment from the grade of the possible incident, issue 17 item 2 (Plan §3.1, §1.4): its
grading facts are kept, and an assessment may propose no warning (a low likelihood).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 22:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Existing assessments keep their proposed level and have no facts and no report."""
    with op.batch_alter_table('risk_assessments', schema=None) as batch_op:
        batch_op.alter_column('proposed_level', existing_type=sa.String(length=10),
                              nullable=True)
        batch_op.add_column(sa.Column('facts', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('grading_profile', sa.String(length=40), nullable=True))

    op.create_table('assessment_reports',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('assessment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ack_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=120), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['risk_assessments.id'], name=op.f('fk_assessment_reports_assessment_id_risk_assessments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_assessment_reports_body_id_bodies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_reports')),
    sa.UniqueConstraint('assessment_id', 'body_id', name=op.f('uq_assessment_reports_assessment_id'))
    )
    with op.batch_alter_table('assessment_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_reports_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_reports_body_id'), ['body_id'], unique=False)
        batch_op.create_index('ix_assessment_reports_open', ['acknowledged_at', 'ack_due_at'], unique=False)


def downgrade() -> None:
    """An assessment that proposed no warning gets the level of its grade (Plan §3.1) back: the
    column was not nullable before."""
    with op.batch_alter_table('assessment_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_assessment_reports_open')
        batch_op.drop_index(batch_op.f('ix_assessment_reports_body_id'))
        batch_op.drop_index(batch_op.f('ix_assessment_reports_assessment_id'))
    op.drop_table('assessment_reports')
    op.execute("UPDATE risk_assessments SET proposed_level = CASE harm "
               "WHEN 'especially_major' THEN 'red' WHEN 'major' THEN 'orange' "
               "WHEN 'relatively_major' THEN 'yellow' ELSE 'blue' END "
               "WHERE proposed_level IS NULL")
    with op.batch_alter_table('risk_assessments', schema=None) as batch_op:
        batch_op.drop_column('grading_profile')
        batch_op.drop_column('facts')
        batch_op.alter_column('proposed_level', existing_type=sa.String(length=10),
                              nullable=False)
