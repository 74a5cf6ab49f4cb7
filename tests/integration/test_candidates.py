"""Candidate warnings (issue 15 item 6), on both databases: Suricata alerts of one malware
family at units in three provinces open a spread candidate for the Emergency Office and a CII
candidate; detection run again opens nothing; a province office neither sees nor decides a
national candidate; confirming makes a monitoring item from which a warning is drafted;
dismissing records the reason; every decision is audited."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from fenghuo.api.app import create_app
from fenghuo.audit import service as audit
from fenghuo.audit.models import AuditEntry
from fenghuo.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from fenghuo.monitoring import candidates, ingest, register
from fenghuo.monitoring.constituency import EntryKind, Role
from fenghuo.monitoring.detection import Thresholds
from fenghuo.monitoring.models import Candidate
from fenghuo.monitoring.schemas import EntryIn, FeedIn
from fenghuo.org import accounts
from fenghuo.org.schemas import TokenIn
from fenghuo.warning import monitoring
from fenghuo.warning import service as warnings
from fenghuo.warning.schemas import AssessmentIn, WarningIn
from fenghuo.workers.dispatch import Worker
from tests.cli import clean_env, fenghuo

EMOTET = "ET MALWARE Win32/Emotet CnC Activity"
TRICKBOT = "ET MALWARE Win32/TrickBot CnC Activity"


def _alert(ts: str, src: str, sig: str = EMOTET, sid: int = 2024217) -> bytes:
    return json.dumps({"timestamp": ts, "event_type": "alert", "src_ip": src, "src_port": 4444,
                       "dest_ip": "203.0.113.9", "dest_port": 443, "proto": "TCP",
                       "alert": {"signature_id": sid, "signature": sig,
                                 "category": "A Network Trojan was Detected",
                                 "severity": 1}}).encode()


@pytest.fixture
def world(rt, principal):
    """Prefixes of units in Beijing (bj-bank is CII) and Shanghai, Guangdong's address space
    held by its office, a national sensor, and a morning of alerts (clock: 16:00 CST)."""
    register.import_entries(rt.uow, rt.clock, principal=principal("bj_admin"), rows=[
        EntryIn(body="bj-bank", kind=EntryKind.PREFIX, value="61.135.0.0/16"),
        EntryIn(body="bj-telco", kind=EntryKind.PREFIX, value="61.136.0.0/16"),
        EntryIn(body="bj-support", kind=EntryKind.PREFIX, value="61.137.0.0/16")])
    register.put_entry(rt.uow, rt.clock, principal=principal("sh_admin"), data=EntryIn(
        body="sh-bank", kind=EntryKind.PREFIX, value="58.32.0.0/16"))
    register.put_entry(rt.uow, rt.clock, principal=principal("nat_admin"), data=EntryIn(
        body="440000.office", kind=EntryKind.PREFIX, value="113.96.0.0/16",
        role=Role.JURISDICTION))
    ingest.create_feed(rt.uow, rt.clock, principal=principal("nat_admin"), data=FeedIn(
        code="ids-1", name_zh="传感器", name_en="sensor", body="cn.cncert", format="suricata"))
    lines = [
        _alert("2026-11-01T09:00:00.000000+0800", "61.135.1.1"),  # bj-bank (CII)
        _alert("2026-11-01T09:05:00.000000+0800", "61.135.1.2"),
        _alert("2026-11-01T09:10:00.000000+0800", "61.135.1.1"),
        _alert("2026-11-01T10:00:00.000000+0800", "61.136.4.4"),  # bj-telco
        _alert("2026-11-01T11:00:00.000000+0800", "58.32.7.7"),  # sh-bank
        _alert("2026-11-01T12:00:00.000000+0800", "113.96.5.5"),  # Guangdong's space
        _alert("2026-11-01T13:00:00.000000+0800", "61.136.9.9", TRICKBOT, 2030001),  # bj-telco
        _alert("2026-11-01T13:30:00.000000+0800", "61.137.2.2", TRICKBOT, 2030001),  # bj-support
    ]
    ingest.take_in(rt.uow, rt.clock, feed="ids-1", fmt=None,
                   chunks=[ingest.Chunk("morning", lines)], received_by="nat_admin")


def _by(opened, rule, indicator):
    [found] = [c for c in opened if c.rule == rule and c.indicator == indicator]
    return found


def _actions(rt, ref):
    audit.chain_pending(rt.uow)
    with rt.uow() as s:
        return [(e.action, e.actor) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.entity_key == ref).order_by(AuditEntry.seq))]


THRESHOLDS = Thresholds(provinces=3, units=2)


def test_spread_and_cii_candidates_open_once_for_the_right_office(rt, principal, world):
    # the default thresholds (N=3 provinces, M=5 units): the Beijing-only spread is too small
    first = candidates.detect(rt.uow, rt.clock)
    assert len(first.opened) == 2 and not first.refreshed and not first.untargeted
    # M=2 units: it is one now; the two others are already open
    result = candidates.detect(rt.uow, rt.clock, thresholds=THRESHOLDS)
    assert len(result.opened) == 1 and len(result.refreshed) == 2
    nat = candidates.list_candidates(rt.uow, principal=principal("nat_admin"))
    assert sorted((c.rule, c.indicator, c.target, c.state) for c in nat) == [
        ("cii", "malware:emotet", "cn.emergency-office", "open"),
        ("spread", "malware:emotet", "cn.emergency-office", "open"),
        # bj-telco and bj-support only: a spread confined to Beijing goes to its office
        ("spread", "malware:trickbot", "110000.office", "open")]
    assert result.opened == [_by(nat, "spread", "malware:trickbot").ref]
    spread = _by(nat, "spread", "malware:emotet")
    assert spread.ref.startswith("MC-20261101-") and spread.scope == "national"
    ev = spread.evidence
    assert (ev["count"], ev["hosts"], ev["unit_count"], ev["province_count"]) == (6, 5, 3, 3)
    assert [(p["code"], p["count"]) for p in ev["provinces"]] == [
        ("110000", 4), ("310000", 1), ("440000", 1)]
    assert [(u["body"], u["count"], u["cii"]) for u in ev["units"]] == [
        ("bj-bank", 3, True), ("bj-telco", 1, False), ("sh-bank", 1, False)]
    assert ev["days"] == {"2026-11-01": 6} and ev["baseline"] == [0] * 7
    assert len(ev["samples"]) == 6 and {x["malware"] for x in ev["samples"]} == {"emotet"}
    assert ev["samples"][0]["source_ip"] == "113.96.5.5"  # the latest first
    a = spread.assessment
    assert (a["likelihood"], a["extent"], a["harm"]) == (
        "high", "several_provinces_or_sectors", "relatively_major")
    # Plan §3.1: relatively major → yellow, however wide (issue 17 item 2; Plan §3.3 ¶2 makes
    # it the Emergency Office's)
    assert a["proposal"]["level"] == "yellow" and a["proposal"]["emergency_office_only"]
    assert [r["code"] for r in a["reasons"]] == [
        "candidate.spread.provinces", "candidate.spread.units", "candidate.assessment"]
    cii = _by(nat, "cii", "malware:emotet")
    assert cii.evidence["concerns"] == ["bj-bank"]
    assert {x["body"] for x in cii.evidence["samples"]} == {"bj-bank"}
    assert cii.assessment["extent"] == "single_unit"
    assert _actions(rt, spread.ref) == [("candidate.open", "system")]
    # again, and an hour later in the same window: nothing new; open ones are refreshed
    again = candidates.detect(rt.uow, rt.clock, thresholds=THRESHOLDS)
    assert not again.opened and sorted(again.refreshed) == sorted(c.ref for c in nat)
    rt.clock.advance(hours=1)
    assert not candidates.detect(rt.uow, rt.clock, thresholds=THRESHOLDS).opened
    # past midnight (CST) the aligned window is new, but the same events are not seen twice
    rt.clock.advance(hours=8, minutes=30)
    assert not candidates.detect(rt.uow, rt.clock, thresholds=THRESHOLDS).opened
    assert len(candidates.list_candidates(rt.uow, principal=principal("nat_admin"))) == 3


def test_scope_confirm_into_a_warning_and_dismiss(rt, principal, world):
    candidates.detect(rt.uow, rt.clock, thresholds=THRESHOLDS)
    nat = candidates.list_candidates(rt.uow, principal=principal("nat_admin"))
    spread, cii = _by(nat, "spread", "malware:emotet"), _by(nat, "cii", "malware:emotet")
    beijing = _by(nat, "spread", "malware:trickbot")
    # a province office sees its own and neither sees nor decides a national one (Law art. 30)
    assert [c.ref for c in candidates.list_candidates(
        rt.uow, principal=principal("bj_admin"))] == [beijing.ref]
    assert candidates.list_candidates(rt.uow, principal=principal("sh_admin")) == []
    assert candidates.list_candidates(rt.uow, principal=principal("bj_reporter")) == []
    with pytest.raises(NotFound):
        candidates.get_candidate(rt.uow, principal=principal("sh_admin"), ref=spread.ref)
    with pytest.raises(NotFound):
        candidates.confirm(rt.uow, rt.clock, principal=principal("bj_admin"), ref=spread.ref)
    with pytest.raises(Forbidden):  # CNCERT sees it, but it is the Emergency Office's
        candidates.confirm(rt.uow, rt.clock, principal=principal("cncert_duty"), ref=spread.ref)
    # the Emergency Office confirms: a monitoring item through warning.monitoring
    item_ref = candidates.confirm(rt.uow, rt.clock, principal=principal("nat_admin"),
                                  ref=spread.ref)
    item = monitoring.get_item(rt.uow, principal=principal("nat_admin"), ref=item_ref)
    assert item.body == "cn.emergency-office" and item.category == "harmful-program"
    assert item.important and item.jurisdictions == ["110000", "310000", "440000"]
    assert item.sectors == ["finance", "telecom"]
    assert item.title.startswith("多省或多单位扩散：恶意程序家族 emotet（3个省、3个单位）")
    assert spread.ref in item.observed and "bj-bank" in item.observed
    pairs = {(i.type, i.value) for i in item.indicators}
    assert {("other", "malware:emotet"), ("ip", "61.135.1.1"), ("ip", "113.96.5.5")} <= pairs
    done = candidates.get_candidate(rt.uow, principal=principal("nat_admin"), ref=spread.ref)
    assert (done.state, done.decided_by, done.monitoring_item) == (
        "confirmed", "nat_admin", item_ref)
    with pytest.raises(Conflict):
        candidates.confirm(rt.uow, rt.clock, principal=principal("nat_admin"), ref=spread.ref)
    # …and from the item, a warning through what exists (Law art. 54(2), Plan §3.3)
    a = done.assessment
    ra = monitoring.assess(rt.uow, rt.clock, principal=principal("nat_admin"), data=AssessmentIn(
        items=[item_ref], likelihood=a["likelihood"], extent=a["extent"], harm=a["harm"]),
        profile="cac2025")
    assert ra.proposal.level == a["proposal"]["level"] == "yellow"
    w = warnings.draft(rt.uow, rt.clock, principal=principal("nat_admin"), data=WarningIn(
        title=item.title, category=item.category, level=ra.proposal.level,
        starts_at=rt.clock.now(), jurisdictions=item.jurisdictions, sectors=[],
        items=["Emotet 控制服务器通信 Emotet C2 traffic"],
        measures=[{"text": "清除感染主机 clean the infected hosts",
                   "deadline": rt.clock.now() + timedelta(hours=24)}], assessment=ra.ref))
    assert (w.state, w.level) == ("draft", "yellow")
    # the CII candidate is dismissed with its reason; the province office decides its own
    with pytest.raises(ValidationFailed):
        candidates.dismiss(rt.uow, rt.clock, principal=principal("nat_admin"), ref=cii.ref,
                           reason=" ")
    out = candidates.dismiss(rt.uow, rt.clock, principal=principal("nat_admin"), ref=cii.ref,
                             reason="同一事件已由扩散候选确认 covered by the spread item")
    assert (out.state, out.reason) == ("dismissed", "同一事件已由扩散候选确认 covered by the "
                                       "spread item")
    bj_item = candidates.confirm(rt.uow, rt.clock, principal=principal("bj_admin"),
                                 ref=beijing.ref)
    assert monitoring.get_item(rt.uow, principal=principal("bj_admin"),
                               ref=bj_item).body == "110000.office"
    assert _actions(rt, spread.ref) == [("candidate.open", "system"),
                                        ("candidate.confirm", "nat_admin")]
    assert _actions(rt, cii.ref) == [("candidate.open", "system"),
                                     ("candidate.dismiss", "nat_admin")]
    assert ("monitoring.submit", "nat_admin") in _actions(rt, item_ref)
    # a decided candidate is not reopened by the next detection
    assert not candidates.detect(rt.uow, rt.clock, thresholds=THRESHOLDS).opened


def test_http_list_get_confirm_dismiss(rt, principal, world):
    candidates.detect(rt.uow, rt.clock, thresholds=THRESHOLDS)

    def auth(user):
        token = accounts.issue_token(rt.uow, rt.clock, principal=principal(user),
                                     data=TokenIn(name="t")).token
        return {"Authorization": f"Bearer {token}"}

    nat, sh = auth("nat_admin"), auth("sh_admin")
    base = "/api/v1/monitoring/candidates"
    with TestClient(create_app(rt)) as client:
        listed = client.get(base, headers=nat, params={"state": "open"})
        assert listed.status_code == 200 and len(listed.json()) == 3
        spread = next(c for c in listed.json()
                      if c["rule"] == "spread" and c["indicator"] == "malware:emotet")
        cii = next(c for c in listed.json() if c["rule"] == "cii")
        assert client.get(base, headers=sh).json() == []
        hidden = client.get(f"{base}/{spread['ref']}", headers=sh)
        assert hidden.status_code == 404
        assert hidden.headers["content-type"].startswith("application/problem+json")
        assert client.post(f"{base}/{spread['ref']}/confirm", headers=sh).status_code == 404
        done = client.post(f"{base}/{spread['ref']}/confirm", headers=nat,
                           json={"title": "Emotet 多省扩散 Emotet across three provinces"})
        assert done.status_code == 200 and done.json()["state"] == "confirmed"
        item = done.headers["Location"]
        assert item == f"/api/v1/monitoring/{done.json()['monitoring_item']}"
        assert client.get(item, headers=nat).json()["title"] == (
            "Emotet 多省扩散 Emotet across three provinces")
        assert client.post(f"{base}/{spread['ref']}/confirm", headers=nat).status_code == 409
        short = client.post(f"{base}/{cii['ref']}/dismiss", headers=nat, json={"reason": "x"})
        assert short.status_code == 422
        out = client.post(f"{base}/{cii['ref']}/dismiss", headers=nat,
                          json={"reason": "已知测试流量 known test traffic"})
        assert (out.status_code, out.json()["reason"]) == (200, "已知测试流量 known test traffic")
        assert client.get(base, headers=nat, params={"state": "dismissed"}).json()[0]["ref"] \
            == cii["ref"]


def test_the_worker_detects_periodically_and_idempotently(rt, world):
    worker = Worker(rt, {}, detect_seconds=300)  # the default thresholds: N=3, M=5
    assert worker.detect_if_due() == 2  # at start: the Emergency Office's two
    assert worker.detect_if_due() == 0  # not due yet
    worker._next_detect = 0  # due again: the same window opens nothing new
    assert worker.detect_if_due() == 0
    with rt.uow() as s:
        assert s.scalar(select(func.count()).select_from(Candidate)) == 2


def test_cli_list_show_confirm_dismiss_detect(rt, principal, world, db_url, tmp_path):
    candidates.detect(rt.uow, rt.clock, thresholds=THRESHOLDS)
    nat = candidates.list_candidates(rt.uow, principal=principal("nat_admin"))
    spread, cii = _by(nat, "spread", "malware:emotet"), _by(nat, "cii", "malware:emotet")
    env = clean_env(FENGHUO_DATABASE_URL=db_url)

    def run(*args):
        return fenghuo("candidate", *args, env=env, cwd=tmp_path)

    listed = run("list", "--as", "nat_admin", "--state", "open")
    assert listed.returncode == 0 and "3 candidate(s)" in listed.stdout
    assert spread.ref in listed.stdout and cii.ref in listed.stdout
    shown = run("show", spread.ref, "--as", "nat_admin")
    assert shown.returncode == 0
    assert "6 events · 5 distinct hosts · 3 units · 3 provinces" in shown.stdout
    # Plan §3.1: relatively major → yellow however wide (issue 17 item 2)
    assert "黄色预警 yellow warning" in shown.stdout and "unit bj-bank" in shown.stdout
    hidden = run("show", spread.ref, "--as", "sh_admin")
    assert hidden.returncode == 1 and "no candidate" in hidden.stderr
    done = run("confirm", spread.ref, "--as", "nat_admin")
    assert done.returncode == 0 and re.search(r"→ monitoring item MI-\d{8}-[0-9A-F]{8}",
                                              done.stdout)
    out = run("dismiss", cii.ref, "--as", "nat_admin", "--reason", "duplicate of the spread")
    assert out.returncode == 0 and "dismissed by nat_admin" in out.stdout
    assert candidates.get_candidate(rt.uow, principal=principal("nat_admin"),
                                    ref=cii.ref).reason == "duplicate of the spread"
    again = run("detect")  # the real clock: whatever it finds, it runs and reports
    assert again.returncode == 0 and again.stdout.startswith("opened ")


def test_a_spike_against_the_previous_seven_days(rt, world):
    # a week ago: seven alerts at bj-bank (a baseline of one a day)
    old = [_alert(f"2026-10-28T10:0{i}:00.000000+0800", "61.135.1.1") for i in range(7)]
    ingest.take_in(rt.uow, rt.clock, feed="ids-1", fmt=None,
                   chunks=[ingest.Chunk("last-week", old)], received_by="nat_admin")
    only_spikes = dict(provinces=9, units=9, cii_min_count=100, spike_min_count=5)
    assert not candidates.detect(rt.uow, rt.clock, thresholds=Thresholds(
        spike_factor=7, **only_spikes)).opened  # 6 today < 7 × 1
    [ref] = candidates.detect(rt.uow, rt.clock, thresholds=Thresholds(
        spike_factor=3, **only_spikes)).opened  # 6 ≥ 3 × 1
    with rt.uow() as s:
        c = s.scalar(select(Candidate).where(Candidate.ref == ref))
        ev = json.loads(c.evidence)
    assert (c.rule, c.indicator) == ("spike", "malware:emotet")
    assert ev["baseline"] == [0, 0, 0, 0, 7, 0, 0]  # 24–30 October
    assert ev["days"] == {"2026-10-28": 7, "2026-11-01": 6} and ev["count"] == 6
