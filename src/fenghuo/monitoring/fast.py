"""The Suricata EVE fast path: alert lines straight into :class:`~.columns.Columns`.

The national sensors' volume is IDS alerts (millions a day), so this path decodes each line with
``msgspec`` into only the fields it needs, classifies once per signature rather than once per
alert, and parses the timestamps vectorized. Its output is the same as the general path's
(``parsers.suricata`` events through :func:`~.columns.from_events`), which a test checks.
"""

from __future__ import annotations

import io
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

import msgspec
import numpy as np

from fenghuo.monitoring.columns import (
    Columns,
    Shape,
    concat,
    from_events,
    micros,
    ports_array,
    select,
)
from fenghuo.monitoring.events import Rejected
from fenghuo.monitoring.parsers import suricata


class _Alert(msgspec.Struct, gc=False):
    signature_id: int = 0
    signature: str = ""
    category: str = ""
    metadata: msgspec.Raw = msgspec.Raw()  # ET rule metadata: the general parser reads it


class _Flow(msgspec.Struct, gc=False):
    src_ip: str | None = None


Port = Annotated[int, msgspec.Meta(ge=0, le=65535)]


class _Line(msgspec.Struct, gc=False):
    timestamp: str = ""
    event_type: str = ""
    src_ip: Annotated[str, msgspec.Meta(max_length=45)] | None = None
    src_port: Port | None = None
    dest_ip: Annotated[str, msgspec.Meta(max_length=45)] | None = None
    dest_port: Port | None = None
    alert: _Alert | None = None
    direction: str | None = None
    flow: msgspec.Raw = msgspec.Raw()  # read (for its src_ip) only for infected hosts
    # what the general parser turns into domain, URL and hash: present → the general path
    # (a Raw is empty when the field is absent; the fields are sliced, not decoded)
    http: msgspec.Raw = msgspec.Raw()
    tls: msgspec.Raw = msgspec.Raw()
    fileinfo: msgspec.Raw = msgspec.Raw()
    files: msgspec.Raw = msgspec.Raw()


_decode = msgspec.json.Decoder(_Line).decode

#: (signature id, signature, category) → the shape of its alerts
Classifier = Callable[[int, str, str], Shape]


@dataclass
class Decoded:
    columns: Columns
    rejected: list[Rejected]
    skipped: int  # lines of other event types (flow, dns, stats …): not monitoring events


_get = operator.attrgetter


def decode_alerts(lines: Sequence[bytes], first_line: int, classify: Classifier,
                  feed: str = "") -> Decoded:
    """Decode EVE ``lines`` (numbered from ``first_line``). Plain alerts take the fast way;
    every other alert or anomaly line (rule metadata, HTTP, TLS or file fields, an address that
    is not IPv4, an infected host that may be the destination, an unusual timestamp, a field
    the fast decoder refuses) goes through ``parsers.suricata`` line by line, so both ways give
    the same events. Other event types are skipped; unreadable lines are rejected."""
    records = _decode_all(lines)
    fast, slow = _split(records)
    recs = [records[i] for i in fast]
    stamps = list(map(_get("timestamp"), recs))
    times, bad = parse_times(stamps, vectorized_only=True)
    alerts = list(map(_get("alert"), recs))
    sids, inverse = np.unique(np.asarray(list(map(_get("signature_id"), alerts)),
                                         dtype=np.int64), return_inverse=True)
    first_of = dict(zip(map(_get("signature_id"), alerts), alerts, strict=True))
    shapes = [classify(sid, first_of[sid].signature, first_of[sid].category)
              for sid in sids.tolist()]
    cols = Columns(
        shapes=shapes, shape=inverse.ravel().astype(np.int32), time_us=times,
        line_no=(np.asarray(fast, dtype=np.int64) + first_line).astype(np.int32),
        source=list(map(_get("src_ip"), recs)), destination=list(map(_get("dest_ip"), recs)),
        source_port=ports_array(list(map(_get("src_port"), recs))),
        destination_port=ports_array(list(map(_get("dest_port"), recs))))
    away = bad | _needs_parser(cols, recs)
    if away.any():
        slow = sorted(slow + [fast[i] for i in np.flatnonzero(away)])
        cols = select(cols, ~away)
    general, rejected = _general(lines, slow, first_line, feed)
    merged = concat([cols, general]) if general.n else cols
    return Decoded(merged, rejected, len(lines) - merged.n - len(rejected))


def _split(records: list) -> tuple[list[int], list[int]]:
    """(plain alerts, lines for the general parser) by index; other event types in neither."""
    plain = [r is not None and r.event_type == "alert" and r.alert is not None
             and not r.alert.metadata and not r.http and not r.tls and not r.fileinfo
             and not r.files for r in records]
    if all(plain):
        return list(range(len(records))), []
    fast, slow = [], []
    for i, (r, ok) in enumerate(zip(records, plain, strict=True)):
        if ok:
            fast.append(i)
        elif r is None or r.event_type in ("alert", "anomaly") or not r.event_type:
            slow.append(i)
    return fast, slow


_INTERNAL = ((10 << 24, 8), ((172 << 24) | (16 << 16), 12), ((192 << 24) | (168 << 16), 16),
             ((100 << 24) | (64 << 16), 10))


def _internal(values: np.ndarray, is4: np.ndarray) -> np.ndarray:
    """RFC 1918 and RFC 6598 addresses (the general parser's "internal" side, IPv4)."""
    out = np.zeros(len(values), dtype=bool)
    for base, bits in _INTERNAL:
        out |= (values >> np.uint32(32 - bits)) == np.uint32(base >> (32 - bits))
    return out & is4


def _needs_parser(cols: Columns, recs: list) -> np.ndarray:
    """Rows the general parser must read: an address that is not IPv4, or an infected host
    that may be the destination (``parsers.suricata`` then swaps the sides)."""
    odd = _not4(cols.source, cols.source_is4) | _not4(cols.destination, cols.destination_is4)
    infected = np.asarray([s.kind == "infected-system" for s in cols.shapes] or [False],
                          dtype=bool)[cols.shape] if cols.n else np.zeros(0, dtype=bool)
    if not infected.any():
        return odd
    sides = _internal(cols.source4, cols.source_is4) != _internal(cols.destination4,
                                                                  cols.destination_is4)
    hints = np.zeros(cols.n, dtype=bool)
    rows = np.flatnonzero(infected)
    hints[rows] = [recs[i].direction == "to_client" or _flow_source(recs[i].flow) is not None
                   for i in rows.tolist()]
    return odd | (infected & (sides | hints))


_decode_flow = msgspec.json.Decoder(_Flow).decode


def _flow_source(raw: msgspec.Raw) -> str | None:
    if not raw or b'"src_ip"' not in bytes(raw):  # a substring test spares most decodes
        return None
    try:
        return _decode_flow(raw).src_ip
    except (msgspec.DecodeError, msgspec.ValidationError):
        return "?"  # unreadable: let the general parser decide


def _not4(addresses: list[str | None], is4: np.ndarray) -> np.ndarray:
    """Rows with an address that is not a dotted quad."""
    if is4.all():
        return np.zeros(len(is4), dtype=bool)
    return np.asarray([a is not None for a in addresses], dtype=bool) & ~is4


def _general(lines: Sequence[bytes], idx: list[int], first_line: int,
             feed: str) -> tuple[Columns, list[Rejected]]:
    """The lines at ``idx`` through ``parsers.suricata``, one by one (their numbers kept)."""
    events, nos, rejected = [], [], []
    for i in idx:
        for item in suricata.parse(io.BytesIO(lines[i]), feed=feed):
            if isinstance(item, Rejected):
                item.line_no = first_line + i
                rejected.append(item)
            else:
                events.append(item)
                nos.append(first_line + i)
    return from_events(events, nos), rejected


def _decode_all(lines: Sequence[bytes]) -> list:
    """Every line decoded at once (the fast case), else line by line; a line the fast decoder
    cannot read is None (the general parser reads or rejects it)."""
    try:
        return list(map(_decode, lines))
    except (msgspec.DecodeError, msgspec.ValidationError):
        pass
    records: list[_Line | None] = []
    for line in lines:
        try:
            records.append(_decode(line))
        except (msgspec.DecodeError, msgspec.ValidationError):
            records.append(None)
    return records


def parse_times(stamps: Sequence[str], *,
                vectorized_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(UTC microseconds, bad mask) of ISO 8601 stamps. Those shaped as Suricata writes them
    (``2026-11-30T08:01:02.123456+0800``) are parsed vectorized; the others one by one with
    :func:`parse_time`, or, with ``vectorized_only``, left bad (for the caller to route)."""
    n = len(stamps)
    tails = {s[26:] for s in stamps}
    shifts = {t: _offset(t) for t in tails}
    if len(tails) == 1 and all(len(s) == 31 for s in stamps) and shifts[next(iter(tails))]:
        try:  # the common case: one sensor, one time zone
            local = np.array([s[:26] for s in stamps], dtype="datetime64[us]")
            return (local.astype(np.int64) - shifts[next(iter(tails))],
                    np.zeros(n, dtype=bool))
        except ValueError:
            pass
    shaped = np.asarray([len(s) == 31 and shifts[s[26:]] is not None for s in stamps] or [],
                        dtype=bool)
    out = np.zeros(n, dtype=np.int64)
    bad = ~shaped
    idx = np.flatnonzero(shaped)
    if len(idx):
        try:
            local = np.array([stamps[i][:26] for i in idx], dtype="datetime64[us]")
            out[idx] = local.astype(np.int64) - np.asarray(
                [shifts[stamps[i][26:]] for i in idx], dtype=np.int64)
        except ValueError:
            bad[idx] = True
    if not vectorized_only:
        for i in np.flatnonzero(bad):
            value = parse_time(stamps[i])
            if value is not None:
                out[i], bad[i] = value, False
    return out, bad


def _offset(tail: str) -> int | None:
    """Microseconds east of UTC of a ``+HHMM`` / ``-HHMM`` suffix, None otherwise."""
    if len(tail) != 5 or tail[0] not in "+-" or not tail[1:].isdigit():
        return None
    minutes = int(tail[1:3]) * 60 + int(tail[3:])
    return (1 if tail[0] == "+" else -1) * minutes * 60_000_000


def parse_time(stamp: str) -> int | None:
    """UTC microseconds of one ISO 8601 stamp (naive read as UTC), None when unreadable."""
    try:
        moment = datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return micros(moment)
