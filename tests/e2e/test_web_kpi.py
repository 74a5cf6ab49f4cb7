"""The KPI page, its CSV and JSON over HTTP (issue 19 item 10), on both databases: login
required, the figures of the caller's scope, a body outside it refused, the CSV as a download
with the same figures as the page."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from fenghuo.incident import handling, service
from fenghuo.org.accounts import principal_for
from tests.e2e.test_web_form import login
from tests.integration.test_reporting_chain import report_data


def seed(rt, clock) -> None:
    out = service.report(rt.uow, rt.clock, principal=principal_for(rt.uow, username="bj_reporter"),
                         data=report_data(clock, found_at=clock.now() - timedelta(minutes=45)),
                         profile="cac2025")
    clock.advance(minutes=20)
    handling.acknowledge(rt.uow, rt.clock, principal=principal_for(rt.uow, username="bj_admin"),
                         ref=out.ref)


def test_the_kpis_need_a_login(client):
    for path in ("/web/kpi", "/web/kpi.csv", "/web/kpi.json"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/web/login?next=")


def test_page_csv_and_json_carry_the_same_figures(client, rt, clock):
    seed(rt, clock)
    login(client, "bj_admin")
    page = client.get("/web/kpi?period=2026-11", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200 and "关键绩效指标" in page.text
    assert '<svg class="kpi-bars" id="kpi-bars-report"' in page.text
    assert 'id="kpi-report-bj-bank"' in page.text and "0.75" in page.text
    assert 'href="/web/kpi.csv?period=2026-11"' in page.text
    r = client.get("/web/kpi.csv?period=2026-11")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="fenghuo-kpi-2026-11.csv"' in r.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    got = {(x["kpi"], x["body"]): x for x in table}
    assert got[("report", "bj-bank")]["median_hours"] == "0.75"
    assert got[("acknowledge", "110000.office")]["p90_hours"] == "0.33"
    assert got[("acknowledge", "bj-finance-reg")]["open"] == "1"
    data = client.get("/web/kpi.json?period=2026-11").json()
    assert data["period"] == "2026-11" and len(data["rows"]) == len(table)
    assert data["trend"]["report"][-1]["n"] == 1 and len(data["periods"]) == 8


def test_a_body_of_the_scope_or_none(client, rt, clock):
    seed(rt, clock)
    login(client, "bj_admin")
    one = client.get("/web/kpi.csv?period=2026-11&body=bj-bank")
    assert {x["body"] for x in csv.DictReader(io.StringIO(one.content.decode("utf-8-sig")))
            } == {"bj-bank", ""}
    assert client.get("/web/kpi?body=cn.emergency-office").status_code == 404
    assert client.get("/web/kpi.csv?body=sh-bank").status_code == 404
    shanghai = client.__class__(client.app)
    login(shanghai, "sh_admin")
    assert "bj-bank" not in shanghai.get("/web/kpi.csv?period=2026-11").text
    week = shanghai.get("/web/kpi?kind=week", headers={"Accept-Language": "en"})
    assert week.status_code == 200 and 'id="period">2026-W44<' in week.text
    # changing the length keeps the place: November's quarter, its first week
    quarter = shanghai.get("/web/kpi?period=2026-11&kind=quarter")
    assert 'id="period">2026-Q4<' in quarter.text
    assert '<option value="2026-Q4" selected' in quarter.text
    assert 'id="period">2026-W44<' in shanghai.get("/web/kpi?period=2026-11&kind=week").text
    assert 'id="period">2026-10<' in shanghai.get("/web/kpi?period=2026-10").text


@pytest.fixture
def api(client):
    return client


def test_the_api_gives_json_and_csv(api, rt, clock, headers):
    seed(rt, clock)
    r = api.get("/api/v1/kpi", params={"period": "2026-11"}, headers=headers("bj_admin"))
    assert r.status_code == 200, r.text
    got = {(x["kpi"], x["body"]["key"]): x["summary"] for x in r.json()["rows"]}
    assert got[("report", "bj-bank")]["median"] == pytest.approx(0.75)
    c = api.get("/api/v1/kpi", params={"period": "2026-11", "format": "csv"},
                headers=headers("bj_admin"))
    assert c.headers["content-type"].startswith("text/csv")
    assert len(list(csv.DictReader(io.StringIO(c.content.decode("utf-8-sig"))))) == len(got)
    assert api.get("/api/v1/kpi", params={"period": "2026-13"},
                   headers=headers("bj_admin")).status_code == 422
    assert api.get("/api/v1/kpi", params={"period": "2026-11", "body": "bj-bank"},
                   headers=headers("sh_admin")).status_code == 404
    assert api.get("/api/v1/kpi", params={"period": "2026-11"}).status_code == 401
