"""The work queue service on SQLite and PostgreSQL (issue 19)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from fenghuo.incident import casework, handling, service
from fenghuo.incident.models import Incident
from fenghuo.incident.schemas import ReportIn
from fenghuo.monitoring.notice_models import OwnerNotice
from fenghuo.org.models import Body, User
from fenghuo.queue import rules
from fenghuo.queue.service import queue_for
from fenghuo.supervision import service as supervision
from fenghuo.supervision.schemas import DirectiveIn
from fenghuo.warning import monitoring
from fenghuo.warning import service as warnings
from tests.integration.test_warnings import drafted, monitoring_in, published


def _report(rt, principal, clock):
    data = ReportIn(system="core", category="network-attack",
                    subcategory="network-attack.dos", title="队列测试 queue test",
                    found_at=clock.now() - timedelta(minutes=30), impact="慢 slow",
                    measures="清洗 scrubbing")
    return service.report(rt.uow, rt.clock, principal=principal("bj_reporter"), data=data,
                          profile="cac2025", idempotency_key=None)


def test_a_routed_incident_waits_on_the_receiving_body_only(rt, principal, clock):
    out = _report(rt, principal, clock)
    mine = [r for r in queue_for(rt.uow, rt.clock, principal=principal("bj_duty"))
            if r.ref == out.ref]
    assert mine and mine[0].link == f"/web/incidents/{out.ref}"
    assert "《" in mine[0].clause_zh and "art." not in mine[0].clause_zh
    assert all(r.ref != out.ref
               for r in queue_for(rt.uow, rt.clock, principal=principal("sh_admin")))
    rows = queue_for(rt.uow, rt.clock, principal=principal("bj_duty"))
    assert [r.due_at for r in rows] == sorted(r.due_at for r in rows)
    handling.acknowledge(rt.uow, rt.clock, principal=principal("bj_duty"), ref=out.ref)
    after = [r for r in queue_for(rt.uow, rt.clock, principal=principal("bj_duty"))
             if r.ref == out.ref and r.kind == "duty:acknowledge"]
    assert not after


def _kinds(rt, principal, user, ref):
    return {r.kind for r in queue_for(rt.uow, rt.clock, principal=principal(user)) if r.ref == ref}


def test_clauses_are_rendered_by_the_shared_renderer_and_said_for_bare_clocks(rt, principal,
                                                                              clock):
    out = _report(rt, principal, clock)
    row = next(r for r in queue_for(rt.uow, rt.clock, principal=principal("bj_duty"))
               if r.ref == out.ref)
    assert row.kind == "duty:acknowledge" and row.kind_label == ("签收并上报",
                                                                 "acknowledge and escalate")
    assert row.clause_zh.startswith("《") and row.clause_en


def test_an_assigned_incident_waits_on_its_assignee_until_resolved(rt, principal, clock):
    out = _report(rt, principal, clock)
    with rt.uow() as s:
        analyst = s.scalar(select(User.id).where(User.username == "bj_analyst"))
        s.scalars(select(Incident).where(Incident.ref == out.ref)).one().assignee_user_id = analyst
    assert "incident" in _kinds(rt, principal, "bj_analyst", out.ref)
    assert "incident" not in _kinds(rt, principal, "bj_duty", out.ref)
    with rt.uow() as s:
        s.scalars(select(Incident).where(Incident.ref == out.ref)).one().state = "closed"
    assert "incident" not in _kinds(rt, principal, "bj_analyst", out.ref)


def test_an_open_task_waits_on_its_owner_only(rt, principal, clock):
    out = _report(rt, principal, clock)
    handling.acknowledge(rt.uow, rt.clock, principal=principal("bj_duty"), ref=out.ref)
    casework.add_task(rt.uow, rt.clock, principal=principal("bj_duty"), ref=out.ref,
                      title="取证 collect logs", owner="bj_analyst",
                      due_at=clock.now() + timedelta(hours=2))
    rows = [r for r in queue_for(rt.uow, rt.clock, principal=principal("bj_analyst"))
            if r.kind == "task"]
    assert rows and rows[0].title == "取证 collect logs" and rows[0].seconds_left > 0
    assert "task" not in _kinds(rt, principal, "bj_duty", out.ref)


def test_warnings_to_acknowledge_and_to_approve(rt, principal, clock):
    draft = drafted(rt, principal, clock)
    assert "warning_approve" in _kinds(rt, principal, "bj_admin", draft.ref)
    assert "warning_approve" not in _kinds(rt, principal, "bj_duty", draft.ref)  # four eyes
    assert not _kinds(rt, principal, "sh_admin", draft.ref)
    w = published(rt, principal, clock)
    assert "warning_ack" in _kinds(rt, principal, "bj_fin", w.ref)
    assert not _kinds(rt, principal, "sh_admin", w.ref)
    row = next(r for r in queue_for(rt.uow, rt.clock, principal=principal("bj_fin"))
               if r.kind == "warning_ack" and r.ref == w.ref)
    assert row.due_at is not None and row.link == f"/web/warnings/{w.ref}"
    warnings.acknowledge(rt.uow, rt.clock, principal=principal("bj_fin"), ref=w.ref)
    assert "warning_ack" not in _kinds(rt, principal, "bj_fin", w.ref)


def test_a_directive_waits_on_the_directed_unit(rt, principal, clock):
    item = supervision.issue_directive(
        rt.uow, rt.clock, principal=principal("bj_admin"),
        data=DirectiveIn(unit="bj-bank", title="限期整改 fix the VPN", requirements="修补 patch",
                         due_at=clock.now() + timedelta(days=3)))
    rows = [r for r in queue_for(rt.uow, rt.clock, principal=principal("bj_reporter"))
            if r.ref == item.ref]
    assert [r.kind for r in rows] == ["supervision:directive"]
    assert rows[0].clause_zh == "《网络安全法》第五十五条"
    assert not _kinds(rt, principal, "sh_admin", item.ref)


def test_rows_are_ordered_overdue_first_and_undated_last():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    keys = [rules.order_key(None, 1, "incident"), rules.order_key(now, 2, "task"),
            rules.order_key(now - timedelta(hours=1), 3, "duty:acknowledge")]
    assert [k[-1] for k in sorted(keys)] == [3, 2, 1]


def test_the_merged_queue_is_sorted(rt, principal, clock):
    _report(rt, principal, clock)
    drafted(rt, principal, clock)
    rows = queue_for(rt.uow, rt.clock, principal=principal("bj_admin"))
    assert {r.kind for r in rows} >= {"duty:acknowledge", "warning_approve"}
    dated = [r.due_at for r in rows if r.due_at is not None]
    assert dated == sorted(dated)
    assert all(r.due_at is None for r in rows[len(dated):])


def test_kinds_have_bilingual_labels_and_bare_clocks_a_clause():
    assert rules.kind_label("duty:final_report") == ("提交总结报告", "submit the final report")
    assert rules.source_for("duty:acknowledge", "acknowledgement of receipt") == "Plan §4.1"
    assert rules.source_for("duty:acknowledge", "CAC 2025 art. 4 (escalation)").startswith("CAC")


def test_shared_monitoring_waits_on_the_receiving_body_until_acknowledged(rt, principal, clock):
    item = monitoring.submit(rt.uow, rt.clock, principal=principal("bj_reporter"),
                             data=monitoring_in(clock, important=True), idempotency_key="q1")
    assert "monitoring" in _kinds(rt, principal, "bj_duty", item.ref)
    assert not _kinds(rt, principal, "sh_admin", item.ref)
    monitoring.acknowledge(rt.uow, rt.clock, principal=principal("bj_duty"), ref=item.ref)
    assert "monitoring" not in _kinds(rt, principal, "bj_duty", item.ref)


def test_an_owner_notice_waits_for_the_units_feedback(rt, principal, clock):
    now = clock.now()
    with rt.uow() as s:
        bank, office = (s.scalars(select(Body).where(Body.key == k)).one()
                        for k in ("bj-bank", "110000.office"))
        s.add(OwnerNotice(ref="ON-QUEUE-1", body_id=bank.id, jurisdiction_path="/cn/110000/",
                          sender_body_id=office.id, mode="immediate", state="sent", tlp="amber",
                          reasons="[]", period_start=now, period_end=now, events_total=3,
                          created_at=now, updated_at=now, sent_at=now,
                          deadline_at=now + timedelta(hours=24)))
    rows = [r for r in queue_for(rt.uow, rt.clock, principal=principal("bj_reporter"))
            if r.ref == "ON-QUEUE-1"]
    assert [r.kind for r in rows] == ["owner_notice"]
    assert rows[0].clause_zh == "《网络安全法》第二十五条"
    assert rows[0].link == "/web/monitoring/notices/ON-QUEUE-1"
    assert not _kinds(rt, principal, "bj_duty", "ON-QUEUE-1")
    with rt.uow() as s:
        s.scalars(select(OwnerNotice).where(OwnerNotice.ref == "ON-QUEUE-1")).one().state = \
            "feedback_reported"
    assert not _kinds(rt, principal, "bj_reporter", "ON-QUEUE-1")
