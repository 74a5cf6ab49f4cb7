"""PostgreSQL copies of the seeded test world, reused from test to test.

Every test that runs on PostgreSQL gets a database in exactly the template's state. Making one
with ``CREATE DATABASE … TEMPLATE`` costs the server 0.2–0.6 s (it copies and WAL-logs some
11 MB, most of it the system catalogs), which over the suite was the largest single cost. So each
pytest worker keeps a small pool: a database handed back is reset to the template's state by one
function call (about 30 ms, on a connection kept for the resets: a new server process would plan
the function's statements again) and handed out again; a new copy is made only when every pooled
one is in use.

The reset: the template holds a copy of every table's rows in the schema ``fenghuo_test_seed``
(made once, when the template is built), a statement trigger on every table that notes the table
as written, and a function ``fenghuo_test_seed.reset()`` that deletes every row of the written
tables and of the tables referencing them, children first, puts their seed rows back, parents
first, and sets every sequence back to where the template left it (a test writes a handful of
the hundred tables, so this costs a fraction of restoring them all). Connections other than the
pool's own are ended first, so nothing a test left open (a server it killed, an engine it leaked)
can hold a lock or see the next test's data. A database whose reset fails is dropped, not reused.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from fenghuo.models import metadata

SEED = "fenghuo_test_seed"


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def install_reset(url: str) -> None:
    """Give the (template) database at ``url`` its seed rows and its reset function."""
    tables = [t.name for t in metadata.sorted_tables]
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        present = {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        unknown = present - set(tables) - {"alembic_version"}
        assert not unknown, f"tables the reset would not restore: {sorted(unknown)}"
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(SEED)))
        for t in tables:
            conn.execute(sql.SQL("CREATE TABLE {}.{} AS TABLE public.{}").format(
                sql.Identifier(SEED), sql.Identifier(t), sql.Identifier(t)))
        sequences = conn.execute("SELECT sequencename, last_value FROM pg_sequences "
                                 "WHERE schemaname = 'public'").fetchall()
        _install_dirty_marks(conn, tables)
        steps = [sql.SQL("PERFORM setval({}, {}, {});").format(
            sql.Literal(f'public."{name}"'), sql.Literal(last or 1), sql.Literal(last is not None))
            for name, last in sequences]
        conn.execute(sql.SQL("CREATE FUNCTION {}.reset() RETURNS void LANGUAGE plpgsql AS {}")
                     .format(sql.Identifier(SEED), sql.Literal(
                         _RESET_BODY.replace("SEED", SEED).replace(
                             "-- sequences", "\n".join(s.as_string(conn) for s in steps)))))


def _install_dirty_marks(conn: psycopg.Connection, tables: list[str]) -> None:
    """A statement trigger on every table notes in ``dirty`` that the table was written; the
    reset restores only those and the tables that reference them (their rows may have gone
    with an ON DELETE CASCADE, and must go before a parent's rows can). A rolled-back write
    rolls its mark back with it."""
    conn.execute(sql.SQL("CREATE TABLE {}.dirty (name text PRIMARY KEY)").format(
        sql.Identifier(SEED)))
    conn.execute(sql.SQL("CREATE TABLE {}.tables (name text PRIMARY KEY, pos int)").format(
        sql.Identifier(SEED)))
    conn.execute(sql.SQL("CREATE TABLE {}.dependents (name text, dependent text)").format(
        sql.Identifier(SEED)))
    with conn.cursor() as cur:
        cur.executemany(sql.SQL("INSERT INTO {}.tables VALUES (%s, %s)").format(
            sql.Identifier(SEED)), list(zip(tables, range(len(tables)), strict=True)))
    references = conn.execute(
        "SELECT DISTINCT c.confrelid::regclass::text, c.conrelid::regclass::text "
        "FROM pg_constraint c WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace"
    ).fetchall()
    referenced_by: dict[str, set[str]] = {}
    for parent, child in references:
        referenced_by.setdefault(parent.strip('"'), set()).add(child.strip('"'))
    with conn.cursor() as cur:
        cur.executemany(sql.SQL("INSERT INTO {}.dependents VALUES (%s, %s)").format(
            sql.Identifier(SEED)), [(t, d) for t in tables for d in _closure(t, referenced_by)])
    conn.execute(sql.SQL(
        "CREATE FUNCTION {}.mark() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "INSERT INTO {}.dirty VALUES (TG_TABLE_NAME) ON CONFLICT DO NOTHING; RETURN NULL; "
        "END $$").format(sql.Identifier(SEED), sql.Identifier(SEED)))
    for t in tables:
        conn.execute(sql.SQL(
            "CREATE TRIGGER fenghuo_test_dirty AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            "ON public.{} FOR EACH STATEMENT EXECUTE FUNCTION {}.mark()").format(
                sql.Identifier(t), sql.Identifier(SEED)))


def _closure(table: str, referenced_by: dict[str, set[str]]) -> set[str]:
    found, todo = set(), [table]
    while todo:
        for child in referenced_by.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    found.discard(table)
    return found


#: the reset: partitions that tests created (monitoring events by day) go first; then the
#: written tables and their dependents are emptied, children first, and refilled from the seed
#: copy, parents first; then every sequence goes back to where the template left it
_RESET_BODY = """DECLARE part text; t text;
BEGIN
FOR part IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'monitoring_events' LOOP
  EXECUTE format('DROP TABLE public.%I', part);
END LOOP;
CREATE TEMP TABLE IF NOT EXISTS fenghuo_reset_set (name text PRIMARY KEY) ON COMMIT DROP;
INSERT INTO fenghuo_reset_set SELECT name FROM SEED.dirty
  UNION SELECT d.dependent FROM SEED.dependents d JOIN SEED.dirty w ON w.name = d.name
  ON CONFLICT DO NOTHING;
FOR t IN SELECT s.name FROM SEED.tables s JOIN fenghuo_reset_set r ON r.name = s.name
    ORDER BY s.pos DESC LOOP
  EXECUTE format('DELETE FROM public.%I', t);
END LOOP;
FOR t IN SELECT s.name FROM SEED.tables s JOIN fenghuo_reset_set r ON r.name = s.name
    ORDER BY s.pos LOOP
  EXECUTE format('INSERT INTO public.%I SELECT * FROM SEED.%I', t, t);
END LOOP;
DELETE FROM SEED.dirty;
-- sequences
END"""


class Pool:
    """The worker's copies of one template database (see the module's doc)."""

    def __init__(self, admin_url: str, template: str) -> None:
        self.admin_url, self.template = admin_url, template
        self.free: list[str] = []
        self.all: list[str] = []
        #: one connection per copy, kept for its resets: a new server process would plan the
        #: reset function's few hundred statements again each time (most of its cost)
        self.resetters: dict[str, psycopg.Connection] = {}

    def _admin(self, statement: str) -> None:
        with psycopg.connect(libpq(self.admin_url), autocommit=True) as conn:
            conn.execute(statement)

    def _url(self, name: str) -> str:
        return str(make_url(self.admin_url).set(database=name))

    @contextmanager
    def database(self) -> Iterator[str]:
        """URL of a database in the template's state, for the ``with`` block."""
        name = self.free.pop() if self.free else self._create()
        try:
            yield self._url(name)
        finally:
            self._give_back(name)

    def _create(self) -> str:
        name = f"fenghuo_t_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        self.all.append(name)
        return name

    def _give_back(self, name: str) -> None:
        try:
            try:
                self._reset(self._resetter(name))
            except psycopg.OperationalError:  # the kept connection was ended (by a test)
                self._forget(name)
                self._reset(self._resetter(name))
        except psycopg.Error:
            self._forget(name)
            self.all.remove(name)
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            raise
        self.free.append(name)

    def _resetter(self, name: str) -> psycopg.Connection:
        conn = self.resetters.get(name)
        if conn is None or conn.closed:
            conn = self.resetters[name] = psycopg.connect(libpq(self._url(name)),
                                                          autocommit=True)
        return conn

    @staticmethod
    def _reset(conn: psycopg.Connection) -> None:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        conn.execute(sql.SQL("SELECT {}.reset()").format(sql.Identifier(SEED)))

    def _forget(self, name: str) -> None:
        conn = self.resetters.pop(name, None)
        if conn is not None:
            conn.close()

    def close(self) -> None:
        for name in list(self.resetters):
            self._forget(name)
        for name in self.all:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.all.clear()
        self.free.clear()
