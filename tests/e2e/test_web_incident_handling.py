"""Issue 19 on the console: the incident page shows how the incident was resolved."""

from tests.e2e.test_api_incidents import report
from tests.e2e.test_web_form import csrf, login


def test_the_page_shows_the_resolution_in_chinese(client, headers):
    ref = client.post("/api/v1/incidents", json=report(),
                      headers=headers("bj_reporter")).json()["ref"]
    r = client.post(f"/api/v1/incidents/{ref}/state",
                    json={"state": "resolved", "resolution": "主机已隔离"},
                    headers=headers("bj_duty"))
    assert r.status_code == 200, r.text
    login(client, "bj_duty")
    page = client.get(f"/web/incidents/{ref}")
    assert page.status_code == 200
    assert 'id="resolution">处置结果: 主机已隔离' in page.text
    assert "· 处置结果: 主机已隔离" in page.text  # and on the timeline


ZH = {"Accept-Language": "zh-CN"}


def _filed(client, headers, **kw) -> str:
    return client.post("/api/v1/incidents", json=report(**kw),
                       headers=headers("bj_reporter")).json()["ref"]


def test_the_state_form_needs_a_resolution_to_resolve(client, headers):
    ref = _filed(client, headers)
    login(client, "bj_duty")
    page = client.get(f"/web/incidents/{ref}", headers=ZH).text
    form = page[page.index('id="state-form"'):]
    form = form[:form.index("</form>")]
    # the states it may move to, labelled, never raw codes
    assert '<option value="handling" >处置中</option>' in form.replace("  ", " ")
    assert ">resolved<" not in form and "已处置" in form and "已关闭" not in form
    token = csrf(page)
    bad = client.post(f"/web/incidents/{ref}/state", headers=ZH,
                      data={"csrf": token, "state": "resolved", "resolution": "  ",
                            "note": "备注 kept"})
    assert bad.status_code == 422 and "请填写处置结果。" in bad.text
    assert 'value="备注 kept"' in bad.text  # the form comes back as typed
    assert client.get(f"/api/v1/incidents/{ref}",
                      headers=headers("bj_duty")).json()["state"] == "reported"
    r = client.post(f"/web/incidents/{ref}/state", follow_redirects=False,
                    data={"csrf": token, "state": "resolved", "resolution": "补丁已安装 patched"})
    assert r.status_code == 303 and r.headers["location"].endswith(f"/web/incidents/{ref}#handling")
    got = client.get(f"/api/v1/incidents/{ref}", headers=headers("bj_duty")).json()
    assert got["state"] == "resolved" and got["resolution"] == "补丁已安装 patched"
    bad = client.post(f"/web/incidents/{ref}/state", headers=ZH,
                      data={"csrf": token, "state": "reported", "resolution": "x"})
    assert bad.status_code == 422  # not a state this form moves to, re-rendered


def test_tlp_changed_on_the_page_with_a_reason(client, headers):
    ref = _filed(client, headers)
    login(client, "bj_duty")
    page = client.get(f"/web/incidents/{ref}", headers=ZH).text
    assert 'class="tlp tlp-amber" id="tlp">TLP:AMBER 本单位及所辖<' in page
    token = csrf(page)
    bad = client.post(f"/web/incidents/{ref}/tlp", headers=ZH,
                      data={"csrf": token, "tlp": "red", "reason": ""})
    assert bad.status_code == 422 and "此项必填。" in bad.text
    r = client.post(f"/web/incidents/{ref}/tlp", follow_redirects=False,
                    data={"csrf": token, "tlp": "red", "reason": "涉及敏感信息 sensitive"})
    assert r.status_code == 303
    page = client.get(f"/web/incidents/{ref}", headers=ZH).text
    assert 'class="tlp tlp-red" id="tlp">TLP:RED 仅限指定接收者<' in page
    timeline = page[page.index('id="timeline"'):]
    assert "共享标记已变更" in timeline and "涉及敏感信息 sensitive" in timeline
    assert "tlp_changed" not in timeline.replace("ev-tlp_changed", "")
    listed = client.get("/web/incidents", headers=ZH).text
    assert '<span class="tlp tlp-red" title="TLP:RED 仅限指定接收者">TLP:RED</span>' in listed
    login(client, "bj_ro")  # reads, does not handle: no form
    assert 'id="tlp-form"' not in client.get(f"/web/incidents/{ref}", headers=ZH).text


def test_assign_to_me_and_the_mine_filter(client, headers):
    ref = _filed(client, headers)
    other = _filed(client, headers, title="另一起 another")
    login(client, "bj_duty")
    page = client.get(f"/web/incidents/{ref}", headers=ZH).text
    assert "指派给我" in page and "尚未指派" in page
    assert '<option value="sh_admin"' not in page and '<option value="bj_reporter"' in page
    token = csrf(page)
    bad = client.post(f"/web/incidents/{ref}/assignee", headers=ZH,
                      data={"csrf": token, "username": "sh_admin"})
    assert bad.status_code == 422 and 'id="assign-username-error"' in bad.text
    r = client.post(f"/web/incidents/{ref}/assignee", follow_redirects=False,
                    data={"csrf": token, "username": "bj_duty"})
    assert r.status_code == 303
    page = client.get(f"/web/incidents/{ref}", headers=ZH).text
    assert 'id="assign-me"' not in page  # already mine
    assert 'id="assignee">承办人: <strong>bj_duty</strong>' in page and "已指派" in page
    mine = client.get("/web/incidents?assignee=me", headers=ZH).text
    assert f">{ref}</a>" in mine and f">{other}</a>" not in mine
    assert 'name="assignee" type="checkbox" value="me" checked' in mine
    everyone = client.get("/web/incidents", headers=ZH).text
    assert f">{ref}</a>" in everyone and f">{other}</a>" in everyone
    login(client, "bj_admin")  # "me" is whoever asks
    assert f">{ref}</a>" not in client.get("/web/incidents?assignee=me", headers=ZH).text
