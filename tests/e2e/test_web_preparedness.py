"""The preparedness pages of the console on both databases (Plan §6.2, §7.10, §8.1; Law art. 38;
Support obligations 4–9): compliance with a Beijing plan not evaluated for thirteen months and
no exercise, a Shanghai plan in time; a support unit with 39 hours of support in October (unmet)
and a missing work report; the accountability view with a commendation, its CSV export; scope
(Law art. 30), both languages and escaping."""

from __future__ import annotations

import re
from datetime import date

from fenghuo.org.accounts import principal_for
from fenghuo.preparedness import accountability as acc
from fenghuo.preparedness import service as preparedness
from fenghuo.preparedness.schemas import ExerciseIn, HeldIn, PlanIn
from fenghuo.support import service as support
from fenghuo.support.schemas import AdmitIn, RoundIn, WorkIn, WorkReportIn
from tests.e2e.test_web_form import login
from tests.e2e.test_web_responses import text

SCRIPT = "<script>alert(1)</script>"


def web(client, username: str, lang: str = "zh_CN"):
    other = client.__class__(client.app)
    login(other, username)
    other.cookies.set("lang", lang)
    return other


def world(rt) -> None:
    """On 1 November 2026 (the FakeClock): Beijing's plan adopted on 30 September 2025 and never
    evaluated (Plan §8.1: due on 30 September 2026, overdue); Shanghai's adopted this June and
    its exercise held and reported (Plan §6.2); bj-support admitted to round 4 on 1 July with 39
    hours of technical support in October (Support obligation 5: 40) and no incident response
    (obligation 4); its H1 work report with markup in it; a commendation of bj-telco (§7.10)."""
    who = lambda name: principal_for(rt.uow, username=name)  # noqa: E731
    bj, sh, cncert = who("bj_admin"), who("sh_admin"), who("cncert_duty")
    preparedness.add_plan(rt.uow, rt.clock, principal=bj, data=PlanIn(
        body="110000.office", key="bj-plan", title=f"北京预案 {SCRIPT}", version="1.0",
        owner="王 Wang", document="bj-plan.pdf", adopted_on=date(2025, 9, 30)))
    preparedness.add_plan(rt.uow, rt.clock, principal=sh, data=PlanIn(
        body="310000.office", key="sh-plan", title="上海预案", version="2.0", owner="李 Li",
        document="sh-plan.pdf", adopted_on=date(2026, 6, 1)))
    x = preparedness.plan_exercise(rt.uow, rt.clock, principal=sh, data=ExerciseIn(
        organizer="310000.office", title="上海演练", scope="全市", scenario="勒索",
        form="tabletop", planned_for=date(2026, 9, 1)))
    preparedness.record_held(rt.uow, rt.clock, principal=sh, ref=x.ref,
                             data=HeldIn(held_on=date(2026, 9, 1)))
    preparedness.report(rt.uow, rt.clock, principal=sh, ref=x.ref)
    support.create_round(rt.uow, rt.clock, principal=cncert, data=RoundIn(
        number=4, name_zh="第四届", name_en="Round 4", starts_on=date(2026, 1, 1)))
    support.admit(rt.uow, rt.clock, principal=cncert, number=4,
                  data=AdmitIn(unit="bj-support", admitted_on=date(2026, 7, 1)))
    unit = who("bj_support")
    for day, hours in ((5, 8), (6, 8), (7, 8), (8, 8), (9, 7)):  # 39 hours
        support.log_work(rt.uow, rt.clock, principal=unit, unit="bj-support", data=WorkIn(
            kind="technical_support", worked_on=date(2026, 10, day), minutes=hours * 60,
            with_body="110000.cncert", task="漏洞分析 analysis"))
    support.submit_report(rt.uow, rt.clock, principal=unit, data=WorkReportIn(
        unit="bj-support", half="2026-H1", sections={
            "bids_and_publicity": "无", "services": f"服务 {SCRIPT}",
            "center_cooperation": "协助分中心", "own_cases": "一起"}))
    acc.commend(rt.uow, rt.clock, principal=bj, data=acc.CommendationIn(
        body="bj-telco", reason=f"处置得力 {SCRIPT}", given_on=date(2026, 10, 15)))


def test_compliance_page_in_both_languages_and_scope(client, rt):
    world(rt)
    bj, sh = web(client, "bj_admin"), web(client, "sh_admin", "en")

    page = bj.get("/web/preparedness")
    assert page.status_code == 200, page.text
    assert 'href="/web/preparedness" aria-current="page"' in page.text  # the nav item
    row = re.search(r'<tr id="body-110000.office".*?</tr>', page.text, re.S).group(0)
    assert 'class="prep-bad"' in row  # non-compliant (Plan §8.1, §6.2)
    assert "st-overdue" in re.search(r'class="duty-plan">.*?</td>', row, re.S).group(0)
    assert "st-missing" in re.search(r'class="duty-exercise">.*?</td>', row, re.S).group(0)
    shown = text(row)
    assert "已逾期" in shown and "Plan §8.1" in shown and "plan.evaluation_overdue" in shown
    assert "缺失" in shown and "Plan §6.2" in shown
    bank = re.search(r'<tr id="body-bj-bank".*?</tr>', page.text, re.S).group(0)
    assert "Law art. 38" in text(bank)  # a CII operator's yearly assessment
    assert "310000.office" not in page.text and "sh-bank" not in page.text  # Law art. 30

    page = sh.get("/web/preparedness")
    assert page.status_code == 200 and page.headers["content-language"] == "en"
    assert "Compliance with preparedness duties" in page.text
    row = re.search(r'<tr id="body-310000.office".*?</tr>', page.text, re.S).group(0)
    assert "prep-bad" not in row and "st-ok" in row and "st-not_reported" not in row
    assert "110000.office" not in page.text and "bj-bank" not in page.text

    # the filters: the plan duty overdue keeps Beijing's office and shows only that duty
    page = bj.get("/web/preparedness?duty=plan&status=overdue")
    assert 'id="body-110000.office"' in page.text and 'id="body-bj-bank"' not in page.text
    assert 'class="duty-exercise">' in page.text  # the column is there, the cell is empty
    assert "st st-missing" not in page.text
    assert bj.get("/web/preparedness?duty=nonsense&status=x&page=0").status_code == 200
    assert sh.get("/web/preparedness?status=overdue").text.count('<tr id="body-') == 0


def test_support_pages(client, rt):
    world(rt)
    bj, sh = web(client, "bj_admin"), web(client, "sh_admin")
    en = web(client, "bj_support", "en")

    page = bj.get("/web/preparedness/support")
    assert page.status_code == 200, page.text
    row = re.search(r'<tr id="unit-bj-support".*?</tr>', page.text, re.S).group(0)
    assert "第四届" in page.text and "有效" in text(row)
    assert "st-in_progress" in row  # November is not over: in progress, never unmet
    assert 'href="/web/preparedness/support/bj-support"' in row
    assert 'id="unit-bj-support"' not in sh.get("/web/preparedness/support").text
    assert 'id="unit-bj-support"' in bj.get("/web/preparedness/support?round=x&page=0").text

    page = bj.get("/web/preparedness/support/bj-support?half=2026-H2")
    assert page.status_code == 200, page.text
    october = re.search(r'<tr id="month-2026-10".*?</tr>', page.text, re.S).group(0)
    hours = re.search(r'class="ob-hours">.*?</td>', october, re.S).group(0)
    assert "st-unmet" in hours and "39 / 40" in text(hours) and "Support obligation 5" in hours
    assert "st-unmet" in re.search(r'class="ob-responses">.*?</td>', october, re.S).group(0)
    assert "st-in_progress" in re.search(r'<tr id="month-2026-11".*?</tr>', page.text,
                                         re.S).group(0)
    page = bj.get("/web/preparedness/support/bj-support?half=2026-H1")
    assert f"服务 {SCRIPT}" in text(page.text) and SCRIPT not in page.text  # escaped
    assert 'id="rubric"' in page.text  # the half is over and not evaluated: the preview

    page = en.get("/web/preparedness/support/bj-support?half=2026-h2")
    assert page.status_code == 200 and "Monthly obligations in 2026-H2" in page.text
    assert "unmet" in text(page.text) and "Work report (Support obligation 8)" in page.text
    r = bj.get("/web/preparedness/support/bj-support?half=2026-H7")
    assert r.status_code == 422 and 'id="err-half"' in r.text
    assert sh.get("/web/preparedness/support/bj-support").status_code == 404  # Law art. 30


def test_accountability_page_and_csv(client, rt):
    world(rt)
    bj, sh = web(client, "bj_admin"), web(client, "sh_admin", "en")

    page = bj.get("/web/preparedness/accountability?period=2026-H2")
    assert page.status_code == 200, page.text
    office = text(re.search(r'<tr id="acc-110000.office".*?</tr>', page.text, re.S).group(0))
    assert "plan.evaluation_overdue" in office and "Plan §8.1" in office
    unit = text(re.search(r'<tr id="acc-bj-support".*?</tr>', page.text, re.S).group(0))
    assert "Support obligation 5" in unit and "Support obligation 4" in unit
    telco = re.search(r'<tr id="acc-bj-telco".*?</tr>', page.text, re.S).group(0)
    assert f"处置得力 {SCRIPT}" in text(telco) and SCRIPT not in page.text
    assert 'href="/web/preparedness/accountability.csv?period=2026-H2"' in page.text
    assert "sh-bank" not in page.text and "310000.office" not in page.text

    page = sh.get("/web/preparedness/accountability?period=2026-H2")
    assert page.status_code == 200 and "Accountability and commendation" in page.text
    assert "acc-bj-" not in page.text and "acc-110000" not in page.text
    page = bj.get("/web/preparedness/accountability")  # the current half by default
    assert page.status_code == 200 and 'value="2026-H2"' in page.text
    r = bj.get("/web/preparedness/accountability?period=2026-13")
    assert r.status_code == 422 and 'id="err-period"' in r.text

    r = bj.get("/web/preparedness/accountability.csv?period=2026-H2")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="accountability-2026-H2.csv"' in r.headers["content-disposition"]
    assert r.text.startswith("\ufeff") and "迟报 late" in r.text
    assert "bj-support" in r.text and "110000.office" in r.text and "sh-bank" not in r.text
    assert "310000.office" not in sh.get(
        "/web/preparedness/accountability.csv?period=2026-H2").text


def test_login_required(client):
    for path in ("/web/preparedness", "/web/preparedness/support",
                 "/web/preparedness/support/bj-support", "/web/preparedness/accountability",
                 "/web/preparedness/accountability.csv"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/web/login"), path
