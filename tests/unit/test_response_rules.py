"""Pure rules of emergency response (no database): Plan §2.1–2.2, §4.2, §4.3, §5;
City §3.3.3–3.3.4; CAC 2025 art. 8."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fenghuo.common import reasons
from fenghuo.incident.grading import Grade
from fenghuo.org.rules import BodyFacts, BodyFunction, BodyKind, JurisdictionLevel
from fenghuo.response import ending, investigation, rules
from fenghuo.response.ending import may_approve_end, may_end, may_propose_end, notify_on_end
from fenghuo.response.investigation import (
    REPORT_SECTIONS,
    InvestigationState,
    Organizer,
    can_transition_report,
    investigation_plan,
    investigation_state,
    missing_sections,
)
from fenghuo.response.rules import (
    DEFAULT_CADENCE,
    Actor,
    ProgressState,
    ResponseLevel,
    Subject,
    SupportState,
    activation_effects,
    can_transition_support,
    level_for_grade,
    may_activate,
    may_coordinate,
    may_request,
    needs_headquarters,
    next_due,
    progress_state,
)
from fenghuo.warning import rules as warning_rules

I, II, III, IV = ResponseLevel.I, ResponseLevel.II, ResponseLevel.III, ResponseLevel.IV  # noqa: E741
EM, MAJ, RMAJ, GEN = (Grade.ESPECIALLY_MAJOR, Grade.MAJOR, Grade.RELATIVELY_MAJOR,
                      Grade.GENERAL)
# jurisdictions: 1 nation; 2 Beijing, 3 Shanghai; 9 a Beijing city; 27 a county of city 9
NATION, BJ, SH, BJ_CITY, BJ_COUNTY = "/1/", "/1/2/", "/1/3/", "/1/2/9/", "/1/2/9/27/"

EO = Actor(1, BodyKind.OFFICE, NATION, function=BodyFunction.NATIONAL_EMERGENCY_OFFICE)
CAC = Actor(2, BodyKind.OFFICE, NATION)
MIIT = Actor(3, BodyKind.DEPARTMENT, NATION, frozenset({"telecom"}))
BJ_OFFICE = Actor(10, BodyKind.OFFICE, BJ)
BJ_FINANCE = Actor(11, BodyKind.DEPARTMENT, BJ, frozenset({"finance"}))
SH_OFFICE = Actor(12, BodyKind.OFFICE, SH)
CITY_OFFICE = Actor(20, BodyKind.OFFICE, BJ_CITY)
CITY_DEPT = Actor(21, BodyKind.DEPARTMENT, BJ_CITY, frozenset({"finance"}))
COUNTY_OFFICE = Actor(30, BodyKind.OFFICE, BJ_COUNTY)
CNCERT = Actor(40, BodyKind.CERT, NATION)
HQ = Actor(50, BodyKind.HEADQUARTERS, NATION)
OPERATOR = Actor(60, BodyKind.OPERATOR, BJ_CITY, frozenset({"finance"}))
ACTORS = (EO, CAC, MIIT, BJ_OFFICE, BJ_FINANCE, SH_OFFICE, CITY_OFFICE, CITY_DEPT,
          COUNTY_OFFICE, CNCERT, HQ, OPERATOR)

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def subject(grade: Grade, path: str = BJ_CITY, sector: str | None = "telecom") -> Subject:
    return Subject(path, sector, grade)


def codes(decision) -> list[str]:
    return [r.code for r in decision.refusals]


def bilingual(reason) -> bool:
    return bool(reason.code and reason.source and reason.text_zh.strip()
                and reason.text_en.strip())


def all_reasons(decision):
    return list(decision.refusals) + ([decision.basis] if decision.basis else [])


# --- shared decision shape ---------------------------------------------------------------------


def test_decision_moved_to_common_reasons_and_still_importable_from_warning_rules():
    assert warning_rules.Decision is reasons.Decision
    assert warning_rules.decide is reasons.decide
    allowed = reasons.decide((), reasons.Reason("x", "Plan §4.2", "允许", "allowed"))
    refused = reasons.decide([reasons.Reason("y", "Plan §4.2", "拒绝", "refused")],
                             reasons.Reason("x", "Plan §4.2", "允许", "allowed"))
    assert allowed.allowed and allowed.basis.code == "x"
    assert not refused.allowed and refused.basis is None
    assert refused.as_dict()["refusals"][0]["code"] == "y"


# --- levels (Plan §4.2) ------------------------------------------------------------------------


class TestLevels:
    """Plan §4.2: four levels for especially major, major, relatively major, general; I highest."""

    @pytest.mark.parametrize(("grade", "level", "zh", "en"), [
        (EM, I, "Ⅰ级响应", "Level I response"), (MAJ, II, "Ⅱ级响应", "Level II response"),
        (RMAJ, III, "Ⅲ级响应", "Level III response"), (GEN, IV, "Ⅳ级响应", "Level IV response"),
    ])
    def test_plan_4_2_level_for_grade_and_labels(self, grade, level, zh, en):
        assert level_for_grade(grade) is level
        assert level_for_grade(grade.value) is level
        assert level.grade is grade
        assert (level.label_zh, level.label_en) == (zh, en) == rules.LEVEL_LABELS[level]

    def test_plan_4_2_level_i_is_highest(self):
        assert [lv.rank for lv in rules.LEVELS_DESC] == [4, 3, 2, 1]
        assert ResponseLevel("I") is I

    @given(st.sampled_from(list(Grade)), st.sampled_from(list(Grade)))
    def test_plan_4_2_level_follows_grade_ordering(self, a, b):
        la, lb = level_for_grade(a), level_for_grade(b)
        assert la.rank == a.rank and lb.rank == b.rank
        assert (la.rank < lb.rank) == (a.rank < b.rank)
        assert la.value == a.level  # Grade.level is the same roman numeral


class TestActorAndSubject:
    def test_level_from_path_depth(self):
        assert [a.level for a in (EO, BJ_OFFICE, CITY_OFFICE, COUNTY_OFFICE)] == [
            JurisdictionLevel.NATIONAL, JurisdictionLevel.PROVINCE, JurisdictionLevel.CITY,
            JurisdictionLevel.COUNTY]

    def test_plan_2_2_emergency_office_only_at_national_level(self):
        assert EO.is_national_emergency_office
        assert not CAC.is_national_emergency_office
        fake = Actor(9, BodyKind.OFFICE, BJ, function=BodyFunction.NATIONAL_EMERGENCY_OFFICE)
        assert not fake.is_national_emergency_office

    def test_from_body_and_coercion(self):
        body = BodyFacts(10, BodyKind.OFFICE, BJ, frozenset())
        assert Actor.from_body(body) == BJ_OFFICE
        eo = Actor.from_body(BodyFacts(1, BodyKind.OFFICE, NATION, frozenset()),
                             "national_emergency_office")
        assert eo.is_national_emergency_office
        assert Subject(BJ, None, "major").grade is MAJ

    @pytest.mark.parametrize("path", ["", "/", "1/2/", "/1/2", "/1/2/3/4/5/"])
    def test_bad_paths_are_refused(self, path):
        with pytest.raises(ValueError):
            Actor(1, BodyKind.OFFICE, path)
        with pytest.raises(ValueError):
            Subject(path, None, GEN)


# --- activation (Plan §4.2.1–4.2.3) -------------------------------------------------------------


class TestActivation:
    def test_plan_4_2_1_emergency_office_activates_level_i(self):
        d = may_activate(EO, I, subject(EM))
        assert d.allowed and d.basis.code == "activate.level_i"
        assert "§4.2.1" in d.basis.source

    @pytest.mark.parametrize("actor", [BJ_OFFICE, MIIT, CAC, BJ_FINANCE, CITY_OFFICE])
    def test_plan_4_2_1_a_province_or_department_cannot_activate_level_i(self, actor):
        d = may_activate(actor, I, subject(EM, sector="finance" if actor is BJ_FINANCE
                                           else "telecom"))
        assert codes(d) == ["activate.level_reserved"]
        assert "§4.2.1" in d.refusals[0].source and d.basis is None

    @pytest.mark.parametrize(("level", "grade"), [
        (I, MAJ),  # higher than the grade
        (II, EM),  # lower than the grade
        (II, RMAJ), (III, MAJ), (IV, RMAJ), (III, GEN),
    ])
    def test_plan_4_2_a_level_that_does_not_match_the_grade_is_refused(self, level, grade):
        actor = EO if level == I else BJ_OFFICE
        d = may_activate(actor, level, subject(grade))
        assert codes(d) == ["activate.level_mismatch"]
        assert "regrade" in d.refusals[0].text_en and "重新定级" in d.refusals[0].text_zh

    def test_plan_4_2_2_province_office_activates_level_ii_in_its_region(self):
        d = may_activate(BJ_OFFICE, II, subject(MAJ))
        assert d.allowed and d.basis.code == "activate.level_ii"
        assert may_activate(BJ_OFFICE, "II", subject(MAJ, BJ, None)).allowed

    def test_plan_4_2_2_another_province_cannot_activate(self):
        assert codes(may_activate(SH_OFFICE, II, subject(MAJ))) == [
            "activate.outside_jurisdiction"]

    def test_plan_4_2_2_department_activates_level_ii_for_its_sector(self):
        assert may_activate(MIIT, II, subject(MAJ, SH, "telecom")).allowed
        assert may_activate(BJ_FINANCE, II, subject(MAJ, BJ_CITY, "finance")).allowed
        assert codes(may_activate(MIIT, II, subject(MAJ, sector="finance"))) == [
            "activate.not_sector"]
        assert codes(may_activate(MIIT, II, subject(MAJ, sector=None))) == [
            "activate.not_sector"]
        assert codes(may_activate(BJ_FINANCE, II, subject(MAJ, SH, "finance"))) == [
            "activate.outside_jurisdiction"]

    @pytest.mark.parametrize("actor", [CITY_OFFICE, CITY_DEPT, COUNTY_OFFICE])
    def test_plan_4_2_2_city_and_county_bodies_do_not_decide_level_ii(self, actor):
        d = may_activate(actor, II, subject(MAJ, BJ_COUNTY, "finance"))
        assert codes(d) == ["activate.jurisdiction_level"]

    @pytest.mark.parametrize(("actor", "path", "sector"), [
        (BJ_OFFICE, BJ_CITY, None), (CITY_OFFICE, BJ_COUNTY, "water"),
        (COUNTY_OFFICE, BJ_COUNTY, None), (CITY_DEPT, BJ_CITY, "finance"),
        (MIIT, SH, "telecom"),
    ])
    @pytest.mark.parametrize("grade", [RMAJ, GEN])
    def test_plan_4_2_3_region_or_department_runs_levels_iii_iv(self, actor, path, sector,
                                                                 grade):
        d = may_activate(actor, level_for_grade(grade), subject(grade, path, sector))
        assert d.allowed and d.basis.code == "activate.level_iii_iv"
        assert d.basis.source == "Plan §4.2.3"

    def test_plan_4_2_3_outside_jurisdiction_or_sector_is_refused(self):
        assert codes(may_activate(COUNTY_OFFICE, III, subject(RMAJ, BJ_CITY))) == [
            "activate.outside_jurisdiction"]
        assert codes(may_activate(CITY_DEPT, IV, subject(GEN, SH, "water"))) == [
            "activate.outside_jurisdiction", "activate.not_sector"]

    @pytest.mark.parametrize("actor", [EO, CAC])
    @pytest.mark.parametrize("grade", [MAJ, RMAJ, GEN])
    def test_plan_4_2_2_national_offices_leave_levels_ii_to_iv_to_the_region(self, actor,
                                                                             grade):
        d = may_activate(actor, level_for_grade(grade), subject(grade))
        assert codes(d) == ["activate.national_office"]

    @pytest.mark.parametrize("actor", [CNCERT, HQ, OPERATOR])
    def test_plan_4_2_only_offices_and_departments_activate(self, actor):
        assert codes(may_activate(actor, IV, subject(GEN, sector="finance"))) == [
            "activate.issuer_kind"]
        assert codes(may_activate(actor, I, subject(MAJ))) == [
            "activate.issuer_kind", "activate.level_mismatch"]

    @given(st.sampled_from(ACTORS), st.sampled_from(list(ResponseLevel)),
           st.sampled_from(list(Grade)), st.sampled_from([NATION, BJ, SH, BJ_CITY, BJ_COUNTY]),
           st.sampled_from([None, "telecom", "finance", "water"]))
    def test_plan_4_2_property_allowed_only_for_the_grade_level(self, actor, level, grade,
                                                                path, sector):
        d = may_activate(actor, level, Subject(path, sector, grade))
        assert d.allowed == (not d.refusals)
        if d.allowed:
            assert level is level_for_grade(grade)
            assert d.basis is not None
            assert level != I or actor is EO
        assert all(bilingual(r) for r in all_reasons(d))
        assert all(r.code.startswith("activate.") for r in all_reasons(d))


# --- effects (Plan §4.2; City §3.3.3–3.3.4) -----------------------------------------------------


class TestEffects:
    def test_plan_4_2_1_level_i_headquarters_duty_liaison_progress(self):
        effects = activation_effects(I)
        by_code = {e.code: e for e in effects}
        assert {"level_i.headquarters", "level_i.office_duty", "level_i.emergency_state",
                "level_i.liaison", "level_i.progress_reports"} <= set(by_code)
        assert by_code["level_i.headquarters"].needs_headquarters
        assert {e.code for e in effects if e.duty_24h} == {"level_i.office_duty",
                                                           "level_i.emergency_state"}
        assert all("§4.2.1" in e.source for e in effects)

    def test_plan_4_2_2_level_ii_emergency_state_report_notify_prevent(self):
        effects = activation_effects(II)
        assert [e.code for e in effects] == [
            "level_ii.emergency_state", "level_ii.report_developments",
            "level_ii.office_notifies", "level_ii.support", "level_ii.prevention"]
        assert not any(e.needs_headquarters or e.duty_24h for e in effects)

    @pytest.mark.parametrize("level", [III, IV])
    def test_plan_4_2_3_levels_iii_iv_own_plan(self, level):
        for city_level in (False, True):
            assert [e.code for e in activation_effects(level, city_level=city_level)] == [
                "level_iii_iv.own_plan"]

    @pytest.mark.parametrize("level", [I, II])
    def test_city_3_3_3_to_3_3_4_municipal_headquarters_and_field_command(self, level):
        effects = activation_effects(level, city_level=True)
        assert [e.code for e in effects[-2:]] == ["city.headquarters", "city.field_command"]
        assert effects[-2].needs_headquarters and effects[-2].source == "City §3.3.3"
        assert effects[-1].source == "City §3.3.4"
        assert activation_effects(level)[-1].code.startswith(f"level_{level.value.lower()}.")

    def test_needs_headquarters_plan_4_2_1_and_city_3_3_3(self):
        assert [needs_headquarters(lv) for lv in rules.LEVELS_DESC] == [True, False, False,
                                                                        False]
        assert [needs_headquarters(lv, city_level=True) for lv in rules.LEVELS_DESC] == [
            True, True, False, False]
        assert needs_headquarters("I")

    def test_every_effect_is_bilingual_and_cites(self):
        for level in ResponseLevel:
            for effect in activation_effects(level, city_level=True):
                assert bilingual(effect)
                assert effect.as_dict()["code"] == effect.code


# --- progress reports (Plan §4.2.1 ¶3, §4.2.2(2)) -----------------------------------------------


class TestProgress:
    def test_default_cadences_project_rule(self):
        assert [DEFAULT_CADENCE[lv] for lv in rules.LEVELS_DESC] == [
            timedelta(hours=h) for h in (2, 4, 12, 24)]

    def test_plan_4_2_1_4_2_2_levels_i_ii_report_to_the_office(self):
        assert [rules.reports_to_emergency_office(lv) for lv in rules.LEVELS_DESC] == [
            True, True, False, False]

    def test_next_due_from_start_then_from_last_report(self):
        cadence = timedelta(hours=2)
        assert next_due(None, T0, cadence) == T0 + cadence
        assert next_due(T0 + timedelta(hours=3), T0, cadence) == T0 + timedelta(hours=5)
        with pytest.raises(ValueError):
            next_due(None, T0, timedelta(0))

    def test_plan_4_2_1_missing_progress_report_is_overdue(self):
        cadence = DEFAULT_CADENCE[I]
        assert progress_state(None, T0, cadence, T0 + cadence) == ProgressState.DUE == "due"
        assert progress_state(None, T0, cadence, T0 + cadence + timedelta(seconds=1)) == (
            "overdue")
        last = T0 + timedelta(hours=1)
        assert progress_state(last, T0, cadence, T0 + timedelta(hours=2, minutes=30)) == "due"

    @given(st.integers(0, 10_000), st.integers(1, 1_440), st.booleans())
    def test_overdue_exactly_after_next_due(self, minutes, cadence_min, reported):
        cadence = timedelta(minutes=cadence_min)
        last = T0 + timedelta(minutes=7) if reported else None
        now = T0 + timedelta(minutes=minutes)
        state = progress_state(last, T0, cadence, now)
        assert (state == ProgressState.OVERDUE) == (now > next_due(last, T0, cadence))


# --- support requests (Plan §2.2, §4.2.2(3)) ----------------------------------------------------


class TestSupport:
    def test_plan_4_2_2_3_a_province_in_the_response_asks_through_the_office(self):
        d = may_request(BJ_OFFICE, {10, 3})
        assert d.allowed and "§4.2.2(3)" in d.basis.source
        assert may_request(MIIT, [3]).allowed

    def test_plan_4_2_2_3_request_refusals(self):
        assert codes(may_request(SH_OFFICE, {10})) == ["support.not_in_response"]
        assert codes(may_request(CNCERT, {40})) == ["support.requester_kind"]
        assert codes(may_request(HQ, set())) == ["support.requester_kind",
                                                  "support.not_in_response"]
        assert codes(may_request(EO, {1, 10})) == ["support.office_directs"]

    def test_plan_4_2_2_3_only_the_emergency_office_coordinates(self):
        assert may_coordinate(EO).allowed
        for actor in (BJ_OFFICE, MIIT, CAC, HQ):
            assert codes(may_coordinate(actor)) == ["support.not_emergency_office"]

    @pytest.mark.parametrize(("current", "target", "ok"), [
        ("requested", "coordinating", True), ("coordinating", "dispatched", True),
        ("dispatched", "closed", True), ("requested", "declined", True),
        ("coordinating", "declined", True), ("requested", "dispatched", False),
        ("dispatched", "declined", False), ("closed", "requested", False),
        ("declined", "coordinating", False),
    ])
    def test_support_flow(self, current, target, ok):
        d = can_transition_support(current, target)
        assert d.allowed is ok
        assert all(bilingual(r) for r in all_reasons(d))
        if not ok:
            assert codes(d) == ["support.transition"]
        assert SupportState(target) in rules.SUPPORT_STATE_LABELS


# --- ending (Plan §4.3) -------------------------------------------------------------------------


class TestEnding:
    def test_plan_4_3_notify_on_end(self):
        assert notify_on_end(I) == ["provinces_and_departments"]
        assert notify_on_end("II") == ["emergency_office"]
        assert notify_on_end(III) == notify_on_end(IV) == ["none_required"]
        assert all(k in ending.NOTIFY_LABELS for lv in ResponseLevel for k in notify_on_end(lv))

    def test_plan_4_3_1_emergency_office_proposes_level_i_end(self):
        assert may_propose_end(EO, I, EO.body_id).allowed
        assert codes(may_propose_end(BJ_OFFICE, I, EO.body_id)) == [
            "end.propose_not_emergency_office"]

    @pytest.mark.parametrize("level", [II, III, IV])
    def test_plan_4_3_2_no_proposal_or_approval_below_level_i(self, level):
        d = may_propose_end(BJ_OFFICE, level, BJ_OFFICE.body_id)
        assert codes(d) == ["end.no_proposal_step"]
        assert "activator decides directly" in d.refusals[0].text_en
        assert codes(may_approve_end(True, level)) == ["end.no_approval_step"]

    def test_plan_4_3_1_headquarters_member_approves(self):
        assert may_approve_end(True, I).allowed
        assert codes(may_approve_end(False, I)) == ["end.approve_not_headquarters"]

    def test_plan_4_3_1_office_ends_level_i_after_proposal_and_approval(self):
        d = may_end(EO, I, EO.body_id, proposed=True, approved=True)
        assert d.allowed and d.basis.code == "end.level_i" and d.basis.source == "Plan §4.3.1"

    def test_plan_4_3_1_level_i_without_proposal_or_approval_is_refused(self):
        assert codes(may_end(EO, I, EO.body_id, proposed=False, approved=False)) == [
            "end.needs_proposal", "end.needs_approval"]
        assert codes(may_end(EO, I, EO.body_id, proposed=True, approved=False)) == [
            "end.needs_approval"]
        assert codes(may_end(EO, I, EO.body_id, proposed=False, approved=True)) == [
            "end.needs_proposal"]

    def test_plan_4_3_1_a_province_cannot_end_level_i(self):
        assert codes(may_end(BJ_OFFICE, I, EO.body_id, proposed=True, approved=True)) == [
            "end.not_emergency_office"]
        assert codes(may_end(BJ_OFFICE, I, EO.body_id, proposed=False, approved=False)) == [
            "end.not_emergency_office", "end.needs_proposal", "end.needs_approval"]

    def test_plan_4_3_2_activating_province_ends_level_ii_and_tells_the_office(self):
        d = may_end(BJ_OFFICE, II, BJ_OFFICE.body_id, proposed=False, approved=False)
        assert d.allowed and d.basis.source == "Plan §4.3.2"
        assert "Emergency Office" in d.basis.text_en and "报应急办" in d.basis.text_zh

    @pytest.mark.parametrize("actor", [SH_OFFICE, EO, MIIT])
    def test_plan_4_3_2_level_ii_ended_by_another_body_is_refused(self, actor):
        d = may_end(actor, II, BJ_OFFICE.body_id, proposed=True, approved=True)
        assert codes(d) == ["end.not_activator"]

    @pytest.mark.parametrize("level", [III, IV])
    def test_plan_4_2_3_activator_ends_levels_iii_iv(self, level):
        assert may_end(CITY_OFFICE, level, CITY_OFFICE.body_id, proposed=False,
                       approved=False).allowed
        assert codes(may_end(BJ_OFFICE, level, CITY_OFFICE.body_id, proposed=False,
                             approved=False)) == ["end.not_activator"]

    @given(st.sampled_from(ACTORS), st.sampled_from(list(ResponseLevel)),
           st.sampled_from([a.body_id for a in ACTORS]), st.booleans(), st.booleans())
    def test_plan_4_3_property_every_decision_explains_itself(self, actor, level, activator,
                                                              proposed, approved):
        for d in (may_end(actor, level, activator, proposed=proposed, approved=approved),
                  may_propose_end(actor, level, activator), may_approve_end(proposed, level)):
            assert all(bilingual(r) and r.code.startswith("end.") for r in all_reasons(d))
        if may_end(actor, level, activator, proposed=proposed, approved=approved).allowed:
            assert (actor is EO and proposed and approved) if level == I else (
                actor.body_id == activator)


# --- investigation (Plan §5; CAC 2025 art. 8) ---------------------------------------------------


FULL_REPORT = {key: f"{key} text" for key in REPORT_SECTIONS}


class TestInvestigation:
    def test_plan_5_especially_major_office_organizes_and_reports_upward(self):
        plan = investigation_plan(EM, T0)
        assert plan.organizer == Organizer.EMERGENCY_OFFICE == "emergency_office"
        assert plan.report_upward and not plan.file_with_emergency_office
        assert "Plan §5" in plan.source and "CAC 2025 art. 8" in plan.source

    def test_plan_5_major_local_and_filed_with_the_office(self):
        plan = investigation_plan("major", T0)
        assert plan.organizer == "local"
        assert plan.file_with_emergency_office and not plan.report_upward

    @pytest.mark.parametrize("grade", [RMAJ, GEN])
    def test_plan_5_lower_grades_local_only(self, grade):
        plan = investigation_plan(grade, T0)
        assert (plan.organizer, plan.file_with_emergency_office, plan.report_upward) == (
            "local", False, False)

    def test_plan_5_due_exactly_30_days_after_the_end_and_overdue_on_day_31(self):
        plan = investigation_plan(EM, T0)
        assert plan.due_at == T0 + timedelta(days=30)
        assert investigation_state(plan.due_at, None, T0 + timedelta(days=29)) == "due"
        assert investigation_state(plan.due_at, None, plan.due_at) == InvestigationState.DUE
        assert investigation_state(plan.due_at, None, T0 + timedelta(days=31)) == "overdue"
        assert investigation_state(plan.due_at, None,
                                   plan.due_at + timedelta(seconds=1)) == "overdue"

    def test_plan_5_met_or_late_by_approval_time(self):
        due = investigation_plan(MAJ, T0).due_at
        assert investigation_state(due, due, due + timedelta(days=5)) == "met"
        assert investigation_state(due, T0 + timedelta(days=10), T0) == "met"
        assert investigation_state(due, due + timedelta(hours=1), due) == "late"

    @given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                        timezones=st.just(UTC)),
           st.sampled_from(list(Grade)))
    def test_plan_5_property_due_30_days_after_end(self, ended_at, grade):
        plan = investigation_plan(grade, ended_at)
        assert plan.due_at - ended_at == timedelta(days=30)
        assert investigation_state(plan.due_at, None, plan.due_at) == "due"
        assert investigation_state(plan.due_at, None, ended_at + timedelta(days=31)) == (
            "overdue")

    def test_plan_5_report_sections(self):
        assert list(REPORT_SECTIONS) == ["cause", "nature", "impact", "responsibility",
                                         "handling_opinions", "improvements"]
        assert [zh for zh, _ in REPORT_SECTIONS.values()] == [
            "起因", "性质", "影响", "责任", "处理意见", "改进措施"]
        assert all(en.strip() for _, en in REPORT_SECTIONS.values())

    def test_plan_5_missing_sections(self):
        assert missing_sections({}) == list(REPORT_SECTIONS)
        assert missing_sections(FULL_REPORT) == []
        assert missing_sections({**FULL_REPORT, "nature": "  ", "improvements": None}) == [
            "nature", "improvements"]

    @pytest.mark.parametrize(("current", "target", "ok"), [
        ("draft", "submitted", True), ("submitted", "approved", True),
        ("submitted", "draft", True), ("draft", "approved", False),
        ("approved", "draft", False), ("approved", "submitted", False),
    ])
    def test_review_flow(self, current, target, ok):
        d = can_transition_report(current, target, FULL_REPORT)
        assert d.allowed is ok
        assert all(bilingual(r) for r in all_reasons(d))

    def test_plan_5_incomplete_report_cannot_be_submitted_or_approved(self):
        partial = {"cause": "phishing"}
        d = can_transition_report("draft", "submitted", partial)
        assert codes(d) == ["investigation.missing_sections"]
        assert "性质" in d.refusals[0].text_zh and "nature" in d.refusals[0].text_en
        assert codes(can_transition_report("draft", "approved", partial)) == [
            "investigation.transition", "investigation.missing_sections"]
        assert can_transition_report("submitted", "draft", partial).allowed
        assert can_transition_report("draft", "submitted").allowed  # no report: flow only

    def test_plan_as_dict(self):
        data = investigation_plan(MAJ, T0).as_dict()
        assert data["organizer"] == "local" and data["due_at"].startswith("2025-03-31")
        assert timedelta(days=30) == investigation.INVESTIGATION_PERIOD


def test_only_bodies_taking_part_report_progress():
    """Plan §4.2.1 ¶3, §4.2.2(2): the bodies in the response report its developments."""
    assert rules.may_report_progress(True).allowed
    assert codes(rules.may_report_progress(False)) == ["progress.not_in_response"]


def test_only_the_organizer_writes_the_investigation_report():
    """Plan §5 ¶1: the body organizing the investigation writes and files the report."""
    assert investigation.may_write_report(True).allowed
    assert codes(investigation.may_write_report(False)) == ["investigation.not_organizer"]
