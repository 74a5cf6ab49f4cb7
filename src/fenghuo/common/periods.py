"""Reporting periods of recurring duties and bulletins: an ISO week (the weekly bulletin), a
month (support-unit obligations 4–5; the monthly bulletin), a half-year (work reports and
evaluations, Support obligations 8–9) and a year (plans, exercises, CII risk assessments, Plan
§6.2, §8.1, Law art. 38). Pure; dates, not times.

Written as ``2026-W47``, ``2026-11``, ``2026-H2`` and ``2026``; each has ``start`` (first day)
and ``end`` (the day after its last day), so ``start <= d < end`` tests membership."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

#: China Standard Time (UTC+8, no daylight saving): the day on which the documents' duties fall
#: (a day of work, the month it is in, "today"; the project's reading)
CST = timezone(timedelta(hours=8), "CST")


def day_of(moment: datetime) -> date:
    """The day (China Standard Time) of an aware ``moment``."""
    return moment.astimezone(CST).date()


def start_of(day: date) -> datetime:
    """The first instant of ``day`` (China Standard Time), in UTC."""
    return datetime.combine(day, time(0), CST).astimezone(UTC)


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_HALF = re.compile(r"^(\d{4})-H([12])$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")


def add_months(d: date, months: int) -> date:
    """``d`` moved by whole months, the day clamped to the target month's length."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    last = (nxt - date.resolution).day
    return date(year, month, min(d.day, last))


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        m = _MONTH.match(text.strip())
        if not m or not 1 <= int(m[2]) <= 12:
            raise ValueError(f"{text!r} is not a month like 2026-11")
        return cls(int(m[1]), int(m[2]))

    @classmethod
    def of(cls, d: date) -> Month:
        return cls(d.year, d.month)

    @property
    def start(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        return add_months(self.start, 1)

    def previous(self) -> Month:
        return Month.of(add_months(self.start, -1))

    def next(self) -> Month:
        return Month.of(self.end)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True, order=True)
class Week:
    """An ISO 8601 week, Monday to Sunday (the weekly bulletin's period)."""

    year: int
    week: int

    @classmethod
    def parse(cls, text: str) -> Week:
        m = _WEEK.match(text.strip().upper())
        if not m:
            raise ValueError(f"{text!r} is not a week like 2026-W47")
        year, week = int(m[1]), int(m[2])
        try:
            date.fromisocalendar(year, week, 1)
        except ValueError:
            raise ValueError(f"{text!r} is not a week of {year}") from None
        return cls(year, week)

    @classmethod
    def of(cls, d: date) -> Week:
        iso = d.isocalendar()
        return cls(iso.year, iso.week)

    @property
    def start(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def end(self) -> date:
        return self.start + timedelta(days=7)

    def previous(self) -> Week:
        return Week.of(self.start - timedelta(days=7))

    def next(self) -> Week:
        return Week.of(self.end)

    def __str__(self) -> str:
        return f"{self.year:04d}-W{self.week:02d}"


@dataclass(frozen=True, order=True)
class Half:
    year: int
    half: int  # 1 or 2

    @classmethod
    def parse(cls, text: str) -> Half:
        m = _HALF.match(text.strip().upper())
        if not m:
            raise ValueError(f"{text!r} is not a half-year like 2026-H2")
        return cls(int(m[1]), int(m[2]))

    @classmethod
    def of(cls, d: date) -> Half:
        return cls(d.year, 1 if d.month <= 6 else 2)

    @property
    def start(self) -> date:
        return date(self.year, 1 if self.half == 1 else 7, 1)

    @property
    def end(self) -> date:
        return add_months(self.start, 6)

    def months(self) -> list[Month]:
        first = Month.of(self.start)
        return [Month.of(add_months(first.start, i)) for i in range(6)]

    def previous(self) -> Half:
        return Half.of(add_months(self.start, -6))

    def next(self) -> Half:
        return Half.of(self.end)

    def __str__(self) -> str:
        return f"{self.year:04d}-H{self.half}"


@dataclass(frozen=True, order=True)
class Year:
    year: int

    @classmethod
    def parse(cls, text: str) -> Year:
        m = _YEAR.match(text.strip())
        if not m:
            raise ValueError(f"{text!r} is not a year like 2026")
        return cls(int(m[1]))

    @property
    def start(self) -> date:
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        return date(self.year + 1, 1, 1)

    def __str__(self) -> str:
        return f"{self.year:04d}"


def parse_period(text: str) -> Week | Month | Half | Year:
    """Any of ``2026-W47``, ``2026-11``, ``2026-H2`` or ``2026``."""
    for cls in (Week, Month, Half, Year):
        try:
            return cls.parse(text)
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a period like 2026-W47, 2026-11, 2026-H2 or 2026")


def window(period: Week | Month | Half | Year, tz: tzinfo) -> tuple[datetime, datetime]:
    """The period as aware UTC datetimes, from local midnight of its first day to local midnight
    of the day after its last, in the deployment's time zone ``tz``."""
    def at(d: date) -> datetime:
        return datetime.combine(d, time(), tz).astimezone(UTC)

    return at(period.start), at(period.end)
