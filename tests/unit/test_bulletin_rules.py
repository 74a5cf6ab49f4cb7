"""Pure rules of the bulletins (Plan §3.2; Support rights 2; TLP 2.0): periods, titles, tallies
with the change against the previous period, what may be listed, the bulletin's label."""

from __future__ import annotations

from datetime import date

import pytest

from fenghuo.common.periods import Month, Week
from fenghuo.sharing import bulletin_data as b
from fenghuo.sharing.bulletin_data import Row


def test_periods_parse_by_kind_and_refuse_the_other_shape():
    assert b.parse_period("weekly", "2026-w47") == Week(2026, 47)
    assert b.parse_period("monthly", "2026-11") == Month(2026, 11)
    for kind, text in (("weekly", "2026-11"), ("monthly", "2026-W47"), ("weekly", "2026-W54"),
                       ("monthly", "1999-12"), ("monthly", "2026-13")):
        with pytest.raises(ValueError):
            b.parse_period(kind, text)


def test_schedule_monday_and_the_first_for_the_period_just_ended():
    """The worker: last week's on Monday, last month's on the 1st (CST days)."""
    monday, tuesday = date(2026, 11, 23), date(2026, 11, 24)
    assert b.due_today("weekly", monday) and not b.due_today("weekly", tuesday)
    assert b.due_today("monthly", date(2026, 12, 1)) and not b.due_today("monthly", monday)
    assert b.last_complete("weekly", monday) == Week(2026, 47)
    assert b.last_complete("monthly", date(2026, 1, 1)) == Month(2025, 12)


def test_titles_are_the_two_bulletins():
    assert b.title("weekly", Week(2026, 47))[0] == "《网络安全信息与动态周报》（2026年第47周）"
    assert b.title("monthly", Month(2026, 11))[0] == "《网络安全月报》（2026年11月）"
    assert "Monthly" in b.title("monthly", Month(2026, 11))[1]


def test_tally_keeps_order_counts_both_periods_and_the_change():
    rows = [Row("a", "甲", "A"), Row("b", "乙", "B"), Row("c", "丙", "C")]
    out = b.tally(["a", "a", "b", "x"], ["b", "b", "b", "b"], rows)
    assert [r["code"] for r in out] == ["a", "b", "x"]  # empty c left out, unknown x appended
    assert out[0] == {"code": "a", "zh": "甲", "en": "A", "count": 2, "previous": 0,
                      "delta": 2, "pct": None}
    assert out[1]["delta"] == -3 and out[1]["pct"] == -75
    assert [r["code"] for r in b.tally([], [], rows, keep_empty=True)] == ["a", "b", "c"]


def test_bars_share_one_scale_across_both_periods():
    rows = b.bars(b.tally(["a"], ["a", "a", "a", "a"], [Row("a", "甲", "A")]))
    assert rows[0]["bar"] == 25.0 and rows[0]["bar_previous"] == 100.0
    assert b.bars([{"count": 0, "previous": 0}])[0]["bar"] == 0


@pytest.mark.parametrize(("tlp", "listed"), [("clear", True), ("green", True), ("amber", False),
                                             ("amber+strict", False), ("red", False)])
def test_support_units_are_community_readers_under_tlp_2(tlp, listed):
    """TLP 2.0: CLEAR and GREEN reach the community; AMBER, AMBER+STRICT and RED do not."""
    assert b.listable(tlp) is listed


def test_bulletin_label_is_the_strictest_section_and_figures_are_green():
    """Counts include AMBER items in scope: the figures are not for the public (TLP:GREEN)."""
    sections, overall = b.bulletin_tlp({"figures": [], "notable": ["clear"], "warnings": []})
    assert sections == {"figures": "green", "notable": "clear", "warnings": "clear"}
    assert overall.value == "green"
    assert b.bulletin_tlp({"figures": [], "x": ["red"]})[1].value == "red"


def test_only_offices_and_cncert_issue_bulletins():
    """Plan §3.2; Support rights 2."""
    assert b.may_issue("office").allowed and b.may_issue("cert").allowed
    refused = b.may_issue("support_unit")
    assert not refused.allowed and refused.refusals[0].code == "bulletin.not_issuer"
