"""The pure CAP 1.2 mapping of public warnings (fenghuo.warning.cap; issue 20 item 5)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree

from fenghuo.warning import cap
from fenghuo.warning.schemas import MeasureOut, PlaceOut, PublicWarning

C = "{urn:oasis:names:tc:emergency:cap:1.2}"
XSD = Path(__file__).parents[1] / "fixtures" / "cap" / "CAP-v1.2.xsd"
T0 = datetime(2026, 11, 1, 8, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize(("level", "severity", "urgency", "certainty"), [
    ("red", "Extreme", "Immediate", "Likely"),
    ("orange", "Severe", "Immediate", "Likely"),
    ("yellow", "Moderate", "Expected", "Possible"),
    ("blue", "Minor", "Expected", "Possible"),
])
def test_the_level_gives_severity_urgency_and_certainty(level, severity, urgency, certainty):
    assert (cap.severity(level), cap.urgency(level), cap.certainty(level)) == (
        severity, urgency, certainty)
    assert cap.urgency(level, cap.MsgType.CANCEL) == "Past"


def test_categories_and_tokens():
    assert cap.category("equipment-failure.support-facility") == "Infra"
    assert cap.category("catastrophic") == "Infra"
    assert {cap.category(c) for c in ("harmful-program.virus", "network-attack", "other")} == {
        "Security"}
    assert cap.sender("110000.office", "fenghuo.example.cn") == "110000.office@fenghuo.example.cn"
    assert cap.identifier("WN 1,<&", 2) == "WN_1___.2"  # CAP §3.2.1 restricted characters
    assert cap.host_of("https://fenghuo.example.cn:8443/x", "testserver") == "fenghuo.example.cn"
    assert cap.host_of(None, "testserver") == "testserver"


def test_cap_datetimes_have_an_offset_and_no_fraction():
    assert cap.cap_datetime(T0, "Asia/Shanghai") == "2026-11-01T16:00:00+08:00"
    assert cap.cap_datetime(T0, "UTC") == "2026-11-01T08:00:00-00:00"  # never Z, never +00:00
    assert cap.cap_datetime(T0, "America/New_York") == "2026-11-01T03:00:00-05:00"


def warning(**kw) -> PublicWarning:
    base = dict(ref="WN-20261101-0A1B2C3D", title="断电 <停机> & outage", state="lifted",
                level="red", level_label={"zh": "红色预警", "en": "red warning"},
                category="equipment-failure", category_label={"zh": "设备设施故障",
                                                              "en": "Equipment failure"},
                issuer_name_zh="应急办", issuer_name_en="Emergency Office", starts_at=T0,
                published_at=T0, lifted_at=T0 + timedelta(days=1), updated_at=T0,
                revision=3, jurisdictions=[PlaceOut(code="CN", name_zh="全国", name_en="National"),
                                           PlaceOut(code="110000", name_zh="北京市",
                                                    name_en="Beijing")],
                sectors=[], items=["供电\x00中断"],
                measures=[MeasureOut(text="启用备用电源", deadline=None)])
    return PublicWarning(**{**base, **kw})


def source() -> cap.Source:
    """Published yellow, raised to orange, then to red, then lifted."""
    return cap.Source(warning(), "cn.emergency-office", {"110000": "110000"}, (
        cap.Event("published", T0),
        cap.Event("revised", T0 + timedelta(hours=1), "yellow", "orange"),
        cap.Event("revised", T0 + timedelta(hours=2), "orange", "red"),
        cap.Event("lifted", T0 + timedelta(days=1))))


def test_messages_work_the_levels_back_through_the_revisions():
    history = cap.messages(source())
    assert [(m.msg_type.value, m.identifier, m.level.value) for m in history] == [
        ("Alert", "WN-20261101-0A1B2C3D.1", "yellow"),
        ("Update", "WN-20261101-0A1B2C3D.2", "orange"),
        ("Update", "WN-20261101-0A1B2C3D.3", "red"),
        ("Cancel", "WN-20261101-0A1B2C3D.4", "red")]
    assert [m.previous_level for m in history][1:3] == ["yellow", "orange"]
    assert cap.messages(cap.Source(warning(), "x")) == []


def test_every_message_validates_and_states_its_level():
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    where = cap.Where("fenghuo.example.cn", None, "UTC")
    for number, (severity, msg_type) in enumerate(
            [("Moderate", "Alert"), ("Severe", "Update"), ("Extreme", "Update"),
             ("Extreme", "Cancel")], start=1):
        doc = cap.alert_xml(source(), where, number)
        assert schema.validate(etree.fromstring(doc)), schema.error_log
        alert = ET.fromstring(doc)
        assert alert.findtext(f"{C}msgType") == msg_type
        assert alert.findtext(f"{C}info/{C}severity") == severity
        refs = alert.findtext(f"{C}references")
        assert (refs or "").count("cn.emergency-office@fenghuo.example.cn,") == number - 1
    alert = ET.fromstring(cap.alert_xml(source(), where))  # the latest: the Cancel
    zh, en = alert.findall(f"{C}info")
    assert zh.findtext(f"{C}headline") == "解除红色预警：断电 <停机> & outage"
    assert en.findtext(f"{C}category") == "Infra"
    assert "供电中断" in zh.findtext(f"{C}description")  # the NUL XML forbids is dropped
    # the national level has no GB/T 2260 code: named in areaDesc, one geocode for Beijing
    assert zh.findtext(f"{C}area/{C}areaDesc") == "全国；北京市"
    assert [g.findtext(f"{C}value") for g in en.findall(f"{C}area/{C}geocode")] == ["110000"]
    with pytest.raises(ValueError, match="no message 5"):
        cap.alert_xml(source(), where, 5)
