"""Writing many rows at once, in the caller's transaction: COPY on PostgreSQL (a national
warning writes ten thousand recipients, tasks and messages), one executemany on SQLite."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session


def insert_rows(s: Session, table: Table, rows: Sequence[dict]) -> int:
    """Insert ``rows`` (dicts with the same keys) into ``table``; returns how many. Columns
    left out take their database defaults; the ids are not read back."""
    if not rows:
        return 0
    if s.get_bind().dialect.name != "postgresql":
        s.connection().execute(insert(table), list(rows))
        return len(rows)
    columns = list(rows[0])
    raw = s.connection().connection.driver_connection
    with raw.cursor() as cur, cur.copy(
            f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])
    return len(rows)
