"""SQLite: events of the open days kept apart from the indexed ones (issue 15)

On SQLite ``monitoring_events`` becomes a view over two tables: ``monitoring_events_indexed``
(the closed days, with the address and body indexes) and ``monitoring_events_open`` (today and
yesterday, China Standard Time, without them, so machine ingest pays no random b-tree inserts
for them); ``monitoring.store`` moves a day's events across when the day is over, as
PostgreSQL's daily partitions get those indexes then. Nothing changes on PostgreSQL.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02 07:00:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("observed_at, feed_id, batch_id, line_no, kind, body_id, level, source_ip, "
           "source_port, destination_ip, destination_port, domain, url, hash, cve, malware")
HOT = {"source_ip": "(source_ip)", "destination_ip": "(destination_ip)",
       "body": "(body_id, observed_at)"}
OPEN_INDEXES = {"observed_at": "(observed_at)",
                "domain": "(domain) WHERE domain IS NOT NULL",
                "hash": "(hash) WHERE hash IS NOT NULL",
                "cve": "(cve) WHERE cve IS NOT NULL"}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("ALTER TABLE monitoring_events RENAME TO monitoring_events_indexed")
    for name, cols in HOT.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS ix_monitoring_events_{name} "
                   f"ON monitoring_events_indexed {cols}")
    ddl = op.get_bind().exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND "
        "name = 'monitoring_events_indexed'").scalar()
    op.execute(ddl.replace("monitoring_events_indexed", "monitoring_events_open", 1))
    for name, cols in OPEN_INDEXES.items():
        op.execute(f"CREATE INDEX ix_monitoring_events_open_{name} "
                   f"ON monitoring_events_open {cols}")
    # rowid: the indexed table's rowids, the open table's negated (retention deletes by rowid)
    op.execute(f"CREATE VIEW monitoring_events AS SELECT rowid AS rowid, {COLUMNS} FROM "
               f"monitoring_events_indexed UNION ALL SELECT -rowid, {COLUMNS} FROM "
               "monitoring_events_open")
    op.execute("CREATE TRIGGER monitoring_events_delete INSTEAD OF DELETE ON monitoring_events "
               "BEGIN DELETE FROM monitoring_events_indexed WHERE OLD.rowid > 0 AND "
               "rowid = OLD.rowid; DELETE FROM monitoring_events_open WHERE OLD.rowid < 0 AND "
               "rowid = -OLD.rowid; END")
    new = ", ".join(f"NEW.{c.strip()}" for c in COLUMNS.split(","))
    op.execute("CREATE TRIGGER monitoring_events_insert INSTEAD OF INSERT ON monitoring_events "
               f"BEGIN INSERT INTO monitoring_events_open ({COLUMNS}) VALUES ({new}); END")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP VIEW monitoring_events")  # its triggers go with it
    op.execute(f"INSERT INTO monitoring_events_indexed ({COLUMNS}) SELECT {COLUMNS} "
               "FROM monitoring_events_open")
    op.execute("DROP TABLE monitoring_events_open")
    op.execute("ALTER TABLE monitoring_events_indexed RENAME TO monitoring_events")
