"""A database outage is a clear, retryable answer (issue 18 item 3): ``503`` problem+json with
``Retry-After`` in the API, the console's error page with ``Retry-After`` in the web console;
``/healthz`` (liveness) stays 200 without asking the database and ``/readyz`` (readiness)
answers 503 naming the database.

The outage is real and harms no one else: on PostgreSQL a server address where nothing listens
(127.0.0.1 port 1: connection refused), on SQLite a database "file" that is a directory (unable
to open it); both fail with SQLAlchemy's OperationalError, as a restart does."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from fenghuo import bootstrap
from fenghuo.api.app import create_app
from fenghuo.common.clock import FakeClock
from fenghuo.config import Settings
from tests.conftest import PASSWORD

PROBLEM = "application/problem+json"


@pytest.fixture(params=["sqlite", "postgresql"])
def down(request, tmp_path):
    """A client of an application whose database does not answer."""
    url = (f"sqlite:///{tmp_path}" if request.param == "sqlite"
           else "postgresql+psycopg://fenghuo@127.0.0.1:1/fenghuo")
    rt = bootstrap.build(Settings(database_url=url), clock=FakeClock())
    with TestClient(create_app(rt), raise_server_exceptions=False) as c:
        yield c
    rt.engine.dispose()


def unavailable(r) -> dict:
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == "5"
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["status"] == 503 and body["title"] == "Service unavailable"
    return body


def test_api_answers_503_with_retry_after(down):
    """Unauthenticated (logging in) and authenticated requests alike."""
    body = unavailable(down.post("/api/v1/auth/token",
                                 data={"username": "bj_duty", "password": PASSWORD}))
    assert "database" in body["detail"] and body["instance"] == "/api/v1/auth/token"
    unavailable(down.get("/api/v1/incidents", headers={"Authorization": "Bearer fh_x"}))
    unavailable(down.post("/api/v1/public/tips", json={
        "unit_name": "某论坛 a forum", "description": "论坛被植入后门 a backdoor"}))


def test_web_console_answers_its_error_page_with_retry_after(down):
    down.cookies.set("fh_session", "fh_some-token")
    r = down.get("/web/incidents")
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert r.headers["content-type"].startswith("text/html")
    assert "database" in r.text


def test_liveness_is_up_and_readiness_names_the_database(down):
    r = down.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    body = unavailable(down.get("/readyz"))
    assert body["checks"] == {"database": "down"} and "database" in body["detail"]


def test_readiness_when_the_database_answers(client):
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.json()["status"] == "ready" and r.json()["checks"] == {"database": "ok"}


def test_the_openapi_document_declares_503(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert "503" in spec["paths"]["/api/v1/incidents"]["post"]["responses"]
    assert "/readyz" in spec["paths"]
