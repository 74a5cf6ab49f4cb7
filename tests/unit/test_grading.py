"""Explainable grading (domain.md §3): Plan §1.4 criteria ①–③ with annexes 2 and 3, and the CAC
2025 grading guide's thresholds, checked against shared/standards rather than against the
profile itself."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fenghuo.incident import grading
from fenghuo.incident.grading import (
    DEGREE_FACTS,
    FLAGS,
    QUANTITIES,
    Degree,
    Grade,
    GradingFacts,
    GradingProfile,
    ProfileError,
    Threshold,
    grade,
    load_profile,
)

STANDARDS = Path(__file__).parents[3] / "shared" / "standards"
MEASURES = STANDARDS / "cn-cac-incident-reporting-measures-2025.json"
needs_standards = pytest.mark.skipif(
    not MEASURES.is_file(),
    reason=f"reference standard {MEASURES} is absent (shared/ sits next to the repo)",
)

PLAN = load_profile("plan2017")
CAC = load_profile("cac2025")
PROFILES = [PLAN, CAC]

#: Plan §1.4 (1)–(3): the degree each grade needs under criteria ①–③
DEGREE_TO_GRADE = [(Degree.ESPECIALLY_SERIOUS, Grade.ESPECIALLY_MAJOR),
                   (Degree.SERIOUS, Grade.MAJOR),
                   (Degree.RELATIVELY_SERIOUS, Grade.RELATIVELY_MAJOR)]
CRITERIA = [(1, "system_loss"), (2, "data_threat"), (3, "other_threat")]


def codes(result: grading.GradingResult) -> set[str]:
    return {r.code for r in result.reasons}


# --- grades and degrees (Plan §1.4) -----------------------------------------------------------


def test_four_grades_ordered_with_bilingual_labels_and_levels():
    """Plan §1.4: 特别重大 (I) > 重大 (II) > 较大 (III) > 一般 (IV)."""
    ordered = sorted(Grade, key=lambda g: g.rank, reverse=True)
    assert ordered == [Grade.ESPECIALLY_MAJOR, Grade.MAJOR, Grade.RELATIVELY_MAJOR, Grade.GENERAL]
    assert [g.level for g in ordered] == ["I", "II", "III", "IV"]
    assert [g.label_zh for g in ordered] == ["特别重大", "重大", "较大", "一般"]
    assert all(g.label_en for g in ordered)
    assert grading.GRADE_LABELS[Grade.MAJOR] == ("重大", "major")
    assert Grade.highest(["general", Grade.MAJOR, "relatively_major"]) == Grade.MAJOR
    assert Grade.highest([]) == Grade.GENERAL


def test_degrees_ordered_with_bilingual_labels():
    """Plan annex 3: 特别严重 > 严重 > 较大 (§1.4: 较严重) > 较小."""
    ordered = sorted(Degree, key=lambda d: d.rank, reverse=True)
    assert ordered == [Degree.ESPECIALLY_SERIOUS, Degree.SERIOUS, Degree.RELATIVELY_SERIOUS,
                       Degree.MINOR]
    assert all(d.label_zh and d.label_en for d in Degree)


# --- qualitative criteria (Plan §1.4, annexes 2 and 3) ----------------------------------------


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
@pytest.mark.parametrize(("number", "fact"), CRITERIA)
@pytest.mark.parametrize(("degree", "expected"), DEGREE_TO_GRADE)
def test_each_criterion_at_each_degree(profile, number, fact, degree, expected):
    """Plan §1.4 (1)–(3) criteria ①②③: especially serious → I, serious → II, relatively serious
    (annex 3: relatively large loss) → III. Criterion ① on an important system (annex 2)."""
    result = grade(GradingFacts(important_system=True, **{fact: degree}), profile)
    assert result.grade == expected
    assert len(result.reasons) == 1
    reason = result.reasons[0]
    assert reason.code == f"plan.criterion{number}.{degree.value}"
    assert reason.grade == expected and reason.confirmed
    assert "Plan §1.4" in reason.source and "①②③"[number - 1] in reason.source
    assert "①②③"[number - 1] in reason.text_zh
    if number == 1:
        assert "annex 3" in reason.source and "annex 2" in reason.source


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
@pytest.mark.parametrize("fact", ["system_loss", "data_threat", "other_threat"])
def test_minor_degree_reaches_no_criterion(profile, fact):
    """Plan §1.4 (4) and annex 3 d): a smaller loss or some threat leaves the incident general."""
    result = grade(GradingFacts(important_system=True, **{fact: Degree.MINOR}), profile)
    assert result.grade == Grade.GENERAL
    assert codes(result) == {"plan.general"}


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
@pytest.mark.parametrize(("degree", "_expected"), DEGREE_TO_GRADE)
def test_criterion1_ignored_for_a_system_that_is_not_important(profile, degree, _expected):
    """Plan §1.4 criterion ① concerns important network and information systems (annex 2) only."""
    result = grade(GradingFacts(important_system=False, system_loss=degree), profile)
    assert result.grade == Grade.GENERAL
    assert not any(r.code.startswith("plan.criterion1") for r in result.reasons)


def test_loss_of_a_system_that_is_not_important_may_still_fire_criterion3():
    """Plan §1.4 criterion ③: the caller may judge the same loss as another threat."""
    result = grade(GradingFacts(system_loss=Degree.ESPECIALLY_SERIOUS,
                                other_threat=Degree.SERIOUS), PLAN)
    assert result.grade == Grade.MAJOR
    assert codes(result) == {"plan.criterion3.serious"}


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
def test_general_fallback_is_explained(profile):
    """Plan §1.4 (4): otherwise, some threat or impact → general."""
    result = grade(GradingFacts(), profile)
    assert result.grade == Grade.GENERAL
    (reason,) = result.reasons
    assert reason.code == "plan.general" and reason.grade == Grade.GENERAL
    assert reason.source == "Plan §1.4 (4)" and reason.confirmed
    assert "一定威胁" in reason.text_zh and "some threat or impact" in reason.text_en


def test_highest_grade_wins_and_every_fired_reason_is_listed_highest_first():
    """Plan §1.4 ("符合下列情形之一"): the highest grade any criterion reaches wins."""
    facts = GradingFacts(important_system=True, system_loss=Degree.RELATIVELY_SERIOUS,
                         data_threat=Degree.ESPECIALLY_SERIOUS, other_threat=Degree.SERIOUS)
    result = grade(facts, PLAN)
    assert result.grade == Grade.ESPECIALLY_MAJOR
    assert [r.code for r in result.reasons] == [
        "plan.criterion2.especially_serious", "plan.criterion3.serious",
        "plan.criterion1.relatively_serious"]
    ranks = [r.grade.rank for r in result.reasons]
    assert ranks == sorted(ranks, reverse=True)


def test_qualitative_and_quantitative_reasons_together():
    """Plan §1.4 with the CAC 2025 guide: a threshold may raise the grade above a criterion."""
    facts = GradingFacts(important_system=True, system_loss=Degree.RELATIVELY_SERIOUS,
                         personal_records_leaked=100_000_000)
    result = grade(facts, CAC)
    assert result.grade == Grade.ESPECIALLY_MAJOR
    assert result.reasons[0].code == "cac2025.personal_records.especially_major"
    assert {"plan.criterion1.relatively_serious", "cac2025.personal_records.major",
            "cac2025.personal_records.relatively_major"} <= codes(result)
    assert "plan.general" not in codes(result)


def test_degree_facts_accept_their_string_values():
    """The API passes degrees as strings ("serious") as well as enum members."""
    facts = GradingFacts(important_system=True, system_loss="serious")
    assert facts.system_loss is Degree.SERIOUS
    assert grade(facts, PLAN).grade == Grade.MAJOR


@pytest.mark.parametrize("bad", [-1, math.nan])
def test_quantities_must_be_non_negative_numbers(bad):
    with pytest.raises(ValueError):
        GradingFacts(direct_loss_yuan=bad)


# --- plan2017 ignores quantities --------------------------------------------------------------


def huge_facts() -> GradingFacts:
    return GradingFacts(**{q: 10**12 for q in QUANTITIES}, **{f: True for f in FLAGS})


def test_plan2017_has_no_thresholds_and_ignores_quantities():
    """Plan §1.4 is qualitative: quantities alone never raise the grade under plan2017."""
    assert PLAN.thresholds == ()
    result = grade(huge_facts(), PLAN)
    assert result.grade == Grade.GENERAL and codes(result) == {"plan.general"}


# --- cac2025 thresholds against the standards data --------------------------------------------

GRADE_ZH = {Grade.ESPECIALLY_MAJOR: "特别重大", Grade.MAJOR: "重大",
            Grade.RELATIVELY_MAJOR: "较大"}

#: threshold code → (key in the final 2025 guide, key in the 2023 draft); the defacement keys sit
#: inside the "…范围" mappings of the guide's item 6
SOURCE_KEYS = {
    "portal_outage": ("portal_outage_hours", "portal_outage_hours"),
    "cii_outage": ("cii_total_outage_hours", "cii_total_outage_hours"),
    "cii_main_function_outage": ("cii_main_function_outage_hours",
                                 "cii_main_function_outage_hours"),
    "province_population": ("population_pct_of_province", "single_province_population_pct"),
    "prefecture_population": (None, "single_prefecture_population_pct"),
    "people_affected": ("people_affected", "utilities_people"),
    "personal_records": ("pi_people", "pi_people"),
    "defacement_homepage": ("homepage_hours", "homepage_hours"),
    "defacement_other_page": ("other_page_hours", "other_page_hours"),
    "defacement_reposts": ("social_reposts", "social_reposts"),
    "defacement_exposure": ("views_or_clicks", "views_or_clicks"),
    "direct_loss": ("direct_loss_cny", "direct_loss_cny"),
}


def _find(node: Any, key: str) -> Any:
    """The first value under ``key`` anywhere in ``node`` (dicts and lists)."""
    if isinstance(node, dict):
        if key in node:
            return node[key]
        node = list(node.values())
    if isinstance(node, list):
        for item in node:
            found = _find(item, key)
            if found is not None:
                return found
    return None


@pytest.fixture(scope="module")
def measures() -> dict[str, Any]:
    if not MEASURES.is_file():
        pytest.skip(f"reference standard {MEASURES} is absent")
    return json.loads(MEASURES.read_text(encoding="utf-8"))


def expected_threshold(measures: dict[str, Any], code: str, g: Grade) -> tuple[float, bool] | None:
    """(boundary, confirmed) for a threshold as the standards data gives it: the final 2025 value
    where present (confirmed), else the 2023 draft value (unconfirmed); None if neither has one."""
    final_key, draft_key = SOURCE_KEYS[code]
    final = measures["grading_guide_final_2025"][GRADE_ZH[g]]
    value = _find(final, final_key) if final_key else None
    if isinstance(value, int | float):
        return float(value), True
    draft = measures["grading_guide_draft_2023_12_08"][GRADE_ZH[g]]
    value = _find(draft, draft_key)
    if value is None and draft_key == "homepage_hours":
        minutes = _find(draft, "homepage_minutes")
        value = None if minutes is None else minutes / 60
    return (float(value), False) if isinstance(value, int | float) else None


def cac_threshold(code: str, g: Grade) -> Threshold:
    (t,) = [t for t in CAC.thresholds if t.code == code and t.grade == g]
    return t


ALL_CASES = [(code, g) for code in SOURCE_KEYS for g in GRADE_ZH]
CAC_CASES = sorted({(t.code, t.grade) for t in CAC.thresholds}, key=lambda c: (c[0], -c[1].rank))


@needs_standards
def test_cac2025_has_exactly_the_thresholds_the_standards_give(measures):
    """CAC 2025 guide (final where recovered, else the 2023-12-08 draft): every numeric bound the
    standards data gives for 特别重大/重大/较大 is in the profile, and nothing else."""
    given_by_source = {(code, g) for code, g in ALL_CASES
                       if expected_threshold(measures, code, g) is not None}
    assert {(t.code, t.grade) for t in CAC.thresholds} == given_by_source


@needs_standards
@pytest.mark.parametrize(("code", "g"), CAC_CASES, ids=[f"{c}-{g.value}" for c, g in CAC_CASES])
def test_cac2025_threshold_matches_source_and_confirmation(measures, code, g):
    """CAC 2025 guide: boundary and confirmed status exactly as shared/standards gives them;
    an unconfirmed value says in its source that it is the 2023 draft's."""
    t = cac_threshold(code, g)
    boundary, confirmed = expected_threshold(measures, code, g)
    assert t.minimum == pytest.approx(boundary)
    assert t.confirmed is confirmed
    if confirmed:
        assert "final" in t.source
    else:
        assert "2023-12-08 draft" in t.source and "not confirmed" in t.source
    assert GRADE_ZH[g] in t.source


def _facts_at(t: Threshold, value: float) -> GradingFacts:
    flags = {t.requires[0]: True} if t.requires else {}
    return GradingFacts(**{t.quantity: value}, **flags)


def _just_below(t: Threshold) -> float:
    field_type = {f.name: f.type for f in dataclasses.fields(GradingFacts)}[t.quantity]
    if str(field_type).startswith("int"):
        return int(t.minimum) - 1
    return math.nextafter(t.minimum, 0)


@needs_standards
@pytest.mark.parametrize(("code", "g"), CAC_CASES, ids=[f"{c}-{g.value}" for c, g in CAC_CASES])
def test_cac2025_threshold_boundary(measures, code, g):
    """CAC 2025 guide: "以上均包括本数", so the boundary itself fires and anything below does not.
    The boundary is read from the standards data, not from the profile."""
    t = cac_threshold(code, g)
    boundary, confirmed = expected_threshold(measures, code, g)
    reason_code = f"cac2025.{code}.{g.value}"

    at = grade(_facts_at(t, boundary), CAC)
    assert at.grade == g
    (reason,) = [r for r in at.reasons if r.code == reason_code]
    assert reason.grade == g and reason.confirmed is confirmed
    assert reason.source == t.source

    below = grade(_facts_at(t, _just_below(t)), CAC)
    assert reason_code not in codes(below)
    assert below.grade.rank < g.rank


@pytest.mark.parametrize("code", ["portal_outage", "cii_outage", "cii_main_function_outage"])
def test_outage_thresholds_need_the_kind_of_system(code):
    """CAC 2025 guide items 1–2: the outage bounds concern party and government portals or key
    news sites, and critical information infrastructure; other systems' outages do not count."""
    t = cac_threshold(code, Grade.ESPECIALLY_MAJOR)
    result = grade(GradingFacts(**{t.quantity: 10_000}), CAC)
    assert result.grade == Grade.GENERAL
    assert not any(r.code.startswith(f"cac2025.{code}.") for r in result.reasons)


def test_a_provincial_portal_counts_for_the_draft_prefectural_bounds_too():
    """Draft guide 重大 item 1: "地市级以上" portals include provincial ones."""
    result = grade(GradingFacts(outage_hours=6, provincial_portal=True), CAC)
    assert result.grade == Grade.MAJOR
    assert "cac2025.portal_outage.major" in codes(result)


def test_unconfirmed_thresholds_are_marked_in_the_reasons():
    """shared/standards: draft-only values stay unconfirmed in the explanation of a grade."""
    result = grade(GradingFacts(cii=True, outage_hours=3), CAC)
    assert result.grade == Grade.MAJOR
    assert result.reasons and all(not r.confirmed for r in result.reasons)
    assert not result.confirmed
    assert "未经确认" in result.reasons[0].text_zh and "unconfirmed" in result.reasons[0].text_en
    confirmed = grade(GradingFacts(personal_records_leaked=10_000_000), CAC)
    assert confirmed.grade == Grade.MAJOR and confirmed.confirmed
    assert all(r.confirmed for r in confirmed.reasons)


def test_cac2025_deadlines_follow_art4_and_art8():
    """CAC 2025 art. 4: CII operator 1 h, central organs 2 h, others 4 h; escalation by the
    protection department 0.5 h, by a department's or the provincial office 1 h; art. 8: 30 days."""
    assert dict(CAC.operator_report_hours) == {"cii_operator": 1, "central_department": 2,
                                               "other_operator": 4}
    assert dict(CAC.escalation_hours) == {"protection_department": 0.5, "department_office": 1,
                                          "provincial_office": 1}
    assert CAC.final_report_days == 30


@needs_standards
def test_cac2025_deadlines_match_the_standards(measures):
    """CAC 2025 art. 4 and art. 8, as recorded in shared/standards."""
    chains = {c["reporter"]: c for c in measures["reporting_chains_art4"]}
    assert CAC.operator_report_hours["cii_operator"] == (
        chains["涉及关键信息基础设施的网络运营者"]["deadline_hours"])
    assert CAC.operator_report_hours["central_department"] == (
        chains["中央和国家机关各部门及其直属单位"]["deadline_hours"])
    assert CAC.operator_report_hours["other_operator"] == chains["其他网络运营者"]["deadline_hours"]
    assert CAC.escalation_hours["protection_department"] == (
        chains["涉及关键信息基础设施的网络运营者"]["escalation"]["deadline_hours"])
    assert CAC.escalation_hours["department_office"] == (
        chains["中央和国家机关各部门及其直属单位"]["escalation"]["deadline_hours"])
    assert CAC.escalation_hours["provincial_office"] == (
        chains["其他网络运营者"]["escalation"]["deadline_hours"])
    assert CAC.final_report_days == measures["other_rules"]["final_report_art8_days"]


def test_plan2017_deadlines_are_immediately():
    """Plan §4.1 (立即, taken as immediate_minutes) and Plan §5 (30 days)."""
    hours = PLAN.immediate_minutes / 60
    assert set(PLAN.operator_report_hours.values()) == {hours}
    assert set(PLAN.escalation_hours.values()) == {hours}
    assert PLAN.final_report_days == 30


def test_clock_settings_carry_the_profile_deadlines():
    from fenghuo.incident.rules import ClockSettings

    clocks = grading.clock_settings(CAC, ClockSettings)
    assert (clocks.report_hours_cii, clocks.report_hours_central, clocks.report_hours_other) == (
        1, 2, 4)
    assert (clocks.escalation_hours_protection, clocks.escalation_hours_office) == (0.5, 1)
    assert clocks.final_report_days == 30 and clocks.immediate_minutes == CAC.immediate_minutes


# --- profiles ---------------------------------------------------------------------------------


def test_available_profiles_and_unknown_names():
    assert {"plan2017", "cac2025"} <= set(grading.available_profiles())
    assert load_profile("cac2025") is CAC  # cached
    for bad in ["nope", "../cac2025", ""]:
        with pytest.raises(ProfileError):
            load_profile(bad)


def test_malformed_profiles_are_rejected():
    base = {"name": "x", "title_zh": "甲", "title_en": "x", "final_report_days": 30,
            "operator_report_hours": {k: 1 for k in grading.REPORTER_KINDS},
            "escalation_hours": {k: 1 for k in grading.ESCALATION_KINDS}}
    assert isinstance(grading.parse_profile(base, "x"), GradingProfile)
    threshold = {"quantity": "people_affected", "minimum": 1, "grade": "major",
                 "confirmed": True, "source": "s", "text_zh": "甲", "text_en": "a"}
    bad_thresholds = [{**threshold, "quantity": "nope"}, {**threshold, "grade": "general"},
                      {**threshold, "requires": ["nope"]}, {**threshold, "minimum": -1},
                      {**threshold, "confirmed": "yes"}, {**threshold, "text_en": ""}]
    for bad in bad_thresholds:
        with pytest.raises(ProfileError):
            grading.parse_profile({**base, "thresholds": [bad]}, "x")
    with pytest.raises(ProfileError):
        grading.parse_profile({**base, "thresholds": [threshold, threshold]}, "x")
    with pytest.raises(ProfileError):
        grading.parse_profile({**base, "operator_report_hours": {"cii_operator": 1}}, "x")
    with pytest.raises(ProfileError):
        grading.parse_profile({**base, "name": "y"}, "x")


# --- bilingual, serialisable explanations -----------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
def test_profile_texts_are_bilingual(profile):
    assert profile.title_zh and profile.title_en
    for t in profile.thresholds:
        assert t.text_zh.strip() and t.text_en.strip() and t.source.strip()


def test_every_reason_is_bilingual_and_serialisable():
    facts = dataclasses.replace(huge_facts(), system_loss=Degree.SERIOUS,
                                data_threat=Degree.RELATIVELY_SERIOUS,
                                other_threat=Degree.ESPECIALLY_SERIOUS)
    result = grade(facts, CAC)
    assert len(result.reasons) == 3 + len(CAC.thresholds)  # every criterion and threshold fired
    for r in result.reasons:
        assert r.text_zh.strip() and r.text_en.strip() and r.source.strip()
    data = json.loads(json.dumps(result.as_dict(), ensure_ascii=False))
    assert data["grade"] == "especially_major" and data["level"] == "I"
    assert data["label_zh"] == "特别重大" and data["profile"] == "cac2025"
    assert data["reasons"][0] == result.reasons[0].as_dict()
    assert set(data["reasons"][0]) == {"code", "grade", "source", "text_zh", "text_en",
                                       "confirmed"}


# --- monotonicity (hypothesis) ----------------------------------------------------------------

degrees = st.none() | st.sampled_from(Degree)
hours = st.none() | st.floats(min_value=0, max_value=100, allow_nan=False)
counts = st.none() | st.integers(min_value=0, max_value=10**9)
QUANTITY_STRATEGIES = {
    q: hours if q.endswith("_hours") else (
        st.none() | st.floats(min_value=0, max_value=100, allow_nan=False) if q.endswith("_pct")
        else st.none() | st.floats(min_value=0, max_value=1e9, allow_nan=False)
        if q == "direct_loss_yuan" else counts)
    for q in QUANTITIES}
facts_strategy = st.builds(
    GradingFacts,
    **{f: st.booleans() for f in FLAGS},
    **{d: degrees for d in DEGREE_FACTS},
    **QUANTITY_STRATEGIES,
)


def _more(a: Any, b: Any) -> Any:
    """The larger of two values of one fact: None < any value; degrees by rank; flags by or."""
    if a is None or b is None:
        return b if a is None else a
    if isinstance(a, Degree):
        return max(a, b, key=lambda d: d.rank)
    return max(a, b)


@given(facts_strategy, facts_strategy, st.sampled_from(PROFILES))
def test_adding_a_fact_never_lowers_the_grade(base, extra, profile):
    """Plan §1.4 ("符合下列情形之一"): more or graver facts can only keep or raise the grade."""
    more = GradingFacts(**{f.name: _more(getattr(base, f.name), getattr(extra, f.name))
                           for f in dataclasses.fields(GradingFacts)})
    before, after = grade(base, profile), grade(more, profile)
    assert after.grade.rank >= before.grade.rank
    # every criterion or threshold that fired still fires, at the same or a graver grade
    reached_after = _reached(after)
    for rule, rank in _reached(before).items():
        assert reached_after.get(rule, 0) >= rank


def _reached(result: grading.GradingResult) -> dict[str, int]:
    """Rule (reason code without its last part) → the highest grade rank it reached."""
    reached: dict[str, int] = {}
    for r in result.reasons:
        if r.code != "plan.general":
            rule = r.code.rsplit(".", 1)[0]
            reached[rule] = max(reached.get(rule, 0), r.grade.rank)
    return reached
