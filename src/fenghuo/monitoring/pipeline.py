"""Attribution and aggregation of a column-wise batch (item 4), vectorized.

Each event goes to the unit that owns its source address, else its domain, else its
destination address; failing an owner, to the jurisdiction whose address space holds one of
them; failing that, to the national queue (Plan §3.2: CNCERT finds the owners of what it sees).
Events are then aggregated per attributed body × kind × indicator × day (China Standard Time):
count, distinct hosts (:mod:`fenghuo.monitoring.sketch`), first and last seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from fenghuo.monitoring import sketch
from fenghuo.monitoring.columns import Columns, Shape, cst_days, host_keys
from fenghuo.monitoring.constituency import LEVELS, AttributionIndex

NATIONAL_LEVEL = 2
_EPOCH_DAY = date(1970, 1, 1)


@dataclass
class Attributed:
    body: np.ndarray  # int64 body id, -1 for the national queue
    level: np.ndarray  # int8: 0 owner, 1 jurisdiction, 2 national
    host: np.ndarray  # uint32 key of the host the event is about (for distinct counts)


def _address_side(index: AttributionIndex, addresses: list[str | None], values: np.ndarray,
                  is4: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    body, level = index.ipv4_bulk(values)
    if is4.all():
        return body, level
    level = np.where(is4, level, NATIONAL_LEVEL).astype(np.int8)
    body = np.where(is4, body, -1)
    for i in np.flatnonzero(~is4):
        a = addresses[i]
        if a:
            found = index.address(a)
            if found.body_id is not None:
                body[i], level[i] = found.body_id, LEVELS.index(found.level)
    return body, level


def _domain_side(index: AttributionIndex, cols: Columns) -> tuple[np.ndarray, np.ndarray]:
    if not any(s.domain for s in cols.shapes):
        return (np.full(cols.n, -1, dtype=np.int64),
                np.full(cols.n, NATIONAL_LEVEL, dtype=np.int8))
    per_shape_body = np.full(len(cols.shapes) or 1, -1, dtype=np.int64)
    per_shape_level = np.full(len(cols.shapes) or 1, NATIONAL_LEVEL, dtype=np.int8)
    for i, s in enumerate(cols.shapes):
        if s.domain:
            found = index.domain(s.domain)
            if found.body_id is not None:
                per_shape_body[i] = found.body_id
                per_shape_level[i] = LEVELS.index(found.level)
    return per_shape_body[cols.shape], per_shape_level[cols.shape]


def attribute(cols: Columns, index: AttributionIndex) -> Attributed:
    """The body each event is attributed to; ties go to the source, then the domain."""
    sb, sl = _address_side(index, cols.source, cols.source4, cols.source_is4)
    db, dl = _domain_side(index, cols)
    tb, tl = _address_side(index, cols.destination, cols.destination4, cols.destination_is4)
    use_src = sl <= np.minimum(dl, tl)
    use_dom = ~use_src & (dl <= tl)
    body = np.where(use_src, sb, np.where(use_dom, db, tb))
    level = np.minimum(sl, np.minimum(dl, tl)).astype(np.int8)
    src_keys = host_keys(cols.source, cols.source4, cols.source_is4)
    dst_keys = host_keys(cols.destination, cols.destination4, cols.destination_is4)
    has_src = _present(cols.source, cols.source_is4)
    host = np.where(use_src | (use_dom & has_src) | ~_present(cols.destination,
                                                              cols.destination_is4),
                    src_keys, dst_keys)
    return Attributed(body=body, level=level, host=host.astype(np.uint32))


def _present(addresses: list[str | None], is4: np.ndarray) -> np.ndarray:
    """Which events have the address at all (every IPv4 one does: checked at once)."""
    if is4.all():
        return is4
    return np.asarray([a is not None for a in addresses], dtype=bool)


@dataclass
class Aggregates:
    """Aggregate rows, column-wise: one per body × kind × indicator × day."""

    day: list[date]
    body_id: list[int | None]
    level: list[int]
    kind: list[str]
    indicator: list[str]
    severity: list[int | None]  # of vulnerability records (CVSS × 10)
    count: list[int]
    hosts: list[bytes]  # encoded sketches
    first_seen: list[datetime]
    last_seen: list[datetime]

    def __len__(self) -> int:
        return len(self.day)


class Aggregator:
    """Accumulates the aggregation keys of several batches (a group commit) and folds them
    into rows at the end: one row per body × kind × indicator × day."""

    def __init__(self) -> None:
        self._shapes: dict[Shape, int] = {}
        self._parts: list[tuple[np.ndarray, ...]] = []

    def add(self, cols: Columns, att: Attributed) -> None:
        mapping = np.asarray([self._shapes.setdefault(s, len(self._shapes))
                              for s in cols.shapes] or [0], dtype=np.int64)
        day = cst_days(cols.time_us)
        # one int64 per key: body (31 bits) | level (2) | shape (20) | day (11, from 1970+)
        key = ((att.body + 1) << 33) | (att.level.astype(np.int64) << 31) \
            | (mapping[cols.shape] << 11) | (day - _DAY_BASE)
        self._parts.append((key, cols.time_us, sketch.host_hashes(att.host)))

    def rows(self) -> Aggregates:
        if not self._parts:
            return Aggregates([], [], [], [], [], [], [], [], [], [])
        key, time_us, hashes = (np.concatenate(c) for c in zip(*self._parts, strict=True))
        uniq, group = np.unique(key, return_inverse=True)
        group = group.ravel()
        order = np.argsort(group, kind="stable")
        starts = np.searchsorted(group[order], np.arange(len(uniq)))
        first = np.minimum.reduceat(time_us[order], starts)
        last = np.maximum.reduceat(time_us[order], starts)
        shapes = list(self._shapes)
        shape_of = [shapes[i] for i in ((uniq >> 11) & 0xFFFFF).tolist()]
        bodies = ((uniq >> 33) - 1).tolist()
        return Aggregates(
            day=[_EPOCH_DAY + timedelta(days=d) for d in ((uniq & 0x7FF) + _DAY_BASE).tolist()],
            body_id=[None if b < 0 else b for b in bodies],
            level=((uniq >> 31) & 3).tolist(), kind=[s.kind for s in shape_of],
            indicator=[s.indicator for s in shape_of], severity=[s.severity for s in shape_of],
            count=np.bincount(group, minlength=len(uniq)).tolist(),
            hosts=_sketches(group, hashes, len(uniq)),
            first_seen=[_moment(t) for t in first.tolist()],
            last_seen=[_moment(t) for t in last.tolist()])


_DAY_BASE = 20_000  # 2024-10-04: aggregate days are counted from here (2,048 days of range)


def _moment(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _sketches(group: np.ndarray, hashes: np.ndarray, groups: int) -> list[bytes]:
    """The encoded sketch of each group's hashes, all groups at once."""
    index = (hashes >> np.uint32(32 - sketch.P)).astype(np.int64)
    rest = (hashes << np.uint32(sketch.P)) | np.uint32(1 << (sketch.P - 1))
    rank = (sketch.clz32(rest) + 1).astype(np.int64)
    cell = group.astype(np.int64) * sketch.M + index
    order = np.lexsort((rank, cell))  # by cell, then rank ascending: the last is the max
    cell, rank = cell[order], rank[order]
    last = np.ones(len(cell), dtype=bool)
    last[:-1] = cell[1:] != cell[:-1]
    cell, rank = cell[last], rank[last]
    bounds = np.searchsorted(cell // sketch.M, np.arange(groups + 1)).tolist()
    pairs = np.empty(len(cell), dtype=[("i", "<u2"), ("r", "u1")])
    pairs["i"] = cell % sketch.M
    pairs["r"] = rank
    packed = pairs.tobytes()
    out = [b"s" + packed[3 * bounds[g]:3 * bounds[g + 1]] for g in range(groups)]
    for g in np.flatnonzero(np.diff(bounds) > sketch.M // 3):
        regs = np.zeros(sketch.M, dtype=np.uint8)
        part = pairs[bounds[g]:bounds[g + 1]]
        regs[part["i"]] = part["r"]
        out[g] = b"d" + regs.tobytes()
    return out
