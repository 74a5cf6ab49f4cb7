"""Pure rules of early warning (no database): Plan §3.1, §3.3–3.5, §6.5; Law arts. 54–55."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fenghuo.incident import grading
from fenghuo.incident.grading import Grade
from fenghuo.org.rules import BodyFacts, BodyFunction, BodyKind, JurisdictionLevel
from fenghuo.warning import authority, checklists, content, rules
from fenghuo.warning.authority import Issuer, check_authority
from fenghuo.warning.checklists import ChecklistScope, TaskOwner, checklist
from fenghuo.warning.content import Measure, WarningDraft, missing_content
from fenghuo.warning.rules import (
    Extent,
    Likelihood,
    RiskAssessment,
    Tlp,
    WarningLevel,
    WarningScope,
    WarningState,
    propose_level,
)

RED, ORANGE, YELLOW, BLUE = (WarningLevel.RED, WarningLevel.ORANGE, WarningLevel.YELLOW,
                             WarningLevel.BLUE)
# jurisdictions: 1 nation; 2 Beijing, 3 Shanghai; 9 a Beijing city, 11 a Shanghai city;
# 27 a county of city 9
NATION, BJ, SH, BJ_CITY, SH_CITY, BJ_COUNTY = ("/1/", "/1/2/", "/1/3/", "/1/2/9/", "/1/3/11/",
                                               "/1/2/9/27/")
ALL_SECTORS = frozenset({"telecom", "energy", "finance", "water"})

EO = Issuer(1, BodyKind.OFFICE, NATION, function=BodyFunction.NATIONAL_EMERGENCY_OFFICE)
CAC = Issuer(2, BodyKind.OFFICE, NATION)
MIIT = Issuer(3, BodyKind.DEPARTMENT, NATION, frozenset({"telecom"}))
MPS = Issuer(4, BodyKind.DEPARTMENT, NATION, ALL_SECTORS, BodyFunction.PUBLIC_SECURITY)
BJ_OFFICE = Issuer(10, BodyKind.OFFICE, BJ)
BJ_FINANCE = Issuer(11, BodyKind.DEPARTMENT, BJ, frozenset({"finance"}))
CITY_OFFICE = Issuer(20, BodyKind.OFFICE, BJ_CITY)
CITY_DEPT = Issuer(21, BodyKind.DEPARTMENT, BJ_CITY, frozenset({"finance"}))
COUNTY_OFFICE = Issuer(30, BodyKind.OFFICE, BJ_COUNTY)


def scope(*paths: str, sectors: set[str] = frozenset()) -> WarningScope:
    return WarningScope(frozenset(paths), frozenset(sectors))


def codes(decision) -> list[str]:
    return [r.code for r in decision.refusals]


def bilingual(reason) -> bool:
    return bool(reason.code and reason.source and reason.text_zh.strip()
                and reason.text_en.strip())


# --- levels ---------------------------------------------------------------------------------


class TestLevels:
    """Plan §3.1: red, orange, yellow, blue from high to low ↔ especially major … general."""

    def test_order_red_highest(self):
        assert [lv.rank for lv in rules.LEVELS_DESC] == [4, 3, 2, 1]
        assert rules.LEVELS_DESC[0] is RED
        assert WarningLevel.highest(["blue", "orange", "yellow"]) is ORANGE
        assert WarningLevel.highest([]) is None

    @pytest.mark.parametrize(("level", "grade", "zh"), [
        (RED, Grade.ESPECIALLY_MAJOR, "红色预警"), (ORANGE, Grade.MAJOR, "橙色预警"),
        (YELLOW, Grade.RELATIVELY_MAJOR, "黄色预警"), (BLUE, Grade.GENERAL, "蓝色预警"),
    ])
    def test_plan_3_1_grade_mapping_and_labels(self, level, grade, zh):
        assert level.grade is grade
        assert WarningLevel.for_grade(grade) is level
        assert WarningLevel.for_grade(grade.value) is level
        assert level.label_zh == zh and level.label_en == f"{level.value} warning"

    def test_step_is_clamped(self):
        assert RED.step(+1) is RED and BLUE.step(-1) is BLUE
        assert YELLOW.step(+1) is ORANGE and YELLOW.step(-1) is BLUE
        assert WarningLevel.of_rank(9) is RED and WarningLevel.of_rank(-3) is BLUE

    def test_plan_3_3_major_or_above_reported_to_emergency_office(self):
        assert rules.must_report_to_emergency_office(Grade.MAJOR)
        assert rules.must_report_to_emergency_office("especially_major")
        assert not rules.must_report_to_emergency_office(Grade.RELATIVELY_MAJOR)


# --- risk assessment ------------------------------------------------------------------------


def assess(likelihood, extent, harm) -> RiskAssessment:
    return RiskAssessment(Likelihood(likelihood), Extent(extent), Grade(harm))


PROFILE = grading.load_profile("cac2025")


class TestProposal:
    """Plan §3.1: the level is the one of the grade the possible incident would have (Plan
    §1.4); the likelihood decides whether a warning is proposed at all (project reading of
    "发生或可能发生"); the extent decides only who issues (Plan §3.3 ¶2)."""

    def test_level_follows_the_grade_of_the_possible_incident(self):
        p = propose_level(assess("medium", "region_or_sector", "major"))
        assert p.level is ORANGE and p.grade is Grade.MAJOR
        assert [r.code for r in p.reasons] == ["risk.harm", "risk.likely", "risk.report_upward"]
        assert p.reasons[1].source == "Plan §3.1" and "橙色预警" in p.reasons[1].text_zh
        assert p.report_to_emergency_office and not p.emergency_office_only

    @pytest.mark.parametrize("harm", list(Grade))
    def test_low_likelihood_proposes_no_warning(self, harm):
        """Was: one step lower. A low likelihood is not an incident that "may happen"."""
        p = propose_level(assess("low", "national", harm))
        assert p.level is None and not p.report_to_emergency_office
        assert [r.code for r in p.reasons][1:] == ["risk.unlikely", "risk.cross_region"]
        assert p.reasons[1].source.startswith("Plan §3.1")
        assert "不建议发布预警" in p.reasons[1].text_zh and "no warning" in p.reasons[1].text_en
        assert p.as_dict()["level"] is None and p.as_dict()["label_zh"] == "不建议发布预警"

    @pytest.mark.parametrize("extent", ["several_provinces_or_sectors", "national"])
    @pytest.mark.parametrize("likelihood", ["high", "almost_certain"])
    def test_a_likely_and_wide_threat_keeps_the_grades_level(self, likelihood, extent):
        """Was: one step higher ("major harm, likely, several provinces" → red). Plan §3.1
        pairs a relatively major incident with yellow however far it reaches; the reach makes
        it the Emergency Office's (Plan §3.3 ¶2)."""
        p = propose_level(assess(likelihood, extent, "relatively_major"))
        assert p.level is YELLOW
        assert "risk.cross_region" in [r.code for r in p.reasons]
        assert p.emergency_office_only and not p.report_to_emergency_office
        assert propose_level(assess(likelihood, extent, "major")).level is ORANGE

    def test_reasons_bilingual_and_cited(self):
        p = propose_level(assess("high", "national", "major"))
        assert all(bilingual(r) for r in p.reasons)
        assert p.as_dict()["level"] == "orange" and p.as_dict()["grade"] == "major"
        assert "an orange warning" in p.reasons[1].text_en

    def test_strings_are_coerced_and_bad_values_refused(self):
        a = RiskAssessment("low", "national", "general")
        assert a.likelihood is Likelihood.LOW and a.harm is Grade.GENERAL
        with pytest.raises(ValueError):
            RiskAssessment("maybe", "national", "general")

    @given(st.sampled_from(Likelihood), st.sampled_from(Extent), st.sampled_from(Grade))
    def test_property_the_level_is_the_grades_or_none(self, likelihood, extent, harm):
        """Plan §3.1: a proposal is the grade's level or no warning, never another level;
        Plan §3.3 ¶1: it is reported upward exactly when it is orange or red."""
        p = propose_level(RiskAssessment(likelihood, extent, harm))
        assert p.level is (None if likelihood == Likelihood.LOW else
                           WarningLevel.for_grade(harm))
        assert p.report_to_emergency_office == (p.level is not None and p.level.rank >= 3)
        assert p.emergency_office_only == (extent in rules.CROSS_REGION_EXTENTS)


class TestProposalFromFacts:
    """Plan §1.4 + §3.1: the possible incident is graded by the incidents' own rules
    (``incident.grading``), and the level stands for that grade."""

    def test_an_important_systems_serious_loss_is_major_hence_orange(self):
        facts = grading.GradingFacts(important_system=True, system_loss="serious")
        a = RiskAssessment.from_facts("high", "single_unit", facts, PROFILE)
        assert a.harm is Grade.MAJOR and a.graded.grade is Grade.MAJOR
        p = propose_level(a)
        assert p.level is ORANGE and p.report_to_emergency_office
        got = [r.code for r in p.reasons]
        assert got[:2] == ["risk.grade", "risk.grade.plan.criterion1.serious"]
        assert p.reasons[1].source.startswith("Plan §1.4 (2) criterion ①")
        assert "cac2025" in p.reasons[0].source and got[2] == "risk.likely"

    def test_the_same_loss_on_an_ordinary_system_is_general_hence_blue(self):
        """Criterion ① applies to important systems only (annex 2), as for incidents."""
        a = RiskAssessment.from_facts("high", "single_unit",
                                      grading.GradingFacts(system_loss="serious"), PROFILE)
        assert a.harm is Grade.GENERAL and propose_level(a).level is BLUE

    def test_a_cac_threshold_reaches_especially_major_hence_red(self):
        facts = grading.GradingFacts(personal_records_leaked=100_000_000)
        p = propose_level(RiskAssessment.from_facts("medium", "national", facts, PROFILE))
        assert p.level is RED and p.grade is Grade.ESPECIALLY_MAJOR

    def test_graded_but_unlikely_proposes_none(self):
        facts = grading.GradingFacts(other_threat="especially_serious")
        p = propose_level(RiskAssessment.from_facts("low", "national", facts, PROFILE))
        assert p.level is None and p.grade is Grade.ESPECIALLY_MAJOR


class TestPossibleMajorReport:
    """Plan §3.3 ¶1: provinces and departments report a possible major-or-above incident to
    the Emergency Office."""

    ORANGE_PROPOSAL = propose_level(assess("high", "region_or_sector", "major"))

    @pytest.mark.parametrize(("kind", "path"), [
        (BodyKind.OFFICE, BJ), (BodyKind.DEPARTMENT, BJ), (BodyKind.DEPARTMENT, NATION)])
    def test_provinces_and_departments_report_orange_and_red(self, kind, path):
        reason = rules.possible_major_route(self.ORANGE_PROPOSAL, kind=kind,
                                            jurisdiction_path=path, emergency_office=False)
        assert reason.code == "risk.reported" and reason.source == "Plan §3.3 ¶1"
        assert bilingual(reason) and "应急办" in reason.text_zh

    @pytest.mark.parametrize(("kind", "path", "eo"), [
        (BodyKind.OFFICE, NATION, True),  # the Office itself
        (BodyKind.OFFICE, BJ_CITY, False), (BodyKind.DEPARTMENT, BJ_CITY, False),  # to the province
        (BodyKind.CERT, BJ, False), (BodyKind.OPERATOR, BJ, False)])
    def test_others_do_not_owe_the_report(self, kind, path, eo):
        assert rules.possible_major_route(self.ORANGE_PROPOSAL, kind=kind,
                                          jurisdiction_path=path, emergency_office=eo) is None

    @pytest.mark.parametrize("proposal", [
        propose_level(assess("high", "region_or_sector", "relatively_major")),  # yellow
        propose_level(assess("low", "region_or_sector", "especially_major"))])  # none
    def test_yellow_blue_or_no_warning_is_not_reported(self, proposal):
        assert rules.possible_major_route(proposal, kind=BodyKind.OFFICE, jurisdiction_path=BJ,
                                          emergency_office=False) is None

    def test_acknowledgement_state(self):
        due = T0 + timedelta(hours=1)
        assert rules.acknowledgement_state(due, None, T0) == "due"
        assert rules.acknowledgement_state(due, None, due + timedelta(seconds=1)) == "overdue"
        assert rules.acknowledgement_state(due, T0, due + timedelta(days=1)) == "acknowledged"


# --- issuing authority ----------------------------------------------------------------------


class TestAuthorityProvincesAndDepartments:
    """Plan §3.3 ¶1: provinces and departments issue orange and below for their own region or
    sector; ¶2: red and multi-province, multi-department, multi-sector warnings are the
    Emergency Office's."""

    def test_province_orange_for_own_region_allowed(self):
        d = check_authority(BJ_OFFICE, scope(BJ, BJ_CITY), ORANGE)
        assert d.allowed and d.refusals == ()
        assert d.basis.code == "authority.own_region_or_sector"
        assert d.basis.source == "Plan §3.3 ¶1"

    def test_province_regional_warning_may_name_several_sectors(self):
        """Decision: a province's 本地区 warning covers every sector of its region."""
        assert check_authority(BJ_OFFICE, scope(BJ, sectors={"finance", "energy"}),
                               YELLOW).allowed

    def test_province_red_refused(self):
        d = check_authority(BJ_OFFICE, scope(BJ), RED)
        assert not d.allowed and codes(d) == ["authority.red_reserved"]
        assert d.refusals[0].source == "Plan §3.3 ¶2" and bilingual(d.refusals[0])
        assert d.basis is None

    def test_province_for_another_province_refused(self):
        d = check_authority(BJ_OFFICE, scope(SH_CITY), YELLOW)
        assert codes(d) == ["authority.outside_jurisdiction"]
        assert SH_CITY in d.refusals[0].text_en and SH_CITY in d.refusals[0].text_zh

    def test_province_spanning_two_provinces_refused_with_both_reasons(self):
        d = check_authority(BJ_OFFICE, scope(BJ, SH), YELLOW)
        assert codes(d) == ["authority.outside_jurisdiction", "authority.multi_province"]

    def test_province_national_scope_refused(self):
        d = check_authority(BJ_OFFICE, scope(NATION), BLUE)
        assert codes(d) == ["authority.outside_jurisdiction", "authority.multi_province"]

    def test_all_reasons_returned_not_just_the_first(self):
        d = check_authority(BJ_OFFICE, scope(BJ, SH), RED)
        assert codes(d) == ["authority.red_reserved", "authority.outside_jurisdiction",
                            "authority.multi_province"]
        assert all(bilingual(r) for r in d.refusals)

    def test_department_own_sector_allowed(self):
        d = check_authority(BJ_FINANCE, scope(BJ, sectors={"finance"}), ORANGE)
        assert d.allowed and d.basis.code == "authority.own_region_or_sector"

    def test_department_for_another_sector_refused(self):
        d = check_authority(BJ_FINANCE, scope(BJ, sectors={"energy"}), YELLOW)
        assert codes(d) == ["authority.outside_sector"]
        assert "energy" in d.refusals[0].text_en

    def test_department_several_sectors_refused(self):
        """Plan §3.3 ¶2 多行业: even a department regulating both sectors."""
        d = check_authority(MPS, scope(NATION, sectors={"finance", "energy"}), BLUE)
        assert codes(d) == ["authority.multi_sector"]

    def test_department_own_and_foreign_sector_gets_both_reasons(self):
        d = check_authority(BJ_FINANCE, scope(BJ, sectors={"finance", "energy"}), BLUE)
        assert codes(d) == ["authority.outside_sector", "authority.multi_sector"]

    def test_department_must_name_its_sector(self):
        d = check_authority(BJ_FINANCE, scope(BJ), BLUE)
        assert codes(d) == ["authority.sector_required"]

    def test_department_outside_its_province_refused(self):
        d = check_authority(BJ_FINANCE, scope(SH, sectors={"finance"}), BLUE)
        assert codes(d) == ["authority.outside_jurisdiction"]

    def test_central_department_warns_its_sector_nationwide(self):
        """Decision: a central department's 本行业 is the whole country."""
        assert check_authority(MIIT, scope(NATION, sectors={"telecom"}), ORANGE).allowed
        assert check_authority(MIIT, scope(BJ, SH, sectors={"telecom"}), ORANGE).allowed

    def test_central_department_red_refused(self):
        d = check_authority(MIIT, scope(NATION, sectors={"telecom"}), RED)
        assert codes(d) == ["authority.red_reserved"]


class TestAuthorityEmergencyOffice:
    """Plan §3.3 ¶2: the Emergency Office decides and issues red and cross-cutting warnings."""

    def test_red_multi_province_multi_sector_allowed(self):
        d = check_authority(EO, scope(BJ, SH, sectors={"finance", "energy"}), RED)
        assert d.allowed and d.basis.code == "authority.emergency_office"

    def test_function_outside_national_level_is_not_the_emergency_office(self):
        fake = Issuer(5, BodyKind.OFFICE, BJ, function=BodyFunction.NATIONAL_EMERGENCY_OFFICE)
        assert not fake.is_national_emergency_office
        assert codes(check_authority(fake, scope(BJ), RED)) == ["authority.red_reserved"]

    def test_other_national_office_refused(self):
        d = check_authority(CAC, scope(NATION), BLUE)
        assert codes(d) == ["authority.national_office"]

    def test_from_body(self):
        body = BodyFacts(1, BodyKind.OFFICE, NATION, frozenset())
        issuer = Issuer.from_body(body, "national_emergency_office")
        assert issuer.is_national_emergency_office and issuer.level is JurisdictionLevel.NATIONAL

    @given(st.sampled_from(WarningLevel),
           st.lists(st.sampled_from([NATION, BJ, SH, BJ_CITY, SH_CITY, BJ_COUNTY]),
                    min_size=1, unique=True),
           st.sets(st.sampled_from(sorted(ALL_SECTORS))))
    def test_property_emergency_office_may_issue_any_level_for_any_scope(self, level, paths,
                                                                         sectors):
        d = check_authority(EO, WarningScope(frozenset(paths), frozenset(sectors)), level)
        assert d.allowed and d.basis.source == "Plan §3.3 ¶2"


class TestAuthorityCityCountyAndOthers:
    """City §3.3.3 (city warnings in the city; here yellow and below), City §3.3.4 and Plan §3.2
    (counties and non-issuing bodies report monitoring information instead)."""

    @pytest.mark.parametrize("level", [YELLOW, BLUE])
    def test_city_office_yellow_blue_in_own_city(self, level):
        d = check_authority(CITY_OFFICE, scope(BJ_CITY, BJ_COUNTY), level)
        assert d.allowed and d.basis.code == "authority.city"
        assert d.basis.source.startswith("City §3.3.3")

    def test_city_office_orange_refused(self):
        d = check_authority(CITY_OFFICE, scope(BJ_CITY), ORANGE)
        assert codes(d) == ["authority.above_ceiling"]
        assert "yellow" in d.refusals[0].text_en and "黄色预警" in d.refusals[0].text_zh
        assert d.refusals[0].text_zh.startswith("市级机构")  # said in Chinese, not "city级"

    def test_city_office_red_refused_by_the_red_rule(self):
        assert codes(check_authority(CITY_OFFICE, scope(BJ_CITY), RED)) == [
            "authority.red_reserved"]

    def test_city_office_outside_its_city_refused(self):
        d = check_authority(CITY_OFFICE, scope(BJ), BLUE)
        assert codes(d) == ["authority.outside_jurisdiction"]

    @pytest.mark.parametrize("level", [YELLOW, BLUE])
    def test_city_department_refused_it_asks_the_city_office(self, level):
        """Was: allowed yellow and blue in its sector. City §3.3.3 gives the release of the
        city's warnings to its network-security office (its headquarters in a response)."""
        d = check_authority(CITY_DEPT, scope(BJ_CITY, sectors={"finance"}), level)
        assert codes(d) == ["authority.city_department"]
        assert d.refusals[0].source == "City §3.3.3" and bilingual(d.refusals[0])
        assert "市网络安全办" in d.refusals[0].text_zh and "asks the city office" in \
            d.refusals[0].text_en
        powers = authority.issuing_powers(CITY_DEPT)
        assert powers.allowed_levels == () and powers.scope[0].code == "authority.city_department"

    @pytest.mark.parametrize("level", [YELLOW, BLUE])
    def test_city_headquarters_issues_for_its_city(self, level):
        """City §3.3.3: during a response the coordination group becomes the city's
        headquarters, which releases the city's warnings."""
        hq = Issuer(22, BodyKind.HEADQUARTERS, BJ_CITY)
        assert check_authority(hq, scope(BJ_CITY), level).basis.code == "authority.city"
        assert codes(check_authority(hq, scope(BJ_CITY), ORANGE)) == ["authority.above_ceiling"]
        assert codes(check_authority(hq, scope(BJ_CITY, SH_CITY), BLUE)) == [
            "authority.outside_jurisdiction", "authority.multi_province"]

    def test_a_headquarters_above_the_city_does_not_issue(self):
        for path in (NATION, BJ):
            d = check_authority(Issuer(23, BodyKind.HEADQUARTERS, path), scope(path), BLUE)
            assert codes(d) == ["authority.issuer_kind"]

    def test_county_office_refused(self):
        d = check_authority(COUNTY_OFFICE, scope(BJ_COUNTY), BLUE)
        assert codes(d) == ["authority.county"]

    @pytest.mark.parametrize("kind", [BodyKind.OPERATOR, BodyKind.CERT, BodyKind.SUPPORT_TEAM,
                                      BodyKind.LEADING_GROUP, BodyKind.EXPERT_GROUP])
    def test_non_issuing_kinds_refused(self, kind):
        d = check_authority(Issuer(60, kind, BJ), scope(BJ), BLUE)
        assert codes(d) == ["authority.issuer_kind"] and bilingual(d.refusals[0])

    @pytest.mark.parametrize("issuer", [EO, BJ_OFFICE, CITY_OFFICE])
    def test_empty_scope_refused(self, issuer):
        assert codes(check_authority(issuer, WarningScope(), BLUE)) == ["authority.scope_empty"]

    def test_bad_paths_rejected(self):
        with pytest.raises(ValueError):
            scope("1/2")
        with pytest.raises(ValueError):
            Issuer(1, BodyKind.OFFICE, "/")


ISSUERS = [EO, CAC, MIIT, MPS, BJ_OFFICE, BJ_FINANCE, CITY_OFFICE, CITY_DEPT, COUNTY_OFFICE]


@given(st.sampled_from(ISSUERS), st.sampled_from(WarningLevel),
       st.lists(st.sampled_from([NATION, BJ, SH, BJ_CITY, SH_CITY, BJ_COUNTY]),
                min_size=1, unique=True),
       st.sets(st.sampled_from(sorted(ALL_SECTORS))))
def test_property_authority_is_monotone_in_level(issuer, level, paths, sectors):
    """Plan §3.3 ¶1 "orange and below": whoever may issue a level may issue every lower one."""
    s = WarningScope(frozenset(paths), frozenset(sectors))
    if check_authority(issuer, s, level).allowed:
        for lower in rules.LEVELS_DESC:
            if lower.rank < level.rank:
                assert check_authority(issuer, s, lower).allowed


# --- required content -----------------------------------------------------------------------

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def complete(**changes) -> WarningDraft:
    base = dict(category="network-attack.ddos", level="orange", starts_at=T0,
                scope=scope(BJ), items=("大规模DDoS攻击 / large DDoS campaign",),
                measures=(Measure("patch", T0 + timedelta(hours=24)),), issuer_body_id=10)
    base.update(changes)
    return WarningDraft(**base)


class TestRequiredContent:
    """Plan §3.3 ¶3: category, level, start time, possible scope, warning items, measures with
    time limits, issuing authority."""

    def test_complete_draft_has_no_problems(self):
        assert missing_content(complete()) == []

    def test_empty_draft_names_every_missing_field_in_plan_order(self):
        problems = missing_content(WarningDraft())
        assert [p.field for p in problems] == ["category", "level", "starts_at", "scope",
                                              "items", "measures", "issuer_body_id"]
        assert all(p.code == "missing" and p.source == "Plan §3.3 ¶3" for p in problems)
        assert problems[0].text_zh == "缺少事件类别"
        assert problems[0].text_en == "incident category is missing"

    def test_measure_without_time_limit_named(self):
        problems = missing_content(complete(measures=(Measure("patch"), Measure(" ", T0))))
        assert [(p.field, p.code) for p in problems] == [
            ("measures[0].deadline", "missing"), ("measures[1].text", "missing")]
        assert "measure 1" in problems[0].text_en and "措施1" in problems[0].text_zh

    def test_blank_items_and_scope_without_jurisdictions_are_missing(self):
        problems = missing_content(complete(items=("  ",), scope=WarningScope()))
        assert [p.field for p in problems] == ["scope", "items"]

    def test_sectors_may_be_left_empty(self):
        assert missing_content(complete(scope=scope(BJ))) == []

    def test_invalid_values(self):
        problems = missing_content(
            complete(level="purple", starts_at=datetime(2026, 11, 1),
                     measures=(Measure("x", datetime(2026, 11, 2)),)))
        assert [(p.field, p.code) for p in problems] == [
            ("level", "invalid"), ("starts_at", "invalid"), ("measures[0].deadline", "invalid")]

    def test_time_limit_before_start_invalid(self):
        problems = missing_content(complete(measures=(Measure("x", T0 - timedelta(hours=1)),)))
        assert [(p.field, p.code) for p in problems] == [("measures[0].deadline", "invalid")]

    def test_time_limit_already_past_when_drafted_invalid(self):
        """Issue 17 item 18: a measure whose time limit has passed when the warning is drafted
        is refused, not accepted silently (Plan §3.3 ¶3, 时限要求)."""
        draft = complete(measures=(Measure("x", T0 + timedelta(hours=2)),))
        assert missing_content(replace(draft, now=T0 + timedelta(hours=1))) == []
        problems = missing_content(replace(draft, now=T0 + timedelta(hours=3)))
        assert [(p.field, p.code) for p in problems] == [("measures[0].deadline", "invalid")]
        assert "已过" in problems[0].text_zh and "already passed" in problems[0].text_en

    def test_unknown_category_when_categories_given(self):
        assert missing_content(complete(), categories={"network-attack.ddos"}) == []
        problems = missing_content(complete(category="nope"), categories={"harmful-program"})
        assert [(p.field, p.code) for p in problems] == [("category", "invalid")]

    def test_every_field_labelled_bilingually(self):
        assert set(content.CONTENT_FIELDS) == {"category", "level", "starts_at", "scope",
                                               "items", "measures", "issuer_body_id"}
        assert all(zh and en for zh, en in content.CONTENT_FIELDS.values())


# --- response checklists --------------------------------------------------------------------

CHECK_SCOPE = ChecklistScope(emergency_office_id=1, responder_ids=(10, 11, 10),
                             support_team_ids=(70,))


def tasks_by_body(level) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for t in checklist(level, CHECK_SCOPE):
        out.setdefault(t.body_id, []).append(t.code)
    return out


class TestChecklists:
    """Plan §3.4 response per level; due offsets are project defaults."""

    def test_red_plan_3_4_1(self):
        got = tasks_by_body(RED)
        assert got[1] == ["red.contact_experts", "red.study_measures"]  # §3.4.1 (1)
        assert got[10] == got[11] == ["red.duty_24h", "red.prepare", "red.report"]  # (2)
        assert got[70] == ["red.standby", "red.check_equipment"]  # (3)

    def test_orange_plan_3_4_2(self):
        got = tasks_by_body(ORANGE)
        assert got[10] == ["orange.start_plan", "orange.prepare", "orange.report"]
        assert got[1] == ["orange.follow"] and got[70] == ["orange.check_equipment"]

    @pytest.mark.parametrize("level", [YELLOW, BLUE])
    def test_yellow_blue_plan_3_4_3_start_plans_only(self, level):
        tasks = checklist(level, CHECK_SCOPE)
        assert {t.body_id for t in tasks} == {10, 11}
        assert all(t.code == f"{level.value}.start_plan" and t.owner is TaskOwner.RESPONDER
                   and t.source == "Plan §3.4.3" for t in tasks)

    def test_due_defaults_and_overrides(self):
        red = {t.code: t.due_after for t in checklist(RED, CHECK_SCOPE)}
        assert red["red.duty_24h"] == timedelta(hours=1)
        assert checklist("blue", CHECK_SCOPE)[0].due_after == timedelta(hours=24)
        over = checklist(BLUE, CHECK_SCOPE, due={"blue.start_plan": timedelta(hours=8)})
        assert over[0].due_after == timedelta(hours=8)

    def test_no_emergency_office_no_office_tasks(self):
        tasks = checklist(RED, ChecklistScope(responder_ids=(10,)))
        assert {t.owner for t in tasks} == {TaskOwner.RESPONDER}

    def test_every_task_cited_bilingual_and_timed(self):
        for level, specs in checklists.CHECKLISTS.items():
            for spec in specs:
                assert spec.source.startswith("Plan §3.4")
                assert spec.title_zh and spec.title_en and spec.code.startswith(level.value)
                assert spec.code in checklists.DEFAULT_DUE


# --- lifecycle, revision and lifting --------------------------------------------------------


class TestLifecycle:
    """Plan §3.3 (draft → approved → published), §3.5 (published → lifted)."""

    @pytest.mark.parametrize(("current", "target"), [
        ("draft", "approved"), ("approved", "published"), ("approved", "draft"),
        ("published", "lifted"),
    ])
    def test_allowed(self, current, target):
        assert rules.can_transition(current, target).allowed

    @pytest.mark.parametrize(("current", "target"), [
        ("draft", "published"), ("published", "draft"), ("lifted", "published"),
        ("draft", "lifted"), ("published", "approved"),
    ])
    def test_refused_with_bilingual_reason(self, current, target):
        d = rules.can_transition(current, target)
        assert codes(d) == ["lifecycle.transition"] and bilingual(d.refusals[0])
        assert target in d.refusals[0].text_en

    def test_lifted_is_final(self):
        d = rules.can_transition(WarningState.LIFTED, WarningState.DRAFT)
        assert "none" in d.refusals[0].text_en and "无" in d.refusals[0].text_zh


class TestRevision:
    """A level change on a published warning is a revision by the issuer; Plan §3.3 applies
    again to the new level."""

    def revise(self, reviser=BJ_OFFICE, state="published", old="yellow", new="orange",
               s=None):
        return authority.check_revision(issuer_body_id=10, reviser=reviser, state=state,
                                        warning_scope=s or scope(BJ), old_level=old,
                                        new_level=new)

    def test_issuer_raises_within_its_authority(self):
        d = self.revise()
        assert d.allowed and d.basis.code == "revision.allowed"

    def test_province_cannot_revise_to_red(self):
        assert codes(self.revise(new="red")) == ["authority.red_reserved"]

    def test_other_body_cannot_revise(self):
        assert codes(self.revise(reviser=EO)) == ["revision.not_issuer"]

    def test_only_published_and_real_changes(self):
        assert codes(self.revise(state="draft", new="yellow")) == [
            "revision.state", "revision.no_change"]


class TestLifting:
    """Plan §3.5: the issuing department or region decides whether to lift."""

    def test_issuer_lifts(self):
        d = authority.may_lift(issuer_body_id=1, actor_body_id=1, state="published")
        assert d.allowed and d.basis.source == "Plan §3.5"

    @pytest.mark.parametrize("actor", [10, 20])
    def test_other_office_cannot_lift(self, actor):
        d = authority.may_lift(issuer_body_id=1, actor_body_id=actor, state="published")
        assert codes(d) == ["lift.not_issuer"] and bilingual(d.refusals[0])

    def test_not_even_the_emergency_office_lifts_a_province_warning(self):
        d = authority.may_lift(issuer_body_id=10, actor_body_id=EO.body_id, state="published")
        assert codes(d) == ["lift.not_issuer"]

    def test_only_published_warnings_are_lifted(self):
        d = authority.may_lift(issuer_body_id=1, actor_body_id=2, state="lifted")
        assert codes(d) == ["lift.state", "lift.not_issuer"]


class TestImportantEvents:
    """Plan §6.5: the Emergency Office may require the red-warning response."""

    def test_emergency_office_may(self):
        assert authority.may_require_red_response(EO).allowed

    @pytest.mark.parametrize("issuer", [CAC, BJ_OFFICE, MIIT])
    def test_others_may_not(self, issuer):
        assert codes(authority.may_require_red_response(issuer)) == [
            "protection.not_emergency_office"]


# --- public warnings ------------------------------------------------------------------------


class TestPublicFeed:
    """Law arts. 54(3), 55: only TLP:CLEAR warnings marked public, from provincial-level and
    higher bodies, appear on public feeds."""

    def test_clear_public_published_allowed(self):
        d = rules.public_feed_decision(tlp="clear", public=True, state="published",
                                       issuer_path=BJ)
        assert d.allowed and d.basis.code == "public.allowed"

    def test_lifted_public_warning_stays_visible(self):
        assert rules.public_feed_decision(tlp=Tlp.CLEAR, public=True, state="lifted",
                                          issuer_path=NATION).allowed

    @pytest.mark.parametrize("tlp", ["green", "amber", "amber+strict", "red"])
    def test_other_colours_refused(self, tlp):
        d = rules.public_feed_decision(tlp=tlp, public=True, state="published", issuer_path=BJ)
        assert codes(d) == ["public.tlp"] and tlp.upper() in d.refusals[0].text_en

    def test_clear_but_not_marked_refused(self):
        d = rules.public_feed_decision(tlp="clear", public=False, state="published",
                                       issuer_path=BJ)
        assert codes(d) == ["public.not_marked"]

    @pytest.mark.parametrize("path", [BJ_CITY, BJ_COUNTY])
    def test_below_the_province_refused(self, path):
        """Law art. 54(3): 省级以上人民政府有关部门 release warnings to the public (art. 51:
        unified release); a city asks its province."""
        d = rules.public_feed_decision(tlp="clear", public=True, state="published",
                                       issuer_path=path)
        assert codes(d) == ["public.below_province"]
        r = d.refusals[0]
        assert r.source == "Law art. 54(3); art. 51" and bilingual(r)
        assert "省级网络安全应急办公室" in r.text_zh and "ask your province's office" in r.text_en
        assert not rules.public_release_decision(path).allowed

    @pytest.mark.parametrize("path", [NATION, BJ])
    def test_national_and_provincial_bodies_release(self, path):
        assert rules.public_release_decision(path).basis.code == "public.release"

    def test_the_authority_check_refuses_a_city_public_warning(self):
        d = check_authority(CITY_OFFICE, scope(BJ_CITY), BLUE, public=True)
        assert codes(d) == ["public.below_province"]
        assert check_authority(CITY_OFFICE, scope(BJ_CITY), BLUE).allowed
        assert check_authority(BJ_OFFICE, scope(BJ), BLUE, public=True).allowed
        assert not authority.issuing_powers(CITY_OFFICE).public.allowed
        assert authority.issuing_powers(BJ_FINANCE).public.allowed

    def test_every_reason_returned(self):
        d = rules.public_feed_decision(tlp="amber", public=False, state="draft",
                                       issuer_path=BJ_CITY)
        assert codes(d) == ["public.below_province", "public.not_marked", "public.tlp",
                            "public.state"]
        assert all(bilingual(r) for r in d.refusals)
        assert d.as_dict()["allowed"] is False

    @pytest.mark.parametrize("spelling", ["TLP:CLEAR", "white", "TLP:WHITE", " Clear "])
    def test_tlp_spellings(self, spelling):
        assert Tlp(spelling) is Tlp.CLEAR


def test_a_scope_touches_its_places_their_regions_and_what_lies_within():
    """Plan §3.1: a warning concerns the places it names, what lies within them and the regions
    that contain them; a sector list narrows it (Law art. 51)."""
    city = scope("/1/2/3/", sectors={"finance"})
    assert city.touches("/1/2/3/") and city.touches("/1/2/3/9/")  # itself and a county in it
    assert city.touches("/1/2/")  # its province: a city warning concerns the province
    assert not city.touches("/1/4/") and not city.touches("/1/2/5/")  # elsewhere
    assert city.touches("/1/2/3/", "finance") and not city.touches("/1/2/3/", "energy")
    assert scope("/1/").touches("/1/7/8/", "energy")  # national, every sector
