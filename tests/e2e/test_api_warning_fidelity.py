"""Issue 17 (rule fidelity) over HTTP, on both databases: risk assessments graded like incidents
(Plan §3.1, §1.4) and reported to the Emergency Office when they propose orange or red (Plan
§3.3 ¶1); a city's public warning and a city department's warning refused as problem+json
naming the rule (Law art. 54(3); City §3.3.3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fenghuo.org import accounts, interchange
from fenghuo.org.schemas import UserIn
from tests.conftest import PASSWORD
from tests.e2e.test_api_warnings import PROBLEM, monitoring, warning

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture
def jincheng(rt):
    doc = interchange.parse_yaml((EXAMPLES / "jincheng.yaml").read_text(), "jincheng.yaml")
    interchange.import_document(rt.uow, rt.clock, principal=None, doc=doc)
    admin = accounts.principal_for(rt.uow, username="nat_admin")
    for username, body in (("jc_duty", "jc.office"), ("jc_tel", "jc.telecom-regulator")):
        accounts.create_user(rt.uow, rt.clock, principal=admin, data=UserIn(
            username=username, display_name=username, body=body, roles=["duty_officer"],
            password=PASSWORD))


def city_warning(clock, **kw) -> dict:
    return warning(clock, level="yellow", jurisdictions=["140500"], sectors=["telecom"], **kw)


def test_an_assessment_graded_from_facts_is_reported_and_acknowledged(client, headers, clock):
    """Plan §1.4 (criterion ②, serious → major) → Plan §3.1 orange → Plan §3.3 ¶1 report."""
    item = client.post("/api/v1/monitoring", json=monitoring(clock),
                       headers=headers("bj_reporter")).json()
    r = client.post("/api/v1/assessments", json={
        "items": [item["ref"]], "likelihood": "medium", "extent": "region_or_sector",
        "facts": {"data_threat": "serious"}}, headers=headers("bj_duty"))
    assert r.status_code == 201, r.text
    out = r.json()
    assert (out["harm"], out["proposal"]["level"], out["proposal"]["grade"]) == (
        "major", "orange", "major")
    assert out["facts"]["data_threat"] == "serious" and out["grading_profile"] == "cac2025"
    assert out["proposal"]["reasons"][1]["code"] == "risk.grade.plan.criterion2.serious"
    [report] = out["reports"]
    assert (report["body"], report["state"], report["source"]) == (
        "cn.emergency-office", "due", "Plan §3.3 ¶1")
    ack = f"/api/v1/assessments/{out['ref']}/acknowledge"
    r = client.post(ack, headers=headers("bj_duty"))
    assert r.status_code == 403 and r.headers["content-type"].startswith(PROBLEM)
    r = client.post(ack, headers=headers("nat_admin"))
    assert r.status_code == 200 and r.json()["reports"][0]["state"] == "acknowledged"
    assert client.post(ack, headers=headers("nat_admin")).json() == r.json()  # once
    r = client.post("/api/v1/assessments", json={
        "items": [item["ref"]], "likelihood": "low", "extent": "national",
        "harm": "especially_major"}, headers=headers("bj_duty"))
    assert r.status_code == 201 and r.json()["proposal"]["level"] is None  # Plan §3.1
    assert r.json()["reports"] == []
    r = client.post("/api/v1/assessments", json={
        "items": [item["ref"]], "likelihood": "high", "extent": "national"},
        headers=headers("bj_duty"))
    assert r.status_code == 422  # neither facts nor harm


def test_a_city_public_warning_and_a_city_department_are_refused(client, headers, clock,
                                                                 jincheng):
    r = client.post("/api/v1/warnings", json=city_warning(clock, public=True, tlp="clear"),
                    headers=headers("jc_duty"))
    assert r.status_code == 403 and r.headers["content-type"].startswith(PROBLEM)
    [reason] = r.json()["reasons"]
    assert reason["code"] == "public.below_province"
    assert reason["source"] == "Law art. 54(3); art. 51"
    assert "Law art. 54(3)" in r.json()["detail"]
    r = client.post("/api/v1/warnings", json=city_warning(clock), headers=headers("jc_tel"))
    assert r.status_code == 403
    assert [x["code"] for x in r.json()["reasons"]] == ["authority.city_department"]
    r = client.post("/api/v1/warnings", json=city_warning(clock), headers=headers("jc_duty"))
    assert r.status_code == 201 and r.json()["authority"][0]["code"] == "authority.city"
    r = client.post("/api/v1/warnings", json=warning(clock, public=True, tlp="clear"),
                    headers=headers("bj_duty"))
    assert r.status_code == 201  # the province may (Law art. 54(3))
