"""bulletin indexes: the notable incidents by grade and reporting time, from which a bulletin
lists the first hundred of a period's relatively major and above incidents, most serious first,
and counts them by TLP however many the period holds; the incidents by reporting time now also
carry their id, so the grouped count of a period answers from the index alone even where the
scope asks for the incidents routed to the issuer (issue 21 item 3)

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-03 20:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0031'
down_revision: str | None = '0030'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: sharing.bulletin_data.NOTABLE_GRADES (spelled out: a migration does not change with the code)
NOTABLE = sa.text("grade IN ('especially_major', 'major', 'relatively_major')")


#: what a bulletin's grouped counts read of the period's incidents (sharing.bulletins)
BULLETIN_COUNTS = ['id', 'category', 'grade', 'jurisdiction_path', 'sector_code', 'is_parent',
                   'subject_body_id', 'reporting_body_id']


def upgrade() -> None:
    op.drop_index('ix_incidents_reported', table_name='incidents')
    op.create_index('ix_incidents_reported', 'incidents', ['reported_at'],
                    postgresql_include=BULLETIN_COUNTS)
    op.create_index('ix_incidents_notable', 'incidents', ['grade', 'reported_at', 'id'],
                    postgresql_include=['tlp', 'is_parent', 'jurisdiction_path',
                                        'subject_body_id', 'reporting_body_id'],
                    postgresql_where=NOTABLE, sqlite_where=NOTABLE, if_not_exists=True)


def downgrade() -> None:
    op.drop_index('ix_incidents_notable', table_name='incidents')
    op.drop_index('ix_incidents_reported', table_name='incidents')
    op.create_index('ix_incidents_reported', 'incidents', ['reported_at'],
                    postgresql_include=BULLETIN_COUNTS[1:])
