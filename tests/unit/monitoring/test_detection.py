"""The pure detection rules of candidate warnings (issue 15 item 6, monitoring.detection):
each threshold crossed and not, the target office (Plan §3.2, §3.3 ¶2), the pre-filled
assessment (Law art. 54(2))."""

from __future__ import annotations

import pytest

from fenghuo.monitoring import detection as d
from fenghuo.monitoring.detection import NATIONAL, Facts, Rule, Thresholds, Unit

T = Thresholds()  # N=3 provinces, M=5 units, W=24 h, spike ×3 over at least 50


def facts(units=(), provinces=None, unattributed=0, baseline=(), count=None, kind="infected-system",
          indicator="malware:emotet") -> Facts:
    units = tuple(units)
    if provinces is None:
        provinces = {}
        for u in units:
            provinces[u.province] = provinces.get(u.province, 0) + u.count
    total = sum(provinces.values()) + unattributed if count is None else count
    return Facts(kind=kind, indicator=indicator, window_count=total, units=units,
                 provinces=provinces, unattributed=unattributed, baseline=tuple(baseline))


def unit(i, province="110000", count=1, cii=False) -> Unit:
    return Unit(body_id=i, province=province, cii=cii, count=count)


def test_spread_across_three_provinces_goes_to_the_emergency_office():
    f = facts(provinces={"110000": 4, "310000": 1, "440000": 1})
    found = d.spread(f, T)
    assert found is not None and found.rule is Rule.SPREAD and found.target == NATIONAL
    assert [r.code for r in found.reasons] == ["candidate.spread.provinces",
                                               "candidate.assessment"]
    assert found.reasons[0].source == "Plan §3.2, §3.3 ¶2"
    assert "3个省" in found.reasons[0].text_zh and "3 provinces" in found.reasons[0].text_en
    assert (found.assessment.extent.value, found.assessment.harm.value) == (
        "several_provinces_or_sectors", "relatively_major")
    # Plan §3.1: a relatively major possible incident is yellow, however far it reaches (the
    # reach makes it the Emergency Office's, Plan §3.3 ¶2; issue 17 item 2)
    assert found.proposal.level.value == "yellow" and found.proposal.emergency_office_only


def test_two_provinces_and_four_units_are_below_the_thresholds():
    f = facts(units=[unit(1), unit(2), unit(3, "310000"), unit(4, "310000")])
    assert d.spread(f, T) is None
    assert d.spread(f, Thresholds(provinces=2)) is not None
    assert d.spread(f, Thresholds(units=4)) is not None


def test_five_units_in_one_province_go_to_that_province():
    f = facts(units=[unit(i) for i in range(1, 6)])
    found = d.spread(f, T)
    assert found is not None and found.target == "110000" and not found.national
    assert [r.code for r in found.reasons] == ["candidate.spread.units", "candidate.assessment"]
    assert found.unit_ids == (1, 2, 3, 4, 5)
    assert found.assessment.extent.value == "region_or_sector"
    assert found.assessment.harm.value == "general" and found.proposal.level.value == "blue"
    assert not found.proposal.emergency_office_only


def test_unattributed_events_make_a_one_province_spread_national():
    f = facts(units=[unit(i) for i in range(1, 6)], unattributed=3)
    assert d.spread(f, T).target == NATIONAL


def test_units_with_no_events_do_not_count():
    f = facts(units=[unit(i, count=0 if i > 4 else 1) for i in range(1, 6)])
    assert d.spread(f, T) is None


def test_a_cii_unit_opens_a_national_candidate():
    f = facts(units=[unit(1, cii=True, count=2), unit(2)])
    found = d.cii(f, T)
    assert found is not None and found.rule is Rule.CII and found.target == NATIONAL
    assert found.unit_ids == (1,) and found.reasons[0].source.startswith("Law art. 31")
    assert (found.assessment.extent.value, found.assessment.harm.value) == (
        "single_unit", "relatively_major")
    assert found.proposal.level.value == "yellow"
    assert d.cii(facts(units=[unit(1), unit(2)]), T) is None
    assert d.cii(f, Thresholds(cii_min_count=3)) is None


def test_cii_units_in_two_provinces_are_graver():
    f = facts(units=[unit(1, cii=True), unit(2, "310000", cii=True)])
    found = d.cii(f, T)
    assert found.assessment.harm.value == "major"
    assert found.proposal.report_to_emergency_office


def test_spike_against_the_seven_day_baseline():
    quiet = [10] * 7  # ten a day
    assert d.baseline_per_window(facts(baseline=quiet, count=0), T) == 10
    assert d.spike(facts(units=[unit(1, count=29)], baseline=quiet), T) is None  # below 50
    assert d.spike(facts(units=[unit(1, count=29)], baseline=quiet),
                   Thresholds(spike_min_count=20)) is None  # 29 < 3 × 10
    found = d.spike(facts(units=[unit(1, count=30)], baseline=quiet),
                    Thresholds(spike_min_count=20))
    assert found is not None and found.rule is Rule.SPIKE and found.target == "110000"
    assert "30" in found.reasons[0].text_en and "10.0" in found.reasons[0].text_en
    assert found.assessment.likelihood.value == "medium"


def test_spike_baseline_scales_with_the_window_and_floors_at_one_a_day():
    f = facts(units=[unit(1, count=60)], baseline=[])  # a new indicator
    assert d.spike(f, T) is not None
    assert d.spike(facts(units=[unit(1, count=49)], baseline=[]), T) is None
    six = Thresholds(window_hours=6, spike_min_count=5)
    assert d.baseline_per_window(facts(baseline=[40] * 7, count=0), six) == 10
    assert d.spike(facts(units=[unit(1, count=29)], baseline=[40] * 7), six) is None
    assert d.spike(facts(units=[unit(1, count=30)], baseline=[40] * 7), six) is not None


def test_detect_runs_every_rule():
    f = facts(units=[unit(1, cii=True, count=100), unit(2, "310000"), unit(3, "440000")],
              baseline=[1] * 7)
    assert [x.rule for x in d.detect([f], T)] == [Rule.SPREAD, Rule.CII, Rule.SPIKE]
    assert d.detect([facts(units=[unit(1)])], T) == []


def test_extent_reaches_national_at_sixteen_provinces():
    provinces = [str(110000 + i * 10000) for i in range(16)]
    assert d.extent_of(16, provinces, True).value == "national"
    assert d.extent_of(15, provinces[:15], True).value == "several_provinces_or_sectors"


@pytest.mark.parametrize(("kw", "ok"), [({}, True), ({"provinces": 0}, False),
                                        ({"spike_factor": 1.0}, False),
                                        ({"window_hours": 0}, False)])
def test_thresholds_are_checked(kw, ok):
    if ok:
        Thresholds(**kw)
    else:
        with pytest.raises(ValueError):
            Thresholds(**kw)


@pytest.mark.parametrize(("indicator", "column"), [
    ("malware:emotet", ("malware", "emotet")), ("domain:evil.cn", ("domain", "evil.cn")),
    ("url:http://a.cn/x", ("url", "http://a.cn/x")), ("hash:ab12", ("hash", "ab12")),
    ("port:445", ("destination_port", 445)), ("CVE-2024-3400", ("cve", "CVE-2024-3400")),
    ("suricata:2024217", None), ("kind:scanner", None)])
def test_event_filter_names_the_events_column(indicator, column):
    assert d.event_filter("x", indicator) == column


def test_indicator_labels_are_bilingual():
    assert d.indicator_label("malware:emotet") == ("恶意程序家族 emotet", "malware family emotet")
    assert d.indicator_label("suricata:1") == ("suricata:1", "suricata:1")
