"""Casework on the incident page of the console (issue 19), on both databases: observables with
bilingual kind labels, tasks with owners and due times in Beijing time, internal notes and the
plain evidence upload form (no script needed)."""

from __future__ import annotations

import hashlib
import re

from tests.e2e.test_api_incident_casework import filed
from tests.e2e.test_web_form import csrf, login

ZH = {"Accept-Language": "zh-CN"}


def test_the_page_carries_observables_tasks_and_notes(client, headers):
    ref = filed(client, headers)
    login(client, "bj_duty")
    page = client.get(f"/web/incidents/{ref}", headers=ZH)
    assert page.status_code == 200
    for marker in ('id="observable-form"', 'id="task-form"', 'id="comment-form"',
                   'id="evidence-drop"', "casework.js", "可观测指标", "内部备注"):
        assert marker in page.text, marker
    token = csrf(page.text)
    bad = client.post(f"/web/incidents/{ref}/observables", headers=ZH,
                      data={"csrf": token, "kind": "ip", "value": "1.2.3"})
    assert bad.status_code == 422 and "IPv4 or IPv6" in bad.text
    assert 'value="1.2.3"' in bad.text  # the form comes back as typed
    r = client.post(f"/web/incidents/{ref}/observables", follow_redirects=False,
                    data={"csrf": token, "kind": "", "value": "CVE-2023-4863"})
    assert r.status_code == 303
    client.post(f"/web/incidents/{ref}/observables",
                data={"csrf": token, "kind": "domain", "value": "C2.Example.NET"})
    page = client.get(f"/web/incidents/{ref}", headers=ZH).text
    table = page[page.index('id="observable-table"'):page.index('id="observable-form"')]
    assert "漏洞编号" in table and "域名" in table and "c2.example.net" in table
    assert ">cve<" not in table and ">domain<" not in table  # no raw codes on Chinese pages
    assert "添加指标" in page  # the timeline entry is named, not its code
    en = client.get(f"/web/incidents/{ref}", headers={"Accept-Language": "en"}).text
    assert "CVE" in en and "Domain" in en

    past = client.post(f"/web/incidents/{ref}/tasks", headers=ZH, data={
        "csrf": token, "title": "复核 review", "owner": "bj_analyst",
        "due_at": "2026-10-01T09:00"})
    assert past.status_code == 422 and "past" in past.text
    r = client.post(f"/web/incidents/{ref}/tasks", follow_redirects=False, data={
        "csrf": token, "title": "复核日志 review logs", "owner": "bj_analyst",
        "due_at": "2026-11-02T09:30"})
    assert r.status_code == 303, r.text[-3000:]
    page = client.get(f"/web/incidents/{ref}", headers=ZH).text
    tasks = page[page.index('id="task-table"'):page.index('id="task-form"')]
    assert "复核日志 review logs" in tasks and "2026年11月2日 09:30" in tasks  # Beijing
    [task_id] = re.findall(r"/tasks/(\d+)/done", tasks)
    client.post(f"/web/incidents/{ref}/tasks/{task_id}/done", data={"csrf": token, "done": "1"})
    tasks = client.get(f"/web/incidents/{ref}", headers=ZH).text
    assert "重新打开任务" in tasks

    client.post(f"/web/incidents/{ref}/comments", data={"csrf": token, "text": "先隔离 first"})
    client.post(f"/web/incidents/{ref}/comments", data={"csrf": token, "text": "再取证 second"})
    page = client.get(f"/web/incidents/{ref}", headers=ZH).text
    notes = page[page.index('id="comment-list"'):page.index('id="comment-form"')]
    assert notes.index("先隔离 first") < notes.index("再取证 second")  # newest last
    assert "bj_duty" in notes


def test_the_plain_upload_form_and_the_json_answer(client, headers):
    ref = filed(client, headers)
    login(client, "bj_reporter")
    page = client.get(f"/web/incidents/{ref}", headers=ZH)
    token = csrf(page.text)
    data = b"pcap-ish bytes\x00\x01"
    r = client.post(f"/web/incidents/{ref}/evidence", follow_redirects=False,
                    data={"csrf": token}, files={"file": ("cap.bin", data, "text/plain")})
    assert r.status_code == 303, r.text
    page = client.get(f"/web/incidents/{ref}", headers=ZH).text
    assert "cap.bin" in page and hashlib.sha256(data).hexdigest() in page
    j = client.post(f"/web/incidents/{ref}/evidence", headers={"Accept": "application/json"},
                    data={"csrf": token}, files={"file": ("b.txt", b"hello", "text/plain")})
    assert j.status_code == 201 and j.json()["sha256"] == hashlib.sha256(b"hello").hexdigest()
    none = client.post(f"/web/incidents/{ref}/evidence", headers={"Accept": "application/json"},
                       data={"csrf": token}, files={"file": ("", b"", "text/plain")})
    assert none.status_code == 422


def test_out_of_scope_users_get_no_page_and_cannot_post(client, headers):
    ref = filed(client, headers)
    login(client, "sh_admin")
    page = client.get("/web/incidents", headers=ZH)
    token = csrf(page.text)
    assert client.get(f"/web/incidents/{ref}").status_code == 404
    r = client.post(f"/web/incidents/{ref}/comments", data={"csrf": token, "text": "x"})
    assert r.status_code == 404
    r = client.post(f"/web/incidents/{ref}/observables",
                    data={"csrf": token, "value": "1.1.1.1"})
    assert r.status_code == 404
