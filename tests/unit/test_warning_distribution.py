"""Who receives a warning and who owes its tasks (Plan §3.3, §3.4), and four-eyes approval."""

from __future__ import annotations

from datetime import timedelta

from fenghuo.org.rules import BodyFunction, BodyKind
from fenghuo.warning.distribution import (
    ACK_WITHIN,
    Body,
    checklist_scope,
    may_approve,
    recipients,
    responders,
)
from fenghuo.warning.rules import WarningLevel, WarningScope

NATION, BJ, BJ_CITY, SH = "/1/", "/1/2/", "/1/2/5/", "/1/3/"
EO = Body(1, BodyKind.OFFICE, NATION, function=BodyFunction.NATIONAL_EMERGENCY_OFFICE)
MIIT = Body(2, BodyKind.DEPARTMENT, NATION, frozenset({"telecom"}))
BJ_OFFICE = Body(10, BodyKind.OFFICE, BJ)
BJ_FIN = Body(11, BodyKind.DEPARTMENT, BJ, frozenset({"finance"}))
BJ_TEL = Body(12, BodyKind.DEPARTMENT, BJ, frozenset({"telecom"}))
BJ_CITY_OFFICE = Body(13, BodyKind.OFFICE, BJ_CITY)
SH_OFFICE = Body(20, BodyKind.OFFICE, SH)
TEAM = Body(30, BodyKind.SUPPORT_TEAM, NATION)
BJ_BANK = Body(40, BodyKind.OPERATOR, BJ, frozenset({"finance"}))
BJ_TELCO = Body(41, BodyKind.OPERATOR, BJ_CITY, frozenset({"telecom"}))
SH_BANK = Body(42, BodyKind.OPERATOR, SH, frozenset({"finance"}))
CNCERT = Body(50, BodyKind.CERT, NATION)
BJ_CERT = Body(51, BodyKind.CERT, BJ)
SH_CERT = Body(52, BodyKind.CERT, SH)
BJ_SUPPORT = Body(60, BodyKind.SUPPORT_UNIT, BJ)
ALL = [EO, MIIT, BJ_OFFICE, BJ_FIN, BJ_TEL, BJ_CITY_OFFICE, SH_OFFICE, TEAM, BJ_BANK]
UNITS = [*ALL, BJ_TELCO, SH_BANK, CNCERT, BJ_CERT, SH_CERT, BJ_SUPPORT]


def scope(*paths: str, sectors: tuple[str, ...] = ()) -> WarningScope:
    return WarningScope(frozenset(paths), frozenset(sectors))


def test_recipients_are_the_region_below_the_sector_departments_and_the_office():
    """Plan §3.3: a Beijing finance warning reaches Beijing's offices (down the tree), the
    finance department, the Emergency Office and Beijing's finance operators; not telecom,
    not Shanghai, not the issuer."""
    got = recipients(scope(BJ, sectors=("finance",)), ALL, issuer_id=10,
                     level=WarningLevel.ORANGE)
    assert got == [1, 11, 13, 30, 40]  # orange also alerts national support teams (§3.4.2 (3))


def test_units_in_the_regions_and_sectors_and_the_provinces_cncert_branches():
    """Plan §3.3 ¶1 (通知有关部门和单位), §3.4.1 (2): the operating units of the scope's
    regions and sectors, the CNCERT branch of each province in scope; support units only when
    the issuer chooses."""
    finance = recipients(scope(BJ, sectors=("finance",)), UNITS, issuer_id=10,
                         level=WarningLevel.YELLOW)
    assert {40, 51} <= set(finance)
    assert not {41, 42, 50, 52, 60} & set(finance)  # telecom, Shanghai, national CERT, support
    everyone = recipients(scope(BJ), UNITS, issuer_id=10, level=WarningLevel.YELLOW)
    assert {40, 41, 51} <= set(everyone) and 60 not in everyone
    chosen = recipients(scope(BJ), UNITS, issuer_id=10, level=WarningLevel.YELLOW,
                        support_units=True)
    assert 60 in chosen
    city = recipients(scope(BJ_CITY), UNITS, issuer_id=13, level=WarningLevel.BLUE)
    assert 51 in city and 41 in city and 40 not in city  # the province's branch; the city's unit
    nation = recipients(scope(NATION), UNITS, issuer_id=1, level=WarningLevel.RED)
    assert {40, 41, 42, 50, 51, 52} <= set(nation)


def test_operating_units_get_the_unit_tasks():
    cs = checklist_scope(scope(BJ, sectors=("finance",)), UNITS, issuer_id=10)
    assert cs.unit_ids == (40,)  # CERTs and support units acknowledge; operators also act


def test_support_teams_receive_red_and_orange_only():
    for level, expected in ((WarningLevel.RED, True), (WarningLevel.ORANGE, True),
                            (WarningLevel.YELLOW, False), (WarningLevel.BLUE, False)):
        got = recipients(scope(BJ), ALL, issuer_id=10, level=level)
        assert (TEAM.id in got) is expected, level


def test_no_sector_means_every_department_of_the_region():
    got = recipients(scope(BJ), ALL, issuer_id=10, level=WarningLevel.BLUE)
    assert {11, 12} <= set(got)


def test_responders_are_the_named_regions_or_for_the_nation_its_provinces_and_departments():
    """Plan §3.4: 有关省（区、市）、部门."""
    assert responders(scope(BJ, sectors=("finance",)), ALL) == [10, 11]
    assert responders(scope(NATION), ALL) == [2, 10, 20]


def test_the_checklist_scope_adds_the_issuer_office_teams_and_the_emergency_office():
    cs = checklist_scope(scope(BJ_CITY), ALL, issuer_id=13)
    assert cs.responder_ids == (13,) and cs.emergency_office_id == 1
    assert cs.support_team_ids == (30,)


def test_acknowledgement_deadlines_lengthen_as_the_level_falls():
    ordered = [ACK_WITHIN[lv] for lv in (WarningLevel.RED, WarningLevel.ORANGE,
                                          WarningLevel.YELLOW, WarningLevel.BLUE)]
    assert ordered == sorted(ordered) and ordered[0] == timedelta(minutes=30)


def test_four_eyes_approval_by_the_issuing_body():
    ok = may_approve(drafted_by="ana", approver="lead", approver_body_id=10, issuer_body_id=10)
    assert ok.allowed and ok.basis.code == "approve.allowed"
    own = may_approve(drafted_by="ana", approver="ana", approver_body_id=10, issuer_body_id=10)
    assert [r.code for r in own.refusals] == ["approve.four_eyes"]
    other = may_approve(drafted_by="ana", approver="x", approver_body_id=20, issuer_body_id=10)
    assert [r.code for r in other.refusals] == ["approve.not_issuer"]
