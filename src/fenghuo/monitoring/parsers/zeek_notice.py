"""Zeek ``notice.log`` (Zeek documentation, "notice.log" and the Notice framework), TSV or JSON.

Each notice names its type in ``note`` (``Scan::Port_Scan``); ``msg`` is the human-readable
message, ``sub`` a sub-message, ``src``/``dst``/``p`` the addresses and port the notice is
about, ``id.*`` the connection it came from when there is one.

Interpretation:

* Kind by note (the notes of Zeek's shipped policy scripts): ``Scan::Port_Scan``,
  ``Scan::Address_Scan``, ``Scan::Random_Scan``, ``Traceroute::Detected`` → scanner;
  ``SSH::Password_Guessing``, ``SSH::Login_By_Password_Guesser``, ``FTP::Bruteforcing`` →
  brute-force; ``HTTP::SQL_Injection_Attacker``/``_Victim``, ``Heartbleed::SSL_Heartbeat_*``,
  ``FTP::Site_Exec_Success`` → exploit; ``Software::Vulnerable_Version`` →
  vulnerable-service; ``SMTP::Blocklist_*`` → spam; every ``SSL::`` note (certificate and
  protocol hygiene: ``Invalid_Server_Cert``, ``Certificate_Expired``, ``Weak_Key``, …),
  ``DNS::External_Name`` and ``ProtocolDetector::`` notes → other; any other note → ids-alert.
* Notes about the sensor itself, not about a host, are skipped (neither events nor rejects):
  the ``CaptureLoss::`` (e.g. ``Too_Much_Loss``), ``PacketFilter::``, ``Conn::``
  (retransmission/content-gap inconsistencies), ``Notice::``, ``Reporter::``, ``Cluster::``,
  ``Broker::`` and ``Stats::`` namespaces.
* Source is ``src`` (else ``id.orig_h``), destination ``dst`` (else the other side of the
  connection); for ``HTTP::SQL_Injection_Victim`` Zeek's ``src`` is the victim, so it becomes
  the destination. The destination port is ``p`` when set (the scanned port of an address
  scan), else the connection's.
* ``signature`` = ``msg``, ``signature_id`` = ``zeek:<note>``, ``description`` = ``sub``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

from fenghuo.monitoring.events import Event, Rejected
from fenghuo.monitoring.parsers import zeek
from fenghuo.monitoring.parsers.common import canonical_ip, parse_time, to_port

_KINDS = {
    "Scan::Port_Scan": "scanner",
    "Scan::Address_Scan": "scanner",
    "Scan::Random_Scan": "scanner",
    "Traceroute::Detected": "scanner",
    "SSH::Password_Guessing": "brute-force",
    "SSH::Login_By_Password_Guesser": "brute-force",
    "FTP::Bruteforcing": "brute-force",
    "HTTP::SQL_Injection_Attacker": "exploit",
    "HTTP::SQL_Injection_Victim": "exploit",
    "Heartbleed::SSL_Heartbeat_Attack": "exploit",
    "Heartbleed::SSL_Heartbeat_Attack_Success": "exploit",
    "Heartbleed::SSL_Heartbeat_Odd_Length": "exploit",
    "Heartbleed::SSL_Heartbeat_Many_Requests": "exploit",
    "FTP::Site_Exec_Success": "exploit",
    "Software::Vulnerable_Version": "vulnerable-service",
    "SMTP::Blocklist_Error_Message": "spam",
    "SMTP::Blocklist_Blocked_Host": "spam",
    "DNS::External_Name": "other",
}
_NAMESPACE_KINDS = {"SSL": "other", "ProtocolDetector": "other"}
_SENSOR_NAMESPACES = frozenset({
    "CaptureLoss", "PacketFilter", "Conn", "Notice", "Reporter", "Cluster", "Broker", "Stats"})
_SRC_IS_VICTIM = frozenset({"HTTP::SQL_Injection_Victim"})


def note_kind(note: str) -> str | None:
    """The event kind of a notice type, None when the notice is about the sensor itself."""
    namespace = note.partition("::")[0]
    if namespace in _SENSOR_NAMESPACES:
        return None
    return _KINDS.get(note) or _NAMESPACE_KINDS.get(namespace, "ids-alert")


def parse(fp: BinaryIO, *, feed: str, now: datetime | None = None) -> Iterator[Event | Rejected]:
    """Events of a notice.log (``now`` is unused: every record carries its ``ts``)."""
    for record in zeek.records(fp):
        if isinstance(record, Rejected):
            yield record
        elif (event := _event(record, feed)) is not None:
            yield event


def _event(record: zeek.ZeekRecord, feed: str) -> Event | Rejected | None:
    fields = record.fields
    time, note = parse_time(fields.get("ts")), zeek.text(fields, "note")
    if time is None:
        return Rejected(line_no=record.line_no, raw=record.raw,
                        reason=f"missing or invalid ts {fields.get('ts')!r}")
    if note is None:
        return Rejected(line_no=record.line_no, reason="notice without a note", raw=record.raw)
    kind = note_kind(note)
    if kind is None:
        return None
    src, dst, dport = _sides(fields, note)
    c = zeek.conn(fields)
    return Event(
        time=time, kind=kind, feed=feed, source_ip=src, source_port=c.port_of(src),
        destination_ip=dst, destination_port=dport if dport is not None else c.port_of(dst),
        protocol=zeek.protocol(fields), signature=zeek.text(fields, "msg"),
        signature_id=f"zeek:{note}", description=zeek.text(fields, "sub"), raw=record.raw)


def _sides(fields: dict[str, Any], note: str) -> tuple[str | None, str | None, int | None]:
    """``(source, destination, destination port)`` of a notice."""
    c = zeek.conn(fields)
    src = canonical_ip(zeek.text(fields, "src")) or c.orig_h
    dst = canonical_ip(zeek.text(fields, "dst"))
    if dst is None and src is not None:
        dst = c.resp_h if src == c.orig_h else c.orig_h if src == c.resp_h else None
    if note in _SRC_IS_VICTIM:
        src, dst = dst, src
    return src, dst, to_port(fields.get("p"))
