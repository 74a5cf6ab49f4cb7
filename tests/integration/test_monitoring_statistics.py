"""Monitoring statistics (issue 15 item 7), on both databases: events of several formats
ingested over two ISO weeks (2026-W43 and W44, the FakeClock being Sunday 1 November 2026,
16:00 China Standard Time), counted per statistic, province, sector, family and unit, against
the previous period, in the caller's scope (Law art. 30)."""

from __future__ import annotations

import json

import pytest

from fenghuo.common.periods import Month, Week
from fenghuo.monitoring import ingest, register, statistics
from fenghuo.monitoring.constituency import EntryKind, Role
from fenghuo.monitoring.schemas import EntryIn, FeedIn


def alert(ts: str, src: str, family: str = "Emotet", sid: int = 2024217) -> bytes:
    return json.dumps({"timestamp": f"{ts}.000000+0800", "event_type": "alert", "src_ip": src,
                       "src_port": 4444, "dest_ip": "8.8.8.8", "dest_port": 80, "proto": "TCP",
                       "alert": {"signature_id": sid,
                                 "signature": f"ET MALWARE Win32/{family} CnC Activity",
                                 "category": "A Network Trojan was Detected",
                                 "severity": 1}}).encode()


def cve(cve_id: str, published: str, vector: str | None) -> bytes:
    metrics = [{"cvssV3_1": {"version": "3.1", "vectorString": vector}}] if vector else []
    return json.dumps({"dataType": "CVE_RECORD", "dataVersion": "5.1", "cveMetadata": {
        "cveId": cve_id, "state": "PUBLISHED", "datePublished": published},
        "containers": {"cna": {"descriptions": [{"lang": "en", "value": "a flaw"}],
                               "metrics": metrics}}}).encode()


W44, W43 = "2026-10-28T10:00:00", "2026-10-21T10:00:00"
SURICATA = [
    alert(W44, "61.135.1.1"), alert(W44, "61.135.1.2"), alert(W44, "61.135.1.1"),  # bj-bank
    alert(W44, "61.135.8.3"),  # bj-telco (its /28 beats the bank's /16)
    alert(W44, "58.246.1.1"), alert(W44, "58.246.1.2", "TrickBot", 2030001),  # sh-bank
    alert(W44, "116.224.5.5"),  # Shanghai's address space (the office)
    alert(W44, "1.2.3.4"),  # the national queue
    alert(W43, "61.135.1.1"), alert(W43, "61.135.1.9"),  # bj-bank, the week before
]
URLS = [b"url,threat,dateadded",
        b"http://login.bank.com.cn/x,phishing,2026-10-29 02:00:00",  # bj-bank by domain
        b"http://58.246.9.9/paypal,phishing,2026-10-29 02:00:00",  # sh-bank
        b"http://evil.example.net/p,phishing,2026-10-29 02:00:00",  # abroad: not counted
        b"http://61.135.2.2:8080/gate.php,c2,2026-10-30 02:00:00",  # bj-bank
        b"http://5.6.7.8/gate,c2,2026-10-30 02:00:00",  # abroad: not counted
        b"http://58.246.9.10/x,phishing,2026-10-22 02:00:00"]  # sh-bank, W43
SCANS = [b'"timestamp","ip","protocol","port","hostname","tag","severity"',
         b'"2026-10-28 03:00:00","61.135.3.3","tcp","80","","cve-2021-44228;log4j","critical"',
         b'"2026-10-28 03:00:00","58.246.3.3","tcp","3389","","rdp","medium"',
         b'"2026-10-28 03:00:00","58.246.3.3","tcp","443","","cve-2021-26855","critical"']
CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"  # 9.8
HIGH = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"  # 7.5
CVES = [cve("CVE-2026-1001", "2026-10-27T01:00:00Z", CRITICAL),
        cve("CVE-2026-1002", "2026-10-28T01:00:00Z", HIGH),
        cve("CVE-2026-1003", "2026-10-29T01:00:00Z", None),
        cve("CVE-2026-0999", "2026-10-20T01:00:00Z", CRITICAL)]


def seed(rt, principal) -> None:
    """Two provinces' registers, four feeds, and their events."""
    register.import_entries(rt.uow, rt.clock, principal=principal("bj_admin"), rows=[
        EntryIn(body="bj-bank", kind=EntryKind.PREFIX, value="61.135.0.0/16"),
        EntryIn(body="bj-telco", kind=EntryKind.PREFIX, value="61.135.8.0/28"),
        EntryIn(body="bj-bank", kind=EntryKind.DOMAIN, value="bank.com.cn")])
    register.import_entries(rt.uow, rt.clock, principal=principal("sh_admin"), rows=[
        EntryIn(body="sh-bank", kind=EntryKind.PREFIX, value="58.246.0.0/16"),
        EntryIn(body="310000.office", kind=EntryKind.PREFIX, value="116.224.0.0/16",
                role=Role.JURISDICTION)])
    for code, fmt, lines in (("ids-1", "suricata", SURICATA), ("urls-1", "url-feed", URLS),
                             ("scan-1", "scan-csv", SCANS), ("cve-1", "cve", CVES)):
        ingest.create_feed(rt.uow, rt.clock, principal=principal("nat_admin"), data=FeedIn(
            code=code, name_zh=code, name_en=code, body="cn.cncert", format=fmt))
        [out] = ingest.take_in(rt.uow, rt.clock, feed=code, fmt=fmt,
                               chunks=[ingest.Chunk(f"{code}:1", lines)], received_by="t")
        assert out.rejected == 0, code


@pytest.fixture
def seeded(rt, principal):
    seed(rt, principal)


def stats(rt, principal, user: str, period="2026-W44"):
    p = Week.parse(period) if "W" in period else Month.parse(period)
    return statistics.statistics(rt.uow, principal=principal(user), period=p)


def fig(out, key: str) -> dict:
    s = next(x for x in out.statistics if x.key == key)
    return {m: (getattr(s, m).count, getattr(s, m).previous)
            for m in ("value", "hosts", "indicators", "events")}


def rows(items) -> dict:
    return {r.code: (r.hosts.count, r.hosts.previous, r.events.count) for r in items}


def test_national_figures_per_statistic_against_the_previous_week(rt, principal, seeded):
    out = stats(rt, principal, "nat_admin")
    assert (out.period, out.previous_period) == ("2026-W44", "2026-W43")
    assert str(out.first_day) == "2026-10-26" and str(out.last_day) == "2026-11-01"
    infected = fig(out, "infected_hosts")
    assert infected["value"] == (7, 2) and infected["events"] == (8, 2)
    assert infected["indicators"] == (2, 1)  # emotet, trickbot
    # hosted in the country: the national queue's phishing page and C2 are left out
    assert fig(out, "phishing")["value"] == (2, 1)
    assert fig(out, "c2_servers")["value"] == (1, 0)
    assert fig(out, "vulnerable_services")["value"] == (2, 0)
    assert fig(out, "vulnerable_services")["events"] == (3, 0)
    assert fig(out, "vulnerabilities")["value"] == (3, 1)
    assert fig(out, "defacements")["value"] == (0, 0)
    c = next(x for x in out.statistics if x.key == "infected_hosts").value
    assert (c.delta, c.pct) == (5, 250)
    sev = {r.band: (r.vulnerabilities.count, r.vulnerabilities.previous)
           for r in out.severities}
    assert sev == {"critical": (1, 1), "high": (1, 0), "medium": (0, 0), "low": (0, 0),
                   "unscored": (1, 0)}


def test_breakdowns_by_province_sector_family_and_unit(rt, principal, seeded):
    out = stats(rt, principal, "nat_admin")
    assert rows(out.provinces) == {"110000": (3, 2, 4), "310000": (3, 0, 3),
                                   "unattributed": (1, 0, 1)}
    assert out.provinces[0].name_zh == "北京市"
    assert rows(out.sectors) == {"finance": (4, 2, 5), "telecom": (1, 0, 1),
                                 "unspecified": (1, 0, 1), "unattributed": (1, 0, 1)}
    assert [(r.code, r.hosts.count, r.events.count) for r in out.families] == [
        ("emotet", 6, 7), ("trickbot", 1, 1)]
    assert [(r.code, r.hosts.count) for r in out.units] == [
        ("bj-bank", 2), ("sh-bank", 2), ("bj-telco", 1)]
    assert out.units[0].name_zh == "北京某银行"


def test_eight_week_trend_and_a_month(rt, principal, seeded):
    out = stats(rt, principal, "nat_admin")
    assert [p.week for p in out.trend][0] == "2026-W37" and len(out.trend) == 8
    assert [p.values["infected_hosts"] for p in out.trend] == [0] * 6 + [2, 7]
    assert out.trend[-1].events["infected_hosts"] == 8
    month = stats(rt, principal, "nat_admin", "2026-10")
    assert fig(month, "infected_hosts")["value"] == (8, 0)  # 61.135.1.1 seen in both weeks
    assert fig(month, "vulnerabilities")["value"] == (4, 0)


def test_scope_a_province_sees_its_own_and_a_unit_itself(rt, principal, seeded):
    bj = stats(rt, principal, "bj_admin")
    assert fig(bj, "infected_hosts")["value"] == (3, 2)
    assert set(rows(bj.provinces)) == {"110000"}
    assert fig(bj, "phishing")["value"] == (1, 0) and fig(bj, "c2_servers")["value"] == (1, 0)
    assert fig(bj, "vulnerabilities")["value"] == (0, 0)  # the national queue's
    sh = stats(rt, principal, "sh_admin")
    assert fig(sh, "infected_hosts")["value"] == (3, 0)
    assert rows(sh.provinces) == {"310000": (3, 0, 3)}
    assert fig(sh, "phishing")["value"] == (1, 1)
    assert [r.code for r in sh.units] == ["sh-bank"]
    unit = stats(rt, principal, "bj_reporter")
    assert fig(unit, "infected_hosts")["value"] == (2, 2)
    assert fig(unit, "infected_hosts")["events"] == (3, 2)
    assert [r.code for r in unit.units] == ["bj-bank"]
    assert unit.scope.key == "bj-bank"


def test_a_unit_without_events_sees_nothing_of_others(rt, principal, seeded):
    out = stats(rt, principal, "bj_support")
    assert all(s.value.count == 0 and s.events.count == 0 for s in out.statistics)
    assert out.provinces == [] and out.units == [] and out.families == []
