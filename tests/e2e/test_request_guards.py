"""Guards under load (issue 21 item 4), on PostgreSQL against a live server: a request's
statement past the statement timeout is cancelled and answered 503 naming the timeout; the
statement of a request whose client has gone away is cancelled at once, long before the
timeout; the worker and the start-up have no timeout."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import psycopg
import pytest
import requests
from sqlalchemy.engine import make_url

from fenghuo import bootstrap
from fenghuo.config import Settings
from fenghuo.org import accounts
from fenghuo.org.schemas import TokenIn
from tests.browser.conftest import start_server
from tests.waits import scaled, wait_until

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def _dsn(db_url: str) -> str:
    return make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def locked(db_url: str, table: str) -> Iterator[psycopg.Connection]:
    """Another session holds an exclusive lock on ``table``: a request reading it waits."""
    with psycopg.connect(_dsn(db_url), autocommit=False) as conn:
        conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        yield conn
        conn.rollback()


def _waiting(db_url: str) -> list[int]:
    """Backends of this database waiting on a lock (the request's query)."""
    with psycopg.connect(_dsn(db_url), autocommit=True) as conn:
        return [r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND state = 'active' AND wait_event_type = 'Lock'")]


def _token(db_url: str) -> str:
    rt = bootstrap.build(Settings(database_url=db_url))
    try:
        me = accounts.principal_for(rt.uow, username="bj_admin")
        return accounts.issue_token(rt.uow, rt.clock, principal=me,
                                    data=TokenIn(name="guards")).token
    finally:
        rt.engine.dispose()


def test_a_statement_past_the_timeout_is_a_503_naming_it(db_url):
    token = _token(db_url)
    with start_server(db_url, worker=False, statement_timeout_seconds=1) as base, \
            locked(db_url, "incidents"):
        started = time.monotonic()
        r = requests.get(f"{base}/api/v1/incidents", timeout=scaled(30),
                         headers={"Authorization": f"Bearer {token}"})
        took = time.monotonic() - started
        assert r.status_code == 503 and r.headers["Retry-After"]
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "statement timeout (1 s)" in r.json()["detail"]
        assert took < scaled(15)
    # the lock gone, the same request answers: the timeout cut one statement, nothing else
    with start_server(db_url, worker=False, statement_timeout_seconds=1) as base:
        assert requests.get(f"{base}/api/v1/incidents", timeout=scaled(30),
                            headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_gone_clients_statement_is_cancelled_at_once(db_url):
    token = _token(db_url)
    with start_server(db_url, worker=False, statement_timeout_seconds=120) as base, \
            locked(db_url, "incidents"):
        host, port = urlsplit(base).hostname, urlsplit(base).port
        client = socket.create_connection((host, port), timeout=scaled(10))
        client.sendall(f"GET /api/v1/incidents HTTP/1.1\r\nHost: {host}\r\n"
                       f"Authorization: Bearer {token}\r\n\r\n".encode())
        [pid] = wait_until(lambda: _waiting(db_url), "the request's query waits on the lock",
                           seconds=scaled(30))
        client.close()  # the client goes away; the timeout is two minutes off
        wait_until(lambda: pid not in _waiting(db_url), "the query is cancelled",
                   seconds=scaled(10))
