"""The console's notice bell over HTTP (issue 19 item 7): ``/web/bell.json`` for the caller's
body only, 401 when logged out, ``POST /web/bell/seen`` behind the console's CSRF check, and
the ``/web/inbox`` page."""

from __future__ import annotations

from tests.e2e.test_web_form import csrf, login
from tests.e2e.test_web_queue import _report


def _bell(client):
    r = client.get("/web/bell.json")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    return r.json()


def test_logged_out_the_bell_answers_401_json(client):
    r = client.get("/web/bell.json")
    assert r.status_code == 401 and r.json()["error"]
    r = client.post("/web/bell/seen", headers={"X-CSRF-Token": "x"})
    assert r.status_code == 401


def test_the_bell_lists_a_routed_incident_for_the_receiving_body_in_its_language(client,
                                                                                 headers, clock):
    login(client, "bj_duty")
    page = client.get("/web/")
    client.post("/web/bell/seen", headers={"X-CSRF-Token": csrf(page.text)})
    assert _bell(client)["unread"] == 0
    clock.advance(seconds=1)
    ref = _report(client, headers)
    data = _bell(client)
    assert set(data) >= {"unread", "items", "badge", "poll_seconds"}
    assert data["unread"] >= 1 and data["badge"] == str(data["unread"])
    item = next(i for i in data["items"] if i["ref"] == ref)
    assert item["kind"] == "incident_routed" and item["unread"] is True
    assert item["label"] == "新路由事件" and item["link"] == f"/web/incidents/{ref}"
    assert set(item) >= {"kind", "label", "title", "time", "link"}
    assert item["time"] and item["at"].endswith("+00:00")
    client.cookies.set("lang", "en")
    en = next(i for i in _bell(client)["items"] if i["ref"] == ref)
    assert en["label"] == "new incident routed" and en["time"] != item["time"]


def test_another_body_does_not_see_it(client, headers):
    ref = _report(client, headers)
    login(client, "sh_admin")
    data = _bell(client)
    assert all(i["ref"] != ref for i in data["items"])


def test_seen_needs_the_csrf_token_and_clears_the_count(client, headers, clock):
    login(client, "bj_duty")
    token = csrf(client.get("/web/").text)
    assert client.post("/web/bell/seen", data={"csrf": token}).status_code == 200
    clock.advance(seconds=1)
    _report(client, headers)
    assert _bell(client)["unread"] >= 1
    forged = client.post("/web/bell/seen", headers={"X-CSRF-Token": "forged-" + token})
    assert forged.status_code == 403
    assert client.post("/web/bell/seen", data={"csrf": "forged"}).status_code == 403
    assert client.post("/web/bell/seen").status_code == 403
    assert _bell(client)["unread"] >= 1
    ok = client.post("/web/bell/seen", headers={"X-CSRF-Token": token})
    assert ok.status_code == 200 and ok.json()["unread"] == 0
    assert _bell(client)["unread"] == 0
    clock.advance(seconds=1)
    _report(client, headers)
    assert _bell(client)["unread"] == 1


def test_the_inbox_page_lists_the_notices_and_marks_them_read(client, headers):
    ref = _report(client, headers)
    login(client, "bj_duty")
    assert _bell(client)["unread"] >= 1
    page = client.get("/web/inbox")
    assert page.status_code == 200
    assert f'href="/web/incidents/{ref}"' in page.text and "新路由事件" in page.text
    assert 'id="bell-count"' in page.text and 'data-poll-seconds="30"' in page.text
    assert "bell.js" in page.text
    assert _bell(client)["unread"] == 0


def test_the_inbox_page_needs_a_login(client):
    r = client.get("/web/inbox", follow_redirects=False)
    assert r.status_code == 303 and "/web/login" in r.headers["location"]
