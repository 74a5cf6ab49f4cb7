"""The public tip pages and the console's tip pages through the real application on both
databases (Law art. 14, issue 16 item 4): a tip sent from the form gets its receipt code once;
the status page shows only the public status for the code, and the same page for any wrong
code; an office transfers the tip to the public security organ from the console, a refused
target shows its rule; the status page then says so and leaks nothing internal."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from fenghuo.api.app import create_app
from fenghuo.incident import tips
from fenghuo.org.accounts import put_user
from fenghuo.org.schemas import UserIn
from tests.conftest import PASSWORD
from tests.e2e.test_web_form import csrf, login

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}
XSS = "<script>alert(1)</script>"
FORM = {"jurisdiction": "110000", "unit_name": f"北京某网站 {XSS}", "category": "network-attack",
        "description": "网站被植入后门 a backdoor on the website", "found_at": "2026-11-01T09:30",
        "reporter_name": "孙八", "reporter_contact": "sun@example.cn"}
REASON = "属公安机关管辖 a police matter"
NOTE = "内部意见：嫌疑人已到案 internal: the suspect was found"
OUTCOME = "已依法处理，感谢您的举报。 Handled according to law; thank you."


def receipt_code(html: str) -> str:
    return re.search(r'<code id="receipt-code">([A-Z0-9-]+)</code>', html).group(1)


def look_up(client, code: str, headers=ZH):
    return client.post("/public/tips/status", data={"code": code}, headers=headers)


def test_a_tip_from_the_form_gets_its_receipt_code_once(client, rt, clock):
    page = client.get("/public/tips")  # no login, Chinese by default
    assert page.status_code == 200 and "举报危害网络安全的行为" in page.text
    assert "set-cookie" not in page.headers and page.headers["cache-control"] == "no-store"
    assert '<option value="110000"' in page.text and "北京市" in page.text
    bad = client.post("/public/tips", data={**FORM, "description": "短"}, headers=ZH)
    assert bad.status_code == 422 and 'aria-invalid="true" aria-describedby="e-description"' in (
        bad.text)
    assert '<span class="error" id="e-description">至少10个字。</span>' in bad.text
    assert "北京某网站 &lt;script&gt;" in bad.text and XSS not in bad.text  # kept, escaped
    bad = client.post("/public/tips", data={**FORM, "found_at": "yesterday"}, headers=EN)
    assert bad.status_code == 422 and "Enter a valid date and time." in bad.text
    sent = client.post("/public/tips", data=FORM, headers=ZH)
    assert sent.status_code == 201 and "举报已收到" in sent.text
    assert sent.headers["cache-control"] == "no-store" and "set-cookie" not in sent.headers
    code = receipt_code(sent.text)
    assert "北京市网信办" in sent.text and "只显示这一次" in sent.text
    status = look_up(client, code)
    assert status.status_code == 200 and "已收到，等待处理" in status.text
    assert status.headers["cache-control"] == "no-store"
    assert code not in status.text  # the code is never echoed back
    found = tips.public_status(rt.uow, code=code)
    assert found.received_at == clock.now()
    english = look_up(client, code, EN)
    assert "received, awaiting handling" in english.text and '<html lang="en">' in english.text


def test_a_wrong_code_gets_the_same_page_as_a_missing_one(client):
    pages = [look_up(client, c) for c in ("AAAAA-AAAAA-AAAAA-AAAAA", "nonsense", "")]
    assert {p.status_code for p in pages} == {404}
    assert len({p.text for p in pages}) == 1 and "没有与此回执码对应的举报" in pages[0].text
    assert client.get("/public/tips/status").status_code == 200


def test_submissions_share_their_limit_with_the_api(rt):
    with TestClient(create_app(rt)) as client:
        answers = [client.post("/api/v1/public/tips", json={
            "unit_name": "u", "description": "0123456789 a tip"}).status_code for _ in range(10)]
        assert answers == [201] * 10
        limited = client.post("/public/tips", data=FORM, headers=ZH)
        assert limited.status_code == 429 and "请一分钟后再试" in limited.text


def _mps_user(rt) -> None:
    with rt.uow() as s:
        put_user(s, principal=None, now=rt.clock.now(), data=UserIn(
            username="mps_duty", display_name="mps_duty", body="cn.mps",
            roles=["duty_officer"], password=PASSWORD))


def test_the_console_transfers_a_tip_to_public_security(client, rt):
    _mps_user(rt)
    code = receipt_code(client.post("/public/tips", data=FORM, headers=ZH).text)
    login(client, "bj_duty")
    listing = client.get("/web/tips", headers=ZH)
    assert listing.status_code == 200 and 'id="nav-tips"' in listing.text
    ref = re.search(r'href="/web/tips/(TIP-[0-9A-F-]+)"', listing.text).group(1)
    assert "受理、移送或办结" in listing.text
    page = client.get(f"/web/tips/{ref}", headers=ZH)
    assert 'id="tipster"' in page.text and "孙八" in page.text
    assert '<option value="cn.mps">' in page.text and 'value="bj-bank"' not in page.text
    assert XSS not in page.text
    token = csrf(page.text)
    refused = client.post(f"/web/tips/{ref}/transfer", headers=ZH,
                          data={"csrf": token, "to": "bj-bank", "reason": "试试 try"})
    assert refused.status_code == 403 and "tip_transfer.not_a_department" in refused.text
    forged = client.post(f"/web/tips/{ref}/transfer", data={"to": "cn.mps", "reason": REASON},
                         follow_redirects=False)
    assert forged.status_code == 401  # no CSRF token, nothing done
    moved = client.post(f"/web/tips/{ref}/transfer", follow_redirects=False,
                        data={"csrf": token, "to": "cn.mps", "reason": REASON})
    assert moved.status_code == 303 and moved.headers["location"] == f"/web/tips/{ref}"
    after = client.get(f"/web/tips/{ref}", headers=ZH)
    assert "公安部" in after.text and 'id="tipster"' not in after.text
    assert 'id="actions"' not in after.text and REASON in after.text
    assert "已移送有权处理的部门" in look_up(client, code).text
    client.cookies.clear()
    login(client, "mps_duty")
    page = client.get(f"/web/tips/{ref}", headers=ZH)
    token = csrf(page.text)
    assert client.post(f"/web/tips/{ref}/accept", data={"csrf": token, "note": NOTE},
                       follow_redirects=False).status_code == 303
    assert client.post(f"/web/tips/{ref}/close", follow_redirects=False, data={
        "csrf": token, "outcome": OUTCOME, "note": NOTE}).status_code == 303
    again = client.post(f"/web/tips/{ref}/close", data={"csrf": token, "outcome": OUTCOME})
    assert again.status_code == 409 and "already closed" in again.text
    status = look_up(client, code)
    assert "已办结" in status.text and OUTCOME in status.text and "公安机关" in status.text
    for internal in (REASON, NOTE, "孙八", "sun@example.cn", "公安部", "cn.mps", "mps_duty",
                     "bj_duty", "北京市网信办"):
        assert internal not in status.text, internal
