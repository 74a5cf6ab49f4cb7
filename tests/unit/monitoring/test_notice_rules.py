"""The pure rules of owner notices (issue 16 item 2): at once or in the daily digest (Law art. 31,
Plan §3.2), the deadline and the digest hour, the states (409 on a closed notice), reminders
then the local office (Plan §7.10), who sends and who decides (Law art. 30)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from fenghuo.monitoring import notice_rules as r
from fenghuo.org.rules import BodyKind

POLICY = r.Policy()
BANK = r.Unit(kind=BodyKind.OPERATOR, cii=True, sectors=frozenset({"finance"}))
TELCO = r.Unit(kind=BodyKind.OPERATOR, cii=False, sectors=frozenset({"telecom"}))
EGOV = r.Unit(kind=BodyKind.OPERATOR, cii=False, sectors=frozenset({"e-government"}))
OFFICE = r.Unit(kind=BodyKind.OFFICE, cii=False, sectors=frozenset())
T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(("unit", "kind", "code"), [
    (BANK, "scanner", "notice.cii"),  # anything on a CII unit (Law art. 31)
    (EGOV, "c2-server", "notice.government"),  # a C2 server in a government network
    (OFFICE, "backdoor", "notice.government"),  # an office's own network is the state's
    (EGOV, "scanner", None),  # other events of a government unit: the digest
    (TELCO, "c2-server", None),  # a C2 server at a private telco: the digest
])
def test_what_goes_out_at_once(unit, kind, code):
    why = r.urgency(unit, kind, POLICY)
    assert (why.code if why else None) == code
    if why:
        assert why.source and why.text_zh and why.text_en


def test_the_thresholds_are_settings():
    quiet = r.Policy(immediate_cii=False, immediate_kinds=frozenset({"phishing"}),
                     government_sectors=frozenset({"telecom"}))
    assert r.urgency(BANK, "scanner", quiet) is None
    assert r.urgency(TELCO, "phishing", quiet).code == "notice.government"
    assert r.urgency(TELCO, "c2-server", quiet) is None


def test_deadlines_and_the_digest_hour():
    assert r.deadline(T0, r.Mode.IMMEDIATE, POLICY) == T0 + timedelta(hours=24)
    assert r.deadline(T0, r.Mode.DIGEST, POLICY) == T0 + timedelta(hours=72)
    # the digest of 1 December (CST) goes out on 2 December at 08:00 Beijing time
    assert r.digest_due_at(date(2026, 12, 1), POLICY) == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)


def test_states_and_a_clear_conflict_on_a_closed_notice():
    S, A = r.NoticeState, r.NoticeAction
    assert r.action_conflict(S.SENT, A.FEEDBACK) is None
    assert r.action_conflict(S.ACKNOWLEDGED, A.CONTEST) is None
    assert r.action_conflict(S.FEEDBACK_REPORTED, A.CLOSE) is None
    assert r.action_conflict(S.CONTESTED, A.RESOLVE) is None
    assert "already closed" in r.action_conflict(S.CLOSED, A.FEEDBACK)
    assert "already resolved" in r.action_conflict(S.RESOLVED, A.ACKNOWLEDGE)
    assert "resolve" in r.action_conflict(S.CONTESTED, A.FEEDBACK)  # says what can be done
    assert r.action_conflict(S.PENDING, A.ACKNOWLEDGE)  # not sent yet
    assert set(r.STATE_LABELS) == set(S)
    assert frozenset({S.CLOSED, S.RESOLVED}) == r.TERMINAL


def test_reminders_then_the_local_office_each_once():
    due = T0 + timedelta(hours=24)
    step = r.next_step
    assert step(due - timedelta(hours=5), due, 0, False, POLICY) is None
    assert step(due - timedelta(hours=3), due, 0, False, POLICY) is r.Step.REMIND
    assert step(due - timedelta(hours=3), due, 1, False, POLICY) is None
    assert step(due, due, 1, False, POLICY) is r.Step.OVERDUE
    assert step(due + timedelta(hours=2), due, 0, False, POLICY) is r.Step.OVERDUE  # late run
    assert step(due + timedelta(hours=23), due, 2, False, POLICY) is None
    assert step(due + timedelta(hours=24), due, 2, False, POLICY) is r.Step.TELL_OFFICE
    assert step(due + timedelta(days=9), due, 2, True, POLICY) is None


def test_unremediated_is_past_the_deadline_without_feedback():
    due = T0
    assert r.unremediated(r.NoticeState.ACKNOWLEDGED, due, T0)
    assert not r.unremediated(r.NoticeState.ACKNOWLEDGED, due, T0 - timedelta(seconds=1))
    for state in (r.NoticeState.FEEDBACK_REPORTED, r.NoticeState.CLOSED,
                  r.NoticeState.RESOLVED, r.NoticeState.CONTESTED):
        assert not r.unremediated(state, due, T0 + timedelta(days=1))


def test_who_sends_and_who_decides():
    assert r.may_send(BodyKind.OFFICE, True, "bj-bank").allowed
    outside = r.may_send(BodyKind.OFFICE, False, "sh-bank")
    assert [x.code for x in outside.refusals] == ["notice.scope"]
    assert "Law art. 30" in outside.refusals[0].source
    unit = r.may_send(BodyKind.OPERATOR, True, "bj-bank")
    assert [x.code for x in unit.refusals] == ["notice.sender"]
    assert r.may_decide(BodyKind.CERT, False, True).allowed
    assert not r.may_decide(BodyKind.OPERATOR, True, True).allowed
    assert not r.may_decide(BodyKind.OFFICE, False, False).allowed
