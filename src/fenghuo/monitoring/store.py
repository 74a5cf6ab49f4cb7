"""Writing monitoring data: events (COPY on PostgreSQL, one statement per batch on SQLite),
raw pieces, aggregates; daily partitions created as events arrive and dropped a day at a time
after the retention period (Law art. 21: at least six months).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from itertools import repeat

import numpy as np
from sqlalchemy import MetaData, delete, func, insert, literal_column, select, text
from sqlalchemy.orm import Session

from fenghuo.common.periods import start_of
from fenghuo.monitoring import pgcopy
from fenghuo.monitoring.columns import Columns, cst_days
from fenghuo.monitoring.lines import Lines
from fenghuo.monitoring.models import RawPiece, events
from fenghuo.monitoring.pipeline import Aggregates, Attributed

PIECE_BYTES = 1 << 20
_EPOCH_DAY = date(1970, 1, 1)
_EVENT_COLUMNS = ("observed_at", "feed_id", "batch_id", "line_no", "kind", "body_id", "level",
                  "source_ip", "source_port", "destination_ip", "destination_port", "domain",
                  "url", "hash", "cve", "malware")


def is_postgres(s: Session) -> bool:
    return s.get_bind().dialect.name == "postgresql"


def partition_name(day: date) -> str:
    return f"monitoring_events_p{day:%Y%m%d}"


def days_of(cols: Columns) -> set[date]:
    """The days (China Standard Time) the events fall on."""
    days = np.unique(cst_days(cols.time_us)).tolist()
    return {_EPOCH_DAY + timedelta(days=d) for d in days}


#: the indexes a day's events get when the day is over (PostgreSQL: built on its partition;
#: SQLite: its events move from the open table to the indexed one, migration 0025)
HOT_INDEXES = {"source_ip": "(source_ip)", "destination_ip": "(destination_ip)",
               "body": "(body_id, observed_at)"}
OPEN_DAYS = 2  # today and yesterday (CST) stay unindexed: late events land there cheaply


def ensure_partitions(s: Session, days: Iterable[date], today: date) -> None:
    """Create the missing daily partitions (PostgreSQL; one catalog query when none is
    missing); on creating one, index the partitions whose day is over."""
    if not is_postgres(s):
        return
    missing = sorted(set(days) - set(partitions(s)))
    if missing:
        # two workers meeting a new day at once: one creates, the other waits and sees it
        s.execute(text("SELECT pg_advisory_xact_lock(hashtext('monitoring_events_partitions'))"))
        missing = sorted(set(days) - set(partitions(s)))
    for day in missing:
        lo, hi = start_of(day), start_of(day + timedelta(days=1))
        s.execute(text(
            f"CREATE TABLE IF NOT EXISTS {partition_name(day)} PARTITION OF monitoring_events "
            f"FOR VALUES FROM ('{lo.isoformat()}') TO ('{hi.isoformat()}')"))
    if missing:
        index_closed(s, today)


def index_closed(s: Session, today: date) -> list[date]:
    """Build the address and body indexes of every partition whose day is over (before
    yesterday), in bulk (SQLite: move those days' events into the indexed table); returns the
    days indexed now."""
    if not is_postgres(s):
        return _close_sqlite(s, today)
    done = []
    for day in partitions(s):
        if day > today - timedelta(days=OPEN_DAYS):
            continue
        part = partition_name(day)
        exists = s.scalar(text("SELECT count(*) FROM pg_indexes WHERE tablename = :t AND "
                               "indexname = :i"), {"t": part, "i": f"{part}_source_ip"})
        if exists:
            continue
        for name, cols in HOT_INDEXES.items():
            s.execute(text(f"CREATE INDEX IF NOT EXISTS {part}_{name} ON {part} {cols}"))
        done.append(day)
    return done


def partitions(s: Session) -> list[date]:
    """The days that have a partition (PostgreSQL), oldest first."""
    if not is_postgres(s):
        return []
    names = s.scalars(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'monitoring_events'")).all()
    return sorted(datetime.strptime(n[-8:], "%Y%m%d").date() for n in names)


def drop_before(s: Session, day: date) -> int:
    """Drop the events of days before ``day``: whole partitions on PostgreSQL, rows on SQLite.
    Returns the number of days (PostgreSQL) or rows (SQLite) dropped."""
    if is_postgres(s):
        old = [d for d in partitions(s) if d < day]
        for d in old:
            s.execute(text(f"DROP TABLE {partition_name(d)}"))
        return len(old)
    return delete_before(s, start_of(day))


# SQLite (migration 0025): ``monitoring_events`` is a view over the closed days' table, with
# the address and body indexes, and the open days' table, without them; writes go to the open
# table and a day's events move across when the day is over (``index_closed``).
_INDEXED = events.to_metadata(MetaData(), name="monitoring_events_indexed")
_OPEN = events.to_metadata(MetaData(), name="monitoring_events_open")


def delete_before(s: Session, moment: datetime, limit: int | None = None) -> int:
    """SQLite: delete the events observed before ``moment`` (at most ``limit`` of them, the
    indexed table's first); returns how many."""
    done = 0
    for table in (_INDEXED, _OPEN):
        old = table.c.observed_at < moment
        if limit is not None:
            rowid = literal_column("rowid")
            old = rowid.in_(select(rowid).select_from(table).where(old).limit(limit - done))
        done += s.execute(delete(table).where(old)).rowcount
        if limit is not None and done >= limit:
            break
    return done


def _close_sqlite(s: Session, today: date, limit: int | None = None) -> list[date]:
    """Move the events of the days that are over from the open table to the indexed one (the
    days' address and body index entries are made then; about 12 µs an event), the first
    ``limit`` of them when given; returns the days moved (CST)."""
    cut = _OPEN.c.observed_at < start_of(today - timedelta(days=OPEN_DAYS - 1))
    if s.scalar(select(_OPEN.c.observed_at).where(cut).limit(1)) is None:
        return []  # the common case: one look at the time index
    if limit is not None:
        rowid = literal_column("rowid")
        cut = rowid.in_(select(rowid).select_from(_OPEN).where(cut).order_by(rowid)
                        .limit(limit))
    days = s.scalars(select(func.date(_OPEN.c.observed_at, "+8 hours")).where(cut)
                     .distinct()).all()
    s.execute(insert(_INDEXED).from_select(
        list(_EVENT_COLUMNS), select(*(_OPEN.c[c] for c in _EVENT_COLUMNS)).where(cut)))
    s.execute(delete(_OPEN).where(cut))
    return sorted(date.fromisoformat(d) for d in days)


def _sqlite_rows(feed_id: int, batch_id: int, cols: Columns, att: Attributed) -> Iterator[tuple]:
    """Event rows as SQLite stores them (times as naive UTC text, like ``UTCDateTime``), built
    column by column (each column one C-level pass; ``zip`` makes the tuples)."""
    stamps = np.datetime_as_string(cols.time_us.astype("datetime64[us]"), unit="us")
    chars = stamps.view(np.uint32).reshape(len(stamps), -1)
    chars[:, 10] = ord(" ")  # "2026-11-30T10:00:00.000000" -> "2026-11-30 10:00:00.000000"
    texts = np.empty((len(cols.shapes), 6), dtype=object)
    texts[:] = [(sh.kind, sh.domain, sh.url, sh.hash, sh.cve, sh.malware) for sh in cols.shapes]
    per_event = texts[cols.shape]
    kind, domain, url, hash_, cve, malware = (per_event[:, j].tolist() for j in range(6))
    return zip(stamps.tolist(), repeat(feed_id), repeat(batch_id), cols.line_no.tolist(), kind,
               _or_none(att.body), att.level.tolist(), cols.source, _or_none(cols.source_port),
               cols.destination, _or_none(cols.destination_port), domain, url, hash_, cve,
               malware)


def _or_none(values: np.ndarray) -> list[int | None]:
    """The values as Python ints, None where negative (unknown)."""
    out = values.astype(object)
    out[values < 0] = None
    return out.tolist()


def write_events(s: Session, feed_id: int, batch_id: int, cols: Columns,
                 att: Attributed, today: date) -> None:
    """Events by binary COPY on PostgreSQL (into daily partitions), by one executemany of the
    driver on SQLite (into the open days' table)."""
    if not cols.n:
        return
    raw = s.connection().connection.driver_connection
    if is_postgres(s):
        ensure_partitions(s, days_of(cols), today)
        with raw.cursor() as cur, cur.copy(
                f"COPY monitoring_events ({', '.join(_EVENT_COLUMNS)}) FROM STDIN "
                "(FORMAT BINARY)") as copy:
            copy.write(pgcopy.rows(cols, att, feed_id, batch_id))
        return
    raw.executemany(f"INSERT INTO monitoring_events_open ({', '.join(_EVENT_COLUMNS)}) VALUES "
                    f"({', '.join('?' * len(_EVENT_COLUMNS))})",
                    _sqlite_rows(feed_id, batch_id, cols, att))
    # once a day the day before yesterday's events move across: here as many as were written
    # (a chunk's time at most doubles, never a day's move at once), the rest by housekeeping
    _close_sqlite(s, today, limit=cols.n)


def write_raw(s: Session, batch_id: int, lines: Sequence[bytes], first_line: int = 1,
              data: bytes | None = None) -> None:
    """Keep the batch's lines as received, in pieces of about a megabyte (a piece ends at the
    first line that brings it to ``PIECE_BYTES``); ``data``, the lines joined by newlines, is
    sliced when given."""
    if isinstance(lines, Lines):
        data, ends = lines.data, lines.ends + 1
    else:
        ends = np.cumsum(np.fromiter(map(len, lines), dtype=np.int64, count=len(lines)) + 1)
        data = b"\n".join(lines) if data is None else data
    piece, start = 0, 0
    while start < len(lines):
        before = int(ends[start - 1]) if start else 0
        stop = min(int(np.searchsorted(ends, before + PIECE_BYTES)) + 1, len(lines))
        s.add(RawPiece(batch_id=batch_id, piece=piece, first_line=first_line + start,
                       data=data[before:int(ends[stop - 1]) - 1]))
        piece, start = piece + 1, stop


_AGG_COLUMNS = ("batch_id", "day", "body_id", "level", "jurisdiction_path", "kind",
                "indicator", "severity", "count", "hosts", "first_seen", "last_seen")


def write_aggregates(s: Session, batch_id: int, aggs: Aggregates,
                     paths: dict[int, str]) -> None:
    if not len(aggs):
        return
    rows = [(batch_id, aggs.day[i], aggs.body_id[i], aggs.level[i],
             paths.get(aggs.body_id[i], "/") if aggs.body_id[i] else "/", aggs.kind[i],
             aggs.indicator[i], aggs.severity[i], aggs.count[i], aggs.hosts[i],
             aggs.first_seen[i], aggs.last_seen[i]) for i in range(len(aggs))]
    if is_postgres(s):
        raw = s.connection().connection.driver_connection
        with raw.cursor() as cur, cur.copy(
                f"COPY monitoring_aggregates ({', '.join(_AGG_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    sqlite = s.connection().connection.driver_connection
    sqlite.executemany(
        f"INSERT INTO monitoring_aggregates ({', '.join(_AGG_COLUMNS)}) VALUES "
        f"({', '.join('?' * len(_AGG_COLUMNS))})",
        [(*r[:1], r[1].isoformat(), *r[2:10], _naive(r[10]), _naive(r[11])) for r in rows])


def _naive(moment: datetime) -> str:
    """A UTC moment as SQLite stores ``UTCDateTime`` (naive text)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def raw_line(s: Session, batch_id: int, line_no: int) -> str | None:
    """The raw line ``line_no`` of a batch, as received."""
    return raw_lines(s, [(batch_id, line_no)]).get((batch_id, line_no))


def raw_lines(s: Session, wanted: Iterable[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """The raw lines of several (batch, line) pairs, each piece read once."""
    by_batch: dict[int, set[int]] = {}
    for batch, line in wanted:
        by_batch.setdefault(batch, set()).add(line)
    found: dict[tuple[int, int], str] = {}
    for batch, lines in by_batch.items():
        starts = s.scalars(text("SELECT first_line FROM ingest_raw WHERE batch_id = :b "
                                "ORDER BY first_line"), {"b": batch}).all()
        per_piece: dict[int, list[int]] = {}
        for line in lines:
            i = bisect.bisect_right(starts, line) - 1
            if i >= 0:
                per_piece.setdefault(starts[i], []).append(line)
        for first, nos in per_piece.items():
            data = s.scalar(text("SELECT data FROM ingest_raw WHERE batch_id = :b AND "
                                 "first_line = :f"), {"b": batch, "f": first})
            rows = bytes(data).split(b"\n")
            for line in nos:
                if line - first < len(rows):
                    found[(batch, line)] = rows[line - first].decode("utf-8", "replace")
    return found
