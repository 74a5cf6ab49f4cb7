"""CVE JSON 5 records (CVE Program, CVE JSON 5 record format, ``CVE_RECORD`` schema 5.x).

Input: one record file, a JSON array of records, or NDJSON (one record a line). When the first
non-empty line is a complete JSON value, the input is read line by line (streaming, a line may
also hold an array); otherwise it is one document, read whole.

Each published record gives one **vulnerability** event: ``cve`` and ``signature_id`` =
``cveMetadata.cveId``; time = ``datePublished``, else ``dateUpdated``, else ``dateReserved``;
``description`` = the English (``en``, ``en-*``) entry of ``containers.cna.descriptions``, else
the first one.

Interpretation:

* ``severity`` is the CVSS base score × 10, computed with the ``cvss`` library from the
  ``vectorString`` of the highest CVSS version present in ``containers.cna.metrics``
  (``cvssV4_0``, then ``cvssV3_1``, ``cvssV3_0``, ``cvssV2_0``); the record's ``baseScore`` is
  not trusted. A vector the library cannot read falls back to the next version. When the CNA
  gives no usable vector, the ADP containers' metrics (e.g. CISA-ADP "Vulnrichment") are used.
* The affected products, as "vendor product" (several joined by ``; ``), go to ``signature``,
  leaving ``description`` the CNA's own text.
* A record whose ``cveMetadata.state`` is ``REJECTED`` is not a vulnerability and is skipped.
  A record without a valid CVE id or without any date is rejected; its line number is its line
  (NDJSON) or its 1-based position in the array.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from itertools import chain
from typing import Any, BinaryIO

import cvss
import msgspec
from cvss.exceptions import CVSSError

from fenghuo.monitoring.events import Event, Rejected
from fenghuo.monitoring.parsers.common import clean, normalize_cve, parse_time, text_lines

_CALCULATORS = (("cvssV4_0", cvss.CVSS4), ("cvssV3_1", cvss.CVSS3), ("cvssV3_0", cvss.CVSS3),
                ("cvssV2_0", cvss.CVSS2))


def parse(fp: BinaryIO, *, feed: str, now: datetime | None = None) -> Iterator[Event | Rejected]:
    """Events of CVE records (``now`` is unused: every record has its dates)."""
    lines = ((n, t) for n, t in text_lines(fp) if t.strip())
    first = next(lines, None)
    if first is None:
        return
    try:
        msgspec.json.decode(first[1])
    except msgspec.DecodeError:
        yield from _document("\n".join(t for _, t in chain([first], lines)), feed)
        return
    for line_no, text in chain([first], lines):
        try:
            value = msgspec.json.decode(text)
        except msgspec.DecodeError as exc:
            yield Rejected(line_no=line_no, reason=f"malformed JSON: {exc}", raw=text)
            continue
        for record in value if isinstance(value, list) else [value]:
            yield from _record(line_no, record, text if not isinstance(value, list) else None, feed)


def _document(text: str, feed: str) -> Iterator[Event | Rejected]:
    try:
        value = msgspec.json.decode(text)
    except msgspec.DecodeError as exc:
        yield Rejected(line_no=1, reason=f"malformed JSON: {exc}", raw=text)
        return
    if isinstance(value, list):
        for no, record in enumerate(value, 1):
            yield from _record(no, record, None, feed)
    else:
        yield from _record(1, value, text, feed)


def _record(no: int, record: Any, raw: str | None, feed: str) -> Iterator[Event | Rejected]:
    raw = raw if raw is not None else msgspec.json.encode(record).decode()
    meta = record.get("cveMetadata") if isinstance(record, dict) else None
    if not isinstance(meta, dict):
        yield Rejected(line_no=no, reason="not a CVE JSON 5 record (no cveMetadata)", raw=raw)
        return
    if meta.get("state") == "REJECTED":
        return
    cve = normalize_cve(meta.get("cveId"))
    time = next(filter(None, map(parse_time, (
        meta.get("datePublished"), meta.get("dateUpdated"), meta.get("dateReserved")))), None)
    if cve is None or time is None:
        reason = f"invalid cveId {meta.get('cveId')!r}" if cve is None else f"{cve} has no date"
        yield Rejected(line_no=no, reason=reason, raw=raw)
        return
    containers = _dict(record.get("containers"))
    cna = _dict(containers.get("cna"))
    adp = [_dict(a) for a in _list(containers.get("adp"))]
    severity = cvss_severity(_list(cna.get("metrics"))) or cvss_severity(
        [m for a in adp for m in _list(a.get("metrics"))])
    yield Event(time=time, kind="vulnerability", feed=feed, cve=cve, signature_id=cve,
                severity=severity, signature=_affected(cna), description=_description(cna),
                raw=raw)


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def cvss_severity(metrics: list[Any]) -> int | None:
    """The CVSS base score × 10 of the highest-version readable vector in ``metrics``."""
    for key, calculator in _CALCULATORS:
        for metric in metrics:
            vector = _dict(_dict(metric).get(key)).get("vectorString")
            if not isinstance(vector, str):
                continue
            try:
                return round(float(calculator(vector).base_score) * 10)
            except CVSSError:
                continue
    return None


def _description(cna: dict[str, Any]) -> str | None:
    entries = [_dict(d) for d in _list(cna.get("descriptions"))]
    english = [d for d in entries if str(d.get("lang", "")).lower().split("-")[0] == "en"]
    return next((clean(d.get("value")) for d in english + entries if clean(d.get("value"))), None)


def _affected(cna: dict[str, Any]) -> str | None:
    names: list[str] = []
    for item in map(_dict, _list(cna.get("affected"))):
        vendor, product = clean(item.get("vendor")), clean(item.get("product"))
        name = " ".join(p for p in (vendor, product) if p and p.lower() != "n/a")
        if name and name not in names:
            names.append(name)
    return "; ".join(names) or None
