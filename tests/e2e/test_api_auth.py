"""Logging in through the API as the docs' Authorize button does, and what errors look like."""

from __future__ import annotations

from fastapi.testclient import TestClient

from fenghuo.api.app import create_app
from tests.conftest import PASSWORD

PROBLEM = "application/problem+json"


def test_login_me_logout(client):
    r = client.post("/api/v1/auth/token", data={"username": "bj_duty", "password": PASSWORD})
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/v1/me", headers=auth).json()
    assert me["username"] == "bj_duty" and me["roles"] == ["duty_officer"]
    assert me["body"]["key"] == "110000.office" and me["scope"]["jurisdiction"] == "110000"
    assert client.post("/api/v1/auth/logout", headers=auth).status_code == 204
    r = client.get("/api/v1/me", headers=auth)
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM


def test_errors_are_problem_json(client, headers):
    r = client.post("/api/v1/auth/token", data={"username": "bj_duty", "password": "nope"})
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM
    assert r.headers["www-authenticate"] == "Bearer"
    body = r.json()
    assert body["status"] == 401 and body["title"] == "Unauthorized" and body["detail"]
    r = client.get("/api/v1/bodies")
    assert r.status_code == 401 and "log in" in r.json()["detail"]
    r = client.get("/api/v1/nowhere", headers=headers("bj_admin"))
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    r = client.get("/api/v1/bodies?limit=100000", headers=headers("bj_admin"))
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["query.limit"]


def test_openapi_and_docs_are_served(client):
    assert client.get("/docs").status_code == 200
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/bodies" in spec["paths"] and "/api/v1/auth/token" in spec["paths"]
    assert client.get("/healthz").json()["status"] == "ok"
    assert "fenghuo_http_requests_total" in client.get("/metrics").text


def test_api_tokens_through_http(client, headers):
    r = client.post("/api/v1/tokens", json={"name": "siem feed"}, headers=headers("bj_analyst"))
    assert r.status_code == 201
    token, token_id = r.json()["token"], r.json()["id"]
    machine = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=machine).json()["username"] == "bj_analyst"
    listed = client.get("/api/v1/tokens", headers=machine).json()
    assert [t["name"] for t in listed] == ["t", "siem feed"]  # "t" is the fixture's own token
    assert all("token" not in t for t in listed)
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=machine).status_code == 204
    assert client.get("/api/v1/me", headers=machine).status_code == 401


def test_metrics_count_requests_per_route_and_status(rt, headers):
    # an application of its own: the shared one has counted the earlier tests' requests
    client = TestClient(create_app(rt))
    client.get("/api/v1/bodies", headers=headers("bj_admin"))
    client.get("/api/v1/bodies")  # 401
    text = client.get("/metrics").text
    assert ('fenghuo_http_requests_total{method="GET",route="/api/v1/bodies",status="200"} 1.0'
            in text)
    assert ('fenghuo_http_requests_total{method="GET",route="/api/v1/bodies",status="401"} 1.0'
            in text)
    assert ('fenghuo_http_request_duration_seconds_count{method="GET",route="/api/v1/bodies"} '
            '2.0' in text)
