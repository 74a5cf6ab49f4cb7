"""The accountability page of the console (Plan §7.10) on both databases: each omitted report
with its ground; the forms to commend a body and its persons and to record a decision about a
responsible person (处分), with errors at the fields, refusals with their clauses, escaping,
CSRF and scope (Law art. 30)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fenghuo.common.clauses import render as zh_clause
from fenghuo.common.pagination import PageParams
from fenghuo.incident import handling, service
from fenghuo.incident.schemas import FactsIn, ReportIn, SupplementIn
from fenghuo.org.accounts import principal_for
from fenghuo.preparedness import persons
from tests.e2e.test_web_preparedness import ESCAPED, SCRIPT, post, web
from tests.e2e.test_web_responses import text

PAGE = "/web/preparedness/accountability?period=2026-11"


def row(html: str, body: str) -> str:
    return re.search(rf'<tr id="acc-{re.escape(body)}".*?</tr>', html, re.S).group(0)


def test_an_omission_shows_with_its_ground(client, rt, clock):
    """bj-bank's supplementary report makes its incident major two hours after its one-hour
    clock: the row names the incident and the ground, 漏报重要情况, with its clause."""
    me = principal_for(rt.uow, username="bj_reporter")
    out = service.report(rt.uow, rt.clock, principal=me, data=ReportIn(
        system="core", category="network-attack", subcategory="network-attack.dos",
        title="拒绝服务 DoS", found_at=datetime(2026, 11, 1, 7, 50, tzinfo=UTC),
        impact="慢 slow", measures="清洗 scrubbing"), profile="cac2025")
    clock.advance(hours=2)
    handling.supplement(rt.uow, rt.clock, principal=me, ref=out.ref, data=SupplementIn(
        text="瘫痪 down", facts=FactsIn(system_loss="serious")))
    page = web(client, "bj_admin").get(PAGE)
    assert page.status_code == 200, page.text
    bank = text(row(page.text, "bj-bank"))
    assert out.ref in bank and "漏报重要情况" in bank and zh_clause("Plan §7.10") in bank
    assert f'href="/web/incidents/{out.ref}"' in row(page.text, "bj-bank")
    english = text(row(web(client, "bj_admin", "en").get(PAGE).text, "bj-bank"))
    assert "omitted important circumstances" in english


def test_commend_with_persons_in_the_console(client, rt):
    """先进集体和个人 (Plan §7.10): one person a line; a person of a body outside the office's
    authority is refused with the rule; what was typed comes back escaped."""
    duty = web(client, "bj_duty")
    page = duty.get(PAGE)
    assert 'action="/web/preparedness/accountability/commendations"' in page.text
    url = "/web/preparedness/accountability/commendations"
    r = post(duty, url, PAGE, period="2026-11", body="bj-support", reason=f"协助 {SCRIPT}",
             persons="王五 | 工程师 | sh-bank")
    assert r.status_code == 403 and 'id="refused-commend"' in r.text
    assert "accountability.outside_authority" in r.text and SCRIPT not in r.text
    assert ESCAPED in r.text and 'id="commend" open' in r.text
    r = post(duty, url, PAGE, period="2026-11", body="bj-support", reason="协助处置",
             persons="only a name")
    assert r.status_code == 422 and 'id="err-commend-persons"' in r.text
    r = post(duty, url, PAGE, period="2026-11", body="bj-support",
             reason="协助处置勒索事件 ransomware",
             persons="李四 | 安全工程师\n赵六｜运维主管｜bj-bank")
    assert r.status_code == 303, r.text
    assert r.headers["location"] == ("/web/preparedness/accountability?period=2026-11"
                                     "&done=commend#commend")
    page = duty.get(r.headers["location"])
    assert 'id="done"' in page.text
    support = text(row(page.text, "bj-support"))
    assert "李四（安全工程师）" in support and "赵六（运维主管, bj-bank）" in support


def test_record_a_decision_in_the_console(client, rt):
    """处分 (Plan §7.10): the form posts one use case; 'other' needs words (at the form); the
    office's decision shows in bj-bank's row; Shanghai sees neither the row nor the decision;
    a read-only user has no form; a forged form without the CSRF token is refused."""
    duty = web(client, "bj_duty")
    url = "/web/preparedness/accountability/decisions"
    fields = dict(period="2026-11", name=f"张三 {SCRIPT}", position="信息科技部总经理",
                  body="bj-bank", matter="未开展演练 no exercise", conduct="no_exercise",
                  sanction="other", sanction_text="", reason="全年未开展演练")
    r = post(duty, url, PAGE, **fields)
    assert r.status_code == 422 and 'id="decision" open' in r.text
    assert "sanction_text" in text(r.text) and SCRIPT not in r.text
    r = post(duty, url, PAGE, **{**fields, "body": "sh-bank", "sanction": "warning"})
    assert r.status_code == 403 and 'id="refused-decision"' in r.text
    r = post(duty, url, PAGE, **{**fields, "sanction": "warning"})
    assert r.status_code == 303, r.text
    page = duty.get(r.headers["location"])
    bank = text(row(page.text, "bj-bank"))
    assert f"张三 {SCRIPT}" in bank and "警告" in bank and "110000.office" in bank
    assert SCRIPT not in page.text
    assert persons.list_decisions(rt.uow, principal=principal_for(rt.uow, username="bj_ro"),
                                  page=PageParams(limit=5)).total == 1
    assert 'id="acc-bj-bank"' not in web(client, "sh_admin").get(PAGE).text
    assert 'action="/web/preparedness/accountability/decisions"' not in web(
        client, "bj_ro").get(PAGE).text
    forged = duty.post(url, data={**fields, "csrf": "forged"}, follow_redirects=False)
    assert forged.status_code in (401, 403)
