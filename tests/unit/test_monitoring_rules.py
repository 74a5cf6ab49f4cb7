"""Pure rules of where monitoring information goes (Plan §3.2): a unit's important item up its
own chain, a province's or department's to the Emergency Office, and who reports it on."""

from __future__ import annotations

import pytest

from fenghuo.org.rules import BodyFunction, BodyKind
from fenghuo.warning import monitoring_rules as m

NATION, PROVINCE, CITY, COUNTY = 1, 2, 3, 4
CHAIN = (COUNTY, CITY, PROVINCE, NATION)
EO = m.Candidate(100, BodyKind.OFFICE, NATION, frozenset(), BodyFunction.NATIONAL_EMERGENCY_OFFICE)
CAC = m.Candidate(101, BodyKind.OFFICE, NATION, frozenset(), None)
WATER_NATIONAL = m.Candidate(102, BodyKind.DEPARTMENT, NATION, frozenset({"water"}), None)
SECRECY = m.Candidate(103, BodyKind.DEPARTMENT, NATION, frozenset({"water", "finance"}),
                      BodyFunction.STATE_SECRECY)
PROVINCE_OFFICE = m.Candidate(200, BodyKind.OFFICE, PROVINCE, frozenset(), None)
WATER_PROVINCE = m.Candidate(201, BodyKind.DEPARTMENT, PROVINCE, frozenset({"water"}), None)
CITY_OFFICE = m.Candidate(300, BodyKind.OFFICE, CITY, frozenset(), None)
ALL = [EO, CAC, WATER_NATIONAL, SECRECY, PROVINCE_OFFICE, WATER_PROVINCE, CITY_OFFICE]


def reached(kind: BodyKind, *, important: bool = True, chain=CHAIN,
            sectors=frozenset({"water"}), candidates=ALL, submitter: int = 999
            ) -> set[tuple[int, str]]:
    origin = m.Origin(submitter, kind, chain, frozenset(sectors))
    return {(r.body_id, r.reason) for r in m.first_recipients(
        origin, important=important, candidates=candidates)}


@pytest.mark.parametrize("kind", [BodyKind.OPERATOR, BodyKind.SUPPORT_UNIT,
                                  BodyKind.SUPPORT_TEAM])
def test_plan_3_2_a_units_important_item_goes_up_its_own_chain(kind):
    """Plan §3.2 各单位…; 各省（区、市）、各部门将重要监测信息报应急办: the offices of the unit's
    region below the nation and its sector's nearest department, not the Emergency Office."""
    assert reached(kind) == {(300, m.LOCAL_OFFICE), (200, m.LOCAL_OFFICE),
                             (201, m.SECTOR_DEPARTMENT)}


def test_plan_3_2_the_nearest_department_of_each_sector_and_no_routing_functions():
    """A sector without a provincial department goes to the national one; a body with a
    routing function (the secrecy administration) is not a sector department."""
    got = reached(BodyKind.OPERATOR, sectors={"water", "finance"},
                  candidates=[EO, PROVINCE_OFFICE, WATER_NATIONAL, SECRECY])
    assert got == {(200, m.LOCAL_OFFICE), (102, m.SECTOR_DEPARTMENT)}


@pytest.mark.parametrize("kind", [BodyKind.OFFICE, BodyKind.DEPARTMENT, BodyKind.CERT,
                                  BodyKind.LEADING_GROUP])
def test_plan_3_2_a_province_or_departments_item_goes_to_the_office_at_once(kind):
    """Plan §3.2 各省（区、市）、各部门将重要监测信息报应急办."""
    assert reached(kind) == {(100, m.UPWARD)}


def test_plan_3_2_nothing_unless_important_and_never_back_to_the_submitter():
    assert reached(BodyKind.OPERATOR, important=False) == set()
    assert reached(BodyKind.OFFICE, submitter=100) == set()  # the Office's own item


def test_plan_3_2_a_national_unit_without_a_department_goes_to_the_office_at_once():
    """The project's reading: a chain with no office below the nation and no department for the
    unit's sector sends the item to the Emergency Office rather than to nobody."""
    assert reached(BodyKind.OPERATOR, chain=(NATION,), sectors=set()) == {(100, m.UPWARD)}
    assert reached(BodyKind.OPERATOR, chain=(NATION,)) == {(102, m.SECTOR_DEPARTMENT)}


@pytest.mark.parametrize(("held_by", "office", "code"), [
    (m.LOCAL_OFFICE, False, "monitoring.report_up"),
    (m.SECTOR_DEPARTMENT, False, "monitoring.report_up"),
    (m.SUBJECT_OFFICE, False, "monitoring.report_up"),
    (None, False, "monitoring.report_up.not_in_chain"),
    (m.SHARED, False, "monitoring.report_up.not_in_chain"),
    (m.SUBJECT, False, "monitoring.report_up.not_in_chain"),
    (m.UPWARD, True, "monitoring.report_up.emergency_office"),
])
def test_plan_3_2_who_reports_an_item_on(held_by, office, code):
    """Plan §3.2: the offices and departments of the unit's chain report it on to the
    Emergency Office; nobody else, and not the Office itself."""
    d = m.may_report_up(held_by, emergency_office=office)
    reason = d.basis if d.allowed else d.refusals[0]
    assert reason.code == code and reason.source == "Plan §3.2"
    assert d.allowed is (code == "monitoring.report_up")


def test_every_reason_has_words():
    for code in (m.UPWARD, m.LOCAL_OFFICE, m.SECTOR_DEPARTMENT, m.REPORTED_UP, m.SHARED,
                 m.SUBJECT, m.SUBJECT_OFFICE):
        zh, en = m.label(code)
        assert zh != code and en != code
    assert m.label("other") == ("other", "other")
