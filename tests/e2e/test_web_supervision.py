"""The console's directive and interview pages through the real application on both databases
(Law arts. 55, 56; issue 16 item 3): the Beijing office records an interview from the form (a
missing deadline comes back beside its field with the clause, a unit outside its jurisdiction is
refused with the rule); the bank reports its rectification on the item's page; the office
verifies and closes it; the bank's second report is a 409 page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from fenghuo.api.app import create_app
from tests.e2e.test_web_form import csrf, login

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
FORM = {"kind": "interview", "unit": "bj-bank", "title": "门户网站被篡改 website defaced",
        "interviewee": "王五", "interviewee_role": "principal",
        "interviewed_at": "2026-11-01T10:00",  # the test clock: 16:00 in Beijing
        "findings": "门户网站首页被篡改 the home page was defaced",
        "requirements": "五日内完成整改并提交检测报告 rectify within five days",
        "due_at": "2026-11-06T18:00"}


def test_an_interview_from_the_console_is_rectified_and_closed(client, rt):
    login(client, "bj_duty")
    listing = client.get("/web/supervision", headers=ZH)
    assert listing.status_code == 200 and 'id="nav-supervision"' in listing.text
    assert "记录约谈" in listing.text
    form = client.get("/web/supervision/new?kind=interview", headers=ZH)
    assert '<option value="bj-bank"' in form.text and "sh-bank" not in form.text
    token = csrf(form.text)
    bad = client.post("/web/supervision/new", data={**FORM, "csrf": token, "due_at": ""},
                      headers=ZH)
    assert bad.status_code == 422 and 'id="err-new-due_at"' in bad.text
    assert "Law art. 56" in bad.text and "王五" in bad.text  # kept as typed
    refused = client.post("/web/supervision/new", data={**FORM, "csrf": token,
                                                        "unit": "sh-bank"}, headers=ZH)
    assert refused.status_code == 403 and "supervision.out_of_jurisdiction" in refused.text
    done = client.post("/web/supervision/new", data={**FORM, "csrf": token},
                       follow_redirects=False)
    assert done.status_code == 303, done.text
    page_url = done.headers["location"]
    assert page_url.startswith("/web/supervision/INT-")

    with TestClient(create_app(rt)) as unit:
        login(unit, "bj_reporter")
        page = unit.get(page_url, headers=ZH)
        assert page.status_code == 200 and "约谈" in page.text and "主要负责人" in page.text
        assert 'id="report"' in page.text and 'id="verify"' not in page.text
        r = unit.post(f"{page_url}/rectification", follow_redirects=False, data={
            "csrf": csrf(page.text), "measures": "已恢复页面并加固 restored and hardened",
            "evidence": "检测报告 test report 2026-11-03"})
        assert r.status_code == 303, r.text
        office_page = client.get(page_url, headers=ZH)
        assert "检测报告 test report 2026-11-03" in office_page.text
        assert 'id="verify"' in office_page.text and 'id="reopen"' in office_page.text
        r = client.post(f"{page_url}/verify", follow_redirects=False,
                        data={"csrf": csrf(office_page.text), "note": "核验通过"})
        assert r.status_code == 303
        assert "核验办结" in unit.get(page_url, headers=ZH).text
        again = unit.post(f"{page_url}/rectification", headers=ZH, data={
            "csrf": csrf(page.text), "measures": "再次 again", "evidence": "同上 same"})
        assert again.status_code == 409 and "already closed" in again.text
