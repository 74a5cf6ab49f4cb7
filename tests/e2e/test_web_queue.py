"""The duty officer's queue on the console landing page (issue 19 item 1)."""

from __future__ import annotations

import re

from tests.e2e.test_api_incidents import report
from tests.e2e.test_web_form import login


def _report(client, headers):
    r = client.post("/api/v1/incidents", headers=headers("bj_reporter"), json=report())
    assert r.status_code in (200, 201), r.text
    return r.json()["ref"]


def test_the_landing_page_lists_the_routed_incident_with_its_clause(client, headers):
    ref = _report(client, headers)
    login(client, "bj_duty")
    page = client.get("/web/")
    assert page.status_code == 200
    assert f'href="/web/incidents/{ref}"' in page.text
    assert "我的待办" in page.text and "《国家网络安全事件应急预案》" in page.text


def test_an_unrelated_body_does_not_see_it(client, headers):
    ref = _report(client, headers)
    login(client, "sh_admin")
    page = client.get("/web/")
    assert page.status_code == 200 and ref not in page.text


def test_rows_show_their_kind_in_words_and_the_time_left(client, headers):
    ref = _report(client, headers)
    login(client, "bj_duty")
    page = client.get("/web/")
    assert "签收并上报" in page.text and "duty:acknowledge" not in page.text.replace(
        'data-kind="duty:acknowledge"', "")
    assert re.search(r"(还剩|已超时)\d+(小时|分钟)", page.text), "the time left, in words"
    assert "分钟" in page.text or "小时" in page.text
    client.cookies.set("lang", "en")
    en = client.get("/web/")
    assert ref in en.text and "acknowledge and escalate" in en.text and "签收并上报" not in en.text
