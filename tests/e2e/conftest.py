"""HTTP fixtures: the real application over the seeded world, with logged-in callers."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from fenghuo.api.app import create_app
from fenghuo.org import accounts
from fenghuo.org.schemas import TokenIn


@pytest.fixture
def client(rt):
    with TestClient(create_app(rt)) as c:
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
