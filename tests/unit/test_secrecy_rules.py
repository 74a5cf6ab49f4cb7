"""Pure rule: an incident meeting Plan §1.4 criterion ② (state secrets, important sensitive
information or key data) also goes to the secrecy administration (Plan §2.1 国家保密局等相关部门
按照职责分工负责相关网络安全事件应对工作), the province's before the State Secrecy Bureau."""

from __future__ import annotations

import pytest

from fenghuo.incident import grading, rules
from fenghuo.incident.rules import Candidate, ClockSettings, Subject
from fenghuo.org.rules import BodyFunction, BodyKind

NSSB = Candidate(104, BodyKind.DEPARTMENT, 1, frozenset({"finance"}), BodyFunction.STATE_SECRECY)
PROV_SECRECY = Candidate(204, BodyKind.DEPARTMENT, 2, frozenset({"e-government"}),
                         BodyFunction.STATE_SECRECY)
PROV_OFFICE = Candidate(200, BodyKind.OFFICE, 2, frozenset(), None)
PROV_FIN = Candidate(201, BodyKind.DEPARTMENT, 2, frozenset({"finance"}), None)
UNIT = Subject(500, BodyKind.OPERATOR, "finance", False, (3, 2, 1))


def routed(cands, *, secrets: bool, grade: str = "relatively_major") -> dict[int, set[str]]:
    return {r.body_id: {x.code for x in r.reasons}
            for r in rules.route(UNIT, grade, cands, ClockSettings(), secrets=secrets)}


def test_plan_2_1_criterion_two_reaches_the_nearest_secrecy_administration():
    got = routed([NSSB, PROV_SECRECY, PROV_OFFICE, PROV_FIN], secrets=True)
    assert got == {204: {"state_secrecy"}, 200: {"local_office"}, 201: {"sector_department"}}
    assert routed([NSSB, PROV_OFFICE, PROV_FIN], secrets=True)[104] == {"state_secrecy"}
    route = next(r for r in rules.route(UNIT, "general", [NSSB], ClockSettings(), secrets=True))
    assert route.reasons[0].source == "Plan §2.1; Plan §1.4 criterion ②"
    assert "国家秘密" in route.reasons[0].text_zh and not route.immediate


def test_plan_2_1_without_criterion_two_the_secrecy_administration_is_not_reached():
    """A secrecy administration is no sector department (it has a routing function)."""
    assert routed([NSSB, PROV_SECRECY, PROV_OFFICE, PROV_FIN], secrets=False) == {
        200: {"local_office"}, 201: {"sector_department"}}


@pytest.mark.parametrize(("facts", "expected"), [
    (grading.GradingFacts(data_threat="relatively_serious"), True),
    (grading.GradingFacts(data_threat="especially_serious", other_threat="serious"), True),
    (grading.GradingFacts(data_threat="minor"), False),  # reaches no criterion
    (grading.GradingFacts(other_threat="serious"), False),
    (grading.GradingFacts(), False),
])
def test_plan_1_4_criterion_two_is_read_from_the_grading(facts, expected):
    result = grading.grade(facts, grading.load_profile("plan2017"))
    assert rules.secrets_at_stake(r.code for r in result.reasons) is expected
