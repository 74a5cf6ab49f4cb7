"""Omitted reports (漏报, Plan §7.10): being discovered is no omission; knowing or being told and
not reporting within the clock is, and so is a supplementary report that raises the grade after
the first-report clock (漏报重要情况). ``fenghuo.incident.omission_rules``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fenghuo.incident.omission_rules import Ground, Record, omission, raises_grade

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)  # a CII operator's first-report clock (CAC 2025 art. 4)


def others(**kw) -> Record:
    """An incident another body reported at the unit at T0."""
    return Record(self_reported=False, found_at=T0 - HOUR, deadline=HOUR, **kw)


def codes(r: Record, now: datetime) -> list[str] | None:
    found = omission(r, now)
    return None if found is None else [g.code for g in found.grounds]


def test_discovered_by_another_body_and_never_told_is_no_omission():
    """Plan §7.10 punishes not reporting, not being discovered."""
    assert codes(others(), T0 + 100 * HOUR) is None


def test_told_and_silent_past_the_clock_is_an_omission():
    r = others(told_at=T0 + timedelta(minutes=5))
    assert codes(r, T0 + HOUR) is None  # the clock still runs
    assert codes(r, T0 + 2 * HOUR) == [Ground.TOLD.value]
    found = omission(r, T0 + 2 * HOUR)
    assert (found.aware_at, found.due_at) == (r.told_at, r.told_at + HOUR)
    assert found.grounds[0].source.startswith("Plan §7.10")


def test_told_and_answered_in_time_is_none_and_late_is_one():
    told = T0 + timedelta(minutes=5)
    assert codes(others(told_at=told, first_report_at=told + 50 * timedelta(minutes=1)),
                 T0 + 9 * HOUR) is None
    assert codes(others(told_at=told, first_report_at=told + 2 * HOUR),
                 T0 + 9 * HOUR) == [Ground.TOLD.value]


def test_a_unit_that_says_it_found_it_earlier_knew():
    """Its own supplementary report says it found it five hours before it was told."""
    r = others(told_at=T0, stated_found_at=T0 - 5 * HOUR, first_report_at=T0 + 0.5 * HOUR)
    assert codes(r, T0 + HOUR) == [Ground.KNEW.value]
    # found it only shortly before it answered: within its clock
    r = others(stated_found_at=T0 + 2 * HOUR, first_report_at=T0 + 2.5 * HOUR)
    assert codes(r, T0 + 9 * HOUR) is None


def test_a_grade_raised_after_the_clock_omitted_important_circumstances():
    own = Record(self_reported=True, found_at=T0, deadline=HOUR)
    assert codes(own, T0 + 9 * HOUR) is None  # reporting itself late is 迟报, not 漏报
    assert codes(Record(self_reported=True, found_at=T0, deadline=HOUR,
                        raised_at=(T0 + 0.5 * HOUR,)), T0 + 9 * HOUR) is None
    assert codes(Record(self_reported=True, found_at=T0, deadline=HOUR,
                        raised_at=(T0 + 3 * HOUR,)), T0 + 9 * HOUR) == [
        Ground.CIRCUMSTANCES.value]


def test_both_grounds_show():
    r = others(told_at=T0, first_report_at=T0 + 3 * HOUR, raised_at=(T0 + 3 * HOUR,))
    assert codes(r, T0 + 9 * HOUR) == [Ground.TOLD.value, Ground.CIRCUMSTANCES.value]


@pytest.mark.parametrize(("before", "after", "raised"), [
    ("general", "major", True), ("major", "major", False), ("major", "general", False),
    ("relatively_major", "especially_major", True), (None, "major", False)])
def test_raises_grade(before, after, raised):
    assert raises_grade(before, after) is raised
