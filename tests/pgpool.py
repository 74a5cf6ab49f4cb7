"""PostgreSQL copies of the seeded test world, reused from test to test.

Every test that runs on PostgreSQL gets a database in exactly the template's state. Making one
with ``CREATE DATABASE … TEMPLATE`` costs the server 0.2–0.6 s (it copies and WAL-logs some
11 MB, most of it the system catalogs), which over the suite was the largest single cost. So each
pytest worker keeps a small pool: a database handed back is reset to the template's state by one
function call (about 30 ms, on a connection kept for the resets: a new server process would plan
the function's statements again) and handed out again; a new copy is made only when every pooled
one is in use.

The reset: the template holds a copy of every table's rows in the schema ``fenghuo_test_seed``
(made once, when the template is built) and a function ``fenghuo_test_seed.reset()`` that
deletes every row of every application table, children first, puts the seed rows back, parents
first, and sets every sequence back to where the template left it. Connections other than the
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
        # partitions that tests created (monitoring events by day) go first
        steps = [sql.SQL("FOR part IN SELECT c.relname FROM pg_inherits i JOIN "
                         "pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = "
                         "i.inhparent WHERE p.relname = 'monitoring_events' LOOP EXECUTE "
                         "format('DROP TABLE public.%I', part); END LOOP;")]
        steps += [sql.SQL("DELETE FROM public.{};").format(sql.Identifier(t))
                  for t in reversed(tables)]
        steps += [sql.SQL("INSERT INTO public.{} SELECT * FROM {}.{};").format(
            sql.Identifier(t), sql.Identifier(SEED), sql.Identifier(t)) for t in tables]
        steps += [sql.SQL("PERFORM setval({}, {}, {});").format(
            sql.Literal(f'public."{name}"'), sql.Literal(last or 1), sql.Literal(last is not None))
            for name, last in sequences]
        conn.execute(sql.SQL("CREATE FUNCTION {}.reset() RETURNS void LANGUAGE plpgsql AS {}")
                     .format(sql.Identifier(SEED), sql.Literal(
                         "DECLARE part text;\nBEGIN\n"
                         + "\n".join(s.as_string(conn) for s in steps) + "\nEND")))


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
