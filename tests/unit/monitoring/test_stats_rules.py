"""Pure arithmetic of the monitoring statistics (issue 15 item 7): change against the previous
period, CVSS severity bands, what counts as hosted in the country, ranking and the trend's
weeks."""

from __future__ import annotations

from datetime import date

from fenghuo.common.periods import Month, Week
from fenghuo.monitoring import rules
from fenghuo.monitoring import stats_rules as sr


def test_change_against_the_previous_period():
    assert sr.change(7, 2) == {"count": 7, "previous": 2, "delta": 5, "pct": 250}
    assert sr.change(1, 4) == {"count": 1, "previous": 4, "delta": -3, "pct": -75}
    assert sr.change(3, 0)["pct"] is None  # no percentage from zero
    assert sr.change(0, 0) == {"count": 0, "previous": 0, "delta": 0, "pct": None}


def test_severity_bands_follow_cvss_qualitative_ratings():
    assert [sr.band(s) for s in (100, 90, 89, 70, 69, 40, 39, 0)] == [
        "critical", "critical", "high", "high", "medium", "medium", "low", "low"]
    assert sr.band(None) == "unscored"
    assert [c for c, _, _ in sr.band_labels()] == ["critical", "high", "medium", "low",
                                                    "unscored"]


def test_hosted_in_the_country_leaves_out_the_national_queue():
    assert not sr.counts_toward("c2_servers", 2) and not sr.counts_toward("phishing", 2)
    assert sr.counts_toward("c2_servers", 0) and sr.counts_toward("phishing", 1)
    assert sr.counts_toward("infected_hosts", 2)  # shown as "unattributed"
    assert set(sr.HEADLINE) == set(rules.STATISTICS)  # every statistic says what it counts


def test_family_of_an_indicator():
    assert sr.family("malware:emotet") == "emotet"
    assert sr.family("suricata:2024217") is None


def test_rank_by_value_then_events_then_code():
    items = [sr.Ranked("b", 2, 2), sr.Ranked("a", 2, 2), sr.Ranked("c", 2, 5),
             sr.Ranked("d", 9, 1), sr.Ranked("z", 0, 0)]
    assert [r.code for r in sr.rank(items)] == ["d", "c", "a", "b"]
    assert [r.code for r in sr.rank(items, limit=2)] == ["d", "c"]


def test_eight_weeks_end_with_the_week_of_the_last_day():
    weeks = sr.weeks_ending(Week.parse("2026-W44"))
    assert [str(w) for w in (weeks[0], weeks[-1])] == ["2026-W37", "2026-W44"]
    assert len(weeks) == 8
    month = sr.weeks_ending(Month.parse("2026-11"))  # 30 November is a Monday
    assert str(month[-1]) == "2026-W49"
    assert sr.week_index(weeks, date(2026, 11, 1)) == 7
    assert sr.week_index(weeks, date(2026, 11, 2)) is None


def test_bar_heights():
    assert sr.bar_heights([0, 5, 10]) == [0.0, 50.0, 100.0]
    assert sr.bar_heights([0, 0]) == [0.0, 0.0]
