"""Times relative to now in files for the command line (issue 17 item 18: the README tour's
examples must not be days late on the day they are run)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fenghuo.cli.times import relative_times

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def test_time_fields_relative_to_now_become_moments():
    raw = {"found_at": "-20m", "starts_at": "now", "title": "-20m",
           "measures": [{"text": "patch", "deadline": "+24h"}, {"deadline": "+1.5d"}],
           "observed_at": "2026-11-22T22:15:00+08:00"}
    got = relative_times(raw, NOW)
    assert got["found_at"] == (NOW - timedelta(minutes=20)).isoformat()
    assert got["starts_at"] == NOW.isoformat()
    assert got["measures"][0] == {"text": "patch", "deadline": (NOW + timedelta(hours=24))
                                  .isoformat()}
    assert got["measures"][1]["deadline"] == (NOW + timedelta(days=1.5)).isoformat()
    assert got["title"] == "-20m"  # not a time field: left alone
    assert got["observed_at"] == "2026-11-22T22:15:00+08:00"  # absolute: left to validation


def test_anything_else_is_left_for_validation():
    raw = {"found_at": "yesterday", "deadline": "+24 weeks", "items": ["-20m"], "n": 3}
    assert relative_times(raw, NOW) == raw
    assert relative_times(["a", 1, None], NOW) == ["a", 1, None]


def test_days_on_the_command_line():
    """``--on today``, ``-400d`` (about thirteen months ago), an ISO day, or a usage error."""
    import pytest
    import typer

    from fenghuo.cli.times import parse_day
    from fenghuo.common.periods import day_of

    today = day_of(datetime.now(UTC))
    assert parse_day("today") == today
    assert parse_day("-400d") == today - timedelta(days=400)
    assert parse_day("+7d") == today + timedelta(days=7)
    assert parse_day("2025-10-20").isoformat() == "2025-10-20"
    assert parse_day(None) is None
    with pytest.raises(typer.BadParameter, match="not a day"):
        parse_day("yesterday")
