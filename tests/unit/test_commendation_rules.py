"""Who gives commendations (Plan §7.10; Support obligation 9 通报表扬), and who decides on
responsible persons (处分) and names persons in a commendation (Plan §7.10)."""

from __future__ import annotations

import pytest

from fenghuo.org.rules import BodyKind
from fenghuo.preparedness.rules import (
    COMMENDING_KINDS,
    DECIDING_KINDS,
    Sanction,
    may_commend,
    may_decide_on_person,
    persons_within,
    sanction_problem,
)


@pytest.mark.parametrize("kind", list(BodyKind))
def test_only_groups_offices_departments_and_cncert_commend(kind):
    decision = may_commend(kind)
    assert decision.allowed is (kind in COMMENDING_KINDS)
    if decision.allowed:
        assert decision.basis.source == "Plan §7.10"
    else:
        assert [r.code for r in decision.refusals] == ["commend.not_authority"]


def test_the_commending_kinds():
    assert {BodyKind.OFFICE, BodyKind.CERT, BodyKind.DEPARTMENT} <= COMMENDING_KINDS
    assert BodyKind.OPERATOR not in COMMENDING_KINDS
    assert BodyKind.SUPPORT_UNIT not in COMMENDING_KINDS


# --- responsible persons (Plan §7.10) ---------------------------------------------------------

@pytest.mark.parametrize("kind", list(BodyKind))
def test_only_groups_offices_and_departments_decide_on_persons(kind):
    """Plan §7.10: 中央网信办及有关地区和部门 … 对有关责任人给予处分."""
    decision = may_decide_on_person(kind, bodies={"bj-bank": True})
    assert decision.allowed is (kind in DECIDING_KINDS)
    if not decision.allowed:
        assert [r.code for r in decision.refusals] == ["accountability.not_authority"]
    else:
        assert decision.basis.source == "Plan §7.10"


def test_the_persons_body_must_be_under_the_deciders_authority():
    decision = may_decide_on_person(BodyKind.OFFICE, bodies={"sh-bank": False})
    assert [r.code for r in decision.refusals] == ["accountability.outside_authority"]
    assert "sh-bank" in decision.refusals[0].text_en
    both = may_decide_on_person(BodyKind.OPERATOR, bodies={"sh-bank": False})
    assert [r.code for r in both.refusals] == ["accountability.not_authority",
                                               "accountability.outside_authority"]


def test_a_commendation_names_persons_of_bodies_under_authority_only():
    assert persons_within({"bj-bank": True, "bj-telco": True}).allowed
    refused = persons_within({"bj-bank": True, "sh-bank": False})
    assert [r.text_en for r in refused.refusals] == [
        "body 'sh-bank' is not under your body's authority (or does not exist)"]


def test_another_decision_must_be_said_in_words():
    assert sanction_problem(Sanction.OTHER, None)
    assert sanction_problem(Sanction.OTHER, "  ")
    assert sanction_problem(Sanction.OTHER, "诫勉谈话") is None
    assert sanction_problem(Sanction.WARNING, None) is None
