"""Incidents with many owners and personal information (issue 16 items 5 and 6), through the
services on SQLite and PostgreSQL: a wave at units in two provinces routes each unit's incident
along its own chain and the parent rolls them up; an out-of-scope unit refuses the whole
request; a support unit's discovery at another unit routes along that unit's chain and counts
for it (Support obligation 7); a unit reported by someone else is told itself; the clock to tell
users of a personal-information leak (Law art. 42 ¶2) runs, runs out and stops."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from fenghuo.common.errors import Conflict, Refused, ValidationFailed
from fenghuo.common.pagination import PageParams
from fenghuo.common.periods import Month, day_of
from fenghuo.incident import accountability, handling, owners, personal_info, queries, service
from fenghuo.incident.models import Duty, Incident
from fenghuo.incident.schemas import (
    AffectedIn,
    FactsIn,
    InformedIn,
    ParentIn,
    ReportIn,
    StateIn,
    SupplementIn,
)
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import interchange
from fenghuo.org.models import Body
from fenghuo.sharing import bulletins
from fenghuo.support import service as support

PROFILE = "cac2025"


def wave(clock, units, **kw) -> ParentIn:
    base = dict(units=units, category="harmful-program", subcategory="harmful-program.botnet",
                title="僵尸网络 Botnet wave", found_at=clock.now() - timedelta(hours=1),
                impact="主机被控 hosts enrolled", measures="封堵控制端 C2 blocked")
    return ParentIn(**{**base, **kw})


def parent(rt, principal, clock, units, user="cncert_duty", **kw):
    return owners.create_parent(rt.uow, rt.clock, principal=principal(user),
                                data=wave(clock, units, **kw), profile=PROFILE)


def report(rt, principal, clock, user="bj_reporter", **kw):
    base = dict(category="information-destruction",
                subcategory="information-destruction.leak", title="客户信息泄露 PI leak",
                found_at=clock.now() - timedelta(hours=1), impact="数据外泄 data out",
                measures="关闭接口 API closed")
    return service.report(rt.uow, rt.clock, principal=principal(user),
                          data=ReportIn(**{**base, **kw}), profile=PROFILE)


def count(rt, model) -> int:
    with rt.uow() as s:
        return s.scalar(select(func.count()).select_from(model))


def children(rt, principal, ref, user="cncert_duty") -> dict:
    me = principal(user)
    listed = owners.list_affected(rt.uow, principal=me, ref=ref)
    return {u.unit: queries.get_incident(rt.uow, principal=me, ref=u.ref, now=rt.clock.now())
            for u in listed.units}


def test_a_wave_in_two_provinces_routes_each_unit_along_its_own_chain(rt, principal, clock):
    """Plan §4.1, CAC 2025 art. 4: each affected unit's incident goes to its own province."""
    out = parent(rt, principal, clock, ["bj-bank", "bj-telco", "sh-bank"])
    assert out.routes == [] and out.duties == []  # the parent only gathers its units
    assert (out.rollup.total, out.rollup.by_state, out.rollup.all_closed) == (
        3, {"reported": 3}, False)
    kids = children(rt, principal, out.ref)
    assert set(kids) == {"bj-bank", "bj-telco", "sh-bank"}
    acks = {unit: {d.body for d in i.duties if d.kind == "acknowledge"}
            for unit, i in kids.items()}
    assert "110000.office" in acks["bj-bank"] and "110000.office" in acks["bj-telco"]
    assert "310000.office" in acks["sh-bank"] and "110000.office" not in acks["sh-bank"]
    assert all(i.parent == out.ref and i.discovered_by == "cn.cncert" for i in kids.values())
    # the Beijing office sees its units' incidents, not Shanghai's
    bj = queries.list_incidents(rt.uow, principal=principal("bj_admin"),
                                page=PageParams(limit=50))
    assert {i.unit for i in bj.items} == {"bj-bank", "bj-telco"}


def test_the_parent_rolls_up_and_closes_only_when_every_unit_is_closed(rt, principal, clock):
    out = parent(rt, principal, clock, ["bj-bank", "bj-telco"])
    me = principal("cncert_duty")
    kids = children(rt, principal, out.ref)
    handling.supplement(rt.uow, rt.clock, principal=me, ref=kids["bj-bank"].ref,
                        data=SupplementIn(text="扩散", facts=FactsIn(data_threat="serious")))
    rolled = queries.get_incident(rt.uow, principal=me, ref=out.ref, now=clock.now())
    assert rolled.grade == rolled.rollup.worst_grade == "major"  # Plan §1.4: the highest
    handling.set_state(rt.uow, rt.clock, principal=me, ref=out.ref,
                       data=StateIn(state="handling"))
    with pytest.raises(Refused) as refused:
        handling.set_state(rt.uow, rt.clock, principal=me, ref=out.ref,
                           data=StateIn(state="resolved"))
    assert refused.value.reasons[0]["code"] == "parent.children_open"
    for child in kids.values():
        for state in ("resolved", "closed"):
            handling.set_state(rt.uow, rt.clock, principal=me, ref=child.ref,
                               data=StateIn(state=state))
    for state in ("resolved", "closed"):
        done = handling.set_state(rt.uow, rt.clock, principal=me, ref=out.ref,
                                  data=StateIn(state=state))
    assert done.state == "closed" and done.rollup.all_closed
    assert not [d for d in done.duties if d.kind == "final_report"]  # each unit owes its own
    with pytest.raises(Conflict):
        owners.add_affected(rt.uow, rt.clock, principal=me, ref=out.ref,
                            data=AffectedIn(units=["sh-bank"]))


def test_units_added_later_get_their_own_incident(rt, principal, clock):
    out = parent(rt, principal, clock, ["bj-bank"])
    more = owners.add_affected(rt.uow, rt.clock, principal=principal("cncert_duty"),
                               ref=out.ref, data=AffectedIn(units=["sh-bank"]))
    assert more.rollup.total == 2
    assert "310000.office" in {r.body for r in children(rt, principal, out.ref)["sh-bank"].routes}
    with pytest.raises(Conflict):  # already one of its units
        owners.add_affected(rt.uow, rt.clock, principal=principal("cncert_duty"), ref=out.ref,
                            data=AffectedIn(units=["sh-bank"]))


def test_one_unit_out_of_scope_refuses_the_whole_request(rt, principal, clock):
    """Law art. 30: the Beijing office may not report about a Shanghai unit; nothing is
    written, and the refusal names the unit."""
    before = (count(rt, Incident), count(rt, Duty), count(rt, OutboxMessage))
    with pytest.raises(Refused) as refused:
        parent(rt, principal, clock, ["bj-bank", "sh-bank", "no-such-unit"], user="bj_duty")
    named = [r["text_en"] for r in refused.value.reasons]
    assert len(named) == 2 and "'sh-bank'" in named[0] and "'no-such-unit'" in named[1]
    assert {r["source"] for r in refused.value.reasons} == {"Law art. 30"}
    with pytest.raises(ValidationFailed):
        parent(rt, principal, clock, ["bj-bank", "bj-bank"], user="bj_duty")
    assert (count(rt, Incident), count(rt, Duty), count(rt, OutboxMessage)) == before


def test_a_support_units_discovery_routes_along_the_units_chain(rt, principal, clock):
    """Support obligation 7: a support unit reports what it discovers at another unit; it goes
    along that unit's chain, the unit is told, and it counts as discovered for the support
    unit."""
    out = report(rt, principal, clock, user="bj_support", unit="bj-bank",
                 category="harmful-program", subcategory="harmful-program.trojan",
                 title="木马 Trojan found at the bank")
    assert (out.unit, out.source, out.discovered_by) == ("bj-bank", "support", "bj-support")
    assert {r.body for r in out.routes} == {"110000.office", "bj-finance-reg", "cn.mps"}
    assert [(d.body, d.address) for d in out.deliveries if d.body == "bj-bank"] == [
        ("bj-bank", "d***@bj-bank.example.cn")]  # masked: the support unit manages no channel
    month = support.obligations(rt.uow, rt.clock, principal=principal("bj_support"),
                                unit="bj-support").months[0]
    discovered = next(o for o in month.obligations if o.code == "discovered")
    assert discovered.value == 1 and discovered.obligation == 7
    with pytest.raises(ValidationFailed):  # an operator reports only about itself
        report(rt, principal, clock, unit="bj-telco")


def test_the_unit_reported_by_someone_else_is_told_itself(rt, principal, clock):
    """Issue 16: an incident filed by CNCERT about an operator reached only the offices."""
    out = report(rt, principal, clock, user="cncert_duty", unit="bj-bank",
                 personal_information={"records": 20000})
    with rt.uow() as s:
        sent = s.scalars(select(OutboxMessage).where(
            OutboxMessage.address == "duty@bj-bank.example.cn")).all()
    assert len(sent) == 1
    text = sent[0].text
    assert text.index("事件 What") < text.index("要求 Asked")  # Chinese first, line by line
    assert "信息破坏事件" in text and "一般" in text and "/web/incidents/" + out.ref in text
    assert "告知受影响用户" in text and "期限 Due" in text  # its own clock (Law art. 42)
    own = report(rt, principal, clock)  # the unit's own report: no notice to itself
    assert not [d for d in own.deliveries if d.body == "bj-bank"]


def test_the_clock_to_tell_users_runs_out_and_stops(rt, principal, clock):
    """Law art. 42 ¶2: 及时告知用户 — 72 h by default (FENGHUO_PI_INFORM_HOURS)."""
    out = report(rt, principal, clock, personal_information={"records": 5000})
    duty = next(d for d in out.duties if d.kind == "inform_users")
    assert (duty.body, duty.due_at) == ("bj-bank", out.found_at + timedelta(hours=72))
    assert out.personal_information.state == "due"
    clock.advance(hours=80)
    assert handling.sweep_overdue(rt.uow, rt.clock) >= 1
    me = principal("bj_reporter")
    late = queries.get_incident(rt.uow, principal=me, ref=out.ref, now=clock.now())
    assert late.personal_information.state == "overdue"
    assert any(e.kind == "clock_overdue" and e.detail["duty"] == "inform_users"
               for e in late.timeline)
    rows = {r.unit: r for r in accountability.reporting(
        rt.uow, rt.clock, principal=principal("bj_admin"), since=clock.now() - timedelta(days=7),
        until=clock.now())}
    assert rows["bj-bank"].overdue_duties == 1
    # the dashboard's query says the same of the overdue clocks (issue 21)
    week = {"since": clock.now() - timedelta(days=7), "until": clock.now()}
    overdue = accountability.overdue(rt.uow, rt.clock, principal=principal("bj_admin"), **week)
    assert {(r.unit, r.overdue_duties, r.overdue_investigations) for r in overdue} == {
        (r.unit, r.overdue_duties, r.overdue_investigations) for r in rows.values()
        if r.overdue_duties or r.overdue_investigations}
    with pytest.raises(ValidationFailed):
        personal_info.record_informed(rt.uow, rt.clock, principal=me, ref=out.ref, data=InformedIn(
            at=clock.now() + timedelta(days=1), how="短信 SMS", count=4800))
    told = personal_info.record_informed(rt.uow, rt.clock, principal=me, ref=out.ref,
                                         data=InformedIn(at=clock.now() - timedelta(hours=1),
                                                         how="短信 SMS", count=4800))
    assert told.personal_information.state == "informed_late"
    assert next(d for d in told.duties if d.kind == "inform_users").state == "late"
    with pytest.raises(Conflict):
        personal_info.record_informed(rt.uow, rt.clock, principal=me, ref=out.ref,
                                      data=InformedIn(at=clock.now(), how="邮件", count=1))


def test_a_leak_found_later_starts_the_clock_then(rt, principal, clock):
    out = report(rt, principal, clock, category="network-attack", subcategory=None)
    assert out.personal_information is None
    clock.advance(hours=5)
    out = handling.supplement(rt.uow, rt.clock, principal=principal("bj_reporter"), ref=out.ref,
                              data=SupplementIn(text="发现数据泄露",
                                                facts=FactsIn(personal_records_leaked=3000)))
    duty = next(d for d in out.duties if d.kind == "inform_users")
    assert duty.starts_at == clock.now() and out.personal_information.records == 3000
    exempt = report(rt, principal, clock, personal_information={
        "records": 10, "inform_users": False, "reason": "加密数据，密钥未泄露 keys safe"})
    assert exempt.personal_information.state == "not_required"
    assert not [d for d in exempt.duties if d.kind == "inform_users"]


def test_nothing_is_recorded_on_a_closed_incident(rt, principal, clock):
    out = report(rt, principal, clock, personal_information={"records": 50})
    for state in ("resolved", "closed"):
        handling.set_state(rt.uow, rt.clock, principal=principal("bj_duty"), ref=out.ref,
                           data=StateIn(state=state))
    me = principal("bj_reporter")
    with pytest.raises(Conflict):
        personal_info.record_informed(rt.uow, rt.clock, principal=me, ref=out.ref,
                                      data=InformedIn(at=clock.now(), how="短信", count=50))
    with pytest.raises(Conflict):
        handling.supplement(rt.uow, rt.clock, principal=me, ref=out.ref,
                            data=SupplementIn(text="late news"))


def _operators(n: int) -> str:
    rows = [f'  - {{key: op-{p}-{i}, kind: operator, jurisdiction: "{p}", name_zh: 单位{i}, '
            f'name_en: Unit {i}, sectors: [telecom], contacts: [{{name: Duty, channel: email, '
            f'value: "op{p}{i}@example.cn"}}]}}'
            for i in range(n) for p in ("110000", "310000")]
    return "bodies:\n" + "\n".join(rows) + "\n"


def test_many_units_take_the_same_few_statements_as_a_handful(rt, principal, clock):
    """A wave's units are written in batches (CAC 2025 art. 4 clocks for each): the statements
    do not grow with the units."""
    doc = interchange.parse_yaml(_operators(40), "wave.yaml")
    interchange.import_document(rt.uow, rt.clock, principal=None, doc=doc)
    keys = [f"op-{p}-{i}" for i in range(40) for p in ("110000", "310000")]
    parent(rt, principal, clock, keys[:2])  # warm: the org snapshot is loaded once

    def statements(units: list[str]) -> int:
        seen = []
        listen = lambda *a, **k: seen.append(1)  # noqa: E731
        event.listen(rt.engine, "before_cursor_execute", listen)
        try:
            parent(rt, principal, clock, units)
        finally:
            event.remove(rt.engine, "before_cursor_execute", listen)
        return len(seen)

    few, many = statements(keys[2:6]), statements(keys[6:])
    assert many == few
    with rt.uow() as s:
        wave_children = s.scalar(select(func.count()).select_from(Incident).where(
            Incident.parent_id.is_not(None)))
        notices = s.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.address.like("op%@example.cn")))
    assert wave_children == notices == 80  # every unit told, each its own incident


def test_a_bulletin_counts_each_affected_unit_and_not_the_parent(rt, principal, clock):
    # the parent only groups its units' incidents (issue 16 item 5): two units, two incidents
    parent(rt, principal, clock, ["bj-bank", "sh-bank"])
    with rt.uow() as s:
        issuer = s.scalar(select(Body).where(Body.key == "cn.cncert"))
        data = bulletins.assemble(s, issuer=issuer, kind="monthly",
                                  period=Month.of(day_of(rt.clock.now())), now=rt.clock.now())
    assert data["figures"]["incidents"]["count"] == 2
