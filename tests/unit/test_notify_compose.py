"""The shared wording of notifications (notify.compose), the Feishu signature, and which numbers
take an SMS (org.rules), without any server."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from fenghuo.notify import compose
from fenghuo.notify.adapters.feishu import feishu_sign
from fenghuo.org.rules import Channel, cn_mobile_number, contact_value_problem, sms_number

LINK = "https://fenghuo.example.cn/web/incidents/FH-2025-000123"
SUBJECT = "[重大 Major] FH-2025-000123 某银行核心系统遭勒索软件攻击"
TEXT = ("某银行核心系统遭勒索软件攻击\n等级 Grade: 重大 / Major\n"
        "影响 Impact: 支付业务中断约 2 小时，客户无法转账\n措施 Measures: 已隔离受感染主机\n")


@pytest.mark.parametrize(("payload", "path"), [
    ({"event": "incident.reported", "ref": "FH-1"}, "/web/incidents/FH-1"),
    ({"event": "incident.shared", "ref": "FH-1"}, "/web/incidents/FH-1"),
    ({"event": "duty.overdue", "ref": "FH-1"}, "/web/incidents/FH-1"),
    ({"event": "warning.published", "ref": "WN-1"}, "/web/warnings/WN-1"),
    ({"event": "response.activated", "ref": "RS-1"}, "/web/responses/RS-1"),
    ({"event": "candidate.opened", "ref": "MC-1"}, "/web/monitoring/candidates/MC-1"),
    ({"event": "reminder", "key": "plan"}, None),
    ({"event": "bulletin", "ref": "BL-1"}, None),
    ({"event": "incident.reported"}, None),
    ({"event": "warning.published", "ref": "WN-1", "path": "/web/units/u1/notices/7"},
     "/web/units/u1/notices/7"),
    ({"path": "//evil.example/x", "event": "warning.published", "ref": "WN-1"},
     "/web/warnings/WN-1"),  # a scheme-relative path is no path of ours
])
def test_page_path(payload, path):
    assert compose.page_path(payload) == path


def test_page_link_needs_a_base_url_and_a_page():
    payload = {"event": "incident.reported", "ref": "FH-2025-000123"}
    assert compose.page_link("https://fenghuo.example.cn/", payload) == LINK
    assert compose.page_link(None, payload) is None
    assert compose.page_link("https://fenghuo.example.cn", {"event": "reminder"}) is None


def test_segments_follow_the_carriers_count():
    assert compose.sms_segments("短" * 70) == 1
    assert compose.sms_segments("短" * 71) == 2  # 67 a part once concatenated
    assert compose.sms_segments("短" * 134) == 2
    assert compose.sms_segments("短" * 135) == 3
    assert compose.sms_segments("a" * 160) == 1 and compose.sms_segments("a" * 161) == 2
    assert compose.sms_length("告警🚨") == 4  # beyond the BMP: two UTF-16 units


@pytest.mark.parametrize("segments", [1, 2, 3, 5])
def test_sms_text_fits_its_segments_with_the_signature(segments):
    text = compose.sms_text(SUBJECT, TEXT * 5, LINK, sign_name="烽火", max_segments=segments)
    assert compose.sms_segments(f"【烽火】{text}") <= segments
    assert text.endswith(" " + LINK)  # the link whole, after the summary
    assert text.startswith(SUBJECT[:8])


def test_sms_text_is_the_summary_and_the_link_chinese_first():
    text = compose.sms_text(SUBJECT, TEXT, LINK, sign_name="烽火", max_segments=3)
    assert text.startswith(SUBJECT + "：等级 Grade: 重大 / Major")
    assert text.count("某银行核心系统遭勒索软件攻击") == 1  # the title line is not repeated
    assert "…" not in text and text.endswith(LINK)
    short = compose.sms_text(SUBJECT, TEXT, LINK, sign_name="烽火", max_segments=2)
    assert "…" in short and short.endswith(LINK)


def test_sms_text_without_room_for_the_link_keeps_the_summary():
    long_link = "https://fenghuo.example.cn/" + "x" * 80
    text = compose.sms_text(SUBJECT, TEXT, long_link, sign_name="烽火", max_segments=1)
    assert long_link not in text and text.startswith("[重大 Major]")
    assert compose.sms_segments(f"【烽火】{text}") == 1


def test_fit_utf8_cuts_whole_characters():
    cut = compose.fit_utf8("事件" * 100, 50)
    assert len(cut.encode()) <= 50 and cut.endswith("…")
    assert compose.fit_utf8("short", 50) == "short"


def test_a_notice_says_everything_in_words_chinese_first():
    W = compose.Words
    subject, text = compose.compose(compose.Notice(
        what=W("某银行核心系统遭勒索软件攻击", "Ransomware at a bank's core system"),
        tag=W("重大", "Major"), ref="FH-2025-000123",
        unit=W("北京某银行", "Beijing Bank"), system=W("核心系统", "Core banking"),
        category=W("恶意程序事件", "malware"), grade=W("重大", "major"),
        asked=W("2 小时内报送初报", "send the first report within 2 hours"),
        due=datetime(2026, 11, 1, 8, 0, tzinfo=UTC), link=LINK))
    assert subject == "[重大 Major] FH-2025-000123 某银行核心系统遭勒索软件攻击"
    assert text.splitlines() == [
        "事件 What: 某银行核心系统遭勒索软件攻击 / Ransomware at a bank's core system",
        "单位 Unit: 北京某银行 / Beijing Bank", "系统 System: 核心系统 / Core banking",
        "类别 Category: 恶意程序事件 / malware", "等级 Grade: 重大 / major",
        "要求 Asked: 2 小时内报送初报 / send the first report within 2 hours",
        "期限 Due: 2026-11-01 16:00 北京时间 CST", f"详情 Details: {LINK}"]
    _, bare = compose.compose(compose.Notice(what=W("测试", "test"), tag=W("一般", "General"),
                                             ref="FH-1"))
    assert bare == "事件 What: 测试 / test\n"


def test_feishu_signature_is_the_documented_formula():
    # Base64(HmacSHA256(key = timestamp + "\n" + secret, message = "")), as in Feishu's guide
    stamp, secret = "1599360473", "demo-secret"
    expected = base64.b64encode(hmac.new(f"{stamp}\n{secret}".encode(), b"",
                                         hashlib.sha256).digest()).decode()
    assert feishu_sign(secret, stamp) == expected == feishu_sign(secret, 1599360473)
    assert feishu_sign(secret, "1599360474") != expected


@pytest.mark.parametrize(("value", "sms", "mobile"), [
    ("13800138000", "+8613800138000", "+8613800138000"),
    ("+86 138 0013 8000", "+8613800138000", "+8613800138000"),
    ("0086-138-0013-8000", "+8613800138000", "+8613800138000"),
    ("(+86) 199.0000.1111", "+8619900001111", "+8619900001111"),
    ("+86 10 82990999", None, None),  # a Beijing landline takes no SMS
    ("010-82990999", None, None),
    ("12800138000", None, None),  # 12x is no mobile range
    ("1380013800", None, None),  # ten digits
    ("+852 5123 4567", "+85251234567", None),  # another country's E.164 number
    ("+44 7911 123456", "+447911123456", None),
    ("+0 123 456 789", None, None),
    ("+1234567890123456", None, None),  # longer than E.164 allows
])
def test_which_numbers_take_an_sms(value, sms, mobile):
    assert sms_number(value) == sms
    assert cn_mobile_number(value) == mobile


def test_sms_and_feishu_contacts_are_validated():
    assert contact_value_problem(Channel.SMS, "138 0013 8000") is None
    problem = contact_value_problem(Channel.SMS, "+86 10 82990999")
    assert problem is not None and "mobile number" in problem
    assert contact_value_problem(Channel.PHONE, "+86 10 82990999") is None  # phones stay as is
    assert contact_value_problem(
        Channel.FEISHU, "https://open.feishu.cn/open-apis/bot/v2/hook/2b0e-4a") is None
    assert contact_value_problem(Channel.FEISHU, "open.feishu.cn/hook") is not None
