"""The notice bell's service on SQLite and PostgreSQL (issue 19 item 7): what reached the
caller's body, unread since the user last looked (Law art. 30: their body only)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from fenghuo.incident.models import Duty, Incident
from fenghuo.notify import inbox_rules as rules
from fenghuo.notify.inbox import inbox, mark_seen
from fenghuo.org.models import User
from fenghuo.supervision import service as supervision
from fenghuo.supervision.schemas import DirectiveIn
from tests.integration.test_queue import _report
from tests.integration.test_warnings import published


def _refs(box, kind):
    return [i.ref for i in box.items if i.kind == kind]


def test_a_routed_incident_is_an_unread_notice_of_the_receiving_body_only(rt, principal, clock):
    duty = principal("bj_duty")
    mark_seen(rt.uow, rt.clock, duty)
    mark_seen(rt.uow, rt.clock, principal("sh_admin"))
    clock.advance(minutes=1)
    before_sh = inbox(rt.uow, rt.clock, principal("sh_admin")).unread
    out = _report(rt, principal, clock)
    box = inbox(rt.uow, rt.clock, duty)
    mine = [i for i in box.items if i.ref == out.ref and i.kind == "incident_routed"]
    assert mine and mine[0].unread and mine[0].link == f"/web/incidents/{out.ref}"
    assert mine[0].kind_label == rules.KIND_LABELS["incident_routed"]
    assert box.unread >= 1
    other = inbox(rt.uow, rt.clock, principal("sh_admin"))
    assert out.ref not in [i.ref for i in other.items]
    assert other.unread == before_sh


def test_mark_seen_clears_the_count_and_a_later_one_counts_again(rt, principal, clock):
    duty = principal("bj_duty")
    first = _report(rt, principal, clock)
    assert inbox(rt.uow, rt.clock, duty).unread >= 1
    seen = mark_seen(rt.uow, rt.clock, duty)
    with rt.uow() as s:
        assert s.scalar(select(User.notices_seen_at).where(User.id == duty.user_id)) == seen
    box = inbox(rt.uow, rt.clock, duty)
    assert box.unread == 0 and box.seen_at == seen
    assert not any(i.unread for i in box.items if i.ref == first.ref)
    clock.advance(minutes=2)
    second = _report(rt, principal, clock)
    box = inbox(rt.uow, rt.clock, duty)
    assert box.unread == 1
    assert [i.ref for i in box.items if i.unread] == [second.ref]
    assert _refs(box, "incident_routed")[0] == second.ref  # newest first


def _add_duty(rt, principal, ref, due, starts):
    body = principal("bj_duty").body_id
    with rt.uow() as s:
        incident_id = s.scalar(select(Incident.id).where(Incident.ref == ref))
        d = Duty(incident_id=incident_id, body_id=body, kind="final_report", source="test",
                 starts_at=starts, due_at=due)
        s.add(d)
        s.flush()
        return d.id


def test_a_clock_due_within_the_window_appears_and_rings_once(rt, principal, clock):
    duty = principal("bj_duty")
    out = _report(rt, principal, clock)
    mark_seen(rt.uow, rt.clock, duty)
    clock.advance(minutes=1)
    now = clock.now()
    soon = _add_duty(rt, principal, out.ref, now + timedelta(minutes=10), now)
    later = _add_duty(rt, principal, out.ref, now + timedelta(minutes=40), now)
    box = inbox(rt.uow, rt.clock, duty, limit=50)
    clocks = {i.row_id: i for i in box.items if i.kind.startswith("clock_")}
    assert soon in clocks and later not in clocks
    assert clocks[soon].kind == "clock_expiring" and clocks[soon].unread
    assert clocks[soon].due_at == now + timedelta(minutes=10)
    assert clocks[soon].detail == ("提交总结报告", "submit the final report")
    assert box.unread == 1
    mark_seen(rt.uow, rt.clock, duty)
    clock.advance(minutes=30)  # soon is overdue, later entered its window after the look
    box = inbox(rt.uow, rt.clock, duty, limit=50)
    clocks = {i.row_id: i for i in box.items if i.kind.startswith("clock_")}
    assert clocks[soon].kind == "clock_overdue" and not clocks[soon].unread
    assert clocks[later].kind == "clock_expiring" and clocks[later].unread
    assert [i.row_id for i in box.items if i.unread] == [later]
    other = inbox(rt.uow, rt.clock, principal("sh_admin"), limit=50)
    assert soon not in {i.row_id for i in other.items if i.kind.startswith("clock_")}


def test_a_received_warning_and_a_directive_are_notices_of_their_recipients(rt, principal,
                                                                          clock):
    for user in ("bj_fin", "bj_reporter", "sh_admin"):
        mark_seen(rt.uow, rt.clock, principal(user))
    clock.advance(minutes=1)
    w = published(rt, principal, clock)
    fin = inbox(rt.uow, rt.clock, principal("bj_fin"), limit=50)
    got = [i for i in fin.items if i.ref == w.ref and i.kind == "warning_received"]
    assert got and got[0].unread and got[0].link == f"/web/warnings/{w.ref}"
    assert fin.unread >= 1
    assert w.ref not in {i.ref for i in inbox(rt.uow, rt.clock, principal("sh_admin")).items}
    item = supervision.issue_directive(
        rt.uow, rt.clock, principal=principal("bj_admin"),
        data=DirectiveIn(unit="bj-bank", title="限期整改 fix the VPN", requirements="修补 patch",
                         due_at=clock.now() + timedelta(days=3)))
    unit = inbox(rt.uow, rt.clock, principal("bj_reporter"), limit=50)
    assert [i.kind for i in unit.items if i.ref == item.ref] == ["supervision"]
    assert item.ref not in {i.ref for i in inbox(rt.uow, rt.clock, principal("bj_fin")).items}


def test_the_badge_stops_at_the_cap():
    assert rules.badge(0) == "" and rules.badge(5) == "5"
    assert rules.badge(rules.UNREAD_CAP + 1) == f"{rules.UNREAD_CAP}+"
