"""The preparedness pages of the console on both databases (Plan §6.2, §7.10, §8.1; Law art. 38;
Support obligations 4–9): compliance with a Beijing plan not evaluated for thirteen months and
no exercise, a Shanghai plan in time; a support unit with 39 hours of support in October
(progress toward the half's average) and a missing work report; CNCERT's decision ending its
status; the accountability view with a commendation, its CSV export; scope
(Law art. 30), both languages and escaping. The forms: a body's plans and their yearly
evaluation (Plan §8.1), its exercises held and reported (Plan §6.2), a support unit's time
(Support obligations 4–5), each with its errors at the fields, refusals with their clauses,
scope and CSRF."""

from __future__ import annotations

import re
from datetime import date

from fenghuo.common.clauses import render as zh_clause
from fenghuo.common.pagination import PageParams
from fenghuo.org.accounts import principal_for
from fenghuo.preparedness import accountability as acc
from fenghuo.preparedness import service as preparedness
from fenghuo.preparedness.schemas import ExerciseIn, HeldIn, PlanIn
from fenghuo.support import service as support
from fenghuo.support.schemas import AdmitIn, DecisionIn, RoundIn, WorkIn, WorkReportIn
from tests.e2e.test_web_form import csrf, login
from tests.e2e.test_web_responses import text

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
PAGE = PageParams(limit=50, offset=0)


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
    assert "已逾期" in shown and zh_clause("Plan §8.1") in shown
    assert "plan.evaluation_overdue" in shown
    assert "缺失" in shown and zh_clause("Plan §6.2") in shown
    bank = re.search(r'<tr id="body-bj-bank".*?</tr>', page.text, re.S).group(0)
    assert zh_clause("Law art. 38") in text(bank)  # a CII operator's yearly assessment
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
    # 平均每月 (Support obligations 4–5): October is progress toward 2026-H2's average
    assert "st-in_progress" in hours and "39 / 40" in text(hours)
    assert zh_clause("Support obligation 5") in hours and "余下2个月还需技术支持201h" in text(hours)
    assert "st-in_progress" in re.search(r'class="ob-responses">.*?</td>', october,
                                         re.S).group(0)
    assert "st-in_progress" in re.search(r'<tr id="month-2026-11".*?</tr>', page.text,
                                         re.S).group(0)
    averages = text(re.search(r'id="averages">.*?</div>', page.text, re.S).group(0))
    assert "平均每月" in averages and "6 个月中已过 5 个月" in averages
    page = bj.get("/web/preparedness/support/bj-support?half=2026-H1")
    assert f"服务 {SCRIPT}" in text(page.text) and SCRIPT not in page.text  # escaped
    assert 'id="rubric"' in page.text  # the half is over and not evaluated: the preview

    page = en.get("/web/preparedness/support/bj-support?half=2026-h2")
    assert page.status_code == 200 and "Monthly obligations in 2026-H2" in page.text
    hours = text(re.search(r'id="average-hours">.*?</li>', page.text, re.S).group(0))
    assert "in progress" in hours
    assert "needs another 201h of technical support in the remaining 2 month(s)" in hours
    assert "Work report (Support obligation 8)" in page.text
    r = bj.get("/web/preparedness/support/bj-support?half=2026-H7")
    assert r.status_code == 422 and 'id="err-half"' in r.text
    assert sh.get("/web/preparedness/support/bj-support").status_code == 404  # Law art. 30


def test_a_decision_ending_the_status_shows_where_the_status_shows(client, rt):
    """Support 五 (CNCERT有权随时…取消其应急服务支撑单位的资格), obligation 9: after CNCERT's
    decision the round's list shows the unit disqualified and the unit's page the decision with
    its ground, clause and reason (escaped), in both languages."""
    world(rt)
    support.decide(rt.uow, rt.clock, principal=principal_for(rt.uow, username="cncert_duty"),
                   data=DecisionIn(unit="bj-support", ground="obligation_2",
                                   reason=f"泄露 {SCRIPT}"))
    bj, en = web(client, "bj_admin"), web(client, "bj_ro", "en")
    row = re.search(r'<tr id="unit-bj-support".*?</tr>',
                    bj.get("/web/preparedness/support").text, re.S).group(0)
    assert "已取消资格" in text(row)
    page = bj.get(UNIT)
    decision = re.search(r'id="decision-4">.*?</span>', page.text, re.S).group(0)
    assert "违反保密规定" in decision and zh_clause("Support obligation 2") in decision
    assert f"泄露 {ESCAPED}" in decision and SCRIPT not in page.text
    assert "barred from the next round" in en.get(UNIT).text
    assert "confidentiality breached" in en.get(UNIT).text


def test_accountability_page_and_csv(client, rt):
    world(rt)
    bj, sh = web(client, "bj_admin"), web(client, "sh_admin", "en")

    page = bj.get("/web/preparedness/accountability?period=2026-H2")
    assert page.status_code == 200, page.text
    office = text(re.search(r'<tr id="acc-110000.office".*?</tr>', page.text, re.S).group(0))
    assert "plan.evaluation_overdue" in office and zh_clause("Plan §8.1") in office
    unit = text(re.search(r'<tr id="acc-bj-support".*?</tr>', page.text, re.S).group(0))
    # 平均每月: 39 hours in October are not unmet while 2026-H2 runs; no 7×24 contact is
    assert zh_clause("Support obligation 6") in unit
    assert "Support obligation 5" not in unit and "Support obligation 4" not in unit
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
                 "/web/preparedness/accountability.csv", "/web/preparedness/body/bj-bank"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/web/login"), path


# --- the forms ----------------------------------------------------------------------------------

BODY = "/web/preparedness/body/110000.office"
UNIT = "/web/preparedness/support/bj-support"


def post(browser, path: str, page: str, **data):
    """Submit a form of ``page`` with the browser's CSRF token."""
    return browser.post(path, data={"csrf": csrf(browser.get(page).text), **data},
                        follow_redirects=False)


def plan_id(html: str, key: str) -> str:
    return re.search(rf'<tr id="plan-(\d+)"[^>]*>\s*<th scope="row">[^<]*<br><span '
                     rf'class="muted">{key}</span>', html).group(1)


def test_a_bodys_plans_registered_and_evaluated(client, rt):
    """Plan §8.1: a plan registered in the console falls due twelve months after adoption; the
    one evaluated thirteen months late turns ok once its yearly evaluation is recorded."""
    world(rt)
    duty = web(client, "bj_duty")
    page = duty.get("/web/preparedness")
    assert f'href="{BODY}"' in page.text  # each compliance row leads to the body's page
    page = duty.get(BODY)
    assert page.status_code == 200, page.text
    assert "st-overdue" in re.search(r'<tr id="duty-plan".*?</tr>', page.text, re.S).group(0)
    assert "plan.evaluation_overdue" in page.text and zh_clause("Plan §8.1") in page.text
    assert f"北京预案 {SCRIPT}" in text(page.text) and SCRIPT not in page.text
    assert 'action="/web/preparedness/body/110000.office/plans"' in page.text

    # invalid: what was typed comes back, escaped, with each error at its field
    r = post(duty, f"{BODY}/plans", BODY, key="Bad Key", title=SCRIPT, version="1",
             owner="", document="d.pdf", adopted_on="")
    assert r.status_code == 422 and SCRIPT not in r.text
    assert f'value="{ESCAPED}"' in r.text
    assert 'id="err-plan-key"' in r.text and 'id="err-plan-owner"' in r.text
    assert "此项必填" in re.search(r'id="err-plan-adopted_on">[^<]*', r.text).group(0)
    assert 'value="Bad Key"' in r.text and 'aria-invalid="true"' in r.text
    r = post(duty, f"{BODY}/plans", BODY, key="bj-plan", title="重复", version="1", owner="王",
             document="d.pdf", adopted_on="2026-10-01")
    assert r.status_code == 422 and "already keeps a plan" in text(r.text)
    r = post(duty, f"{BODY}/plans", BODY, key="bj-next", title="明年", version="1", owner="王",
             document="d.pdf", adopted_on="2027-01-01")
    assert r.status_code == 422 and "is in the future" in r.text
    assert len(preparedness.list_plans(rt.uow, rt.clock, principal=principal_for(
        rt.uow, username="bj_duty"), page=PAGE, body="110000.office").items) == 1

    r = post(duty, f"{BODY}/plans", BODY, key="bj-ddos", title="北京 DDoS 专项预案",
             version="1.0", owner="网络安全处", document="ddos.pdf", adopted_on="2026-10-01")
    assert r.status_code == 303 and r.headers["location"] == f"{BODY}?done=plan#plan"
    page = duty.get(r.headers["location"])
    assert 'id="done"' in page.text and "预案已登记" in page.text
    assert "2027-10-01" in re.search(rf'<tr id="plan-{plan_id(page.text, "bj-ddos")}".*?</tr>',
                                      page.text, re.S).group(0)

    # the yearly evaluation: a revision needs a new version (a rule, with its clause)
    pid = plan_id(page.text, "bj-plan")
    r = post(duty, f"{BODY}/plans/{pid}/evaluation", BODY, evaluated_on="2026-10-30",
             outcome="revised", new_version="", findings=f"补充 {SCRIPT}")
    assert r.status_code == 422
    err = text(re.search(rf'id="err-evaluate-{pid}-new_version">[^<]*', r.text).group(0))
    assert "Plan §8.1" in err and "new version" in err
    assert f'id="evaluate-{pid}" open' in r.text and SCRIPT not in r.text
    assert f"补充 {SCRIPT}" in text(r.text)  # the findings typed are kept
    r = post(duty, f"{BODY}/plans/{pid}/evaluation", BODY, evaluated_on="2026-10-30",
             outcome="revised", new_version="2.0", findings="补充勒索场景")
    assert r.status_code == 303 and f"done=evaluate-{pid}" in r.headers["location"]
    page = duty.get(BODY)
    row = re.search(rf'<tr id="plan-{pid}".*?</tr>', page.text, re.S).group(0)
    assert "st-ok" in row and "2.0" in text(row) and "2027-10-30" in row
    assert "st-ok" in re.search(r'<tr id="duty-plan".*?</tr>', page.text, re.S).group(0)


def test_a_bodys_exercise_planned_held_and_reported(client, rt):
    """Plan §6.2 (并将演练情况报中央网信办): an exercise is planned, held with its findings, then
    reported; reporting one not held is refused with the rule; the duty turns ok."""
    world(rt)
    duty = web(client, "bj_duty", "en")
    r = post(duty, f"{BODY}/exercises", BODY, title="DDoS 演练", scope="全市", scenario="勒索",
             form="tabletop", participants="cn.cncert, nobody-here", planned_for="2026-11-20")
    assert r.status_code == 422 and 'id="err-exercise-participants"' in r.text
    assert "nobody-here" in text(re.search(r'id="err-exercise-participants">[^<]*',
                                           r.text).group(0))
    assert 'value="cn.cncert, nobody-here"' in r.text  # kept as typed
    r = post(duty, f"{BODY}/exercises", BODY, title="DDoS 演练", scope="全市", scenario="",
             form="drill", participants="", planned_for="2026-13-01")
    assert r.status_code == 422 and "This field is required." in r.text
    assert 'id="err-exercise-form"' in r.text and "Enter a valid date." in r.text

    r = post(duty, f"{BODY}/exercises", BODY, title=f"DDoS 演练 {SCRIPT}", scope="全市",
             scenario="勒索", form="functional", participants="cn.cncert bj-bank",
             planned_for="2026-11-20")
    assert r.status_code == 303, r.text
    page = duty.get(BODY)
    ref = re.search(r'<tr id="exercise-(EX-[^"]+)"', page.text).group(1)
    row = re.search(rf'<tr id="exercise-{ref}".*?</tr>', page.text, re.S).group(0)
    assert "planned" in text(row) and "bj-bank, cn.cncert" in text(row) and SCRIPT not in row

    r = post(duty, f"{BODY}/exercises/{ref}/report", BODY)  # not held yet: the rule refuses
    assert r.status_code == 403
    refused = text(re.search(rf'id="refused-report-{ref}".*?</div>', r.text, re.S).group(0))
    assert "exercise.report_not_held" in refused and "Plan §6.2" in refused
    r = post(duty, f"{BODY}/exercises/{ref}/held", BODY, held_on="2026-11-02", findings="")
    assert r.status_code == 422 and "in the future" in r.text
    assert f'id="held-{ref}" open' in r.text and 'value="2026-11-02"' in r.text
    r = post(duty, f"{BODY}/exercises/{ref}/held", BODY, held_on="2026-10-28",
             findings="联络表过期")
    assert r.status_code == 303 and f"done=held-{ref}" in r.headers["location"]
    page = duty.get(BODY)
    assert "st-not_reported" in re.search(r'<tr id="duty-exercise".*?</tr>', page.text,
                                          re.S).group(0)
    assert f'action="{BODY}/exercises/{ref}/report"' in page.text
    r = post(duty, f"{BODY}/exercises/{ref}/held", BODY, held_on="2026-10-29")
    assert r.status_code == 403 and "Plan §6.2" in text(  # held once: nothing follows
        re.search(rf'id="held-{ref}".*?</details>', r.text, re.S).group(0))
    r = post(duty, f"{BODY}/exercises/{ref}/report", BODY)
    assert r.status_code == 303
    page = duty.get(r.headers["location"])
    assert "reported to the Central Cyberspace Office" in page.text
    row = re.search(rf'<tr id="exercise-{ref}".*?</tr>', page.text, re.S).group(0)
    assert "bj_duty" in text(row) and f'action="{BODY}/exercises/{ref}/report"' not in page.text
    assert "st-ok" in re.search(r'<tr id="duty-exercise".*?</tr>', page.text, re.S).group(0)


def test_body_page_scope_permission_and_csrf(client, rt):
    """Law art. 30: another province's body is not found, and nothing is written there; a
    read-only user sees no form and is refused the write; a form without its CSRF token is
    refused and stores nothing."""
    world(rt)
    sh, ro, duty = web(client, "sh_admin"), web(client, "bj_ro"), web(client, "bj_duty")
    data = {"key": "x-plan", "title": "t", "version": "1", "owner": "o", "document": "d",
            "adopted_on": "2026-10-01"}
    assert sh.get(BODY).status_code == 404
    r = post(sh, f"{BODY}/plans", "/web/preparedness", **data)
    assert r.status_code == 404
    page = ro.get(BODY)
    assert page.status_code == 200 and "<form" not in page.text.split('id="duties"')[1]
    r = post(ro, f"{BODY}/plans", BODY, **data)
    assert r.status_code == 403 and "preparedness:write" in r.text
    r = duty.post(f"{BODY}/plans", data=data, follow_redirects=False)  # no CSRF token
    assert r.status_code == 401
    r = duty.post(f"{BODY}/plans", data={**data, "csrf": "forged"}, follow_redirects=False)
    assert r.status_code == 401
    assert post(duty, f"{BODY}/plans/999999/evaluation", BODY, evaluated_on="2026-10-01",
                outcome="adequate").status_code == 404
    keys = [p.key for p in preparedness.list_plans(
        rt.uow, rt.clock, principal=principal_for(rt.uow, username="bj_admin"), page=PAGE,
        body="110000.office").items]
    assert keys == ["bj-plan"]
    r = client.post(f"{BODY}/plans", data=data, follow_redirects=False)  # no session
    assert r.status_code == 303 and r.headers["location"].startswith("/web/login")


def test_support_unit_logs_its_time(client, rt):
    """Support obligations 4–5: the unit logs one more hour with the Beijing branch and October
    reaches 5×8 = 40 hours, which counts toward 2026-H2's average (平均每月); an incident
    response names its incident or response; an office is refused by the rule; another
    province does not find the unit (Law art. 30)."""
    world(rt)
    unit, office = web(client, "bj_support"), web(client, "bj_admin")
    branch, sh, ro = web(client, "bj_cert"), web(client, "sh_admin"), web(client, "bj_ro")
    page = unit.get(UNIT)
    assert 'id="log-work"' in page.text and 'type="date"' in page.text
    assert "漏洞分析 analysis" in re.search(r'id="work-log".*?</table>', page.text, re.S).group(0)

    r = post(unit, f"{UNIT}/work", UNIT, kind="incident_response", worked_on="2026-10-20",
             hours="2", minutes="", with_body="110000.cncert", incident="", response="",
             task=f"应急 {SCRIPT}")
    assert r.status_code == 422 and SCRIPT not in r.text
    err = text(re.search(r'id="err-work-incident">[^<]*', r.text).group(0))
    assert "Support obligation 4" in err
    assert 'id="log-work" open' in r.text and f'value="应急 {ESCAPED}"' in r.text
    r = post(unit, f"{UNIT}/work", UNIT, kind="technical_support", worked_on="2026-10-20",
             hours="two", minutes="", with_body="110000.cncert")
    assert r.status_code == 422 and 'id="err-work-hours"' in r.text and 'value="two"' in r.text
    r = post(unit, f"{UNIT}/work", UNIT, kind="technical_support", worked_on="2026-10-20",
             hours="", minutes="", with_body="110000.cncert")
    assert r.status_code == 422 and "此项必填" in r.text

    r = post(unit, f"{UNIT}/work", UNIT, kind="technical_support", worked_on="2026-10-20",
             hours="0.5", minutes="30", with_body="110000.cncert", task="日志分析")
    assert r.status_code == 303
    assert r.headers["location"] == f"{UNIT}?half=2026-H2&done=work#work"
    page = unit.get(r.headers["location"])
    assert 'id="done"' in page.text
    october = re.search(r'<tr id="month-2026-10".*?</tr>', page.text, re.S).group(0)
    hours = re.search(r'class="ob-hours">.*?</td>', october, re.S).group(0)
    assert "st-in_progress" in hours and "40 / 40" in text(hours)  # toward the half's 240 h
    assert "余下2个月还需技术支持200h" in text(hours)

    r = post(office, f"{UNIT}/work", UNIT, kind="technical_support", worked_on="2026-10-21",
             hours="1", with_body="110000.cncert")
    assert r.status_code == 403
    refused = text(re.search(r'id="refused-work".*?</div>', r.text, re.S).group(0))
    assert "log.not_unit_or_cert" in refused and zh_clause("Support obligation 4–5") in refused
    r = post(branch, f"{UNIT}/work", UNIT, kind="technical_support", worked_on="2026-10-21",
             minutes="45")  # the branch logs for the unit, with itself by default
    assert r.status_code == 303
    assert "110000.cncert" in re.search(r'id="work-log".*?</tr>\s*<tr', branch.get(
        UNIT).text, re.S).group(0)
    assert post(sh, f"{UNIT}/work", "/web/preparedness", kind="technical_support",
                worked_on="2026-10-21", hours="1").status_code == 404
    assert 'id="log-work"' not in ro.get(UNIT).text  # no support:log, no form
    assert post(ro, f"{UNIT}/work", UNIT, kind="technical_support", worked_on="2026-10-21",
                hours="1").status_code == 403
    assert unit.post(f"{UNIT}/work", data={"kind": "technical_support"},
                     follow_redirects=False).status_code == 401
