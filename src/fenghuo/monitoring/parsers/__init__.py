"""Feed parsers: each turns one input format into normalized events (:mod:`..events`).

:data:`FORMATS` is the registry by format name; :func:`get_format` looks one up with a clear
error. Every parser has the same signature, :class:`Parse`: it reads a binary stream (streaming
for the line formats), yields an :class:`~fenghuo.monitoring.events.Event` per thing seen and a
:class:`~fenghuo.monitoring.events.Rejected` per record it cannot read, and never stops at a bad
record. ``feed`` is the code of the feed or sensor that delivered the input; ``now`` is the time
given to records that carry none (only plain URL/domain lists), ``datetime.now(UTC)`` by
default, so pass it for deterministic results.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Protocol

from fenghuo.monitoring.events import Event, Rejected
from fenghuo.monitoring.parsers import (
    cve,
    scan_csv,
    sinkhole_csv,
    stix,
    suricata,
    url_feed,
    zeek_intel,
    zeek_notice,
)


class Parse(Protocol):
    """The signature of every parser."""

    def __call__(self, fp: BinaryIO, *, feed: str,
                 now: datetime | None = None) -> Iterator[Event | Rejected]: ...


@dataclass(frozen=True)
class Format:
    """One input format: its registry name, a one-line English description, its parser."""

    name: str
    description: str
    parse: Parse


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("suricata", "Suricata EVE JSON lines: alert and anomaly records", suricata.parse),
    Format("zeek-notice", "Zeek notice.log, TSV or JSON", zeek_notice.parse),
    Format("zeek-intel", "Zeek intel.log (intelligence framework hits), TSV or JSON",
           zeek_intel.parse),
    Format("sinkhole-csv", "Sinkhole infected-host reports (Shadowserver Sinkhole Events CSV)",
           sinkhole_csv.parse),
    Format("scan-csv", "Open or vulnerable service scan reports (Shadowserver scan CSV)",
           scan_csv.parse),
    Format("url-feed", "URL and domain feeds: CSV with a header (URLhaus, phishing) or plain lists",
           url_feed.parse),
    Format("stix", "STIX 2.1 bundles: indicators with simple patterns, and their sightings",
           stix.parse),
    Format("cve", "CVE JSON 5 records: a record, an array of records or NDJSON", cve.parse),
)}


def get_format(name: str) -> Format:
    """The :class:`Format` called ``name``; ValueError naming the known formats otherwise."""
    found = FORMATS.get(name)
    if found is None:
        raise ValueError(f"unknown format {name!r}; expected one of {', '.join(FORMATS)}")
    return found
