"""Authorization matrix: each role × a body inside and outside its scope × each endpoint.

Expected outcomes are written out here, not derived from the code under test: a caller with the
permission gets 2xx inside its scope and 404 outside (indistinguishable from a missing object,
Law art. 30); a caller without it gets 403 wherever it asks.
"""

from __future__ import annotations

import pytest

ALL = {"administrator", "duty_officer", "analyst", "read_only", "operator_reporter",
       "support_member"}

#: endpoint → (method, path template, json body, roles allowed)
ENDPOINTS = {
    "get body": ("GET", "/api/v1/bodies/{key}", None, ALL),
    "patch body": ("PATCH", "/api/v1/bodies/{key}", {"notes": "checked"}, {"administrator"}),
    "list contacts": ("GET", "/api/v1/bodies/{key}/contacts", None, ALL),
    "add contact": ("POST", "/api/v1/bodies/{key}/contacts",
                    {"name": "Duty", "channel": "phone", "value": "+86 10 6666 0000"},
                    {"administrator"}),
    "list systems": ("GET", "/api/v1/bodies/{key}/systems", None, ALL),
    "add system": ("POST", "/api/v1/bodies/{key}/systems",
                   {"key": "new-sys", "name_zh": "新系统", "name_en": "New system"},
                   {"administrator", "operator_reporter"}),
    "list users of body": ("GET", "/api/v1/users?body={key}", None,
                           {"administrator", "duty_officer"}),
    # preparedness (Plan §6–§8): read by all; kept by offices, departments and the unit itself
    "body compliance": ("GET", "/api/v1/preparedness/compliance/{key}", None, ALL),
    "list commendations of body": ("GET", "/api/v1/commendations?body={key}", None, ALL),
    "add training": ("POST", "/api/v1/preparedness/trainings",
                     {"body": "{key}", "title": "应急演练培训 drill training",
                      "held_on": "2026-10-20", "hours": 4, "participants": 12},
                     {"administrator", "duty_officer", "analyst", "operator_reporter"}),
}

#: user → (role, body inside scope, body outside scope)
CALLERS = {
    "bj_admin": ("administrator", "bj-telco", "sh-bank"),
    "bj_duty": ("duty_officer", "bj-telco", "sh-bank"),
    "bj_analyst": ("analyst", "bj-telco", "sh-bank"),
    "bj_ro": ("read_only", "bj-telco", "sh-bank"),
    "bj_reporter": ("operator_reporter", "bj-bank", "bj-telco"),  # a sibling in the same city
    "bj_support": ("support_member", "bj-support", "bj-bank"),
    "bj_fin": ("administrator", "bj-bank", "bj-telco"),  # a finance department, telecom body
}


def expected(role: str, allowed: set[str], inside: bool, endpoint: str, body: str) -> int:
    if role not in allowed:
        return 403
    if not inside:
        # out of scope reads as missing: 404 for a path, an empty list for a filter, a 422
        # naming the field for a reference in the request body
        return {"list commendations of body": 200, "add training": 422}.get(endpoint, 404)
    if endpoint == "add system" and body == "bj-support":
        return 422  # only operator units register systems
    return 201 if endpoint.startswith("add") else 200


@pytest.mark.parametrize("username", sorted(CALLERS))
def test_matrix(client, headers, username):
    role, inside_body, outside_body = CALLERS[username]
    h = headers(username)
    wrong = []
    for endpoint, (method, path, body, allowed) in ENDPOINTS.items():
        for inside, key in ((True, inside_body), (False, outside_body)):
            data = body and {k: v.format(key=key) if isinstance(v, str) else v
                             for k, v in body.items()}
            r = client.request(method, path.format(key=key), json=data, headers=h)
            want = expected(role, allowed, inside, endpoint, key)
            got = r.status_code
            if got == 200 and not inside and "items" in r.json() and r.json()["items"]:
                got = "a list with rows"  # a filter on an out-of-scope body lists nothing
            if got != want:
                wrong.append(f"{endpoint} on {key}: got {got}, want {want}: {r.text}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("username", sorted(CALLERS))
def test_out_of_scope_is_absent_from_lists_and_counts(client, headers, username):
    _, inside_body, outside_body = CALLERS[username]
    r = client.get("/api/v1/bodies", params={"limit": 500}, headers=headers(username)).json()
    keys = {b["key"] for b in r["items"]}
    assert inside_body in keys and outside_body not in keys
    assert r["total"] == len(keys)
    r = client.get("/api/v1/bodies", params={"q": outside_body}, headers=headers(username))
    assert r.json()["total"] == 0


@pytest.mark.parametrize(("username", "status"), [("bj_admin", 200), ("bj_duty", 403),
                                                  ("bj_fin", 403), ("bj_reporter", 403)])
def test_audit_reading(client, headers, username, status):
    assert client.get("/api/v1/audit", headers=headers(username)).status_code == status


def test_audit_verify_is_national(client, headers):
    assert client.get("/api/v1/audit/verify", headers=headers("bj_admin")).status_code == 403
    r = client.get("/api/v1/audit/verify", headers=headers("nat_admin"))
    assert r.status_code == 200 and r.json()["ok"] is True
