"""The pure KPI rules (issue 19 item 10; fenghuo.kpi.rules): percentiles, which timestamps make
an interval and in which period it counts, empty periods, quarters and the support target."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from fenghuo.common.periods import Month, Week
from fenghuo.kpi import rules
from fenghuo.kpi.rules import Interval, Kpi, Quarter

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # 10:00 CST on Monday 2 November


def iv(start_h: float, stop_h: float | None, body: int = 1, kpi: Kpi = Kpi.REPORT) -> Interval:
    return Interval(kpi, body, T0 + timedelta(hours=start_h),
                    None if stop_h is None else T0 + timedelta(hours=stop_h))


def test_percentiles_interpolate_between_the_closest_ranks():
    xs = list(range(1, 11))
    assert rules.percentile(xs, 50) == 5.5
    assert rules.percentile(xs, 90) == pytest.approx(9.1)
    assert rules.percentile([3.0], 90) == 3.0
    assert rules.percentile([4, 1, 3, 2], 0) == 1 and rules.percentile([4, 1, 3, 2], 100) == 4
    assert rules.percentile([], 50) is None
    with pytest.raises(ValueError):
        rules.percentile([1], 101)


def test_an_empty_period_has_no_median():
    s = rules.summarize([])
    assert (s.n, s.median, s.p90, s.mean, s.open) == (0, None, None, None, 0)
    assert rules.summaries([], T0, T0 + timedelta(days=1)) == {}


def test_an_interval_counts_in_the_period_it_stopped_and_open_ones_where_they_started():
    lo, hi = T0, T0 + timedelta(days=1)
    got = rules.summaries([
        iv(-30, 1),          # started before, stopped inside: counts (31 h)
        iv(1, 3),            # inside: 2 h
        iv(2, 30),           # stops after the period: open at its end
        iv(3, None),         # running, started inside: open
        iv(-5, None),        # running, started before: neither
        iv(5, 4),            # stops before it starts (bad data): left out
        iv(1, 2, body=2),    # another body: 1 h
    ], lo, hi)
    one, every = got[(Kpi.REPORT, 1)], got[(Kpi.REPORT, None)]
    assert (one.n, one.median, one.open) == (2, 16.5, 2)
    assert one.p90 == pytest.approx(2 + 0.9 * 29)
    assert (every.n, every.median, every.mean, every.open) == (3, 2, pytest.approx(34 / 3), 2)
    assert (Kpi.REPORT, 2) in got and got[(Kpi.REPORT, 2)].open == 0


def test_hours_of_an_interval():
    assert rules.hours(iv(0, 1.5)) == 1.5
    assert rules.hours(iv(0, None)) is None
    assert rules.hours(iv(2, 1)) is None


def test_periods_are_china_standard_time_days():
    lo, hi = rules.bounds(Month(2026, 11))
    assert lo == datetime(2026, 10, 31, 16, tzinfo=UTC) and hi == datetime(2026, 11, 30, 16,
                                                                           tzinfo=UTC)
    assert rules.parse_period("2026-W45") == Week(2026, 45)
    assert rules.parse_period("2026-11") == Month(2026, 11)
    assert rules.parse_period("2026-q4") == Quarter(2026, 4)
    with pytest.raises(ValueError):
        rules.parse_period("2026-Q5")


def test_quarters():
    q = Quarter.of(date(2026, 11, 15))
    assert str(q) == "2026-Q4" and q.start == date(2026, 10, 1) and q.end == date(2027, 1, 1)
    assert str(q.previous()) == "2026-Q3" and str(q.next()) == "2027-Q1"
    assert str(Quarter(2026, 1).previous()) == "2025-Q4"


def test_the_trend_is_eight_periods_ending_with_this_one():
    t = rules.trend(Month(2026, 11))
    assert [str(p) for p in (t[0], t[-1])] == ["2026-04", "2026-11"] and len(t) == 8
    assert rules.kind_of(t[0]) == "month" and rules.kind_of(Quarter(2026, 1)) == "quarter"
    assert rules.current("week", date(2026, 11, 2)) == Week(2026, 45)
    assert rules.current("nonsense", date(2026, 11, 2)) == Month(2026, 11)


def test_medians_by_period_fill_empty_periods():
    periods = rules.trend(Week(2026, 45), 2)
    got = rules.medians_by_period([iv(1, 2)], periods)
    assert [s.n for s in got[Kpi.REPORT]] == [0, 1] and got[Kpi.REPORT][1].median == 1
    assert all(s.n == 0 for s in got[Kpi.CLOSE])


def test_the_support_obligation_is_five_by_eight_hours_a_month():
    assert rules.support_target_hours(Month(2026, 11)) == 40
    assert rules.support_target_hours(Quarter(2026, 4)) == 120
    assert rules.support_target_hours(Week(2026, 45)) is None


def test_bar_scaling():
    assert rules.scale([1, 2, None, 0], 100) == [50, 100, 0, 0]
    assert rules.scale([None], 100) == [0]
    assert rules.fmt_hours(None) == "" and rules.fmt_hours(1.005) in ("1.00", "1.01")


def test_every_kpi_names_its_timestamps_and_clause():
    for k in Kpi:
        d = rules.DEFINITIONS[k]
        assert d.start and d.stop and d.source and d.span_zh and d.span_en and d.source_zh
