"""Hostile input is a 4xx problem naming the field, never a 500, and changes nothing (issue 18
item 2), on both databases: a NUL character in any text (PostgreSQL cannot store one), an empty
or oversize ``Idempotency-Key``, ids and pages beyond PostgreSQL's ``integer``, explicit nulls
in a PATCH, and booleans that are numbers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from fenghuo.audit.models import AuditEntry, AuditPending
from fenghuo.incident.models import Evidence, Incident, Tip
from fenghuo.org import interchange
from fenghuo.org.models import Body
from tests.conftest import PASSWORD
from tests.e2e.test_api_monitoring_ingest import _alert as alert
from tests.e2e.test_api_monitoring_ingest import _setup as ingest_setup
from tests.e2e.test_web_form import form_fields
from tests.e2e.test_web_form import login as web_login

PROBLEM = "application/problem+json"
TIP = {"jurisdiction": "110000", "unit_name": "北京某论坛 a Beijing forum",
       "category": "network-attack", "description": "论坛被植入后门 a backdoor on the forum"}


def report(**kw) -> dict:
    return {"system": "core", "category": "harmful-program",
            "subcategory": "harmful-program.trojan", "title": "木马 Trojan on core",
            "found_at": datetime(2026, 11, 1, 7, 30, tzinfo=UTC).isoformat(),
            "impact": "two hosts", "measures": "isolated", **kw}


def counts(rt) -> tuple[int, ...]:
    """What a hostile request must leave as it was: every table it could write to, and the
    audit trail (every change is audited)."""
    with rt.uow() as s:
        return tuple(s.scalar(select(func.count()).select_from(m))
                     for m in (Incident, Tip, Evidence, AuditEntry, AuditPending))


def refused(r, field: str, status: int = 422) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    assert field in [e["field"] for e in r.json()["errors"]], r.json()


@pytest.fixture
def before(rt, headers):
    """The counts once the callers' tokens are issued (an issued token is audited)."""
    for user in ("bj_reporter", "bj_admin"):
        headers(user)
    return counts(rt)


# --- a NUL character (\x00): PostgreSQL answered 500 text/plain ---------------------------------


def test_nul_in_json_is_refused_naming_the_member(rt, client, headers, before):
    """A report and a public tip (no login) with a NUL in a text member."""
    r = client.post("/api/v1/incidents", json=report(title="木马\x00"),
                    headers=headers("bj_reporter"))
    refused(r, "title")
    assert "NUL" in r.json()["errors"][0]["message"]
    refused(client.post("/api/v1/public/tips", json={**TIP, "unit_name": "a\x00b"}), "unit_name")
    nested = client.post("/api/v1/incidents", json=report(facts={"system_loss": "\x00"}),
                         headers=headers("bj_reporter"))
    refused(nested, "facts.system_loss")
    assert counts(rt) == before


def test_nul_in_a_login_name_form_query_path_and_header(rt, client, headers, before):
    """The login form (no login), a search query, the path and a header value."""
    refused(client.post("/api/v1/auth/token",
                        data={"username": "bj_duty\x00", "password": PASSWORD}), "username")
    h = headers("bj_admin")
    refused(client.get("/api/v1/incidents", params={"q": "木马\x00"}, headers=h), "query.q")
    refused(client.get("/api/v1/incidents/INC%00", headers=h), "path")
    refused(client.get("/api/v1/me", headers={**h, "X-Trace": "a\x00b"}), "header.X-Trace")
    assert counts(rt) == before


def test_nul_in_the_web_console_forms(rt, client, before):
    """The console's login form and the public tip form (no login)."""
    refused(client.post("/web/login", data={"username": "bj\x00duty", "password": PASSWORD,
                                            "csrf": "x"}), "username")
    refused(client.post("/public/tips", data={**TIP, "description": "后门\x00 backdoor"}),
            "description")
    assert counts(rt) == before


def multipart(filename: bytes, content: bytes) -> tuple[bytes, str]:
    boundary = "fh-boundary"
    body = (b"--fh-boundary\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
            + filename + b"\"\r\nContent-Type: application/octet-stream\r\n\r\n" + content
            + b"\r\n--fh-boundary--\r\n")
    return body, f"multipart/form-data; boundary={boundary}"


def test_nul_in_an_evidence_file_name_but_not_in_its_content(rt, client, headers):
    """Evidence (Plan §4.1) is binary and may hold NUL bytes; its file name may not."""
    h = headers("bj_reporter")
    ref = client.post("/api/v1/incidents", json=report(), headers=h).json()["ref"]
    before = counts(rt)
    body, ctype = multipart(b"log\x00.txt", b"text")
    refused(client.post(f"/api/v1/incidents/{ref}/evidence", content=body,
                        headers={**h, "Content-Type": ctype}), "filename")
    assert counts(rt) == before
    body, ctype = multipart(b"dump.bin", b"\x00\x01\x00binary")
    r = client.post(f"/api/v1/incidents/{ref}/evidence", content=body,
                    headers={**h, "Content-Type": ctype})
    assert r.status_code == 201, r.text


# --- Idempotency-Key ------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["", "k" * 201])
def test_an_empty_or_oversize_idempotency_key_is_refused(rt, client, headers, before, key):
    """An empty key was stored with the first report and every later one got a 500."""
    h = {**headers("bj_reporter"), "Idempotency-Key": key}
    for _ in range(2):
        refused(client.post("/api/v1/incidents", json=report(), headers=h),
                "header.Idempotency-Key")
    assert counts(rt) == before
    r = client.post("/api/v1/incidents", json=report(),
                    headers={**h, "Idempotency-Key": "k" * 200})
    assert r.status_code == 201, r.text


# --- numbers beyond PostgreSQL's integer ------------------------------------------------------


@pytest.mark.parametrize("url", [
    "/api/v1/preparedness/plans/2147483648", "/api/v1/users/99999999999999999999",
    "/api/v1/bodies?offset=99999999999", "/api/v1/bodies?limit=2147483648",
    "/api/v1/tokens?user_id=2147483648", "/api/v1/incidents?offset=-1"])
def test_ids_and_pages_beyond_the_integer_range_are_refused(client, headers, url):
    r = client.get(url, headers=headers("bj_admin"))
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, r.text


def test_the_console_takes_a_huge_page_or_id_without_a_500(client):
    web_login(client, "bj_admin")
    assert client.get("/web/incidents?page=99999999999999999999").status_code == 200
    assert client.get("/web/admin/users/2147483648").status_code == 422


def test_the_report_form_takes_a_forged_idempotency_key_without_a_500(rt, client):
    """A hidden key longer than the column (200) is no key: the report is filed (CAC 2025
    art. 7), not a 500."""
    web_login(client)
    page = client.get("/web/report")
    r = client.post("/web/report", data=form_fields(page.text, idempotency_key="k" * 500),
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    assert counts(rt)[0] == 1


# --- PATCH with explicit nulls --------------------------------------------------------------


@pytest.mark.parametrize(("url", "user", "patch"), [
    ("/api/v1/bodies/bj-bank", "bj_admin", {"cii": None}),
    ("/api/v1/bodies/bj-bank", "bj_admin", {"sectors": None}),
    ("/api/v1/bodies/bj-bank", "bj_admin", {"name_en": None}),
    ("/api/v1/bodies/bj-bank/systems/core", "bj_reporter", {"important": None}),
])
def test_explicit_null_in_a_patch_is_refused_naming_the_field(rt, client, headers, before, url,
                                                               user, patch):
    with rt.uow() as s:
        cii = s.scalar(select(Body.cii).where(Body.key == "bj-bank"))
    refused(client.patch(url, json=patch, headers=headers(user)), next(iter(patch)))
    assert "may not be null" in client.patch(url, json=patch, headers=headers(user)).text
    assert counts(rt) == before
    with rt.uow() as s:
        assert s.scalar(select(Body.cii).where(Body.key == "bj-bank")) is cii


def test_a_clearable_field_may_still_be_cleared(client, headers):
    r = client.patch("/api/v1/bodies/bj-bank", json={"notes": None}, headers=headers("bj_admin"))
    assert r.status_code == 200 and r.json()["notes"] is None


# --- booleans are booleans ------------------------------------------------------------------


@pytest.mark.parametrize(("url", "user", "patch", "field"), [
    ("/api/v1/bodies/bj-bank", "bj_admin", {"active": 0}, "active"),
    ("/api/v1/bodies/bj-bank", "bj_admin", {"cii": "yes"}, "cii"),
    ("/api/v1/bodies/bj-bank/systems/core", "bj_reporter", {"important": 1}, "important"),
])
def test_booleans_are_strict(rt, client, headers, before, url, user, patch, field):
    refused(client.patch(url, json=patch, headers=headers(user)), field)
    assert counts(rt) == before


# --- sensor data: NUL characters kept as U+FFFD, not a 500 ------------------------------------


def test_sensor_lines_with_nul_are_taken_in(client, headers):
    """A sensor's batch (Plan §3.1 monitoring) may carry an attacker's NUL bytes: the batch is
    taken in, the NUL kept as U+FFFD, the malformed line kept aside with its reason."""
    token = ingest_setup(client, headers)
    line = alert("2026-11-01T10:00:00.000000+0800", "61.135.1.1", "203.0.113.9")
    body = line.replace(b"Cobalt", b"Co\\u0000balt") + b"\nbad\x00line\n"
    r = client.post("/api/v1/monitoring/events", content=body, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"})
    assert r.status_code == 201, r.text
    assert (r.json()["events"], r.json()["rejected"]) == (1, 1)
    rejects = client.get("/api/v1/monitoring/feeds/ids-http/rejects",
                         headers=headers("nat_admin")).json()
    assert "bad\ufffdline" in str(rejects)


def test_org_csv_cells_still_say_yes_or_no():
    """A CSV cell is text: ``true``/``yes``/``1`` and ``false``/``no``/``0`` are booleans to the
    strict schemas, anything else is refused naming file, row and field."""
    doc = interchange.parse_csv("systems.csv", "body,key,name_zh,name_en,important\n"
                                "bj-bank,aa,甲,A,yes\nbj-bank,bb,乙,B,0\nbj-bank,cc,丙,C,maybe\n")
    assert [r.data.important for r in doc.rows["systems"]] == [True, False]
    assert [(e.row, e.field) for e in doc.errors] == [(4, "important")]


# --- the schema says what the validators do ---------------------------------------------------


@pytest.mark.parametrize("value", ["0", "1", "yes", "no", "on", "off", "True", "t", ""])
def test_query_booleans_are_only_true_or_false(client, headers, value):
    """Lax parsing took ``?include_inactive=0`` or ``yes`` as booleans, which the schema
    (``type: boolean``, serialised ``true``/``false``) does not say."""
    h = headers("bj_admin")
    r = client.get("/api/v1/bodies", params={"include_inactive": value}, headers=h)
    refused(r, "query.include_inactive")
    assert "true or false" in r.text
    assert client.get("/api/v1/bodies?include_inactive=true", headers=h).status_code == 200
    assert client.get("/api/v1/monitoring?important=false", headers=h).status_code == 200


def test_the_schema_says_query_booleans_are_true_or_false(client):
    spec = client.get("/api/v1/openapi.json").json()
    (param,) = [p for p in spec["paths"]["/api/v1/bodies"]["get"]["parameters"]
                if p["name"] == "include_inactive"]
    assert param["schema"]["type"] == "boolean"
    assert "true or false" in param["schema"]["description"]


def _nullable(prop: dict) -> bool:
    return prop.get("type") == "null" or {"type": "null"} in prop.get("anyOf", [])


def test_patch_schemas_say_which_fields_may_be_null(client):
    """A PATCH refuses ``null`` except on a clearable field, and the schema says so: it had
    advertised every field as ``anyOf [{type}, {type: null}]``."""
    from fenghuo.common.schemas import Patch
    from fenghuo.org import schemas  # noqa: F401 - defines the PATCH models

    spec = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    models = {m.__name__: m for m in Patch.__subclasses__()}
    assert {"BodyPatch", "SystemPatch", "UserPatch", "JurisdictionPatch"} <= set(models)
    for name, model in models.items():
        props = spec[name]["properties"]
        assert set(props) == set(model.model_fields), name
        nullable = {field for field, prop in props.items() if _nullable(prop)}
        assert nullable == set(model.clearable), name
    assert spec["BodyPatch"]["properties"]["cii"] == {"type": "boolean", "title": "Cii"}


def test_a_null_patch_field_is_refused_naming_it(client, headers):
    r = client.patch("/api/v1/users/1", json={"active": None, "display_name": "x"},
                     headers=headers("bj_admin"))
    refused(r, "active")
