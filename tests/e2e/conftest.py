"""HTTP fixtures: the real application over the seeded world, with logged-in callers."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from starlette.datastructures import State

from fenghuo.api.app import attach, create_app
from fenghuo.org import accounts
from fenghuo.org.schemas import TokenIn

#: one application per test process, given each test's runtime: an application answers its
#: first request only after FastAPI has resolved every route's dependencies (about half a
#: second), which over hundreds of tests was minutes of the suite
_APP: list = []


def shared_app(rt):
    """The process's application over ``rt``, with a fresh ``app.state`` (the runtime and its
    report writer, and no rate-limit counters left from an earlier test)."""
    if not _APP:
        _APP.append(create_app(rt))
    app = _APP[0]
    app.state = State()
    attach(app, rt)
    return app


@pytest.fixture
def client(rt):
    with TestClient(shared_app(rt)) as c:
        yield c


@pytest.fixture
def headers(rt):
    """``headers("bj_admin")``: an Authorization header for that test user (an API token)."""
    cache: dict[str, dict] = {}

    def make(username: str) -> dict:
        if username not in cache:
            me = accounts.principal_for(rt.uow, username=username)
            issued = accounts.issue_token(rt.uow, rt.clock, principal=me, data=TokenIn(name="t"))
            cache[username] = {"Authorization": f"Bearer {issued.token}"}
        return cache[username]

    return make
