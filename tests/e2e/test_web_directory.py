"""The console's directory, user and token administration, and the dashboard's province map,
through HTTP on both databases: the map coloured by published warnings under the caller's scope,
the tree scoped (a province sees only its own bodies), contacts and duty channels, an
administrator creating a user who then logs in, tokens issued and revoked, non-administrators
refused, and user content escaped."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.e2e.test_api_warnings import publish, warning
from tests.e2e.test_web_form import csrf, login

LANG_ZH = {"Accept-Language": "zh-CN"}


def browser(client) -> TestClient:
    """Another browser (its own cookies) on the same application."""
    return TestClient(client.app)


def level(html: str, code: str) -> str:
    tile = re.search(rf'<a [^>]*id="map-{code}"[^>]*>', html).group(0)
    return re.search(r'data-level="([a-z]+)"', tile).group(1)


def post(c, path: str, page_path: str, data: dict, **kw):
    token = csrf(c.get(page_path).text)
    return c.post(path, data={"csrf": token, **data}, follow_redirects=False, **kw)


def log_in_with(c, username: str, password: str):
    page = c.get("/web/login")
    return c.post("/web/login", data={"username": username, "password": password,
                                      "csrf": csrf(page.text)}, follow_redirects=False)


# --- the province map ----------------------------------------------------------------------------


def test_the_map_colours_provinces_by_the_gravest_published_warning(client, headers, clock):
    login(client, "bj_duty")
    page = client.get("/web/", headers=LANG_ZH)
    assert page.status_code == 200
    tiles = re.findall(r'<a [^>]*id="map-(\d{6})"', page.text)
    assert len(tiles) == 34 and {"110000", "810000", "820000", "710000"} <= set(tiles)
    assert level(page.text, "110000") == "none" and 'id="map-none"' in page.text
    assert "<title>北京市：无已发布预警</title>" in page.text
    assert 'href="/web/warnings?state=published&amp;region=110000"' in page.text
    assert "示意图" in page.text  # the text says it is a cartogram, not an outline map

    yellow = publish(client, headers, clock, level="yellow", title="<i>Yellow</i> phishing")
    orange = publish(client, headers, clock, level="orange")
    frag = client.get("/web/dashboard/fragment", headers=LANG_ZH).text
    assert level(frag, "110000") == "orange"  # the gravest of the two (Plan §3.1)
    assert level(frag, "310000") == "none"
    row = re.search(r'<tr id="covered-110000" data-level="orange">.*?</tr>', frag, re.S).group(0)
    assert "北京市" in row and orange["ref"] in row and yellow["ref"] in row
    assert "<title>北京市：橙色预警（已发布 2 条）</title>" in frag
    assert "<i>" not in frag  # warning titles never reach the map unescaped
    listed = client.get("/web/warnings?state=published&region=110000", headers=LANG_ZH).text
    assert orange["ref"] in listed and yellow["ref"] in listed  # the tile's link lists them
    elsewhere = client.get("/web/warnings?state=published&region=310000", headers=LANG_ZH).text
    assert orange["ref"] not in elsewhere and yellow["ref"] not in elsewhere

    national = browser(client)  # the Emergency Office sees warnings issued in its scope
    login(national, "nat_admin")
    assert level(national.get("/web/dashboard/fragment").text, "110000") == "orange"
    shanghai = browser(client)  # Shanghai does not (Law art. 30)
    login(shanghai, "sh_admin")
    frag = shanghai.get("/web/dashboard/fragment").text
    assert level(frag, "110000") == "none" and 'id="map-none"' in frag

    r = client.post(f"/api/v1/warnings/{orange['ref']}/lift", json={"reason": "patched"},
                    headers=headers("bj_duty"))
    assert r.status_code == 200, r.text
    en = client.get("/web/dashboard/fragment", headers={"Accept-Language": "en"}).text
    assert level(en, "110000") == "yellow" and "<title>Beijing: yellow warning (1 published)" in en


def test_a_national_warning_covers_every_province_with_a_jurisdiction(client, headers, clock):
    r = client.post("/api/v1/users", headers=headers("nat_admin"), json={
        "username": "cn_duty", "display_name": "cn_duty", "body": "cn.emergency-office",
        "roles": ["duty_officer"]})
    assert r.status_code == 201, r.text
    w = warning(clock, level="blue", jurisdictions=["CN"], sectors=[])
    r = client.post("/api/v1/warnings", json=w, headers=headers("cn_duty"))
    assert r.status_code == 201, r.text
    ref = r.json()["ref"]
    for user, step in (("nat_admin", "approve"), ("cn_duty", "publish")):
        r = client.post(f"/api/v1/warnings/{ref}/{step}", headers=headers(user))
        assert r.status_code == 200, r.text
    login(client, "nat_admin")
    frag = client.get("/web/dashboard/fragment").text
    for code in ("110000", "310000", "650000", "540000"):
        assert level(frag, code) == "blue"
    for code in ("810000", "820000", "710000"):  # no jurisdiction in the seeded tree
        assert level(frag, code) == "none"
    assert 'id="covered-XPCC"' in frag  # listed in the text, though it has no tile
    assert len(re.findall(r'<tr id="covered-', frag)) == 32


# --- the directory -------------------------------------------------------------------------------


def test_the_tree_is_scoped_to_the_callers_province(client):
    login(client, "bj_duty")
    page = client.get("/web/directory", headers=LANG_ZH)
    assert page.status_code == 200 and 'aria-current="page"' in page.text
    assert 'href="/web/directory/bj-bank"' in page.text and "北京某银行" in page.text
    assert "sh-bank" not in page.text and "上海某银行" not in page.text
    assert "310000.office" not in page.text
    assert client.get("/web/directory/sh-bank").status_code == 404

    national = browser(client)
    login(national, "nat_admin")
    page = national.get("/web/directory")
    assert 'href="/web/directory/sh-bank"' in page.text and 'href="/web/directory/bj-bank"' \
        in page.text

    reporter = browser(client)  # an operator unit sees only itself (Plan §1.5)
    login(reporter, "bj_reporter")
    page = reporter.get("/web/directory")
    assert 'href="/web/directory/bj-bank"' in page.text
    assert "bj-telco" not in page.text and "110000.office" not in page.text
    assert 'href="/web/admin/users"' not in page.text


def test_search_by_name(client):
    login(client, "bj_duty")
    found = client.get("/web/directory", params={"q": "银行"}).text
    assert 'href="/web/directory/bj-bank"' in found and "sh-bank" not in found
    found = client.get("/web/directory", params={"q": "telco", "kind": "operator"}).text
    assert 'href="/web/directory/bj-telco"' in found and "bj-bank" not in found
    none = client.get("/web/directory", params={"q": "<script>x</script>"}).text
    assert "<script>x</script>" not in none and "&lt;script&gt;" in none


def test_a_body_page_shows_contacts_duty_channels_and_children(client, headers):
    r = client.post("/api/v1/bodies/bj-bank/contacts", headers=headers("bj_admin"), json={
        "name": "<b>Night</b> desk", "title": "值班长", "channel": "dingtalk",
        "value": "https://oapi.dingtalk.com/robot/send?access_token=SECRET123",
        "is_24x7": True, "priority": 10})
    assert r.status_code == 201, r.text
    login(client, "bj_duty")
    page = client.get("/web/directory/bj-bank", headers=LANG_ZH)
    assert page.status_code == 200 and "北京某银行" in page.text and "运营单位" in page.text
    contacts = re.search(r'<table id="contacts">.*?</table>', page.text, re.S).group(0)
    assert "duty@bj-bank.example.cn" in contacts and 'href="mailto:duty@bj-bank.example.cn"' \
        in contacts
    assert "&lt;b&gt;Night&lt;/b&gt; desk" in contacts and "<b>Night</b>" not in page.text
    assert "值班长" in contacts and "钉钉机器人" in contacts
    assert "SECRET123" not in page.text and "https://oapi.dingtalk.com/…" in contacts
    assert contacts.index("Night") < contacts.index("duty@bj-bank")  # priority 10 first
    duty = re.search(r'id="duty-channels">(.*?)</p>', page.text, re.S).group(1)
    assert "电子邮件" in duty and "钉钉机器人" in duty

    national = browser(client)
    login(national, "nat_admin")
    page = national.get("/web/directory/cn.emergency-office")
    children = re.search(r'<ul id="children">.*?</ul>', page.text, re.S).group(0)
    assert 'href="/web/directory/cn.expert-group"' in children
    assert 'href="/web/directory/cn.cac"' in page.text  # the body it reports to


# --- users and tokens ----------------------------------------------------------------------------


def test_an_administrator_creates_a_user_who_can_log_in(client):
    login(client, "bj_admin")
    page = client.get("/web/admin/users", headers=LANG_ZH)
    assert page.status_code == 200 and 'id="user-bj_duty"' in page.text
    assert "sh_admin" not in page.text  # users of the admin's scope only
    assert page.headers["cache-control"] == "no-store"

    bad = post(client, "/web/admin/users", "/web/admin/users", {
        "username": "bad name!", "display_name": "<img src=x onerror=alert(1)>",
        "body": "110000.office"})
    assert bad.status_code == 422
    assert 'id="err-username"' in bad.text and 'id="err-roles"' in bad.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in bad.text  # kept, escaped
    assert "<img src=x" not in bad.text
    taken = post(client, "/web/admin/users", "/web/admin/users", {
        "username": "bj_duty", "display_name": "Again", "body": "110000.office",
        "roles": ["analyst"]})
    assert taken.status_code == 422 and "already taken" in taken.text
    assert 'id="new-role-analyst" name="roles" value="analyst" checked' in taken.text

    r = post(client, "/web/admin/users", "/web/admin/users", {
        "username": "bj_night", "display_name": "<b>夜班</b>", "body": "110000.office",
        "roles": ["duty_officer", "analyst"]}, headers=LANG_ZH)
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    password = re.search(r'<code id="initial-password">([^<]+)</code>', r.text).group(1)
    assert len(password) >= 10 and "只显示这一次" in r.text
    listed = client.get("/web/admin/users").text
    assert 'id="user-bj_night"' in listed and "&lt;b&gt;夜班&lt;/b&gt;" in listed
    assert password not in listed

    night = browser(client)
    r = log_in_with(night, "bj_night", password)
    assert r.status_code == 303 and r.headers["location"] == "/web/"
    home = night.get("/web/")
    assert home.status_code == 200 and "&lt;b&gt;夜班&lt;/b&gt;" in home.text


def test_roles_and_disabling(client):
    login(client, "bj_admin")
    users = client.get("/web/admin/users").text
    ro_id = re.search(r'href="/web/admin/users/(\d+)">bj_ro<', users).group(1)
    admin_id = re.search(r'href="/web/admin/users/(\d+)">bj_admin<', users).group(1)
    page_path = f"/web/admin/users/{ro_id}"
    r = post(client, f"{page_path}/roles", page_path, {"roles": ["analyst"]})
    assert r.status_code == 303 and r.headers["location"] == page_path
    assert "分析研判员" in client.get(page_path, headers=LANG_ZH).text

    r = post(client, f"{page_path}/active", page_path, {"active": "false"})
    assert r.status_code == 303
    assert "已停用" in client.get(page_path, headers=LANG_ZH).text
    assert log_in_with(browser(client), "bj_ro", "correct-horse-battery").status_code == 401
    post(client, f"{page_path}/active", page_path, {"active": "true"})
    assert log_in_with(browser(client), "bj_ro", "correct-horse-battery").status_code == 303

    mine = f"/web/admin/users/{admin_id}"
    r = post(client, f"{mine}/active", mine, {"active": "false"})
    assert r.status_code == 403 and "cannot disable yourself" in r.text


def test_tokens_issued_shown_once_and_revoked(client, headers):
    login(client, "bj_admin")
    users = client.get("/web/admin/users").text
    mine = re.search(r'href="(/web/admin/users/\d+)" id="my-tokens"', users).group(1)
    r = post(client, "/web/admin/tokens", mine, {"name": "<script>ci</script>",
                                                  "expires_days": "30"})
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    secret = re.search(r'<code id="token-secret">([^<]+)</code>', r.text).group(1)
    assert "&lt;script&gt;ci&lt;/script&gt;" in r.text and "<script>ci" not in r.text
    api = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=api).json()["username"] == "bj_admin"
    page = client.get(mine).text
    assert secret not in page and secret[:10] in page
    token_id = re.search(r'action="/web/admin/tokens/(\d+)/revoke"', page).group(1)
    r = post(client, f"/web/admin/tokens/{token_id}/revoke", mine, {"user": mine.split("/")[-1]})
    assert r.status_code == 303 and r.headers["location"] == mine
    assert client.get("/api/v1/me", headers=api).status_code == 401
    assert "已吊销" in client.get(mine, headers=LANG_ZH).text

    # another user's tokens: listed and revocable by their administrator
    duty_token = headers("bj_duty")
    duty_id = re.search(r'href="/web/admin/users/(\d+)">bj_duty<', users).group(1)
    duty_page = client.get(f"/web/admin/users/{duty_id}").text
    token_id = re.search(r'action="/web/admin/tokens/(\d+)/revoke"', duty_page).group(1)
    assert 'action="/web/admin/tokens"' not in duty_page  # tokens are issued to oneself
    post(client, f"/web/admin/tokens/{token_id}/revoke", f"/web/admin/users/{duty_id}",
         {"user": duty_id})
    assert client.get("/api/v1/me", headers=duty_token).status_code == 401


def test_non_administrators_are_refused(client):
    login(client, "bj_reporter")
    r = client.get("/web/admin/users", headers=LANG_ZH)
    assert r.status_code == 403 and "无权操作" in r.text and "user:read" in r.text

    duty = browser(client)  # duty officers may read users (user:read) but not manage them
    login(duty, "bj_duty")
    page = duty.get("/web/admin/users")
    assert page.status_code == 200 and 'action="/web/admin/users"' not in page.text
    r = post(duty, "/web/admin/users", "/web/admin/users", {
        "username": "sneaky", "display_name": "Sneaky", "body": "110000.office",
        "roles": ["administrator"]})
    assert r.status_code == 403 and "user:manage" in r.text
    assert 'id="user-sneaky"' not in duty.get("/web/admin/users").text
    ro_id = re.search(r'href="/web/admin/users/(\d+)">bj_ro<', page.text).group(1)
    r = post(duty, f"/web/admin/users/{ro_id}/roles", "/web/admin/users",
             {"roles": ["administrator"]})
    assert r.status_code == 403

    r = duty.post("/web/admin/users", data={"csrf": "forged", "username": "x"},
                  follow_redirects=False)
    assert r.status_code == 401  # a form from elsewhere


def test_admin_pages_need_a_login(client):
    for path in ("/web/directory", "/web/directory/bj-bank", "/web/admin/users"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/web/login?next=")


def test_the_users_tab_shows_for_those_who_may_read_users(client):
    login(client, "bj_admin")
    assert 'href="/web/admin/users"' in client.get("/web/directory").text
    reporter = browser(client)
    login(reporter)  # an operator unit's reporter holds no user:read
    assert 'href="/web/admin/users"' not in reporter.get("/web/directory").text
