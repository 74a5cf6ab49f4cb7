"""Pooled PostgreSQL connections are pinged only after sitting idle (issue 21 item 5): a
connection killed by the server (a restart, an idle timeout) is replaced before anyone sees it
once it has been idle; one in use moments ago is handed out without a round trip, so if the
server killed it, that one statement fails (a 503 in the API) and the pool starts afresh."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from fenghuo.db import session as db_session


@pytest.fixture
def pg_engine(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("the pool's ping is PostgreSQL's")
    engine = db_session.make_engine(db_url)
    yield engine
    engine.dispose()


def _pid(engine) -> int:
    with engine.connect() as c:
        return c.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _kill(engine, pid: int) -> None:
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_an_idle_connection_killed_by_the_server_is_replaced(pg_engine, monkeypatch):
    pid = _pid(pg_engine)
    _kill(pg_engine, pid)
    monkeypatch.setattr(db_session, "IDLE_PING_SECONDS", 0.0)  # it counts as idle now
    assert _pid(pg_engine) != pid  # a new connection, and no error seen


def test_a_connection_used_moments_ago_is_not_pinged(pg_engine, monkeypatch):
    monkeypatch.setattr(db_session, "IDLE_PING_SECONDS", 3600.0)
    pid = _pid(pg_engine)
    _kill(pg_engine, pid)
    with pytest.raises(OperationalError):  # handed out unpinged: the statement finds it dead
        _pid(pg_engine)
    assert _pid(pg_engine) != pid  # the pool was invalidated: the next one is fresh


def test_the_ping_leaves_no_transaction_open(pg_engine, monkeypatch):
    """A pinged connection can still be switched to autocommit (the principal cache's version
    read) and its next transaction is its own."""
    _pid(pg_engine)
    monkeypatch.setattr(db_session, "IDLE_PING_SECONDS", 0.0)
    with pg_engine.execution_options(isolation_level="AUTOCOMMIT").connect() as c:
        assert c.execute(text("SELECT 1")).scalar_one() == 1
    with pg_engine.connect() as c:
        assert c.connection.dbapi_connection.info.transaction_status.name == "IDLE"
