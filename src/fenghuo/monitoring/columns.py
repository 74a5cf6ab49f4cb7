"""A batch of normalized events held column-wise, so that attribution, aggregation and writing
run over arrays (numpy) rather than event by event: the monitoring lane's speed (item 4, the
200,000 events/s target) comes from here.

Events that name the same texts (kind, indicator, domain, URL, hash, CVE, malware) share one
:class:`Shape`; an IDS feed has a few hundred shapes per million alerts (one per signature).
"""

from __future__ import annotations

import functools
import socket
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from fenghuo.monitoring.events import Event, indicator_of

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Shape:
    """The text fields an event shares with others of its kind."""

    kind: str
    indicator: str
    domain: str | None = None
    url: str | None = None
    hash: str | None = None
    cve: str | None = None
    malware: str | None = None
    #: CVSS base score × 10 of a vulnerability record (kind "vulnerability"), else None
    severity: int | None = None


@dataclass
class Columns:
    """``n`` events: per-event arrays and the shapes they index."""

    shapes: list[Shape]
    shape: np.ndarray  # int32 index into shapes
    time_us: np.ndarray  # int64 microseconds since 1970 UTC
    line_no: np.ndarray  # int32, 1-based line in the input
    source: list[str | None]
    destination: list[str | None]
    source_port: np.ndarray  # int32, -1 when unknown
    destination_port: np.ndarray
    #: uint32 IPv4 values (0 where not IPv4) and their masks: parsed from the addresses
    #: unless given (a selection or a concatenation carries them over)
    source4: np.ndarray = None  # type: ignore[assignment]
    source_is4: np.ndarray = None  # type: ignore[assignment]
    destination4: np.ndarray = None  # type: ignore[assignment]
    destination_is4: np.ndarray = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.source4 is None or self.source_is4 is None:
            self.source4, self.source_is4 = ipv4_array(self.source)
        if self.destination4 is None or self.destination_is4 is None:
            self.destination4, self.destination_is4 = ipv4_array(self.destination)

    @property
    def n(self) -> int:
        return len(self.shape)


_pton = socket.inet_pton
_AF4 = socket.AF_INET
_packed4 = functools.partial(socket.inet_pton, socket.AF_INET)  # C-level: no Python frame


def ipv4_array(addresses: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """(uint32 values, is-IPv4 mask): all at once when every address is a dotted quad, else
    element by element (IPv6, missing or malformed addresses get mask False)."""
    try:
        packed = b"".join(map(_packed4, addresses))
        values = np.frombuffer(packed, dtype=">u4").astype(np.uint32)
        return values, np.ones(len(addresses), dtype=bool)
    except (OSError, TypeError):
        pass
    values = np.zeros(len(addresses), dtype=np.uint32)
    mask = np.zeros(len(addresses), dtype=bool)
    for i, a in enumerate(addresses):
        try:
            values[i] = int.from_bytes(_pton(_AF4, a), "big")  # type: ignore[arg-type]
            mask[i] = True
        except (OSError, TypeError):
            pass
    return values, mask


def host_keys(addresses: Sequence[str | None], values: np.ndarray,
              is4: np.ndarray) -> np.ndarray:
    """A uint32 key per host: the IPv4 value, else a CRC-32 of the address text."""
    if is4.all():
        return values
    keys = values.copy()
    for i in np.flatnonzero(~is4):
        a = addresses[i]
        keys[i] = zlib.crc32(a.encode()) if a else 0
    return keys


def from_events(events: Sequence[Event], line_nos: Sequence[int]) -> Columns:
    """Columns of events from any parser (the general path)."""
    index: dict[Shape, int] = {}
    shape_ids = []
    for e in events:
        s = Shape(e.kind, indicator_of(e), e.domain, e.url, e.hash, e.cve, e.malware,
                  e.severity if e.kind == "vulnerability" else None)
        shape_ids.append(index.setdefault(s, len(index)))
    return Columns(
        shapes=list(index), shape=np.asarray(shape_ids, dtype=np.int32),
        time_us=np.asarray([micros(e.time) for e in events], dtype=np.int64),
        line_no=np.asarray(line_nos, dtype=np.int32),
        source=[e.source_ip for e in events], destination=[e.destination_ip for e in events],
        source_port=ports_array([e.source_port for e in events]),
        destination_port=ports_array([e.destination_port for e in events]))


def micros(moment: datetime) -> int:
    """Microseconds since 1970 UTC of an aware moment."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


_DAY_US = 86_400_000_000
_CST_US = 8 * 3_600_000_000  # China Standard Time, UTC+8 (common.periods.CST)


def cst_days(time_us: np.ndarray) -> np.ndarray:
    """The day (China Standard Time) of each moment, as days since 1970-01-01."""
    return (time_us + _CST_US) // _DAY_US


def ports_array(ports: Sequence[int | None]) -> np.ndarray:
    """Ports as int32, -1 where unknown."""
    if None not in ports:
        return np.asarray(ports, dtype=np.int32)
    return np.asarray([-1 if p is None else p for p in ports], dtype=np.int32)


def select(cols: Columns, keep: np.ndarray) -> Columns:
    """The events where the boolean mask ``keep`` is true."""
    idx = np.flatnonzero(keep)
    return Columns(shapes=cols.shapes, shape=cols.shape[idx], time_us=cols.time_us[idx],
                   line_no=cols.line_no[idx], source=[cols.source[i] for i in idx.tolist()],
                   destination=[cols.destination[i] for i in idx.tolist()],
                   source_port=cols.source_port[idx],
                   destination_port=cols.destination_port[idx],
                   source4=cols.source4[idx], source_is4=cols.source_is4[idx],
                   destination4=cols.destination4[idx],
                   destination_is4=cols.destination_is4[idx])


def concat(parts: Sequence[Columns]) -> Columns:
    """One Columns of several (their shapes merged)."""
    index: dict[Shape, int] = {}
    remapped = []
    for part in parts:
        mapping = np.asarray([index.setdefault(s, len(index)) for s in part.shapes] or [0],
                             dtype=np.int32)
        remapped.append(mapping[part.shape])
    return Columns(
        shapes=list(index), shape=np.concatenate(remapped),
        time_us=np.concatenate([p.time_us for p in parts]),
        line_no=np.concatenate([p.line_no for p in parts]),
        source=[a for p in parts for a in p.source],
        destination=[a for p in parts for a in p.destination],
        source_port=np.concatenate([p.source_port for p in parts]),
        destination_port=np.concatenate([p.destination_port for p in parts]),
        **{name: np.concatenate([getattr(p, name) for p in parts]) for name in _PARSED})


_PARSED = ("source4", "source_is4", "destination4", "destination_is4")
