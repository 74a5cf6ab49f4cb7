"""dashboard and bulletin indexes: the open incidents, open clocks, dead letters and a body's
routes, so the console dashboard reads in milliseconds at 10 M incidents (issue 21 item 2); the
incidents by reporting time with what a bulletin counts (issue 21 item 3)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-03 16:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0029'
down_revision: str | None = '0028'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("state IN ('reported', 'acknowledged', 'handling')")
UNDONE = sa.text("done_at IS NULL")
DEAD = sa.text("state = 'dead'")
#: what a bulletin's grouped counts read of the period's incidents (sharing.bulletins)
BULLETIN_COUNTS = ('category', 'grade', 'jurisdiction_path', 'sector_code', 'is_parent',
                   'subject_body_id', 'reporting_body_id')


def upgrade() -> None:
    """Partial indexes over what is open (a small share of each table), covering the columns
    the dashboard's grouped counts read, so PostgreSQL answers from the index alone."""
    op.create_index('ix_incidents_open', 'incidents', ['state', 'grade'],
                    postgresql_include=['jurisdiction_path', 'subject_body_id',
                                        'reporting_body_id'],
                    postgresql_where=OPEN, sqlite_where=OPEN, if_not_exists=True)
    op.create_index('ix_incident_routes_body_incident', 'incident_routes',
                    ['body_id', 'incident_id'], if_not_exists=True)
    op.create_index('ix_duties_open_started', 'duties', ['starts_at'],
                    postgresql_include=['due_at', 'body_id'], postgresql_where=UNDONE,
                    sqlite_where=UNDONE, if_not_exists=True)
    op.create_index('ix_duties_open_body', 'duties', ['body_id', 'due_at', 'id'],
                    postgresql_where=UNDONE, sqlite_where=UNDONE, if_not_exists=True)
    op.create_index('ix_outbox_dead', 'outbox', ['incident_id'], postgresql_where=DEAD,
                    sqlite_where=DEAD, if_not_exists=True)
    op.create_index('ix_incidents_reported', 'incidents', ['reported_at'],
                    postgresql_include=list(BULLETIN_COUNTS), if_not_exists=True)


def downgrade() -> None:
    op.drop_index('ix_incidents_reported', table_name='incidents')
    op.drop_index('ix_outbox_dead', table_name='outbox')
    op.drop_index('ix_duties_open_body', table_name='duties')
    op.drop_index('ix_duties_open_started', table_name='duties')
    op.drop_index('ix_incident_routes_body_incident', table_name='incident_routes')
    op.drop_index('ix_incidents_open', table_name='incidents')
