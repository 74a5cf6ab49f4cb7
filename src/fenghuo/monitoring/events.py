"""The one normalized event schema every feed parser produces (after IntelMQ's harmonization).

An event is one thing a sensor or feed saw: an IDS alert, an infected host seen by a sinkhole,
an open or vulnerable service found by a scan, a phishing URL, a C2 server, an indicator
sighting, a vulnerability record. ``source`` is the thing the event is *about* (the infected
host, the C2 server, the scanner, the phishing host); ``destination`` is the other side when
there is one. Attribution tries the source first, then the destination (``monitoring.rules``).

``kind`` is the event type (:data:`fenghuo.monitoring.rules.KINDS`); its annex 1 category and
ENISA RSIT tag follow from it, so a parser never names a category itself.

Pure: no I/O. ``msgspec.Struct`` keeps a million events cheap to hold and to build.
"""

from __future__ import annotations

from datetime import datetime

import msgspec


class Event(msgspec.Struct, kw_only=True, gc=False):
    """One normalized monitoring event.

    Every text field is stripped; addresses are canonical (``ipaddress`` form), domains are
    lower-case without a trailing dot, hashes lower-case hex, CVE ids upper-case
    (``CVE-2024-3400``). Unknown values are ``None``, never ``""``.
    """

    time: datetime  # when the thing was observed, timezone-aware (UTC after normalization)
    kind: str  # event type, a key of rules.KINDS
    feed: str  # the feed or sensor code that delivered it
    source_ip: str | None = None
    source_port: int | None = None
    source_asn: int | None = None
    destination_ip: str | None = None
    destination_port: int | None = None
    protocol: str | None = None  # transport (tcp, udp, icmp) lower-case
    application: str | None = None  # application protocol (http, smb, rdp, …)
    domain: str | None = None  # the FQDN the event is about
    url: str | None = None
    hash: str | None = None  # sha256, else sha1, else md5, lower-case hex
    malware: str | None = None  # malware family, lower-case (e.g. "emotet")
    cve: str | None = None
    signature: str | None = None  # IDS signature text or scanner tag
    signature_id: str | None = None  # e.g. "suricata:2024217", "zeek:Scan::Port_Scan"
    severity: int | None = None  # 1 high … 3 low for IDS; CVSS base score ×10 for CVEs
    confidence: int | None = None  # 0–100
    description: str | None = None
    raw: str = ""  # the original line or record, kept for evidence (Law art. 21)


class Rejected(msgspec.Struct, kw_only=True, gc=False):
    """A line a parser could not read: counted and kept aside with its reason, never lost."""

    line_no: int  # 1-based line (or record) number within the input
    reason: str
    raw: str


def indicator_of(event: Event) -> str:
    """The indicator an event is aggregated under: the most specific thing it names.

    Malware family, then signature, then CVE, then domain, then URL, then hash, then the kind
    itself (an open-service scan counts under its kind and port).
    """
    if event.malware:
        return f"malware:{event.malware}"
    if event.signature_id:
        return event.signature_id
    if event.cve:
        return event.cve
    if event.domain:
        return f"domain:{event.domain}"
    if event.url:
        return f"url:{event.url}"
    if event.hash:
        return f"hash:{event.hash}"
    if event.destination_port is not None and event.kind == "vulnerable-service":
        return f"port:{event.destination_port}"
    return f"kind:{event.kind}"
