"""The public warning page and feeds (Law arts. 54(3), 55), and the monitoring-information form
(Plan §3.2), through the real application on both databases: the pages in Chinese (the default)
and in English, the feeds bilingual."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime

from sqlalchemy import func, select

from fenghuo.common.pagination import PageParams
from fenghuo.org.accounts import principal_for
from fenghuo.warning import monitoring
from fenghuo.warning import service as warnings
from fenghuo.warning.models import MonitoringItem
from fenghuo.warning.schemas import LiftIn
from tests.e2e.test_web_form import csrf, login
from tests.integration.test_warnings import published

A = "{http://www.w3.org/2005/Atom}"
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}
XSS = "<script>alert(1)</script>"


def public_warning(rt, principal, clock, **kw):
    """Drafted by bj_duty, approved by bj_admin, published by bj_duty: TLP:CLEAR, public."""
    return published(rt, principal, clock, public=True, tlp="clear", **kw)


def test_the_public_page_shows_public_warnings_only(client, rt, principal, clock):
    public = public_warning(rt, principal, clock, title="公开预警 Public ransomware warning")
    internal = published(rt, principal, clock, title="内部预警 Internal only", tlp="clear")
    r = client.get("/public/warnings")  # no login, no language asked for: Chinese
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in r.text and r.headers["content-language"] == "zh-CN"
    assert "Accept-Language" in r.headers["vary"] and "set-cookie" not in r.headers
    assert "公开预警 Public ransomware warning" in r.text and "Internal only" not in r.text
    assert 'class="level level-orange">橙色预警<' in r.text and "<h1>网络安全预警</h1>" in r.text
    assert public.issuer_name_zh in r.text and public.issuer_name_en not in r.text
    assert 'type="application/atom+xml"' in r.text  # feed autodiscovery
    assert 'href="/web/lang?to=en&amp;next=/public/warnings"' in r.text
    assert 'href="/web/incidents"' not in r.text  # no console navigation
    detail = client.get(f"/public/warnings/{public.ref}")
    assert detail.status_code == 200 and "警示事项" in detail.text
    assert "勒索软件利用VPN漏洞" in detail.text and "修补VPN patch the VPN" in detail.text
    assert "金融" in detail.text  # the scope's sector
    for internal_detail in ("bj_duty", "bj_admin", "bj-finance-reg", "cn.emergency-office",
                            "TLP:AMBER", "recipients"):
        assert internal_detail not in r.text and internal_detail not in detail.text
    assert client.get(f"/public/warnings/{internal.ref}").status_code == 404
    warnings.lift(rt.uow, rt.clock, principal=principal("bj_duty"), ref=public.ref,
                  data=LiftIn(reason="patched"))
    r = client.get("/public/warnings")
    assert public.ref in r.text and 'class="state state-lifted">已解除<' in r.text
    assert "patched" not in r.text  # the reason is internal
    assert "此预警已不再有效" in client.get(f"/public/warnings/{public.ref}").text


def test_the_public_pages_in_english(client, rt, principal, clock):
    public = public_warning(rt, principal, clock, title="公开预警 Public ransomware warning")
    r = client.get("/public/warnings", headers=EN)
    assert '<html lang="en">' in r.text and r.headers["content-language"] == "en"
    assert "<h1>Network security warnings</h1>" in r.text and "网络安全预警" not in r.text
    assert 'class="level level-orange">orange warning<' in r.text and "橙色预警" not in r.text
    assert public.issuer_name_en in r.text and public.issuer_name_zh not in r.text
    assert 'class="state state-published">published<' in r.text
    assert 'href="/web/lang?to=zh_CN&amp;next=/public/warnings"' in r.text
    detail = client.get(f"/public/warnings/{public.ref}", headers=EN)
    assert "Warning items" in detail.text and "Measures and time limits" in detail.text
    assert "警示事项" not in detail.text and "勒索软件利用VPN漏洞" in detail.text  # user text
    assert "Finance" in detail.text or "finance" in detail.text
    missing = client.get("/public/warnings/WN-20260101-00000000", headers=EN)
    assert missing.status_code == 404 and "There is no public warning WN-20260101" in missing.text
    # the switch from a public page: a cookie, back to the same page, without logging in
    r = client.get(f"/web/lang?to=en&next=/public/warnings/{public.ref}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/public/warnings/{public.ref}"
    assert "Warning items" in client.get(r.headers["location"], headers=ZH).text
    warnings.lift(rt.uow, rt.clock, principal=principal("bj_duty"), ref=public.ref,
                  data=LiftIn(reason="patched"))
    assert "This warning no longer applies." in client.get(f"/public/warnings/{public.ref}").text
    assert 'class="state state-lifted">lifted<' in client.get("/public/warnings").text


def test_the_atom_feed(client, rt, principal, clock):
    w = public_warning(rt, principal, clock, title="公开预警 Public warning")
    published(rt, principal, clock, title="内部预警 Internal only")
    r = client.get("/public/warnings.atom")
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == "application/atom+xml"
    feed = ET.fromstring(r.content)
    assert feed.tag == f"{A}feed"
    for required in ("id", "title", "updated", "author"):
        assert feed.find(f"{A}{required}") is not None, required
    assert feed.find(f"{A}link[@rel='self']").get("href").endswith("/public/warnings.atom")
    entries = feed.findall(f"{A}entry")
    assert len(entries) == 1
    entry = entries[0]
    entry_id = entry.findtext(f"{A}id")
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", entry_id)
    assert entry_id != feed.findtext(f"{A}id")
    updated = datetime.fromisoformat(entry.findtext(f"{A}updated"))
    assert updated.tzinfo is not None and updated == w.published_at
    assert "公开预警 Public warning" in entry.findtext(f"{A}title")
    assert entry.find(f"{A}link[@rel='alternate']").get("href").endswith(f"/public/warnings/"
                                                                          f"{w.ref}")
    assert "修补VPN patch the VPN" in entry.findtext(f"{A}content")
    assert {c.get("term") for c in entry.findall(f"{A}category")} == {"orange",
                                                                      "harmful-program"}
    clock.advance(hours=2)
    warnings.lift(rt.uow, rt.clock, principal=principal("bj_duty"), ref=w.ref,
                  data=LiftIn(reason="patched"))
    again = ET.fromstring(client.get("/public/warnings.atom").content)
    entry = again.find(f"{A}entry")
    assert entry.findtext(f"{A}id") == entry_id  # the same entry, updated
    assert datetime.fromisoformat(entry.findtext(f"{A}updated")) > updated
    assert "已解除" in entry.findtext(f"{A}title")
    assert again.findtext(f"{A}updated") == entry.findtext(f"{A}updated")


def test_the_json_feed(client, rt, principal, clock):
    w = public_warning(rt, principal, clock)
    r = client.get("/public/warnings.json")
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == "application/feed+json"
    feed = json.loads(r.content)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] and isinstance(feed["items"], list)
    assert feed["feed_url"].endswith("/public/warnings.json")
    [item] = feed["items"]
    assert isinstance(item["id"], str) and item["id"].startswith("urn:uuid:")
    assert item["content_text"] and item["url"].endswith(f"/public/warnings/{w.ref}")
    assert datetime.fromisoformat(item["date_published"]) == w.published_at
    assert item["_fenghuo"]["level"] == "orange" and item["_fenghuo"]["state"] == "published"
    assert "recipients" not in r.text and "bj_duty" not in r.text


def test_user_content_is_escaped_everywhere(client, rt, principal, clock):
    w = public_warning(rt, principal, clock, title=f"{XSS} 演练 drill",
                       items=[f'<img src=x onerror="alert(2)"> & {XSS}'])
    page = client.get("/public/warnings").text
    assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt; 演练" in page
    detail = client.get(f"/public/warnings/{w.ref}").text
    assert XSS not in detail and "<img src=x" not in detail and "&lt;img src=x" in detail
    atom = client.get("/public/warnings.atom")
    assert b"<script>" not in atom.content and b"<img" not in atom.content
    entry = ET.fromstring(atom.content).find(f"{A}entry")
    assert XSS in entry.findtext(f"{A}title")  # escaped in the XML, intact once parsed
    assert f'<img src=x onerror="alert(2)"> & {XSS}' in entry.findtext(f"{A}content")
    item = client.get("/public/warnings.json").json()["items"][0]
    assert XSS in item["title"]  # JSON carries text; readers escape it for their output


def test_an_empty_feed_is_still_valid(client):
    feed = ET.fromstring(client.get("/public/warnings.atom").content)
    assert feed.find(f"{A}entry") is None and feed.findtext(f"{A}updated")
    assert client.get("/public/warnings.json").json()["items"] == []
    assert "目前没有向社会发布的预警。" in client.get("/public/warnings").text
    en = client.get("/public/warnings", headers=EN).text
    assert "There are no public warnings at present." in en
    missing = client.get("/public/warnings/<b>WN-1")
    assert missing.status_code == 404 and "没有向社会发布的预警 &lt;b&gt;WN-1。" in missing.text


# --- the monitoring-information form ----------------------------------------------------------


def monitoring_fields(html: str, **overrides) -> dict:
    fields = {"csrf": csrf(html),
              "idempotency_key": re.search(r'name="idempotency_key" value="([^"]+)"',
                                           html).group(1),
              "title": "VPN漏洞被利用 VPN flaw exploited", "observed": "扫描流量 scanning traffic",
              "observed_at": "2026-11-01T22:15", "category": "network-attack",
              "jurisdictions": "110000", "sectors": "finance", "systems": "VPN gateway",
              "indicators": "ip:203.0.113.7\ncve:CVE-2026-0001\nurl:https://bad.example/x",
              "important": "on", "tlp": "amber"}
    return {k: v for k, v in {**fields, **overrides}.items() if v is not None}


def items(rt) -> int:
    with rt.uow() as s:
        return s.scalar(select(func.count()).select_from(MonitoringItem))


def test_monitoring_information_through_the_form(client, rt):
    r = client.get("/web/monitoring", follow_redirects=False)
    assert r.status_code == 303 and "/web/login" in r.headers["location"]
    login(client, "bj_reporter")
    page = client.get("/web/monitoring")
    assert page.status_code == 200 and "网络攻击事件" in page.text
    assert "TLP:AMBER — 限于本单位及其客户" in page.text and "<h1>报送监测信息</h1>" in page.text
    assert 'aria-current="page">报送监测信息<' in page.text  # the console's navigation
    r = client.post("/web/monitoring", data=monitoring_fields(page.text), follow_redirects=False)
    assert r.status_code == 303, r.text
    ref = r.headers["location"].rsplit("/", 1)[1]
    assert re.fullmatch(r"MI-\d{8}-[0-9A-F]{8}", ref)
    shown = client.get(r.headers["location"])
    # Plan §3.2: up the bank's chain, its office and its sector's department
    assert ref in shown.text and "北京市网信办" in shown.text and "北京金融监管" in shown.text
    assert "单位重要监测信息报属地网信部门" in shown.text and "网络攻击事件" in shown.text
    assert "国家网络安全应急办公室" not in shown.text and 'id="report-up"' not in shown.text
    assert "ip:203.0.113.7" in shown.text and "url:https://bad.example/x" in shown.text
    en = client.get(r.headers["location"], headers=EN)
    assert "Shared with" in en.text and "cyberspace office (Plan §3.2)" in en.text
    assert "北京市网信办" not in en.text and "共享给" not in en.text
    item = next(i for i in _listed(rt) if i.ref == ref)
    assert item.observed_at.isoformat().startswith("2026-11-01T14:15")  # 22:15 in Shanghai
    assert [x.type for x in item.indicators] == ["ip", "cve", "url"]
    again = client.post("/web/monitoring", data=monitoring_fields(page.text),
                        follow_redirects=False)
    assert again.headers["location"] == r.headers["location"]  # a double submit is one item
    assert items(rt) == 1
    edited = client.post("/web/monitoring", data=monitoring_fields(page.text, title="changed"))
    assert edited.status_code == 409 and "此表单已以不同内容提交过" in edited.text  # same key
    assert f'value="{monitoring_fields(page.text)["idempotency_key"]}"' not in edited.text
    assert items(rt) == 1


def _listed(rt):
    return monitoring.list_items(rt.uow, principal=principal_for(rt.uow, username="bj_reporter"),
                                 page=PageParams()).items


def test_monitoring_form_errors_are_inline_and_nothing_is_stored(client, rt):
    login(client, "bj_reporter")
    page = client.get("/web/monitoring")
    r = client.post("/web/monitoring", data=monitoring_fields(
        page.text, category="no-such-category", title=f"{XSS} drill"))
    assert r.status_code == 422
    assert '<a href="#category">事件类别</a>: 未知的事件类别 no-such-category。' in r.text
    assert 'id="category-error">未知的事件类别' in r.text  # also next to the field
    assert re.search(r'id="category"[^>]*aria-invalid="true"', r.text)
    assert XSS not in r.text and "&lt;script&gt;" in r.text  # the title comes back escaped
    r = client.post("/web/monitoring", data=monitoring_fields(
        page.text, indicators="ip:203.0.113.7\nnot an indicator\nhash:abc", important=None))
    assert r.status_code == 422 and 'href="#indicators"' in r.text
    assert "第 2 行：应为“类型:值”" in r.text and "第 3 行：未知类型 hash" in r.text
    assert "checked" not in re.search(r'name="important"[^>]*>', r.text).group(0)
    r = client.post("/web/monitoring", data=monitoring_fields(page.text, jurisdictions="999999"))
    assert r.status_code == 422 and "没有代码为 999999 的地区。" in r.text
    assert 'href="#jurisdictions"' in r.text
    r = client.post("/web/monitoring", headers=EN, data=monitoring_fields(
        page.text, title="", jurisdictions="999999", indicators="nonsense"))
    assert r.status_code == 422 and "Please correct the following; nothing was stored." in r.text
    assert '<a href="#title">Title</a>: This field is required.' in r.text
    assert "Line 1: expected type:value" in r.text
    assert "There is no jurisdiction with code 999999." not in r.text  # never reached the service
    r = client.post("/web/monitoring", headers=EN, data=monitoring_fields(
        page.text, jurisdictions="999999"))
    assert "There is no jurisdiction with code 999999." in r.text and "没有代码" not in r.text
    r = client.post("/web/monitoring", headers=EN, data=monitoring_fields(
        page.text, sectors="no-such-sector"))
    assert "There is no sector with code no-such-sector." in r.text
    assert items(rt) == 0


def test_the_monitoring_form_needs_the_permission(client):
    login(client, "bj_ro")
    r = client.get("/web/monitoring")
    assert r.status_code == 403
    assert "您的角色不能报送监测信息（需要 monitoring:submit 权限）" in r.text
    assert 'action="/web/monitoring"' not in r.text
    r = client.get("/web/monitoring", headers=EN)
    assert "Your roles do not allow submitting monitoring information" in r.text
