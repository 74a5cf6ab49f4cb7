"""Suricata EVE JSON: one JSON object per line (Suricata user guide, "Eve JSON Format").

Only ``event_type`` ``alert`` and ``anomaly`` become events; every other record type (flow, dns,
http, tls, fileinfo, stats, …) is metadata and is skipped silently. Blank lines are ignored.
A line that is not JSON, not an object or without ``event_type``, and an alert/anomaly with
fields of the wrong type or without a readable ``timestamp``, is :class:`Rejected` with its line
number (a skipped record type is not checked beyond its ``event_type``).

Interpretation:

* The kind of an alert comes from its signature (ET Open naming) and then its classtype
  description (``classification.config``): a "brute" signature → brute-force; ``ET MALWARE``,
  ``ET TROJAN``, ``ET CNC``, ``ET MOBILE_MALWARE`` or "A Network Trojan was Detected",
  "Malware Command and Control Activity Detected", "Domain Observed Used for C2 Detected" →
  infected-system; ``ET SCAN``, "Detection of a Network Scan", "Attempted Information Leak"
  → scanner; ``ET EXPLOIT``, "Attempted Administrator/User Privilege Gain", "Web Application
  Attack" → exploit; ``ET DOS`` or a denial-of-service classtype → ddos; anything else →
  ids-alert. ``ETPRO`` signatures count as their ``ET`` counterpart.
* For infected-system the infected host is the source: the internal side when exactly one
  side is an internal address, else the client of the flow (``flow.src_ip`` in Suricata 7, or
  the destination of a ``to_client`` packet). Internal means RFC 1918, RFC 6598 (carrier-grade
  NAT), unique-local or link-local.
* Malware family and CVE come from the ET rule metadata (``malware_family``, ``cve``) when
  logged, else from the signature text (``ET MALWARE Win32/Emotet CnC Activity`` → emotet;
  ``… (CVE-2021-44228)``). Families are only taken when the word after the prefix is not a
  generic one ("Observed", "Possible", …) nor followed by "Tracker"/"Reported".
* An anomaly becomes an ids-alert with ``signature_id`` ``suricata:anomaly:<event>``.
* The URL is ``http://`` + ``http.hostname`` (+ non-80 ``http_port``) + ``http.url``; the domain
  is the HTTP host name, else the TLS SNI; the hash is the strongest of the file hashes.

Decoding uses a ``msgspec`` decoder over a struct of only the fields used (the rest of each
record is skipped by the decoder), as this parser reads millions of lines.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from typing import Any, BinaryIO

import msgspec

from fenghuo.monitoring.events import Event, Rejected
from fenghuo.monitoring.parsers.common import (
    best_hash,
    canonical_ip,
    clean,
    find_cve,
    lower,
    normalize_cve,
    normalize_domain,
    parse_time,
    to_port,
)


class _Alert(msgspec.Struct):
    signature_id: int | None = None
    signature: str | None = None
    category: str | None = None
    severity: int | None = None
    metadata: dict[str, Any] | None = None


class _Anomaly(msgspec.Struct):
    type: str | None = None
    event: str | None = None
    layer: str | None = None


class _Http(msgspec.Struct):
    hostname: str | None = None
    url: str | None = None
    http_port: int | None = None


class _Tls(msgspec.Struct):
    sni: str | None = None


class _File(msgspec.Struct):
    sha256: str | None = None
    sha1: str | None = None
    md5: str | None = None


class _Flow(msgspec.Struct):
    src_ip: str | None = None
    dest_ip: str | None = None


class _Eve(msgspec.Struct):
    event_type: str | None = None
    timestamp: str | None = None
    src_ip: str | None = None
    src_port: int | None = None
    dest_ip: str | None = None
    dest_port: int | None = None
    proto: str | None = None
    app_proto: str | None = None
    direction: str | None = None
    alert: _Alert | None = None
    anomaly: _Anomaly | None = None
    http: _Http | None = None
    tls: _Tls | None = None
    fileinfo: _File | None = None
    files: list[_File] | None = None
    flow: _Flow | None = None


class _Head(msgspec.Struct):
    event_type: Any = None


_DECODER = msgspec.json.Decoder(_Eve)
_HEAD = msgspec.json.Decoder(_Head)
_WANTED = frozenset({"alert", "anomaly"})


def parse(fp: BinaryIO, *, feed: str, now: datetime | None = None) -> Iterator[Event | Rejected]:
    """Events of the alert and anomaly records of an EVE file (``now`` is unused: every
    record carries its time)."""
    for line_no, line in enumerate(fp, 1):
        if not line.strip():
            continue
        try:
            record = _DECODER.decode(line)
        except msgspec.ValidationError as exc:
            if _skippable(line):
                continue
            yield _reject(line_no, line, f"invalid EVE record: {exc}")
            continue
        except msgspec.DecodeError as exc:
            yield _reject(line_no, line, f"malformed JSON: {exc}")
            continue
        if record.event_type in _WANTED:
            yield _event(record, line_no, line, feed)
        elif record.event_type is None:
            yield _reject(line_no, line, "not an EVE record: no event_type")


def _skippable(line: bytes) -> bool:
    """A record of a type this parser skips, whose other fields need not be valid."""
    try:
        event_type = _HEAD.decode(line).event_type
    except msgspec.DecodeError:
        return False
    return isinstance(event_type, str) and event_type not in _WANTED


def _raw(line: bytes) -> str:
    return line.rstrip(b"\r\n").decode("utf-8", "replace")


def _reject(line_no: int, line: bytes, reason: str) -> Rejected:
    return Rejected(line_no=line_no, reason=reason, raw=_raw(line))


def _event(rec: _Eve, line_no: int, line: bytes, feed: str) -> Event | Rejected:
    time = parse_time(rec.timestamp)
    if time is None:
        return _reject(line_no, line, "missing timestamp" if rec.timestamp is None
                       else f"invalid timestamp {rec.timestamp!r}")
    http = rec.http
    host = normalize_domain(http.hostname) if http else None
    event = Event(
        time=time, kind="ids-alert", feed=feed, source_ip=canonical_ip(rec.src_ip),
        source_port=to_port(rec.src_port), destination_ip=canonical_ip(rec.dest_ip),
        destination_port=to_port(rec.dest_port), protocol=lower(rec.proto),
        application=_application(rec.app_proto),
        domain=host or normalize_domain(rec.tls.sni if rec.tls else None),
        url=_url(http), hash=_hash(rec), raw=_raw(line))
    if rec.event_type == "anomaly":
        return _anomaly(event, rec.anomaly, line_no, line)
    return _alert(event, rec, line_no, line)


def _anomaly(event: Event, anomaly: _Anomaly | None, line_no: int, line: bytes) -> Event | Rejected:
    name = clean(anomaly.event) if anomaly else None
    if name is None:
        return _reject(line_no, line, "anomaly record without anomaly.event")
    event.signature = name
    event.signature_id = f"suricata:anomaly:{name}"
    parts = [p for p in (clean(anomaly.type), clean(anomaly.layer)) if p]
    event.description = f"{' '.join(parts)} anomaly" if parts else None
    return event


def _alert(event: Event, rec: _Eve, line_no: int, line: bytes) -> Event | Rejected:
    alert = rec.alert
    if alert is None:
        return _reject(line_no, line, "alert record without an alert object")
    signature, category = clean(alert.signature), clean(alert.category)
    kind, family, cve = _classify(signature, category)
    event.kind, event.signature, event.description = kind, signature, category
    event.signature_id = f"suricata:{alert.signature_id}" if alert.signature_id else None
    event.severity = alert.severity
    meta = alert.metadata or {}
    event.malware = _first(meta, "malware_family", lower) or family
    event.cve = _first(meta, "cve", normalize_cve) or cve
    if event.kind == "infected-system" and _client_is_destination(rec, event):
        event.source_ip, event.destination_ip = event.destination_ip, event.source_ip
        event.source_port, event.destination_port = event.destination_port, event.source_port
    return event


@lru_cache(maxsize=1 << 12)
def _classify(signature: str | None, category: str | None) -> tuple[str, str | None, str | None]:
    """Kind, malware family and CVE of a signature (cached: a sensor fires few signatures)."""
    return alert_kind(signature, category), malware_family(signature), find_cve(signature)


def _first(meta: dict[str, Any], key: str, normalize: Any) -> str | None:
    if key not in meta:
        return None
    values = meta[key]
    values = values if isinstance(values, list) else [values]
    return next((v for v in map(normalize, values) if v), None)


def _application(app_proto: str | None) -> str | None:
    app = lower(app_proto)
    return None if app in (None, "failed", "unknown") else app


def _url(http: _Http | None) -> str | None:
    path = clean(http.url) if http else None
    if http is None or path is None:
        return None
    if not path.startswith("/") and "://" in path:
        return path  # a proxy request carries the absolute URL
    host = clean(http.hostname)
    if host is None:
        return None
    port = f":{http.http_port}" if http.http_port not in (None, 80) else ""
    return f"http://{host.lower()}{port}{path}"


def _hash(rec: _Eve) -> str | None:
    if rec.fileinfo is None and not rec.files:
        return None
    files = ([rec.fileinfo] if rec.fileinfo else []) + (rec.files or [])
    return best_hash(*(h for f in files for h in (f.sha256, f.sha1, f.md5)))


_INTERNAL = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7", "fe80::/10"))


@lru_cache(maxsize=1 << 16)
def _is_internal(ip: str | None) -> bool:
    """An RFC 1918, RFC 6598 (carrier-grade NAT), unique-local or link-local address."""
    if ip is None:
        return False
    address = ipaddress.ip_address(ip)
    return any(address in net for net in _INTERNAL if net.version == address.version)


def _client_is_destination(rec: _Eve, event: Event) -> bool:
    """Whether the infected (internal, else client) host is the alert's destination."""
    src, dst = event.source_ip, event.destination_ip
    if _is_internal(src) != _is_internal(dst):
        return _is_internal(dst)
    if rec.flow and rec.flow.src_ip:
        return canonical_ip(rec.flow.src_ip) == dst and dst != src
    return rec.direction == "to_client"


# --- classification ----------------------------------------------------------------------------

_PREFIX_KINDS = (
    (("ET MALWARE", "ET TROJAN", "ET CNC", "ET MOBILE_MALWARE"), "infected-system"),
    (("ET SCAN",), "scanner"),
    (("ET EXPLOIT",), "exploit"),
    (("ET DOS",), "ddos"),
)
_CATEGORY_KINDS = {
    "a network trojan was detected": "infected-system",
    "malware command and control activity detected": "infected-system",
    "domain observed used for c2 detected": "infected-system",
    "detection of a network scan": "scanner",
    "attempted information leak": "scanner",
    "attempted administrator privilege gain": "exploit",
    "attempted user privilege gain": "exploit",
    "web application attack": "exploit",
    "attempted denial of service": "ddos",
    "detection of a denial of service attack": "ddos",
    "denial of service": "ddos",
}


def alert_kind(signature: str | None, category: str | None) -> str:
    """The event kind of an alert from its signature text and classtype description."""
    sig = (signature or "").upper()
    if "BRUTE" in sig:
        return "brute-force"
    if sig.startswith("ETPRO "):
        sig = "ET " + sig.removeprefix("ETPRO ")
    for prefixes, kind in _PREFIX_KINDS:
        if sig.startswith(prefixes):
            return kind
    return _CATEGORY_KINDS.get((category or "").strip().lower(), "ids-alert")


_FAMILY = re.compile(
    r"ET(?:PRO)? (?:MALWARE|TROJAN|CNC|MOBILE_MALWARE) (?:[A-Za-z0-9]+/)?([A-Za-z][\w-]{2,})"
    r"(\S*)(?:\s+(\S+))?")
_GENERIC = frozenset({
    "possible", "possibly", "observed", "known", "suspicious", "suspected", "likely", "generic",
    "malicious", "common", "unknown", "multiple", "various", "fake", "win32", "win64", "w32",
    "elf", "msil", "java", "php", "python", "powershell", "executable", "trojan", "malware",
    "spyware", "adware", "ransomware", "backdoor", "rat", "bot", "botnet", "cnc", "downloader",
    "dropper", "loader", "stealer", "keylogger", "banker", "spy", "shadowserver", "abuse",
    "tracker", "hostile", "sinkhole", "sinkholed", "dyndns", "checkin", "beacon", "request",
    "response", "activity", "inbound", "outbound", "user-agent", "http", "dns", "tls", "ssl",
    "ssh", "windows", "linux", "android", "macos", "osx", "ios", "the",
})
_NOT_AFTER = frozenset({"tracker", "reported", "list", "domain", "ip"})


def malware_family(signature: str | None) -> str | None:
    """The malware family named by an ET malware/CnC signature, lower-case, when plausible."""
    match = _FAMILY.match(signature or "")
    if match is None:
        return None
    family, after = match.group(1).lower(), (match.group(3) or "").lower()
    if family in _GENERIC or after in _NOT_AFTER:
        return None
    return family
