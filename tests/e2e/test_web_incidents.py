"""The console's incident pages over HTTP, on SQLite and PostgreSQL: the list's filters
(grade, category, jurisdiction, sector, state, time, full-text search) combined and kept across
pages, an incident's page (grading explained, routing, clocks, evidence hash, timeline,
actions), acknowledgement allowed and refused, regrading and supplementary reports with inline
errors, escaping, the not-found page, and the report form's errors in both languages."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from fenghuo.incident import service
from fenghuo.incident.schemas import FactsIn, ReportIn
from tests.e2e.test_web_form import csrf, form_fields, login

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


def file(rt, principal, user="bj_reporter", **kw) -> str:
    """A report filed through the service at the fake clock's time; returns its ref."""
    base = dict(system="core", category="network-attack", subcategory="network-attack.dos",
                title="拒绝服务 DoS on core", found_at=rt.clock.now() - timedelta(minutes=20),
                impact="交易缓慢 slow payments", measures="启用清洗 scrubbing")
    data = ReportIn(**{**base, **kw})
    return service.report(rt.uow, rt.clock, principal=principal(user), data=data,
                          profile="cac2025").ref


def refs(html: str) -> list[str]:
    return re.findall(r'<a href="/web/incidents/(FH-[0-9A-Z-]+)">', html)


def browser(client, username: str):
    """A second, separately logged-in browser on the same app."""
    other = client.__class__(client.app)
    login(other, username)
    return other


def test_list_filters_combine_and_survive_paging(client, rt, principal, clock):
    phishing = file(rt, principal, subcategory="network-attack.phishing",
                    impact="员工点击了仿冒链接 staff clicked a lure")
    clock.advance(days=2)
    telco = file(rt, principal, user="bj_duty", unit="bj-telco", system=None,
                 category="equipment-failure", subcategory=None, title="机房断电 power cut")
    shanghai = file(rt, principal, user="sh_admin", unit="sh-bank", title="上海 DoS")
    many = [file(rt, principal, title=f"批量 bulk {n}") for n in range(26)]
    login(client, "bj_duty")

    def listed(**params) -> list[str]:
        r = client.get("/web/incidents", params=params, headers=EN)
        assert r.status_code == 200
        return refs(r.text)

    assert listed(category="network-attack.phishing") == [phishing]
    assert listed(sector="telecom") == [telco]
    assert listed(category="equipment-failure", state="reported") == [telco]
    assert listed(q="仿冒链接") == [phishing]  # full text: the impact, not only the title
    assert listed(q="Beijing Telco") == [telco]  # the unit's name
    assert listed(reported_to="2026-11-02") == [phishing]  # 2 Nov, Asia/Shanghai, included
    assert phishing not in listed(reported_from="2026-11-03")
    assert listed(jurisdiction="310000") == []  # Shanghai lies outside Beijing's scope
    assert listed(grade="major") == []
    first = client.get("/web/incidents", params={"q": "bulk", "sector": "finance"}, headers=EN)
    assert len(refs(first.text)) == 25 and "Page 1 of 2" in first.text
    assert 'href="?q=bulk&amp;sector=finance&amp;page=2"' in first.text  # filters survive paging
    second = client.get("/web/incidents?q=bulk&sector=finance&page=2", headers=EN)
    assert len(refs(second.text)) == 1 and set(refs(first.text) + refs(second.text)) == set(many)
    assert "<td>reported</td>" in first.text and '<option value="finance" selected>' in first.text
    zh = client.get("/web/incidents?state=reported", headers=ZH)
    assert "<td>已报告</td>" in zh.text  # the state's label, not its key

    nat = browser(client, "nat_admin")
    r = nat.get("/web/incidents", params={"jurisdiction": "310000"}, headers=EN)
    assert refs(r.text) == [shanghai]


def test_the_api_uses_the_same_filters(client, rt, principal, headers):
    phishing = file(rt, principal, subcategory="network-attack.phishing")
    file(rt, principal, user="sh_admin", unit="sh-bank", title="上海 DoS")
    r = client.get("/api/v1/incidents", params={"jurisdiction": "110000",
                                                "subcategory": "network-attack.phishing"},
                   headers=headers("nat_admin"))
    assert [i["ref"] for i in r.json()["items"]] == [phishing]
    r = client.get("/api/v1/incidents", params={"q": "scrubbing", "jurisdiction": "310000"},
                   headers=headers("bj_duty"))
    assert r.json()["total"] == 0  # the scope still applies


def test_the_incident_page_explains_grading_routing_clocks_and_evidence(
        client, rt, principal, clock, headers):
    ref = file(rt, principal, facts=FactsIn(system_loss="serious"))
    content = b"%PDF-1.4 log extract"
    r = client.post(f"/api/v1/incidents/{ref}/evidence", headers=headers("bj_reporter"),
                    files={"file": ("firewall.pdf", content, "application/pdf")})
    assert r.status_code == 201, r.text
    clock.advance(minutes=20)  # the Emergency Office's 15 minutes ("immediately") are over
    login(client, "bj_duty")
    page = client.get(f"/web/incidents/{ref}", headers=EN)
    assert page.status_code == 200 and 'aria-current="page">Incidents' in page.text
    text = page.text
    assert f"{ref}</span>" in text and "<strong>major</strong>" in text
    assert "Plan §1.4 (2) criterion ①" in text and "suffered a serious system loss" in text
    assert "National Network Security Emergency Office" in text
    assert "Immediately (Plan §4.1)" in text
    assert "OVERDUE by 5 minutes" in text and "due in 40 minutes" in text  # honest clocks
    assert "done in time" in text  # the unit's own 1-hour report clock (CAC 2025 art. 4)
    assert hashlib.sha256(content).hexdigest() in text and "firewall.pdf" in text
    assert "Evidence added" in text and "Reported" in text
    assert f'href="/web/responses/new?incident={ref}"' in text  # Level II by Beijing
    download = client.get(f"/web/incidents/{ref}/evidence/{r.json()['id']}")
    assert download.content == content
    assert download.headers["x-content-sha256"] == hashlib.sha256(content).hexdigest()
    zh = client.get(f"/web/incidents/{ref}", headers=ZH).text
    assert "定级依据" in zh and "已超时5分钟" in zh and "<strong>重大</strong>" in zh

    reporter = browser(client, "bj_reporter")
    mine = reporter.get(f"/web/incidents/{ref}", headers=EN).text
    assert 'id="supplement-form"' in mine and 'id="acknowledge"' not in mine
    assert "responses/new" not in mine and 'id="regrade-form"' not in mine


def test_acknowledge_from_the_page_and_refused_to_an_outsider(client, rt, principal, headers):
    ref = file(rt, principal)  # general: not routed to the national Emergency Office
    nat = browser(client, "nat_admin")
    page = nat.get(f"/web/incidents/{ref}", headers=EN).text
    assert 'id="acknowledge"' not in page and "acknowledge.not_routed" in page
    assert "responses/new" not in page and "activate.national_office" in page  # Plan §4.2.3
    r = nat.post(f"/web/incidents/{ref}/acknowledge", data={"csrf": csrf(page)}, headers=EN)
    assert r.status_code == 403 and "acknowledge.not_routed" in r.text
    assert "only a body that received the report acknowledges it" in r.text
    reporter = browser(client, "bj_reporter")
    mine = reporter.get(f"/web/incidents/{ref}").text
    r = reporter.post(f"/web/incidents/{ref}/acknowledge", data={"csrf": csrf(mine)})
    assert r.status_code == 403
    got = client.get(f"/api/v1/incidents/{ref}", headers=headers("bj_admin")).json()
    assert got["state"] == "reported" and not any(x["acknowledged_at"] for x in got["routes"])

    login(client, "bj_duty")
    page = client.get(f"/web/incidents/{ref}", headers=EN).text
    assert 'id="acknowledge"' in page
    r = client.post(f"/web/incidents/{ref}/acknowledge", data={"csrf": "forged"})
    assert r.status_code == 401
    r = client.post(f"/web/incidents/{ref}/acknowledge", data={"csrf": csrf(page)},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/web/incidents/{ref}", headers=EN).text
    assert 'id="ack-done"' in page and 'id="acknowledge"' not in page
    assert "Receipt acknowledged</strong> <span class=\"muted\">bj_duty" in page
    got = client.get(f"/api/v1/incidents/{ref}", headers=headers("bj_admin")).json()
    office = [x for x in got["routes"] if x["body"] == "110000.office"][0]
    assert got["state"] == "acknowledged" and office["acknowledged_by"] == "bj_duty"


def test_regrade_and_supplement_with_inline_errors(client, rt, principal, headers):
    ref = file(rt, principal)
    login(client, "bj_duty")
    page = client.get(f"/web/incidents/{ref}", headers=EN).text
    bad = {"csrf": csrf(page), "system_loss": "serious", "reason": "x"}
    r = client.post(f"/web/incidents/{ref}/regrade", data=bad, headers=EN)
    assert r.status_code == 422 and 'id="reason-error"' in r.text
    assert '<option value="serious" selected>' in r.text  # what was chosen is kept
    r = client.post(f"/web/incidents/{ref}/regrade", headers=EN, follow_redirects=False,
                    data={**bad, "reason": "核心系统中断四小时 core down for 4 hours"})
    assert r.status_code == 303
    page = client.get(f"/web/incidents/{ref}", headers=EN).text
    assert "<strong>major</strong>" in page and "Regraded" in page
    assert "general → major: 核心系统中断四小时" in page
    assert client.get(f"/api/v1/incidents/{ref}",
                      headers=headers("bj_admin")).json()["grade"] == "major"

    r = client.post(f"/web/incidents/{ref}/supplement", data={"csrf": csrf(page), "text": ""},
                    headers=ZH)
    assert r.status_code == 422 and 'id="text-error">此项必填。' in r.text
    r = client.post(f"/web/incidents/{ref}/supplement", follow_redirects=False,
                    data={"csrf": csrf(page), "text": "<i>已恢复</i> restored"})
    assert r.status_code == 303
    page = client.get(f"/web/incidents/{ref}", headers=EN).text
    assert "&lt;i&gt;已恢复&lt;/i&gt; restored" in page and "<i>已恢复</i>" not in page


def test_user_content_is_escaped_and_an_unknown_ref_is_a_console_404(client, rt, principal):
    ref = file(rt, principal, title="<script>alert(1)</script>",
               impact='<img src=x onerror="alert(2)">')
    login(client, "bj_duty")
    for path in (f"/web/incidents/{ref}", "/web/incidents"):
        text = client.get(path).text
        assert "<script>alert(1)</script>" not in text and "&lt;script&gt;alert(1)" in text
        assert "<img src=x" not in text
    r = client.get("/web/incidents/FH-<b>nope", headers=EN)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in r.text and "Log out" in r.text  # the console's layout
    assert "<b>nope" not in r.text and "&lt;b&gt;nope" in r.text


def test_report_form_errors_inline_in_both_languages(client, clock):
    login(client)
    page = client.get("/web/report", headers=EN)
    assert page.status_code == 200 and 'aria-current="page">Report an incident' in page.text
    assert "Core banking" in page.text and "Phishing" in page.text
    bad = form_fields(page.text, impact="", title="Kept <title>")
    r = client.post("/web/report", data=bad, headers=EN)
    assert r.status_code == 422 and 'id="impact-error">This field is required.' in r.text
    assert 'aria-invalid="true" aria-describedby="impact-error"' in r.text
    assert 'value="Kept &lt;title&gt;"' in r.text  # the input is kept, escaped
    assert 'value="network-attack|network-attack.phishing" selected' in r.text
    r = client.post("/web/report", data=bad, headers=ZH)
    assert 'id="impact-error">此项必填。' in r.text and "请更正标出的内容。" in r.text
    future = (clock.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    r = client.post("/web/report", data=form_fields(page.text, found_at=future), headers=ZH)
    assert r.status_code == 422 and 'id="found_at-error">不能晚于当前时间' in r.text


def test_a_body_that_is_no_operator_reports_for_a_unit(client, headers):
    login(client, "bj_duty")
    page = client.get("/web/report", headers=EN)
    assert 'id="unit"' in page.text and 'value="bj-telco"' in page.text
    fields = form_fields(page.text, unit="bj-telco", system="", title="机房断电 power cut",
                         category="equipment-failure|")
    r = client.post("/web/report", data=fields, follow_redirects=False)
    assert r.status_code == 303
    ref = r.headers["location"].rsplit("/", 1)[1]
    got = client.get(f"/api/v1/incidents/{ref}", headers=headers("bj_admin")).json()
    assert got["unit"] == "bj-telco" and got["source"] == "office"
    detail = client.get(r.headers["location"], headers=EN).text
    assert "Beijing Telco" in detail and "Why this grade" in detail

    readonly = browser(client, "bj_ro")
    r = readonly.get("/web/report", headers=EN)
    assert r.status_code == 403 and "incident:report" in r.text


def test_the_page_lists_the_warnings_in_force_for_its_place_and_sector(
        client, rt, principal, headers, clock):
    """Plan §3.1: the published warnings that concerned the unit's place and sector when it
    reported, linked from the incident; not another sector's, not one lifted before."""
    from tests.e2e.test_api_warnings import publish

    finance = publish(client, headers, clock, title="金融勒索 <i>finance</i>")
    energy = publish(client, headers, clock, sectors=["energy"], title="能源 energy")
    lifted = publish(client, headers, clock, title="已解除 lifted")
    r = client.post(f"/api/v1/warnings/{lifted['ref']}/lift", json={"reason": "patched"},
                    headers=headers("bj_duty"))
    assert r.status_code == 200, r.text
    clock.advance(minutes=5)
    ref = file(rt, principal)
    clock.advance(minutes=5)
    later = publish(client, headers, clock, title="之后 later")  # published after the report
    login(client, "bj_duty")
    page = client.get(f"/web/incidents/{ref}", headers=ZH).text
    section = re.search(r'<section[^>]*id="warnings-in-force".*?</section>', page, re.S).group(0)
    assert f'href="/web/warnings/{finance["ref"]}"' in section
    assert "&lt;i&gt;finance&lt;/i&gt;" in section
    for other in (energy, lifted, later):
        assert other["ref"] not in section
