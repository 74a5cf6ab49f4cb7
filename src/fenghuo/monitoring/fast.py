"""The Suricata EVE fast path: alert lines straight into :class:`~.columns.Columns`.

The national sensors' volume is IDS alerts (millions a day), so this path decodes each line
into only the fields it needs, classifies once per signature rather than once per alert, and
reads timestamps and addresses into arrays. The decoder is compiled (``_eve.c``: the line's
fields straight into native arrays, no Python object per field) where a C compiler was found at
install, else ``msgspec`` with vectorized timestamps. Either way its output is the same as the
general path's (``parsers.suricata`` events through :func:`~.columns.from_events`), which the
tests check on the sample file, generated alerts and mutated lines.
"""

from __future__ import annotations

import io
import operator
import warnings
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
from fenghuo.monitoring.lines import Lines
from fenghuo.monitoring.parsers import suricata

try:  # built at install from _eve.c where a C compiler is found (pyproject ext-modules)
    from fenghuo.monitoring import _eve
except ImportError:  # pragma: no cover - the msgspec decoder below does the same, slower
    _eve = None


Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]


class _Alert(msgspec.Struct, gc=False):
    signature_id: Int64 = 0
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
                  feed: str = "", *, compiled: bool | None = None) -> Decoded:
    """Decode EVE ``lines`` (numbered from ``first_line``). Plain alerts take the fast way;
    every other alert or anomaly line (rule metadata, HTTP, TLS or file fields, an address that
    is not IPv4, an infected host that may be the destination, an unusual timestamp, a field
    the fast decoder refuses) goes through ``parsers.suricata`` line by line, so both ways give
    the same events. Other event types are skipped; unreadable lines are rejected.

    The fast way is the compiled decoder (``_eve``) where it was built at install, else
    msgspec; ``compiled`` forces one (tests compare them)."""
    use_c = _eve is not None if compiled is None else compiled
    if use_c and _eve is None:
        raise RuntimeError("the compiled EVE decoder was not built at install")
    cols, slow, hints = (_compiled if use_c else _interpreted)(lines, first_line, classify)
    away = _needs_parser(cols, hints)
    if away.any():
        slow = sorted(slow + (cols.line_no[away] - first_line).tolist())
        cols = select(cols, ~away)
    general, rejected = _general(lines, slow, first_line, feed)
    merged = concat([cols, general]) if general.n else cols
    return Decoded(merged, rejected, len(lines) - merged.n - len(rejected))


#: (fast columns, indexes of the lines for the general parser, infected-host hints: a function
#: of fast rows giving for each whether the alert says the host may be the destination)
_Fast = tuple[Columns, list[int], Callable[[np.ndarray], np.ndarray]]


def _compiled(lines: Sequence[bytes], first_line: int, classify: Classifier) -> _Fast:
    (status, idx, times, shape, src4, src_is4, dst4, dst_is4, sport, dport, hint, _n,
     sources, destinations, texts) = (_eve.decode_joined(lines.data, lines.ends)
                                      if isinstance(lines, Lines) else _eve.decode(lines))
    slow = np.flatnonzero(np.frombuffer(status, dtype=np.uint8) == 1).tolist()
    cols = Columns(
        shapes=[classify(*triple) for triple in texts],
        shape=np.frombuffer(shape, dtype=np.int32), time_us=np.frombuffer(times, dtype=np.int64),
        line_no=np.frombuffer(idx, dtype=np.int32) + np.int32(first_line),
        source=sources, destination=destinations,
        source_port=np.frombuffer(sport, dtype=np.int32),
        destination_port=np.frombuffer(dport, dtype=np.int32),
        source4=np.frombuffer(src4, dtype=np.uint32),
        source_is4=np.frombuffer(src_is4, dtype=np.bool_),
        destination4=np.frombuffer(dst4, dtype=np.uint32),
        destination_is4=np.frombuffer(dst_is4, dtype=np.bool_))
    hints = np.frombuffer(hint, dtype=np.bool_)
    return cols, slow, lambda rows: hints[rows]


def _interpreted(lines: Sequence[bytes], first_line: int, classify: Classifier) -> _Fast:
    """The same with msgspec (where the compiled decoder was not built)."""
    records = _decode_all(lines)
    fast, slow = _split(records)
    recs = [records[i] for i in fast]
    stamps = list(map(_get("timestamp"), recs))
    times, bad = parse_times(stamps, vectorized_only=True)
    # a shape per (id, signature, category): two rule revisions may word one id differently
    index: dict[tuple[int, str, str], int] = {}
    shape_ids = [index.setdefault((a.signature_id, a.signature, a.category), len(index))
                 for a in map(_get("alert"), recs)]
    shapes = [classify(*triple) for triple in index]
    cols = Columns(
        shapes=shapes, shape=np.asarray(shape_ids, dtype=np.int32), time_us=times,
        line_no=(np.asarray(fast, dtype=np.int64) + first_line).astype(np.int32),
        source=list(map(_get("src_ip"), recs)), destination=list(map(_get("dest_ip"), recs)),
        source_port=ports_array(list(map(_get("src_port"), recs))),
        destination_port=ports_array(list(map(_get("dest_port"), recs))))
    if bad.any():
        slow = sorted(slow + [fast[i] for i in np.flatnonzero(bad)])
        cols = select(cols, ~bad)
        recs = [r for r, b in zip(recs, bad.tolist(), strict=True) if not b]

    def hints(rows: np.ndarray) -> np.ndarray:
        return np.asarray([recs[i].direction == "to_client"
                           or _flow_source(recs[i].flow) is not None for i in rows.tolist()],
                          dtype=bool)
    return cols, slow, hints


def _split(records: list) -> tuple[list[int], list[int]]:
    """(plain alerts, lines for the general parser) by index; other event types in neither."""
    plain = [r is not None and r.event_type == "alert" and r.alert is not None
             and not r.alert.metadata and not r.http and not r.tls and not r.fileinfo
             and not r.files and (not r.flow or bytes(r.flow)[:1] == b"{") for r in records]
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


def _needs_parser(cols: Columns, hints: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Rows the general parser must read: an address that is not IPv4, or an infected host
    that may be the destination (``parsers.suricata`` then swaps the sides)."""
    odd = _not4(cols.source, cols.source_is4) | _not4(cols.destination, cols.destination_is4)
    infected = np.asarray([s.kind == "infected-system" for s in cols.shapes] or [False],
                          dtype=bool)[cols.shape] if cols.n else np.zeros(0, dtype=bool)
    if not infected.any():
        return odd
    sides = _internal(cols.source4, cols.source_is4) != _internal(cols.destination4,
                                                                  cols.destination_is4)
    flagged = np.zeros(cols.n, dtype=bool)
    rows = np.flatnonzero(infected)
    flagged[rows] = hints(rows)
    return odd | (infected & (sides | flagged))


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
            local = _datetimes([s[:26] for s in stamps])
            return (local.astype(np.int64) - shifts[next(iter(tails))],
                    np.zeros(n, dtype=bool))
        except (ValueError, UserWarning):
            pass
    shaped = np.asarray([len(s) == 31 and shifts[s[26:]] is not None for s in stamps] or [],
                        dtype=bool)
    out = np.zeros(n, dtype=np.int64)
    bad = ~shaped
    idx = np.flatnonzero(shaped)
    if len(idx):
        try:
            local = _datetimes([stamps[i][:26] for i in idx])
            out[idx] = local.astype(np.int64) - np.asarray(
                [shifts[stamps[i][26:]] for i in idx], dtype=np.int64)
        except (ValueError, UserWarning):
            bad[idx] = True
    if not vectorized_only:
        for i in np.flatnonzero(bad):
            value = parse_time(stamps[i])
            if value is not None:
                out[i], bad[i] = value, False
    return out, bad


def _datetimes(texts: list[str]) -> np.ndarray:
    """numpy datetimes of local ISO texts; a text with a zone of its own (numpy warns, then
    reads it) raises instead, so that the general parser reads it."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        return np.array(texts, dtype="datetime64[us]")


def _offset(tail: str) -> int | None:
    """Microseconds east of UTC of a ``+HHMM`` / ``-HHMM`` suffix, None otherwise."""
    if len(tail) != 5 or tail[0] not in "+-" or not tail[1:].isdigit():
        return None
    hours, minutes = int(tail[1:3]), int(tail[3:])
    if hours > 23 or minutes > 59:  # as datetime.fromisoformat (the general parser) refuses
        return None
    minutes += hours * 60
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
