"""Zeek ``intel.log`` (Zeek documentation, "intel.log" and the Intelligence framework), TSV or JSON.

Each record is one hit of a loaded intelligence item: ``seen.indicator`` of
``seen.indicator_type`` (``Intel::ADDR``, ``Intel::DOMAIN``, ``Intel::URL``,
``Intel::FILE_HASH``, …) was seen at ``seen.where`` (``Conn::IN_RESP``, ``DNS::IN_REQUEST``,
``HTTP::IN_HOST_HEADER``, ``SSL::IN_SERVER_NAME``, ``Files::IN_HASH``, …) in the connection
``id.*``; ``matched`` lists the item types that matched and ``sources`` the intel sources that
listed it.

Interpretation — the kind comes from the naming of the intel sources (``common.kind_from_name``):

* a C2/botnet source (``…C2…``, ``CnC``, ``botnet``, ``Feodo``, …): the hit means an internal
  host talked to a C2, so kind **infected-system**, source = the internal host (the side of the
  connection that is not the indicator address; ``id.orig_h`` when the indicator is a name,
  URL or hash), destination = the indicator address (else the other side of the connection,
  except for a DNS hit, whose other side is only the resolver);
* a phishing, malware, scanner or brute-force source: kind **phishing**,
  **malware-distribution**, **scanner** or **brute-force** about the listed side: source = the
  indicator address (else the responder, except for DNS hits), destination = the internal host;
* any other source: **ids-alert**, with the connection's originator as source and responder
  as destination.

The domain, URL or hash is filled from the indicator (a URL also gives its host); an
``Intel::ADDR`` indicator that is not an address, or a record without an indicator, is
rejected. ``signature`` lists the sources; ``description`` says what was seen where.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

from fenghuo.monitoring.events import Event, Rejected
from fenghuo.monitoring.parsers import zeek
from fenghuo.monitoring.parsers.common import (
    canonical_ip,
    kind_from_name,
    normalize_domain,
    normalize_hash,
    parse_time,
    split_host,
    url_host,
)

_LISTED_SIDE_KINDS = frozenset({"phishing", "malware-distribution", "scanner", "brute-force"})


def parse(fp: BinaryIO, *, feed: str, now: datetime | None = None) -> Iterator[Event | Rejected]:
    """Events of an intel.log (``now`` is unused: every record carries its ``ts``)."""
    for record in zeek.records(fp):
        yield record if isinstance(record, Rejected) else _event(record, feed)


def _reject(record: zeek.ZeekRecord, reason: str) -> Rejected:
    return Rejected(line_no=record.line_no, reason=reason, raw=record.raw)


def _event(record: zeek.ZeekRecord, feed: str) -> Event | Rejected:
    fields = record.fields
    time = parse_time(fields.get("ts"))
    indicator = zeek.text(fields, "seen.indicator")
    kind_of = zeek.text(fields, "seen.indicator_type") or "Intel::UNKNOWN"
    if time is None:
        return _reject(record, f"missing or invalid ts {fields.get('ts')!r}")
    if indicator is None:
        return _reject(record, "intel hit without seen.indicator")
    event = Event(time=time, kind="ids-alert", feed=feed, raw=record.raw)
    if not _fill_indicator(event, kind_of, indicator):
        return _reject(record, f"invalid {kind_of} indicator {indicator!r}")
    sources, where = zeek.items(fields, "sources"), zeek.text(fields, "seen.where")
    event.kind = _kind(sources)
    _place(event, fields, kind_of == "Intel::ADDR", where)
    event.protocol = zeek.protocol(fields)
    event.signature = ", ".join(sources) or None
    event.description = f"{kind_of} {indicator} seen in {where or 'an unknown place'}"
    return event


def _fill_indicator(event: Event, kind_of: str, indicator: str) -> bool:
    """Put the indicator into its field; False when it is not valid for its type."""
    if kind_of == "Intel::ADDR":
        event.destination_ip = canonical_ip(indicator)  # placed by _place
        return event.destination_ip is not None
    if kind_of == "Intel::DOMAIN":
        event.domain = normalize_domain(indicator)
        return event.domain is not None
    if kind_of == "Intel::URL":
        event.url = indicator
        event.domain = split_host(url_host(indicator))[1]
        return url_host(indicator) is not None
    if kind_of == "Intel::FILE_HASH":
        event.hash = normalize_hash(indicator)
        return event.hash is not None
    return True  # e.g. Intel::EMAIL, Intel::SOFTWARE: described, no field of its own


def _kind(sources: list[str]) -> str:
    kinds = [k for k in map(kind_from_name, sources) if k]
    if "c2-server" in kinds:
        return "infected-system"
    return kinds[0] if kinds and kinds[0] in _LISTED_SIDE_KINDS else "ids-alert"


def _place(event: Event, fields: dict[str, Any], is_addr: bool, where: str | None) -> None:
    """Set source and destination (with their ports) by the kind's orientation."""
    c = zeek.conn(fields)
    listed = event.destination_ip if is_addr else None
    if listed is not None:
        internal = c.orig_h if listed == c.resp_h else c.resp_h if listed == c.orig_h else None
    else:
        internal = c.orig_h
        if not (where or "").startswith("DNS::"):
            listed = c.resp_h
    if event.kind == "infected-system":
        src, dst = internal, listed
    elif event.kind in _LISTED_SIDE_KINDS:
        src, dst = listed, internal
    else:
        src, dst = c.orig_h, c.resp_h
    event.source_ip, event.destination_ip = src, dst
    event.source_port, event.destination_port = c.port_of(src), c.port_of(dst)
