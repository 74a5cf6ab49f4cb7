"""URL and domain feeds: CSV with a header, or plain lists of one URL, domain or address a line.

Shapes (blank lines and ``#`` comment lines are skipped in both):

* CSV whose header names a ``url``, ``domain``/``fqdn`` or ``ip``/``ip_address``/``dst_ip``
  column, e.g. abuse.ch URLhaus' CSV dump (URLhaus API documentation: ``id,dateadded,url,
  url_status,last_online,threat,tags,urlhaus_link,reporter``, the header itself written as the
  last ``#`` comment) or phishing feeds (``url,brand,first_seen``). The time column is the
  first of ``dateadded``, ``date_added``, ``first_seen``, ``first_seen_utc``, ``firstseen``,
  ``submission_time``, ``timestamp``, ``date``, ``time``; the threat column ``threat``,
  ``threat_type`` or ``category``; tags ``tags``, ``tag``, ``brand`` or ``target``; malware
  ``malware``, ``malware_family`` or ``family``; port ``port`` or ``dst_port``; status
  ``url_status``, ``status`` or ``c2_status``.
* A plain list: anything else. A line with ``://`` or ``/`` is a URL, else a domain or address.

Interpretation:

* The kind comes from the row's threat: ``malware_download``/``malware`` →
  malware-distribution, ``phishing`` → phishing, ``c2``/``botnet_cc``/``cc`` → c2-server;
  without a (known) threat, from the feed code: a feed whose name says ``phish`` → phishing,
  ``c2``/``cc``/``cnc``/``botnet`` → c2-server, anything else → malware-distribution.
* The listed host is the source: an address host goes to ``source_ip``, a name to ``domain``;
  a listed port to ``source_port`` (the service is on the source host).
* A record without a time (all plain lists) gets ``now``: pass it for deterministic results;
  it defaults to the time the parse started. A time column with a value that is not a time
  rejects the row, as does a row without a valid URL host, domain or address.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import chain
from typing import BinaryIO

from fenghuo.monitoring.events import Event, Rejected
from fenghuo.monitoring.parsers.common import (
    CsvRow,
    LineTape,
    canonical_ip,
    clean,
    csv_rows,
    header_of,
    kind_from_name,
    lower,
    normalize_domain,
    parse_time,
    split_host,
    to_port,
    url_host,
)

_IP_COLUMNS = ("ip", "ip_address", "dst_ip")
_DOMAIN_COLUMNS = ("domain", "fqdn")
_TIME_COLUMNS = ("dateadded", "date_added", "first_seen", "first_seen_utc", "firstseen",
                 "submission_time", "timestamp", "date", "time")
_THREAT_KINDS = {"malware_download": "malware-distribution", "malware": "malware-distribution",
                 "phishing": "phishing", "c2": "c2-server", "botnet_cc": "c2-server",
                 "cc": "c2-server"}


def parse(fp: BinaryIO, *, feed: str, now: datetime | None = None) -> Iterator[Event | Rejected]:
    """Events of a URL/domain feed; ``now`` is the time of records that carry none."""
    now = now or datetime.now(UTC)
    tape = LineTape(fp, comments=True)
    first = next(tape, None)
    if first is None:
        return
    header = _header(first, tape.last_comment)
    if header is None:
        for _ in chain([first], tape):  # the tape records each line; take() gives it back
            yield _plain(tape.line_no, tape.take().strip(), feed, now)
        return
    in_header = header_of(_first_row(first)) == header
    lines = tape if in_header else chain([first], tape)
    if in_header:
        tape.take()
    for row in csv_rows(tape, header, lines):
        yield row if isinstance(row, Rejected) else _row(row, feed, now)


def _first_row(line: str) -> list[str]:
    try:
        return next(csv.reader([line]), [])
    except csv.Error:
        return []


def _header(first: str, comment: str | None) -> list[str] | None:
    """The CSV header: the first line if it names a host column, else the last comment."""
    for candidate in (first, comment):
        if candidate is None:
            continue
        names = header_of(_first_row(candidate))
        if set(names) & {"url", *_DOMAIN_COLUMNS, *_IP_COLUMNS}:
            return names
    return None


def _column(fields: dict[str, str], names: tuple[str, ...]) -> tuple[str | None, str | None]:
    """``(name, value)`` of the first of ``names`` the row has (value None when empty)."""
    name = next((n for n in names if n in fields), None)
    return name, clean(fields[name]) if name else None


def _row(row: CsvRow, feed: str, now: datetime) -> Event | Rejected:
    f = row.fields
    time_column, time_text = _column(f, _TIME_COLUMNS)
    time = parse_time(time_text) if time_text else now
    if time is None:
        return Rejected(line_no=row.line_no, raw=row.raw,
                        reason=f"invalid {time_column} {time_text!r}")
    event = _listed(clean(f.get("url")), _column(f, _DOMAIN_COLUMNS)[1],
                    _column(f, _IP_COLUMNS)[1], time, feed, row.raw)
    if event is None:
        return Rejected(line_no=row.line_no, raw=row.raw,
                        reason="no valid URL host, domain or address")
    threat = lower(_column(f, ("threat", "threat_type", "category"))[1])
    event.kind = _THREAT_KINDS.get(threat or "") or feed_kind(feed)
    event.signature = _column(f, ("tags", "tag", "brand", "target"))[1]
    event.malware = lower(_column(f, ("malware", "malware_family", "family"))[1])
    event.source_port = to_port(_column(f, ("port", "dst_port"))[1])
    status = _column(f, ("url_status", "status", "c2_status"))[1]
    event.description = f"status: {status}" if status else None
    return event


def _listed(url: str | None, domain: str | None, ip: str | None, time: datetime, feed: str,
            raw: str) -> Event | None:
    """The event about a listed URL, domain or address, None when none of them is valid."""
    if url is not None:
        ip_host, name = split_host(url_host(url))
        if ip_host is None and name is None:
            return None
        return Event(time=time, kind="other", feed=feed, source_ip=ip_host, domain=name,
                     url=url, raw=raw)
    name, address = normalize_domain(domain), canonical_ip(ip)
    if name is None and address is None:
        return None
    return Event(time=time, kind="other", feed=feed, source_ip=address, domain=name, raw=raw)


def _plain(line_no: int, line: str, feed: str, now: datetime) -> Event | Rejected:
    is_url = "://" in line or "/" in line
    event = _listed(line if is_url else None, None if is_url else line,
                    None if is_url else line, now, feed, line)
    if event is None:
        return Rejected(line_no=line_no, reason="not a URL, domain or address", raw=line)
    event.kind = feed_kind(feed)
    return event


def feed_kind(feed: str) -> str:
    """The kind a feed's name declares: phishing, c2-server, else malware-distribution."""
    kind = kind_from_name(feed)
    return kind if kind in ("phishing", "c2-server") else "malware-distribution"
