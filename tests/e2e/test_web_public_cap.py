"""Public warnings as OASIS CAP 1.2 (issue 20 item 5), through the real application on both
databases: every message validates against the OASIS schema (tests/fixtures/cap), a revision is
an Update and the lifting a Cancel referencing the earlier messages, only public warnings are
served, and Chinese text arrives intact."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from lxml import etree

from fenghuo.warning import service as warnings
from fenghuo.warning.schemas import LiftIn, ReviseIn
from tests.e2e.test_web_public import public_warning
from tests.integration.test_warnings import drafted, published

C = "{urn:oasis:names:tc:emergency:cap:1.2}"
A = "{http://www.w3.org/2005/Atom}"
SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).parents[1] / "fixtures" / "cap"
                                         / "CAP-v1.2.xsd")))


def cap(client, ref: str) -> ET.Element:
    """The warning's latest CAP message, after checking it against the CAP 1.2 schema."""
    r = client.get(f"/public/warnings/{ref}.cap.xml")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == "application/cap+xml"
    doc = etree.fromstring(r.content)
    assert SCHEMA.validate(doc), SCHEMA.error_log
    return ET.fromstring(r.content)


def sent(rt, moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(rt.settings.timezone)).isoformat(timespec="seconds")


def index(client) -> ET.Element:
    r = client.get("/public/warnings.cap.atom")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    return ET.fromstring(r.content)


def test_a_published_public_warning_is_a_valid_cap_alert(client, rt, principal, clock,
                                                         monkeypatch):
    empty = index(client)
    assert empty.find(f"{A}entry") is None and empty.findtext(f"{A}updated")
    w = public_warning(rt, principal, clock, title="公开预警 勒索软件 Public ransomware warning")
    internal = published(rt, principal, clock, title="内部预警 Internal only", tlp="clear")
    draft = drafted(rt, principal, clock, public=True, tlp="clear", title="草稿 Draft")
    raw = client.get(f"/public/warnings/{w.ref}.cap.xml").content
    assert "橙色预警：公开预警 勒索软件".encode() in raw  # UTF-8, not character references
    alert = cap(client, w.ref)
    assert alert.findtext(f"{C}identifier") == f"{w.ref}.1"
    assert alert.findtext(f"{C}sender") == "110000.office@testserver"
    assert alert.findtext(f"{C}sent") == sent(rt, w.published_at)
    assert alert.findtext(f"{C}sent").endswith("+08:00")  # the configured zone, CAP §3.3.2
    assert [alert.findtext(f"{C}{t}") for t in ("status", "msgType", "scope")] == [
        "Actual", "Alert", "Public"]
    assert alert.find(f"{C}references") is None
    zh, en = alert.findall(f"{C}info")
    assert (zh.findtext(f"{C}language"), en.findtext(f"{C}language")) == ("zh-CN", "en-US")
    for info in (zh, en):  # orange (Plan §3.1) → Severe, Immediate, Likely
        assert [info.findtext(f"{C}{t}") for t in ("category", "urgency", "severity",
                                                    "certainty")] == [
            "Security", "Immediate", "Severe", "Likely"]
        assert info.findtext(f"{C}onset") == sent(rt, w.starts_at)
        assert info.find(f"{C}web") is None  # no FENGHUO_PUBLIC_URL
        geocode = info.find(f"{C}area/{C}geocode")
        assert (geocode.findtext(f"{C}valueName"), geocode.findtext(f"{C}value")) == (
            "GB/T 2260", "110000")
    assert zh.findtext(f"{C}headline") == "橙色预警：公开预警 勒索软件 Public ransomware warning"
    assert en.findtext(f"{C}headline").startswith("Orange warning: 公开预警")
    assert zh.findtext(f"{C}senderName") == w.issuer_name_zh
    assert en.findtext(f"{C}senderName") == w.issuer_name_en
    assert zh.findtext(f"{C}area/{C}areaDesc") == "北京市"
    assert en.findtext(f"{C}area/{C}areaDesc") == "Beijing"
    assert "勒索软件利用VPN漏洞" in zh.findtext(f"{C}description")
    assert "金融" in zh.findtext(f"{C}description")
    assert zh.findtext(f"{C}instruction").startswith("- 修补VPN patch the VPN（时限 ")
    for hidden in (internal.ref, draft.ref, "WN-20260101-00000000"):
        r = client.get(f"/public/warnings/{hidden}.cap.xml")
        assert r.status_code == 404 and r.headers["content-type"].startswith(
            "application/problem+json")
    feed = index(client)
    [entry] = feed.findall(f"{A}entry")
    link = entry.find(f"{A}link[@type='application/cap+xml']")
    assert link.get("href") == f"http://testserver/public/warnings/{w.ref}.cap.xml"
    assert entry.find(f"{A}category").get("term") == "Alert"
    assert feed.find(f"{A}link[@rel='self']").get("href").endswith("/public/warnings.cap.atom")
    page = client.get(f"/public/warnings/{w.ref}").text  # autodiscovery and a visible link
    assert f'href="/public/warnings/{w.ref}.cap.xml"' in page
    assert 'href="http://testserver/public/warnings.cap.atom"' in page
    atom = ET.fromstring(client.get("/public/warnings.atom").content)
    assert atom.find(f"{A}entry/{A}link[@type='application/cap+xml']") is not None
    monkeypatch.setattr(rt.settings, "public_url", "https://fenghuo.example.cn/")
    alert = cap(client, w.ref)
    assert alert.findtext(f"{C}sender") == "110000.office@fenghuo.example.cn"
    assert alert.findtext(f"{C}info/{C}web") == f"https://fenghuo.example.cn/public/warnings/{w.ref}"


def test_a_revision_is_an_update_and_the_lifting_a_cancel(client, rt, principal, clock):
    w = public_warning(rt, principal, clock)
    first = cap(client, w.ref)
    clock.advance(hours=3)
    warnings.revise(rt.uow, rt.clock, principal=principal("bj_duty"), ref=w.ref,
                    data=ReviseIn(level="yellow", reason="contained"))
    update = cap(client, w.ref)
    sender = update.findtext(f"{C}sender")
    alert_triplet = f"{sender},{w.ref}.1,{first.findtext(f'{C}sent')}"
    assert update.findtext(f"{C}msgType") == "Update"
    assert update.findtext(f"{C}identifier") == f"{w.ref}.2"
    assert update.findtext(f"{C}references") == alert_triplet
    assert update.findtext(f"{C}sent") == sent(rt, clock.now())
    zh = update.find(f"{C}info")
    assert [zh.findtext(f"{C}{t}") for t in ("urgency", "severity", "certainty")] == [
        "Expected", "Moderate", "Possible"]  # yellow
    assert "预警级别由橙色预警调整为黄色预警。" in zh.findtext(f"{C}description")
    clock.advance(hours=5)
    warnings.lift(rt.uow, rt.clock, principal=principal("bj_duty"), ref=w.ref,
                  data=LiftIn(reason="patched"))
    cancel = cap(client, w.ref)
    assert cancel.findtext(f"{C}msgType") == "Cancel"
    assert cancel.findtext(f"{C}identifier") == f"{w.ref}.3"
    assert cancel.findtext(f"{C}references").split(" ") == [
        alert_triplet, f"{sender},{w.ref}.2,{update.findtext(f'{C}sent')}"]
    info = cancel.find(f"{C}info")
    assert info.findtext(f"{C}responseType") == "AllClear"
    assert info.findtext(f"{C}urgency") == "Past"
    assert info.findtext(f"{C}headline").startswith("解除黄色预警：")
    assert "patched" not in client.get(f"/public/warnings/{w.ref}.cap.xml").text  # internal
    [entry] = index(client).findall(f"{A}entry")  # a lifted warning stays, as its Cancel
    assert entry.find(f"{A}category").get("term") == "Cancel"
    assert datetime.fromisoformat(entry.findtext(f"{A}updated")) == clock.now()
