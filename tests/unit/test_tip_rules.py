"""The pure rules of public tips (Law art. 14; incident/tip_rules.py): which action fits which
state, who may receive a transfer (移送), what kind of authority the tipster is told of, the
handling clock, the public status, and the receipt code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fenghuo.incident import tip_rules as r
from fenghuo.org.rules import BodyFunction, BodyKind

NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
BEIJING, SHANGHAI, NATION = "/1/2/", "/1/9/", "/1/"


def receiver(kind=BodyKind.DEPARTMENT, path=NATION, *, id=7, active=True, function=None):  # noqa: A002
    return r.Receiver(id=id, kind=kind, function=function, active=active,
                      jurisdiction_path=path)


def codes(decision) -> list[str]:
    return [x.code for x in decision.refusals]


@pytest.mark.parametrize(("state", "action", "conflict"), [
    (r.TipState.RECEIVED, r.TipAction.ACCEPT, None),
    (r.TipState.RECEIVED, r.TipAction.TRANSFER, None),
    (r.TipState.TRANSFERRED, r.TipAction.ACCEPT, None),
    (r.TipState.TRANSFERRED, r.TipAction.TRANSFER, None),  # onward, if it is not its duty either
    (r.TipState.ACCEPTED, r.TipAction.CLOSE, None),
    (r.TipState.ACCEPTED, r.TipAction.TRANSFER, None),
    (r.TipState.ACCEPTED, r.TipAction.ACCEPT, "already accepted"),
    (r.TipState.CLOSED, r.TipAction.CLOSE, "already closed"),
    (r.TipState.CLOSED, r.TipAction.TRANSFER, "already closed"),
    (r.TipState.CONVERTED, r.TipAction.ACCEPT, "already converted"),
])
def test_actions_fit_states(state, action, conflict):
    problem = r.action_conflict(state, action)
    assert (problem is None) == (conflict is None)
    if conflict:
        assert conflict in problem
    assert {r.TipState.CLOSED, r.TipState.CONVERTED} == r.TERMINAL


def test_an_office_anywhere_and_a_department_of_the_place_may_receive():
    for target in (receiver(BodyKind.OFFICE, SHANGHAI), receiver(BodyKind.DEPARTMENT, NATION),
                   receiver(BodyKind.DEPARTMENT, BEIJING), receiver(BodyKind.DEPARTMENT,
                                                                    BEIJING + "5/")):
        decision = r.may_transfer(1, target, BEIJING)
        assert decision.allowed and decision.basis.code == "tip_transfer.competent"
        assert decision.basis.source == "Law art. 14"


@pytest.mark.parametrize(("target", "rules"), [
    (receiver(BodyKind.DEPARTMENT, SHANGHAI), ["tip_transfer.out_of_region"]),
    (receiver(BodyKind.OPERATOR, BEIJING), ["tip_transfer.not_a_department"]),
    (receiver(BodyKind.CERT, NATION), ["tip_transfer.not_a_department"]),
    (receiver(BodyKind.SUPPORT_UNIT, BEIJING), ["tip_transfer.not_a_department"]),
    (receiver(BodyKind.OFFICE, BEIJING, id=1), ["tip_transfer.self"]),
    (receiver(BodyKind.LINKAGE_UNIT, BEIJING, active=False),
     ["tip_transfer.inactive", "tip_transfer.not_a_department"]),
])
def test_anything_else_is_refused_naming_every_rule(target, rules):
    decision = r.may_transfer(1, target, BEIJING)
    assert not decision.allowed and codes(decision) == rules
    assert all(x.text_zh and x.text_en and "Law art. 14" in x.source for x in decision.refusals)


def test_the_tipster_is_told_the_kind_of_authority():
    ps = r.authority_kind(BodyKind.DEPARTMENT, BodyFunction.PUBLIC_SECURITY, frozenset({"telecom"}))
    assert r.AUTHORITY_LABELS[ps] == ("公安机关", "the public security organ")
    assert r.authority_kind(BodyKind.DEPARTMENT, None, frozenset({"telecom"})) == (
        r.AuthorityKind.TELECOM)
    assert r.authority_kind(BodyKind.DEPARTMENT, None, frozenset({"finance"})) == (
        r.AuthorityKind.SECTOR)
    assert r.authority_kind(BodyKind.OFFICE, None, frozenset()) == r.AuthorityKind.CYBERSPACE
    assert r.authority_kind(BodyKind.DEPARTMENT, BodyFunction.STATE_SECRECY, frozenset()) == (
        r.AuthorityKind.STATE_SECRECY)


def test_the_clock_is_a_project_rule_with_its_source():
    clocks = r.TipClocks(decide_hours=24, close_days=10)
    decide, close = r.decide_clock(NOW, clocks), r.close_clock(NOW, clocks)
    assert (decide.kind, decide.due_at) == (r.ClockKind.DECIDE, NOW + timedelta(hours=24))
    assert (close.kind, close.due_at) == (r.ClockKind.CLOSE, NOW + timedelta(days=10))
    assert "Law art. 14" in decide.source and "project rule" in decide.source
    assert r.TipClocks() == r.TipClocks(decide_hours=72, close_days=30)


def test_the_public_status_hides_the_handling():
    assert r.public_status(r.TipState.CONVERTED) == r.PublicStatus.HANDLING
    assert r.public_status(r.TipState.ACCEPTED) == r.PublicStatus.HANDLING
    assert r.public_status(r.TipState.TRANSFERRED) == r.PublicStatus.TRANSFERRED
    assert {r.public_status(s) for s in r.TipState} == set(r.PublicStatus)


def test_receipt_codes_are_random_and_forgiving_to_type():
    codes_ = {r.new_receipt_code() for _ in range(200)}
    assert len(codes_) == 200
    code = codes_.pop()
    assert len(code) == 23 and code.count("-") == 3
    assert not set(code.replace("-", "")) & set("01OIL")
    assert r.receipt_hash(code) == r.receipt_hash(f"  {code.lower().replace('-', ' ')} ")
    assert r.receipt_hash(code) != r.receipt_hash(code[:-1] + ("A" if code[-1] != "A" else "B"))
