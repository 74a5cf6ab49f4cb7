"""Omitted reports (漏报, Plan §7.10) in the accountability view, on SQLite and PostgreSQL: an
incident CNCERT discovered at a unit counts against the unit only when the unit was told (the
notice reached its contact through the outbox, to a real SMTP server) or knew, and did not
report within its clock (CAC 2025 art. 4: 1 h for a CII operator); and a supplementary report
raising the grade after the first-report clock counts as omitting important circumstances."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fenghuo.common.errors import ValidationFailed
from fenghuo.incident import accountability, handling, service
from fenghuo.incident.omission_rules import Ground
from fenghuo.incident.schemas import FactsIn, RegradeIn, SupplementIn
from fenghuo.preparedness import accountability as view
from tests.integration.test_delivery import worker_for
from tests.integration.test_reporting_chain import PROFILE, file, report_data
from tests.peers import SMTPPeer


def by_cncert(rt, principal, clock, unit: str = "bj-bank"):
    """CNCERT's monitoring found it and reported it about ``unit`` (source "monitoring")."""
    return service.report(rt.uow, rt.clock, principal=principal("cncert_duty"),
                          data=report_data(clock, unit=unit, system=None), profile=PROFILE)


def rows(rt, principal, clock, user: str = "bj_admin") -> dict:
    return {r.unit: r for r in accountability.reporting(
        rt.uow, rt.clock, principal=principal(user), since=clock.now() - timedelta(days=1),
        until=clock.now() + timedelta(days=1))}


def grounds(row, ref: str) -> list[str]:
    return [g.code for o in row.omissions if o.ref == ref for g in o.grounds]


def deliver(rt) -> None:
    with SMTPPeer() as smtp:
        worker = worker_for(rt, smtp.port)
        while worker.deliver_once():
            pass
        assert any(m["To"] == "duty@bj-bank.example.cn" for m in smtp.box.messages)


def test_discovered_and_never_told_is_no_omission(rt, principal, clock):
    """Plan §7.10 punishes not reporting, not being discovered: CNCERT's report about bj-bank
    whose notice never left the outbox, and about bj-telco, which has no channel at all, five
    hours on, are neither unit's omission."""
    by_cncert(rt, principal, clock)
    by_cncert(rt, principal, clock, unit="bj-telco")
    clock.advance(hours=5)
    found = rows(rt, principal, clock)
    assert (found["bj-bank"].incidents, found["bj-bank"].omitted) == (1, 0)
    assert (found["bj-telco"].incidents, found["bj-telco"].omitted) == (1, 0)


def test_told_and_not_reported_in_its_clock_is_an_omission(rt, principal, clock):
    """Two CNCERT reports reach bj-bank's duty address; it answers one within its hour (a
    supplementary report, as the notice asks) and stays silent on the other: only the silent
    one is an omission, on the ground "told and did not report" (Plan §7.10; CAC 2025 art. 4)."""
    silent = by_cncert(rt, principal, clock)
    answered = by_cncert(rt, principal, clock)
    deliver(rt)
    clock.advance(minutes=30)
    handling.supplement(rt.uow, rt.clock, principal=principal("bj_reporter"), ref=answered.ref,
                        data=SupplementIn(text="已核实，正在处置 verified, handling"))
    assert rows(rt, principal, clock)["bj-bank"].omitted == 0  # the hour still runs
    clock.advance(hours=2)
    bank = rows(rt, principal, clock)["bj-bank"]
    assert bank.omitted == 1
    assert grounds(bank, silent.ref) == [Ground.TOLD.value]
    assert grounds(bank, answered.ref) == []
    [o] = bank.omissions
    assert o.due_at - o.aware_at == timedelta(hours=1)
    assert o.grounds[0].source.startswith("Plan §7.10")
    # the whole view shows the ground with the omission, and its CSV names it
    out = view.accountability(rt.uow, rt.clock, principal=principal("bj_admin"),
                              since=clock.now() - timedelta(days=1),
                              until=clock.now() + timedelta(days=1))
    row = next(r for r in out.rows if r.body == "bj-bank")
    assert [(x.ref, [g.code for g in x.grounds]) for x in row.omissions] == [
        (silent.ref, [Ground.TOLD.value])]
    assert f"{silent.ref}: 被告知后未在时限内报告" in view.as_csv(out)
    assert "bj-bank" not in rows(rt, principal, clock, "sh_admin")  # Law art. 30


def test_a_unit_that_knew_earlier_and_kept_silent(rt, principal, clock):
    """Never told (the notice stayed in the outbox), bj-bank answers three hours later and says
    it found the incident five hours before CNCERT reported it: it knew, and did not report."""
    known = by_cncert(rt, principal, clock)
    reported_at = clock.now()
    clock.advance(hours=3)
    handling.supplement(rt.uow, rt.clock, principal=principal("bj_reporter"), ref=known.ref,
                        data=SupplementIn(text="我方早已发现 we had seen it",
                                          found_at=reported_at - timedelta(hours=5)))
    bank = rows(rt, principal, clock)["bj-bank"]
    assert grounds(bank, known.ref) == [Ground.KNEW.value]
    assert bank.omissions[0].aware_at == reported_at - timedelta(hours=5)


def test_a_supplement_raising_the_grade_after_the_clock_omitted_circumstances(
        rt, principal, clock):
    """bj-bank's own reports (a CII operator: 1 h from finding it): the supplementary report
    that makes one major within the hour is no omission; the one that makes the other major two
    hours later omitted important circumstances (漏报重要情况, Plan §7.10)."""
    early = file(rt, principal, clock, found_at=clock.now() - timedelta(minutes=10))
    late = file(rt, principal, clock, found_at=clock.now() - timedelta(minutes=10))
    serious = SupplementIn(text="核心系统瘫痪 core down", facts=FactsIn(system_loss="serious"))
    clock.advance(minutes=20)
    handling.supplement(rt.uow, rt.clock, principal=principal("bj_reporter"), ref=early.ref,
                        data=serious)
    clock.advance(hours=2)
    handling.supplement(rt.uow, rt.clock, principal=principal("bj_reporter"), ref=late.ref,
                        data=SupplementIn(text="仅补充处置进展 progress only"))
    assert rows(rt, principal, clock)["bj-bank"].omitted == 0  # no grade raised
    out = handling.supplement(rt.uow, rt.clock, principal=principal("bj_reporter"),
                              ref=late.ref, data=serious)
    assert out.grade == "major"
    bank = rows(rt, principal, clock)["bj-bank"]
    assert bank.omitted == 1
    assert grounds(bank, late.ref) == [Ground.CIRCUMSTANCES.value]
    # an office raising the grade is not the unit's omission
    other = file(rt, principal, clock, found_at=clock.now() - timedelta(hours=3))
    handling.regrade(rt.uow, rt.clock, principal=principal("bj_analyst"), ref=other.ref,
                     data=RegradeIn(facts=FactsIn(system_loss="serious"), reason="office found"))
    assert rows(rt, principal, clock)["bj-bank"].omitted == 1


def test_a_found_time_in_the_future_is_refused(rt, principal, clock):
    """The unit's own found time is a fact of its report (CAC 2025 art. 7): not in the future."""
    incident = by_cncert(rt, principal, clock)
    with pytest.raises(ValidationFailed) as info:
        handling.supplement(rt.uow, rt.clock, principal=principal("bj_reporter"),
                            ref=incident.ref, data=SupplementIn(
                                text="x", found_at=clock.now() + timedelta(days=1)))
    assert [e.field for e in info.value.errors] == ["found_at"]
