"""Weekly and monthly bulletins (Plan §3.2; Support rights 2): figures for a seeded month with the
change against the previous period, TLP 2.0 on what a support-unit bulletin lists, HTML and PDF,
regeneration, distribution once per body, and the worker's schedule."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from fenghuo.audit.models import AuditPending
from fenghuo.common.errors import Forbidden, NotFound, Refused, ValidationFailed
from fenghuo.common.refs import new_ref
from fenghuo.incident.models import Incident
from fenghuo.notify.models import OutboxMessage
from fenghuo.org.models import Body, Contact
from fenghuo.response.models import Response
from fenghuo.sharing import bulletins
from fenghuo.sharing.bulletins import BulletinIn, SendIn
from fenghuo.sharing.models import Bulletin, BulletinDelivery
from fenghuo.support.models import SupportMembership, SupportRound, WorkEntry
from fenghuo.warning.models import EarlyWarning
from tests.integration.test_monitoring_statistics import seed as seed_monitoring

CST = timezone(timedelta(hours=8))


def cst(day: str, hm: str = "10:00") -> datetime:
    """A moment given in China Standard Time, as stored (UTC)."""
    return datetime.fromisoformat(f"{day}T{hm}:00").replace(tzinfo=CST).astimezone(UTC)


#: (subject, reporter, category, grade, tlp, reported CST, title, sector)
INCIDENTS = [
    ("bj-bank", "bj-bank", "network-attack", "major", "green", cst("2026-11-10"),
     "某银行网上银行遭受大流量DDoS攻击 DDoS against online banking", "finance"),
    ("bj-telco", "bj-telco", "harmful-program", "relatively_major", "clear", cst("2026-11-11"),
     "勒索软件感染营业厅终端 Ransomware on branch terminals", "telecom"),
    ("sh-bank", "sh-bank", "information-destruction", "especially_major", "red",
     cst("2026-11-12"), "核心系统客户数据泄露 Customer data leaked from core banking", "finance"),
    ("440000.office", "440000.office", "network-attack", "general", "amber", cst("2026-11-03"),
     "电力调度网站遭扫描 Scans against a grid dispatch site", "energy"),
    ("120000.office", "120000.office", "equipment-failure", "general", "green",
     cst("2026-11-13"), "政务云存储故障 Government cloud storage failure", None),
    ("bj-bank", "bj-bank", "information-content-security", "general", "amber",
     cst("2026-11-20"), "仿冒银行短信 Phishing texts in the bank's name", "finance"),
    ("sh-bank", "sh-bank", "network-attack", "major", "amber", cst("2026-11-18"),
     "支付接口遭撞库攻击 Credential stuffing on the payment API", "finance"),
    ("bj-telco", "bj-support", "harmful-program", "general", "green", cst("2026-11-14"),
     "支撑单位发现挖矿木马 Cryptominer found by a support unit", "telecom"),
    # the last minute of Sunday 15 November and the first of Monday 16 (CST): W46 and W47
    ("bj-telco", "bj-telco", "network-attack", "general", "green", cst("2026-11-15", "23:59"),
     "网站遭篡改 Website defaced", "telecom"),
    ("sh-bank", "sh-bank", "other", "general", "green", cst("2026-11-16", "00:01"),
     "异常登录告警 Unusual logins", "finance"),
    # October: the previous month
    ("bj-bank", "bj-bank", "network-attack", "general", "green", cst("2026-10-20"),
     "端口扫描 Port scans", "finance"),
    ("440000.office", "440000.office", "harmful-program", "relatively_major", "green",
     cst("2026-10-28"), "蠕虫传播 Worm spreading", "energy"),
]


def seed_month(rt) -> dict[str, int]:
    """A realistic November 2026 (and some October) for the whole country: incidents of several
    categories, grades, provinces and labels, warnings issued and lifted, responses, and a
    support unit's work. Returns incident ids by title prefix."""
    ids: dict[str, int] = {}
    with rt.uow() as s:
        body = {b.key: b for b in s.scalars(select(Body))}
        for subject, reporter, category, grade, tlp, at, title, sector in INCIDENTS:
            b = body[subject]
            i = Incident(ref=new_ref("FH", at), subject_body_id=b.id,
                         reporting_body_id=body[reporter].id, source="unit",
                         jurisdiction_path=b.jurisdiction.path, sector_code=sector,
                         category=category, title=title, found_at=at - timedelta(hours=1),
                         reported_at=at, state="reported", grade=grade,
                         grading_profile="cac2025", tlp=tlp, created_at=at, updated_at=at)
            s.add(i)
            s.flush()
            ids[title.split(" ")[0]] = i.id

        def warning(issuer, level, tlp, title, published, lifted=None):
            b = body[issuer]
            s.add(EarlyWarning(
                ref=new_ref("WN", published), issuer_body_id=b.id,
                jurisdiction_path=b.jurisdiction.path, drafted_by="seed",
                state="lifted" if lifted else "published", level=level,
                category="network-attack", title=title, starts_at=published,
                jurisdictions=json.dumps([b.jurisdiction.code]), items="[]", measures="[]",
                tlp=tlp, published_at=published, lifted_at=lifted, created_at=published,
                updated_at=lifted or published))

        warning("110000.office", "orange", "green", "针对金融行业的DDoS攻击 DDoS on banks",
                cst("2026-11-10", "12:00"), cst("2026-11-14", "18:00"))
        warning("cn.emergency-office", "red", "amber", "关键信息基础设施漏洞 CII flaw",
                cst("2026-11-11", "09:00"))
        warning("310000.office", "yellow", "clear", "钓鱼邮件 Phishing wave",
                cst("2026-10-25"), cst("2026-11-05"))

        def response(incident, level, by, at, ended=None):
            i = s.get(Incident, ids[incident])
            s.add(Response(ref=new_ref("ER", at), incident_id=i.id, level=level,
                           state="ended" if ended else "active",
                           running=None if ended else True, activated_by_body_id=body[by].id,
                           activated_by="seed", jurisdiction_path=i.jurisdiction_path,
                           activated_at=at, progress_every_minutes=240, ended_at=ended,
                           created_at=at))

        response("某银行网上银行遭受大流量DDoS攻击", "II", "110000.office",
                 cst("2026-11-10", "11:00"), cst("2026-11-13", "17:00"))
        response("核心系统客户数据泄露", "I", "cn.emergency-office", cst("2026-11-12", "12:00"))

        r = SupportRound(number=4, name_zh="第四批", name_en="Round 4", starts_on=date(2026, 1, 1),
                         created_at=cst("2026-01-01"))
        s.add(r)
        s.flush()
        s.add(SupportMembership(round_id=r.id, body_id=body["bj-support"].id, status="active",
                                admitted_on=date(2026, 1, 1), created_at=cst("2026-01-01")))
        for day, minutes in (("2026-11-10", 240), ("2026-11-11", 180), ("2026-11-20", 120),
                             ("2026-10-15", 60)):
            s.add(WorkEntry(body_id=body["bj-support"].id, kind="incident_response",
                            with_body_id=body["cn.cncert"].id, worked_on=date.fromisoformat(day),
                            minutes=minutes, description="处置 handling", recorded_by="seed",
                            recorded_at=cst(day)))
        for name, value, rank in (("值班 Duty", "duty@bj-support.example", 1),
                                  ("备用 Backup", "backup@bj-support.example", 5)):
            s.add(Contact(body_id=body["bj-support"].id, name=name, channel="email",
                          value=value, priority=rank, created_at=cst("2026-01-01")))
    return ids


@pytest.fixture
def month(rt, clock):
    ids = seed_month(rt)
    clock.advance(days=30)  # 1 December 2026, 08:00 UTC
    return ids


def generate(rt, principal, kind="monthly", period="2026-11", user="cncert_duty"):
    return bulletins.generate(rt.uow, rt.clock, principal=principal(user),
                              data=BulletinIn(kind=kind, period=period))


def by_code(rows):
    return {r["code"]: (r["count"], r["previous"]) for r in rows}


def test_monthly_figures_with_change_against_previous_month(rt, principal, month):
    """Plan §3.2: counts by category, grade, region and sector, each against October."""
    b = generate(rt, principal)
    f = b.data["figures"]
    assert f["incidents"] == {"count": 10, "previous": 2, "delta": 8, "pct": 400}
    assert by_code(f["by_category"])["network-attack"] == (4, 1)
    assert by_code(f["by_category"])["harmful-program"] == (2, 1)
    assert by_code(f["by_category"])["catastrophic"] == (0, 0)  # every annex 1 category shown
    assert by_code(f["by_grade"]) == {"especially_major": (1, 0), "major": (2, 0),
                                      "relatively_major": (1, 1), "general": (6, 1)}
    assert by_code(f["by_region"]) == {"110000": (5, 1), "310000": (3, 0), "440000": (1, 1),
                                       "120000": (1, 0)}
    assert by_code(f["by_sector"])["finance"] == (5, 1)
    assert by_code(f["by_sector"])["unspecified"] == (1, 0)
    assert f["notable"]["count"] == 4 and f["notable"]["previous"] == 1
    w = b.data["warnings"]
    assert (w["issued"]["count"], w["issued"]["previous"]) == (2, 1)
    assert (w["lifted"]["count"], w["lifted"]["previous"]) == (2, 0)
    r = b.data["responses"]
    assert (r["activated"]["count"], r["ended"]["count"]) == (2, 1)
    sup = b.data["support"]
    assert sup["hours"] == 9.0 and sup["hours_previous"] == 1.0
    assert sup["units"][0]["key"] == "bj-support" and sup["incidents_reported"] == 1


def test_weekly_days_are_china_standard_time(rt, principal, month):
    """An ISO week runs Monday to Sunday in CST: 23:59 on Sunday 15 November is in W46,
    00:01 on Monday 16 in W47 (both are 15 November in UTC)."""
    b = generate(rt, principal, kind="weekly", period="2026-W46")
    assert b.data["figures"]["incidents"] == {"count": 6, "previous": 1, "delta": 5, "pct": 500}
    assert b.data["days"] == {"first": "2026-11-09", "last": "2026-11-15",
                              "previous_first": "2026-11-02", "previous_last": "2026-11-08"}
    w47 = generate(rt, principal, kind="weekly", period="2026-W47")
    assert w47.data["figures"]["incidents"]["count"] == 3
    assert w47.title.startswith("《网络安全信息与动态周报》（2026年第47周）")


def test_red_and_amber_items_are_counted_but_not_listed(rt, principal, month):
    """TLP 2.0: support units are COMMUNITY readers; only CLEAR and GREEN items are listed, RED
    and AMBER ones only counted; the bulletin carries the strictest section label."""
    b = generate(rt, principal)
    listed = {i["title"] for i in b.data["notable"]["items"]}
    assert any(t.startswith("某银行网上银行") for t in listed)  # GREEN, major
    assert any(t.startswith("勒索软件感染") for t in listed)  # CLEAR, relatively major
    assert not any(t.startswith("核心系统") or t.startswith("支付接口") for t in listed)
    assert b.data["notable"]["withheld"] == 2
    assert [x["title"] for x in b.data["warnings"]["issued_items"]] == [
        "针对金融行业的DDoS攻击 DDoS on banks"]  # the AMBER red warning is withheld
    assert b.data["warnings"]["withheld"] == 1
    assert [x["level"] for x in b.data["responses"]["activated_items"]] == ["II"]
    assert b.tlp == "green" and b.data["sections_tlp"]["figures"] == "green"
    with rt.uow() as s:
        html = s.scalar(select(Bulletin.html).where(Bulletin.ref == b.ref))
    assert "核心系统客户数据泄露" not in html and "支付接口遭撞库攻击" not in html
    assert "某银行网上银行遭受大流量DDoS攻击" in html and "TLP:GREEN" in html


def test_pdf_carries_the_chinese_title_and_regenerating_replaces(rt, principal, month, tmp_path):
    """The PDF (WeasyPrint, Noto Sans CJK) starts with %PDF and pdftotext finds the title;
    one bulletin per kind, period and issuer: regenerating replaces it and is audited."""
    b = generate(rt, principal)
    name, pdf = bulletins.get_document(rt.uow, principal=principal("cncert_duty"), ref=b.ref,
                                       fmt="pdf")
    assert pdf.startswith(b"%PDF") and name.endswith(".pdf")
    (tmp_path / "b.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(tmp_path / "b.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "网络安全月报" in text and "TLP:GREEN" in text
    again = generate(rt, principal)
    assert again.ref == b.ref
    with rt.uow() as s:
        assert s.scalar(select(func.count()).select_from(Bulletin)) == 1
        actions = list(s.scalars(select(AuditPending.action).where(
            AuditPending.entity_key == b.ref)))
    assert actions == ["bulletin.generate", "bulletin.regenerate"]


def test_send_once_to_support_units_by_right_and_the_list(rt, principal, month):
    """Support rights 2: every support unit with an active membership receives the bulletin,
    plus the recipient list; first-rank contacts only; a second send resends to nobody."""
    b = generate(rt, principal)
    me = principal("cncert_duty")
    out = bulletins.send(rt.uow, rt.clock, principal=me, ref=b.ref,
                         data=SendIn(recipients=["110000.office"]))
    assert out.sent_to == ["110000.office", "bj-support"]
    assert out.messages == 1 and out.without_contact == ["110000.office"]
    with rt.uow() as s:
        msgs = list(s.scalars(select(OutboxMessage)))
        reasons = dict(s.execute(select(Body.key, BulletinDelivery.reason).join(
            Body, Body.id == BulletinDelivery.body_id)).all())
    assert [m.address for m in msgs] == ["duty@bj-support.example"]
    assert "网络安全月报" in msgs[0].subject and f"/api/v1/bulletins/{b.ref}.pdf" in msgs[0].text
    assert msgs[0].text.startswith("事件 What: 《") and "单位 Unit: " in msgs[0].text
    assert reasons == {"bj-support": "support_unit_right", "110000.office": "recipient_list"}
    again = bulletins.send(rt.uow, rt.clock, principal=me, ref=b.ref,
                           data=SendIn(recipients=["110000.office"]))
    assert again.sent_to == [] and again.messages == 0
    assert again.already_sent == ["110000.office", "bj-support"]
    # the support unit may now fetch it
    seen = bulletins.list_bulletins(rt.uow, principal=principal("bj_support"))
    assert [x.ref for x in seen] == [b.ref]


def test_who_may_generate_and_read(rt, principal, month):
    """Plan §3.2: an office or CNCERT issues, for its own scope (Law art. 30)."""
    with pytest.raises(Forbidden):  # a support unit's member publishes nothing
        generate(rt, principal, user="bj_support")
    with pytest.raises(Refused) as refused:  # a sector department is not an issuer
        generate(rt, principal, user="bj_fin")
    assert [r["code"] for r in refused.value.reasons] == ["bulletin.not_issuer"]
    with pytest.raises(Forbidden):  # an analyst cannot publish on behalf of the office
        generate(rt, principal, user="bj_analyst")
    with pytest.raises(ValidationFailed):
        generate(rt, principal, period="2026-W47")
    with pytest.raises(ValidationFailed):  # not started yet
        generate(rt, principal, kind="weekly", period="2026-W52")
    bj = generate(rt, principal, user="bj_duty")  # Beijing's own scope only
    assert {r["code"] for r in bj.data["figures"]["by_region"]} == {"110000"}
    assert bj.data["figures"]["incidents"]["count"] == 5
    with pytest.raises(NotFound):  # Shanghai does not see Beijing's bulletin
        bulletins.get_bulletin(rt.uow, principal=principal("sh_admin"), ref=bj.ref)
    with pytest.raises(NotFound):  # not delivered to the support unit yet
        bulletins.get_bulletin(rt.uow, principal=principal("bj_support"), ref=bj.ref)
    national = bulletins.get_bulletin(rt.uow, principal=principal("nat_admin"), ref=bj.ref)
    assert national.ref == bj.ref


def test_worker_generates_last_month_and_week_once_on_the_due_day(rt, principal, month, clock):
    """Scheduled generation: on Tuesday 1 December (CST) last month's bulletin (the 1st) but no
    weekly one (not Monday); a second run makes nothing; on Monday 7 December last week's."""
    made = bulletins.generate_scheduled(rt.uow, rt.clock, issuer_key="cn.cncert")
    assert len(made) == 1
    assert bulletins.generate_scheduled(rt.uow, rt.clock, issuer_key="cn.cncert") == []
    clock.advance(days=6)
    assert len(bulletins.generate_scheduled(rt.uow, rt.clock, issuer_key="cn.cncert")) == 1
    with rt.uow() as s:
        got = sorted(s.execute(select(Bulletin.kind, Bulletin.period)).all())
        delivered = s.scalar(select(func.count()).select_from(BulletinDelivery))
    assert got == [("monthly", "2026-11"), ("weekly", "2026-W49")]
    assert delivered == 2  # each sent to the support unit by right


def test_monitoring_statistics_section_against_the_previous_period(rt, principal, month):
    """Issue 15 item 7: the weekly and monthly bulletins carry the monitoring statistics of
    their period and issuer's scope, each against the previous period."""
    seed_monitoring(rt, principal)  # events of 2026-W43 and W44 (October)
    weekly = generate(rt, principal, kind="weekly", period="2026-W44")
    m = {x["key"]: x for x in weekly.data["monitoring"]["statistics"]}
    assert m["infected_hosts"]["value"] == {"count": 7, "previous": 2, "delta": 5, "pct": 250}
    assert m["phishing"]["value"]["count"] == 2 and m["c2_servers"]["value"]["count"] == 1
    assert m["vulnerabilities"]["value"] == {"count": 3, "previous": 1, "delta": 2, "pct": 200}
    provinces = {r["code"]: r["hosts"]["count"] for r in weekly.data["monitoring"]["provinces"]}
    assert provinces == {"110000": 3, "310000": 3, "unattributed": 1}
    assert weekly.data["sections_tlp"]["monitoring"] == "green"
    _, html = bulletins.get_document(rt.uow, principal=principal("cncert_duty"),
                                     ref=weekly.ref, fmt="html")
    page = html.decode()
    assert "九、监测统计" in page and "本周监测发现感染主机 <b>7</b> 个（上期 2 个）" in page
    monthly = generate(rt, principal, kind="monthly", period="2026-10")
    mm = {x["key"]: x for x in monthly.data["monitoring"]["statistics"]}
    assert mm["infected_hosts"]["value"]["count"] == 8
    assert mm["infected_hosts"]["value"]["previous"] == 0
    # a province's bulletin counts its own jurisdiction only
    bj = generate(rt, principal, kind="weekly", period="2026-W44", user="bj_admin")
    bm = {x["key"]: x for x in bj.data["monitoring"]["statistics"]}
    assert bm["infected_hosts"]["value"]["count"] == 3
    assert bm["vulnerabilities"]["value"]["count"] == 0


def test_the_current_month_from_its_first_day_and_cncert_has_no_jurisdiction(rt, principal,
                                                                             month):
    """Issue 17 item 16: on 1 December (CST) December's bulletin so far is accepted (the period
    has started), January's is not; CNCERT's bulletin names its region (全国), not a 管辖范围
    it does not have (Plan §2.3), while an office's speaks of its jurisdiction (Plan §2.2)."""
    current = generate(rt, principal, period="2026-12")
    assert current.data["days"]["first"] == "2026-12-01"
    with pytest.raises(ValidationFailed):
        generate(rt, principal, period="2027-01")
    _, html = bulletins.get_document(rt.uow, principal=principal("cncert_duty"),
                                     ref=current.ref, fmt="html")
    page = html.decode()
    assert "全国范围内共接报" in page and "reported nationwide" in page
    assert "管辖范围" not in page
    bj = generate(rt, principal, user="bj_duty")
    _, html = bulletins.get_document(rt.uow, principal=principal("bj_duty"), ref=bj.ref,
                                     fmt="html")
    assert f"{bj.data['issuer']['zh']}管辖范围内共接报" in html.decode()
