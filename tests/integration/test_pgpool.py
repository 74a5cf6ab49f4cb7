"""The PostgreSQL test pool's reset (tests/pgpool.py) puts a copy back exactly in the template's
state, whatever a test wrote: rows of every table compared by checksum before and after."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from fenghuo.models import metadata
from tests import pgpool


def _checksums(conn: psycopg.Connection) -> dict[str, str | None]:
    return {t.name: conn.execute(sql.SQL(
        "SELECT md5(string_agg(x::text, ',' ORDER BY x::text)) FROM public.{} x").format(
            sql.Identifier(t.name))).fetchone()[0] for t in metadata.sorted_tables}


@pytest.mark.parametrize("writes", [
    # a leaf table only
    ["INSERT INTO worker_heartbeats VALUES ('h:1:w', 'w', now(), now())"],
    # a parent everything refers to, and a delete that cascades
    ["UPDATE bodies SET name_en = name_en || ' (changed)'",
     "DELETE FROM user_roles", "DELETE FROM users WHERE username = 'bj_ro'"],
    # every table emptied (children first)
    [f"DELETE FROM {t.name}" for t in reversed(metadata.sorted_tables)],
], ids=["leaf", "parent-and-cascade", "everything"])
def test_a_reset_copy_equals_the_template(pg_pool: pgpool.Pool, writes: list[str]) -> None:
    with pg_pool.database() as url, psycopg.connect(pgpool.libpq(url), autocommit=True) as conn:
        before = _checksums(conn)
        for statement in writes:
            conn.execute(statement)
        assert _checksums(conn) != before  # the writes changed something
    # the same copy, handed back and reset
    with pg_pool.database() as url, psycopg.connect(pgpool.libpq(url), autocommit=True) as conn:
        assert _checksums(conn) == before
        assert conn.execute(f"SELECT count(*) FROM {pgpool.SEED}.dirty").fetchone()[0] == 0
