"""Open and vulnerable service scan reports: Shadowserver's scan CSVs (Shadowserver report
documentation, e.g. "Accessible RDP Service Report" ``scan_rdp``, "Open Memcached Server
Report", "Vulnerable HTTP Report" ``scan_http_vulnerable``).

Every scan report starts with the columns ``timestamp,ip,protocol,port,hostname,tag,asn,geo,
region,city,naics,sector`` and adds its own; ``severity`` (critical/high/medium/low/info) and
``cve`` appear in many reports. Only the common columns, ``severity``, ``cve`` and a
``service``/``application`` column are read; the rest stay in ``raw``.

Interpretation:

* A CVE id in the ``cve`` column, else in the ``tag`` (Shadowserver tags are ``;``-separated,
  lower-case: ``cve-2021-44228;log4j``), makes the row a **vulnerable-service** event with that
  CVE (the first one when several are listed, so one row counts once); any other row is an
  **open-service** event.
* The scanned host is the source (``source_ip`` = ``ip``, ``source_asn`` = ``asn``), and the
  service port goes in ``source_port``, not ``destination_port``: the service listens on the
  source host, and the scanner (the other side) is not reported.
* ``application`` is the ``service``/``application`` column when there is one, else the
  well-known service of the port (3389 → rdp, 11211 → memcached, …).
* ``severity`` maps Shadowserver's severity to the IDS scale: critical/high → 1, medium → 2,
  low/info → 3. ``signature`` is the ``tag``; the reverse-DNS ``hostname`` goes to
  ``description``, as it is not the FQDN an event is about.
* A row without a valid ``timestamp`` or ``ip`` is rejected.
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
    find_cve,
    lower,
    parse_time,
    to_int,
    to_port,
)

_SERVICES = {
    21: "ftp", 22: "ssh", 23: "telnet", 53: "dns", 80: "http", 123: "ntp", 137: "netbios",
    161: "snmp", 389: "ldap", 443: "https", 445: "smb", 623: "ipmi", 1433: "mssql",
    1900: "ssdp", 2375: "docker", 3306: "mysql", 3389: "rdp", 5432: "postgresql", 5900: "vnc",
    6379: "redis", 8080: "http", 9200: "elasticsearch", 11211: "memcached", 27017: "mongodb",
}
_SEVERITIES = {"critical": 1, "high": 1, "medium": 2, "low": 3, "info": 3}


def parse(fp: BinaryIO, *, feed: str, now: datetime | None = None) -> Iterator[Event | Rejected]:
    """Events of a scan report (``now`` is unused: every row has its time)."""
    for row in csv_rows(LineTape(fp)):
        yield row if isinstance(row, Rejected) else _event(row, feed)


def _event(row: CsvRow, feed: str) -> Event | Rejected:
    f = row.fields
    time, ip = parse_time(f.get("timestamp")), canonical_ip(f.get("ip"))
    if time is None:
        return Rejected(line_no=row.line_no, raw=row.raw,
                        reason=f"missing or invalid timestamp {f.get('timestamp')!r}")
    if ip is None:
        return Rejected(line_no=row.line_no, raw=row.raw,
                        reason=f"missing or invalid ip {f.get('ip')!r}")
    cve = _cve(f)
    port = to_port(f.get("port"))
    host = clean(f.get("hostname"))
    return Event(
        time=time, kind="vulnerable-service" if cve else "open-service", feed=feed,
        source_ip=ip, source_port=port, source_asn=to_int(f.get("asn")),
        protocol=lower(f.get("protocol")),
        application=lower(f.get("service")) or lower(f.get("application")) or _SERVICES.get(
            port or -1),
        cve=cve, signature=clean(f.get("tag")),
        severity=_SEVERITIES.get(lower(f.get("severity")) or ""),
        description=f"host: {host}" if host else None, raw=row.raw)


def _cve(f: dict[str, str]) -> str | None:
    return find_cve(f.get("cve")) or find_cve(f.get("tag"))
