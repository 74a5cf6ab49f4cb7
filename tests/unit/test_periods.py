"""Reporting periods of the recurring duties: months (Support obligations 4–5), half-years
(obligations 8–9) and years (Plan §6.2, §8.1; Law art. 38)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fenghuo.common.periods import Half, Month, Week, Year, add_months, parse_period, window

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


@given(days)
def test_every_day_lies_in_its_month_and_half(d):
    m, h = Month.of(d), Half.of(d)
    assert m.start <= d < m.end
    assert h.start <= d < h.end
    assert m in h.months()


@given(st.builds(Month, st.integers(2000, 2099), st.integers(1, 12)))
def test_months_follow_each_other_without_gaps(m):
    assert m.next().start == m.end
    assert m.next().previous() == m
    assert Month.parse(str(m)) == m


@given(days, st.integers(-30, 30))
def test_add_months_keeps_the_day_or_clamps_it(d, n):
    moved = add_months(d, n)
    assert (moved.year * 12 + moved.month) - (d.year * 12 + d.month) == n
    assert moved.day == d.day or (moved.day < d.day and (moved + timedelta(days=1)).day == 1)


def test_halves():
    h = Half.parse("2026-h2")
    assert (h.start, h.end) == (date(2026, 7, 1), date(2027, 1, 1))
    assert str(h.next()) == "2027-H1" and str(h.previous()) == "2026-H1"
    assert [str(m) for m in h.months()] == [f"2026-{n:02d}" for n in range(7, 13)]


@pytest.mark.parametrize(("text", "kind"), [("2026-11", Month), ("2026-H1", Half), ("2026", Year)])
def test_parse_period(text, kind):
    assert isinstance(parse_period(text), kind)
    assert str(parse_period(text)) == text


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-H3", "26", "2026/11", "", "H1"])
def test_bad_periods_are_refused(text):
    with pytest.raises(ValueError, match="is not a period"):
        parse_period(text)


def test_window_is_local_midnight_in_utc():
    since, until = window(Month(2026, 11), ZoneInfo("Asia/Shanghai"))
    assert since == datetime(2026, 10, 31, 16, tzinfo=UTC)
    assert until == datetime(2026, 11, 30, 16, tzinfo=UTC)


@given(days)
def test_every_day_lies_in_its_iso_week(d):
    w = Week.of(d)
    assert w.start <= d < w.end and w.start.weekday() == 0
    assert w.next().start == w.end and w.next().previous() == w
    assert Week.parse(str(w)) == w


@pytest.mark.parametrize("text", ["2026-W00", "2026-W54", "2026-47", "2026W47"])
def test_bad_weeks_are_refused(text):
    with pytest.raises(ValueError, match="is not a"):
        Week.parse(text)


def test_a_week_that_starts_in_the_previous_year():
    assert Week.parse("2026-W01").start == date(2025, 12, 29)
    assert str(Week.of(date(2027, 1, 1))) == "2026-W53"
