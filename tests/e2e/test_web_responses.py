"""The response console through HTTP form posts (Plan §4.2–§4.3, §5), on both databases: the
activation form with the levels each body may activate and why; a Level I response with its
headquarters, progress reports, a support request dispatched by the Emergency Office, the
ending refused to the province and proposed and approved by the right people, the 30-day
investigation; a Level II response in Jincheng whose ending the city office may not decide;
the list with its progress clocks; escaping, login and CSRF."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from pathlib import Path

from fenghuo.common.clauses import render as zh_clause
from fenghuo.org import interchange
from fenghuo.org.accounts import put_user
from fenghuo.org.schemas import UserIn
from fenghuo.support import service as support
from fenghuo.support.schemas import AssignmentIn, AssignmentWorkIn
from fenghuo.web import i18n
from tests.conftest import PASSWORD
from tests.e2e.test_api_incidents import report
from tests.e2e.test_api_responses import hq_member
from tests.e2e.test_web_form import csrf, login
from tests.integration.test_responses import SECTIONS, level_one
from tests.integration.test_warnings import TEAMS

EXAMPLES = Path(__file__).parents[2] / "examples"
REF = re.compile(r"/web/responses/(ER-\d{8}-[0-9A-F]{8})")
SCRIPT = "<script>alert(1)</script>"


def web(client, username: str):
    """A browser of its own (cookies) for ``username``, logged in to the console."""
    other = client.__class__(client.app)
    login(other, username)
    return other


def incident(client, headers, user: str, **kw) -> str:
    r = client.post("/api/v1/incidents", json=report(**kw), headers=headers(user))
    assert r.status_code == 201, r.text
    return r.json()["ref"]


def post(browser, path: str, **data):
    """Submit a console form with the browser's CSRF token (the same on every page)."""
    token = csrf(browser.get("/web/responses").text)
    return browser.post(path, data={"csrf": token, **data}, follow_redirects=False)


def text(html: str) -> str:
    """The page's text, tags removed (entities decoded), for assertions on what is read."""
    return unescape(re.sub(r"<[^>]+>", " ", html))


def api(client, headers, ref: str) -> dict:
    return client.get(f"/api/v1/responses/{ref}", headers=headers("nat_admin")).json()


def test_level_one_in_the_console(client, headers, rt, clock):
    hq_member(rt)
    teams = TEAMS
    interchange.import_document(rt.uow, rt.clock, principal=None,
                                doc=interchange.parse_yaml(teams.read_text(), teams.name))
    inc = incident(client, headers, "bj_reporter", facts={"system_loss": "especially_serious"},
                   title=f"勒索 Ransomware {SCRIPT}")
    nat, bj, lead = web(client, "nat_admin"), web(client, "bj_duty"), web(client, "hq_lead")

    # the form: Level I is the Emergency Office's (Plan §4.2.1); the province is told why not
    page = bj.get(f"/web/responses/new?incident={inc}")
    assert page.status_code == 200
    assert re.search(r'id="level-I"[^>]*disabled', page.text)
    assert "activate.level_reserved" in page.text
    assert zh_clause("Plan §2.1–2.2; §4.2.1") in page.text
    assert "activate.level_mismatch" in page.text  # Level II is not this incident's level
    assert SCRIPT not in page.text and "&lt;script&gt;" in page.text
    page = nat.get(f"/web/responses/new?incident={inc}")
    assert re.search(r'id="level-I"[^>]*checked', page.text)
    assert "activate.level_i" not in page.text and zh_clause("Plan §4.2.1") in page.text

    # Level I without a headquarters: the form comes back with the error and what was typed
    token = csrf(page.text)
    r = nat.post("/web/responses/new", data={"csrf": token, "incident": inc, "level": "I",
                                              "hq-2-title": "副总指挥",
                                              "progress_every_minutes": "60"})
    assert r.status_code == 422 and 'id="err-hq-2-name"' in r.text
    assert 'value="副总指挥"' in r.text and 'value="60"' in r.text
    r = nat.post("/web/responses/new", data={"csrf": token, "incident": inc, "level": "I"})
    assert r.status_code == 422 and re.search(r'id="err-headquarters">[^<]*§4.2.1', r.text)
    r = bj.post("/web/responses/new", data={"csrf": csrf(bj.get("/web/").text),
                                             "incident": inc, "level": "I",
                                             "hq-0-name": "Commander"})
    assert r.status_code == 403 and "activate.level_reserved" in r.text
    assert client.get("/api/v1/responses", headers=headers("nat_admin")).json()["total"] == 0

    r = nat.post("/web/responses/new", data={
        "csrf": token, "incident": inc, "level": "I",
        "hq-0-name": f"总指挥 {SCRIPT}", "hq-0-title": "leading group", "hq-0-username": "hq_lead",
        "hq-1-name": "北京 Beijing liaison", "hq-1-body": "110000.office"},
        follow_redirects=False)
    assert r.status_code == 303, r.text
    ref = REF.search(r.headers["location"]).group(1)
    stored = api(client, headers, ref)
    assert (stored["level"], stored["state"]) == ("I", "active")
    assert [m["username"] for m in stored["headquarters"]] == ["hq_lead", None]

    page = bj.get(f"/web/responses/{ref}")
    assert page.status_code == 200
    shown = text(page.text)
    assert "Ⅰ级响应" in shown and "响应中" in shown and f'href="/web/incidents/{inc}"' in page.text
    assert f"总指挥 {SCRIPT}" in shown and SCRIPT not in page.text  # escaped, never run
    assert "北京市网络安全应急办公室" in shown or "110000.office" in shown
    assert "进入应急状态" in shown and "指挥协调" not in shown  # the Office activated it
    assert "level_i.headquarters" in page.text
    assert 'action="/web/responses/' + ref + '/progress"' in page.text

    # 24-hour duty (Plan §4.2.1): a shift on the province's roster, on duty now (16:00 Beijing)
    r = post(bj, f"/web/responses/{ref}/shifts", officer="王值班 Wang",
             starts_at="2026-11-01T15:00", ends_at="2026-11-01T14:00")
    assert r.status_code == 422 and 'id="err-roster-ends_at"' in r.text
    assert 'value="王值班 Wang"' in r.text
    r = post(bj, f"/web/responses/{ref}/shifts", officer="王值班 Wang", contact="+86 10 1234",
             starts_at="2026-11-01T15:00", ends_at="2026-11-02T03:00")
    assert r.status_code == 303
    page = bj.get(f"/web/responses/{ref}")
    row = re.search(r'<tr id="participant-110000.office">.*?</tr>', page.text, re.S).group(0)
    assert "王值班 Wang" in row  # on duty now, beside the body
    assert re.search(r'class="resp-now"><th scope="row">王值班 Wang <strong>正在值班', page.text)

    # a progress report (Plan §4.2.1 ¶3): invalid first, kept; then stored and shown
    r = post(bj, f"/web/responses/{ref}/progress", developments="", progress="恢复中")
    assert r.status_code == 422 and 'id="err-progress-developments"' in r.text
    assert ">恢复中</textarea>" in r.text
    r = post(bj, f"/web/responses/{ref}/progress", developments=f"扩散已停止 {SCRIPT}",
             progress="恢复备份 restoring backups")
    assert r.status_code == 303 and r.headers["location"].endswith("?done=progress#progress")
    page = bj.get(r.headers["location"].split("#")[0])
    assert "进展报告已提交" in page.text and f"扩散已停止 {SCRIPT}" in text(page.text)
    assert SCRIPT not in page.text
    assert api(client, headers, ref)["progress"][0]["body"] == "110000.office"

    # support: the province asks, only the Office dispatches (Plan §2.2; §4.2.2(3))
    r = post(bj, f"/web/responses/{ref}/support", needs="取证队伍到场 forensics on site")
    assert r.status_code == 303
    req = api(client, headers, ref)["support"][0]["ref"]
    page = bj.get(f"/web/responses/{ref}")
    assert "已申请" in text(page.text) and f"/support/{req}/dispatch" not in page.text
    assert "support.not_emergency_office" in page.text  # why the province does not dispatch
    r = post(bj, f"/web/responses/{ref}/support/{req}/dispatch", body="cn.team-forensics")
    assert r.status_code == 403 and "support.not_emergency_office" in r.text
    assert f"/support/{req}/dispatch" in nat.get(f"/web/responses/{ref}").text
    r = post(nat, f"/web/responses/{ref}/support/{req}/dispatch", body="cn.no-such-team")
    assert r.status_code == 422 and f'id="err-dispatch-{req}-body"' in r.text
    r = post(nat, f"/web/responses/{ref}/support/{req}/dispatch", body="cn.team-forensics",
             note="14:00 到达")
    assert r.status_code == 303
    assert api(client, headers, ref)["support"][0]["state"] == "dispatched"
    assert "已派出" in text(nat.get(f"/web/responses/{ref}").text)

    # ending (Plan §4.3.1): the province sees why it cannot, and is refused with the clauses
    page = bj.get(f"/web/responses/{ref}")
    for code in ("end.propose_not_emergency_office", "end.approve_not_headquarters",
                 "end.not_emergency_office", "end.needs_proposal"):
        assert code in page.text, code
    assert f'action="/web/responses/{ref}/end"' not in page.text
    r = post(bj, f"/web/responses/{ref}/end", reason="we are fine")
    assert r.status_code == 403 and zh_clause("Plan §4.3.1") in r.text
    assert "end.needs_approval" in r.text
    assert api(client, headers, ref)["state"] == "active"
    page = lead.get(f"/web/responses/{ref}")
    assert "end.needs_proposal" in page.text  # the member waits for the Office's proposal
    r = post(nat, f"/web/responses/{ref}/end-proposal", reason="x")
    assert r.status_code == 422 and 'id="err-propose-reason"' in r.text
    r = post(nat, f"/web/responses/{ref}/end-proposal", reason="系统已恢复 systems restored")
    assert r.status_code == 303 and api(client, headers, ref)["state"] == "end_proposed"
    assert "已建议结束" in text(nat.get(f"/web/responses/{ref}").text)
    r = post(bj, f"/web/responses/{ref}/end-approval")
    assert r.status_code == 403 and "end.approve_not_headquarters" in r.text
    page = lead.get(f"/web/responses/{ref}")
    assert f'action="/web/responses/{ref}/end-approval"' in page.text
    clock.advance(hours=1)
    r = post(lead, f"/web/responses/{ref}/end-approval")
    assert r.status_code == 303
    ended = api(client, headers, ref)
    assert (ended["state"], ended["end_approved_by"]) == ("ended", "hq_lead")
    r = post(nat, f"/web/responses/{ref}/end", reason="once more")
    assert r.status_code == 422 and "the response has ended" in r.text

    # the investigation (Plan §5): due 30 days after the end, overdue after that
    due = clock.now() + timedelta(days=30)
    page = nat.get(f"/web/responses/{ref}")
    i18n.activate("zh_CN", rt.settings.timezone)
    assert i18n.format_dt(due) in text(page.text) and "待完成" in text(page.text)
    assert 'action="/web/responses/' + ref + '/investigation"' in page.text
    assert "investigation.not_organizer" in bj.get(f"/web/responses/{ref}").text
    r = post(nat, f"/web/responses/{ref}/investigation/submit")
    assert r.status_code == 403 and "investigation.missing_sections" in r.text
    r = post(nat, f"/web/responses/{ref}/investigation",
             **{f"section-{k}": v for k, v in SECTIONS.items()})
    assert r.status_code == 303
    assert api(client, headers, ref)["investigation"]["missing_sections"] == []
    assert post(nat, f"/web/responses/{ref}/investigation/submit").status_code == 303
    assert api(client, headers, ref)["investigation"]["state"] == "submitted"
    clock.advance(days=31)
    page = web(client, "nat_admin").get(f"/web/responses/{ref}")  # a new session
    assert re.search(r'id="investigation-due">[^<]*<strong class="alert">已逾期', page.text)


def jincheng(rt) -> None:
    doc = interchange.parse_yaml((EXAMPLES / "jincheng.yaml").read_text(), "jincheng.yaml")
    interchange.import_document(rt.uow, rt.clock, principal=None, doc=doc)
    with rt.uow() as s:
        for username, body, roles in (("jc_duty", "jc.office", ["duty_officer"]),
                                      ("jc_ops", "jc.zezhou-water", ["operator_reporter"]),
                                      ("sx_duty", "140000.office", ["duty_officer"])):
            put_user(s, principal=None, now=rt.clock.now(), data=UserIn(
                username=username, display_name=username, body=body, roles=roles,
                password=PASSWORD))


def test_a_city_office_may_not_end_the_provinces_response(client, headers, rt, clock):
    jincheng(rt)
    inc = incident(client, headers, "jc_ops", system="scada", facts={"system_loss": "serious"},
                   title="供水调度中断 SCADA outage")
    assert client.get(f"/api/v1/incidents/{inc}",
                      headers=headers("jc_ops")).json()["grade"] == "major"
    city, province = web(client, "jc_duty"), web(client, "sx_duty")

    page = city.get(f"/web/responses/new?incident={inc}")
    assert "activate.jurisdiction_level" in page.text and zh_clause("Plan §4.2.2") in page.text
    assert re.search(r'id="level-II"[^>]*disabled', page.text)
    assert re.search(r'<button type="submit"\s+disabled', page.text)
    r = post(province, "/web/responses/new", incident=inc, level="II")
    assert r.status_code == 303
    ref = REF.search(r.headers["location"]).group(1)

    # the city office sees the province's response, and why it cannot end it (Plan §4.3.2)
    page = city.get(f"/web/responses/{ref}")
    assert page.status_code == 200 and "Ⅱ级响应" in text(page.text)
    for code in ("end.no_proposal_step", "end.no_approval_step", "end.not_activator"):
        assert code in page.text, code
    r = post(city, f"/web/responses/{ref}/end", reason="本市已处置 handled by the city")
    assert r.status_code == 403 and "end.not_activator" in r.text
    assert zh_clause("Plan §4.3.2") in r.text
    r = post(city, f"/web/responses/{ref}/end-proposal", reason="本市已处置 handled")
    assert r.status_code == 403 and "end.no_proposal_step" in r.text
    assert api(client, headers, ref)["state"] == "active"

    # the list: level, state, incident, leading body and the next progress report (4 hours)
    listed = text(city.get("/web/responses").text)
    assert ref in listed and "Ⅱ级响应" in listed and "响应中" in listed
    assert "山西" in listed and "供水调度中断" in listed and "逾期未报" not in listed
    clock.advance(hours=5)
    row = re.search(rf'<tr id="row-{ref}">.*?</tr>', city.get("/web/responses").text, re.S)
    assert "逾期未报" in row.group(0)
    assert "逾期未报" in text(province.get(f"/web/responses/{ref}").text)

    # the province decides the end; the Emergency Office is told; the report is due in 30 days
    r = post(province, f"/web/responses/{ref}/end", reason="已控制 contained")
    assert r.status_code == 303
    page = text(city.get(f"/web/responses/{ref}").text)
    assert "已结束" in page and "事件发生地区或部门自行组织" in page
    assert "response.ended" in city.get(f"/web/responses/{ref}").text
    en = province.get(f"/web/responses/{ref}", headers={"Accept-Language": "en"})
    assert "Level II response" in en.text and "Investigation and evaluation" in en.text


def test_login_csrf_and_unknown_responses(client, headers):
    r = client.get("/web/responses/ER-20260101-00000000", follow_redirects=False)
    assert r.status_code == 303 and "/web/login" in r.headers["location"]
    r = client.get("/web/responses/new?incident=X", follow_redirects=False)
    assert r.status_code == 303
    bj = web(client, "bj_duty")
    r = bj.get("/web/responses/ER-20260101-00000000")
    assert r.status_code == 404
    r = bj.get("/web/responses/new?incident=IN-19700101-00000000")
    assert r.status_code == 404
    inc = incident(client, headers, "bj_reporter", facts={"system_loss": "serious"})
    r = bj.post("/web/responses/new", data={"csrf": "forged", "incident": inc, "level": "II"})
    assert r.status_code == 401
    assert client.get("/api/v1/responses", headers=headers("bj_duty")).json()["total"] == 0
    ro = web(client, "bj_ro")
    page = ro.get(f"/web/responses/new?incident={inc}")
    assert "role.permission" in page.text


def test_teams_and_experts_on_a_response_with_their_hours(client, rt, principal, clock):
    """Plan §7.2–7.3: what was dispatched to the response and the time it logged."""
    r = level_one(rt, principal, clock)
    interchange.import_document(rt.uow, rt.clock, principal=None,
                                doc=interchange.parse_yaml(TEAMS.read_text(), TEAMS.name))
    nat = principal("nat_admin")
    page = web(client, "bj_duty").get(f"/web/responses/{r.ref}")
    assert "尚未向本响应派出队伍或专家" in page.text
    a = support.dispatch(rt.uow, rt.clock, principal=nat, data=AssignmentIn(
        body="cn.team-incident", response=r.ref, task=f"现场处置 on-site {SCRIPT}"))
    support.log_assignment_work(rt.uow, rt.clock, principal=nat, ref=a.ref,
                                data=AssignmentWorkIn(worked_on=clock.now().date(),
                                                      minutes=180))
    page = web(client, "bj_duty").get(f"/web/responses/{r.ref}")
    section = text(page.text.split('id="assigned"')[1].split("</section>")[0])
    assert a.ref in section and "合计工时" in section and "3.0" in section
    assert SCRIPT not in page.text
