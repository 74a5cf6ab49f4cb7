"""Sinkhole infected-host reports: Shadowserver's "Sinkhole Events" CSV (Shadowserver report
documentation, "Sinkhole Events Report", ``event4_sinkhole*``), as national CERTs receive them.

Header columns used: ``timestamp`` (UTC), ``protocol``, ``src_ip``, ``src_port``, ``src_asn``,
``src_hostname``, ``device_vendor``/``device_type``/``device_model``, ``dst_ip``, ``dst_port``,
``dst_hostname``, ``infection``, ``family``, ``tag``, ``application``; others are ignored, and
a column may be missing.

Interpretation: every row is an **infected-system** event about the infected host ``src_ip``
(the source); the sinkhole is the destination. ``malware`` is ``family``, else ``infection``,
lower-case. ``domain`` is ``dst_hostname``, the sinkholed C2 name the host tried to reach (as
the HTTP host of an IDS alert is); the host's own ``src_hostname`` is only reverse DNS and goes
to ``description`` with the device. ``signature`` is the ``tag``. A row without a valid
``timestamp`` or ``src_ip`` is rejected.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO

from fenghuo.monitoring.events import Event, Rejected
from fenghuo.monitoring.parsers.common import (
    CsvRow,
    LineTape,
    canonical_ip,
    clean,
    csv_rows,
    lower,
    normalize_domain,
    parse_time,
    to_int,
    to_port,
)


def parse(fp: BinaryIO, *, feed: str, now: datetime | None = None) -> Iterator[Event | Rejected]:
    """Events of a sinkhole events report (``now`` is unused: every row has its time)."""
    for row in csv_rows(LineTape(fp)):
        yield row if isinstance(row, Rejected) else _event(row, feed)


def _event(row: CsvRow, feed: str) -> Event | Rejected:
    f = row.fields
    time, src = parse_time(f.get("timestamp")), canonical_ip(f.get("src_ip"))
    if time is None:
        return Rejected(line_no=row.line_no, raw=row.raw,
                        reason=f"missing or invalid timestamp {f.get('timestamp')!r}")
    if src is None:
        return Rejected(line_no=row.line_no, raw=row.raw,
                        reason=f"missing or invalid src_ip {f.get('src_ip')!r}")
    return Event(
        time=time, kind="infected-system", feed=feed, source_ip=src,
        source_port=to_port(f.get("src_port")), source_asn=to_int(f.get("src_asn")),
        destination_ip=canonical_ip(f.get("dst_ip")), destination_port=to_port(f.get("dst_port")),
        protocol=lower(f.get("protocol")), application=lower(f.get("application")),
        domain=normalize_domain(f.get("dst_hostname")),
        malware=lower(f.get("family")) or lower(f.get("infection")),
        signature=clean(f.get("tag")), description=_description(f), raw=row.raw)


def _description(f: dict[str, str]) -> str | None:
    device = " ".join(v for v in (clean(f.get(k)) for k in (
        "device_vendor", "device_type", "device_model")) if v)
    parts = [("infection", clean(f.get("infection"))), ("host", clean(f.get("src_hostname"))),
             ("device", device or None)]
    return "; ".join(f"{k}: {v}" for k, v in parts if v) or None
