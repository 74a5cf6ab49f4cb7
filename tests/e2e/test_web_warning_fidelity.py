"""Issue 17 (rule fidelity) in the console, on both databases: the issuance form states that a
city may not release to the public (Law art. 54(3)) and that a city department issues nothing
(City §3.3.3); a risk assessment's form shows its proposal from the possible incident's grade
(Plan §3.1) and its report to the Emergency Office with the acknowledgement clock, which the
Office acknowledges there (Plan §3.3 ¶1)."""

from __future__ import annotations

import re

from fenghuo.common.clauses import render as zh_clause
from fenghuo.org import accounts, interchange
from fenghuo.warning import monitoring
from fenghuo.warning.schemas import AssessmentIn
from tests.e2e.test_web_form import csrf, login
from tests.e2e.test_web_warnings import EXAMPLES, add_officer, as_user, fields
from tests.integration.test_warnings import monitoring_in


def _jincheng(rt) -> None:
    doc = interchange.parse_yaml((EXAMPLES / "jincheng.yaml").read_text(), "jincheng.yaml")
    interchange.import_document(rt.uow, rt.clock, principal=None, doc=doc)
    add_officer(rt, "jc-duty", "jc.office")
    add_officer(rt, "jc-tel", "jc.telecom-regulator")


def test_the_form_states_the_city_limits(client, rt):
    _jincheng(rt)
    login(client, "jc-duty")
    page = client.get("/web/warnings/new")
    assert re.search(r'id="public"[^>]*disabled', page.text)
    rule = page.text.split('id="public-rule"')[1].split("</p>")[0]
    assert "public.below_province" in rule and zh_clause("Law art. 54(3)") in rule
    assert "省级网络安全应急办公室" in rule
    r = client.post("/web/warnings", data=fields(page.text, level="yellow",
                                                 jurisdictions="140500", sectors=["telecom"],
                                                 public="1", tlp="clear"))
    assert r.status_code == 403 and "public.below_province" in r.text.split(
        'id="refused"')[1].split("</div>")[0]
    tel = as_user(client, "jc-tel")
    powers = tel.get("/web/warnings/new").text.split('id="powers"')[1].split("</section>")[0]
    assert 'data-level="yellow" data-allowed="no"' in powers
    assert 'data-level="blue" data-allowed="no"' in powers
    assert "authority.city_department" in powers and zh_clause("City §3.3.3") in powers
    login(client, "bj_duty")  # a province may: the box is there to tick
    assert not re.search(r'id="public"[^>]*disabled', client.get("/web/warnings/new").text)


def _assessment(rt, **kw) -> str:
    me = accounts.principal_for(rt.uow, username="bj_reporter")
    item = monitoring.submit(rt.uow, rt.clock, principal=me, data=monitoring_in(rt.clock)).ref
    analyst = accounts.principal_for(rt.uow, username="bj_analyst")
    data = {"items": [item], "likelihood": "high", "extent": "region_or_sector", **kw}
    return monitoring.assess(rt.uow, rt.clock, principal=analyst, data=AssessmentIn(**data),
                             profile="cac2025").ref


def test_the_assessment_shows_its_report_and_the_office_acknowledges(client, rt, clock):
    ref = _assessment(rt, facts={"system_loss": "serious", "important_system": True})
    login(client, "nat_admin")
    page = client.get(f"/web/warnings/new?assessment={ref}")
    proposal = page.text.split('id="proposal"')[1].split("</section>")[0]
    assert "橙色预警" in proposal and "risk.grade.plan.criterion1.serious" in proposal
    assert re.search(r'id="level-orange" name="level" value="orange" checked', page.text)
    report = proposal.split('id="report-cn.emergency-office"')[1]
    assert 'data-state="due"' in report and "须于" in report and zh_clause("Plan §3.3 ¶1") in report
    clock.advance(hours=2)
    report = client.get(f"/web/warnings/new?assessment={ref}").text.split(
        'id="report-cn.emergency-office"')[1]
    assert 'data-state="overdue"' in report and "确认已逾期" in report
    assert client.post(f"/web/assessments/{ref}/acknowledge",
                       data={"csrf": "forged"}).status_code == 401
    r = client.post(f"/web/assessments/{ref}/acknowledge", data={"csrf": csrf(page.text)},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/web/warnings/new?assessment={ref}"
    report = client.get(r.headers["location"]).text.split('id="report-cn.emergency-office"')[1]
    assert 'data-state="acknowledged"' in report and "nat_admin" in report
    assert 'id="ack-assessment"' not in report
    bj = as_user(client, "bj_duty")  # the assessor's office sees the clock, not the button
    shown = bj.get(f"/web/warnings/new?assessment={ref}").text
    assert 'id="report-cn.emergency-office"' in shown and 'id="ack-assessment"' not in shown


def test_an_unlikely_assessment_proposes_no_warning(client, rt):
    ref = _assessment(rt, harm="major", likelihood="low")
    login(client, "bj_duty")
    page = client.get(f"/web/warnings/new?assessment={ref}")
    assert page.status_code == 200 and 'id="no-warning"' in page.text
    assert "风险评估不建议发布预警" in page.text and "risk.unlikely" in page.text
    assert not re.search(r'name="level" value="[a-z]+" checked', page.text)
