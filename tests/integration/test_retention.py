"""Retention (issue 18 item 8), on both databases: a purge removes only what is older than its
kind's policy and not held (Law art. 21(3): network logs kept not less than six months); an
incident under response or investigation, or held by an office, keeps its records (Plan
§4.1–§5); a dry run changes nothing; the audit chain keeps verifying from the purge point; the
access log writes JSON lines with the user and its old files go; the worker purges once a
day."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, update

from fenghuo.audit import service as audit
from fenghuo.audit.models import AuditEntry
from fenghuo.common.errors import Conflict, Forbidden
from fenghuo.common.periods import day_of
from fenghuo.incident.models import Incident
from fenghuo.monitoring import ingest
from fenghuo.monitoring.models import RawPiece, events
from fenghuo.monitoring.schemas import FeedIn
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import registers
from fenghuo.org.schemas import ContactIn
from fenghuo.response import service as responses
from fenghuo.response.schemas import ActivateIn
from fenghuo.retention import rules
from fenghuo.retention import service as retention
from fenghuo.retention.models import LegalHold, RetentionPurge
from fenghuo.retention.rules import Kind, Policy
from fenghuo.workers.dispatch import Worker
from tests.e2e.conftest import shared_app
from tests.integration.test_monitoring_housekeeping import _alert
from tests.integration.test_responses import incident

POLICY = Policy({Kind.AUDIT: 200, Kind.ACCESS: 184, Kind.EVENTS: 184,
                 Kind.NOTIFICATIONS: 30})


def _count(rt, what, *where) -> int:
    with rt.uow() as s:
        return s.scalar(select(func.count()).select_from(what).where(*where))


def _finish_notifications(rt, incident_ref: str | None = None) -> None:
    """Mark the outbox delivered now (as a worker would)."""
    with rt.uow() as s:
        q = update(OutboxMessage).values(state="delivered", delivered_at=rt.clock.now())
        if incident_ref:
            q = q.where(OutboxMessage.incident_id == s.scalar(
                select(Incident.id).where(Incident.ref == incident_ref)))
        s.execute(q)


def _notifications_of(rt, ref: str) -> int:
    with rt.uow() as s:
        iid = s.scalar(select(Incident.id).where(Incident.ref == ref))
    return _count(rt, OutboxMessage, OutboxMessage.incident_id == iid)


@pytest.fixture
def world(rt, principal, clock, tmp_path):
    """Three incidents a year old: ``free`` (nothing holds it), ``held`` (an office's hold),
    ``responding`` (a Level II response still running); their notifications delivered."""
    for body in ("110000.office", "cn.emergency-office"):
        registers.add_contact(rt.uow, rt.clock, principal=principal("nat_admin"), body=body,
                              data=ContactIn(name="Duty", channel="email",
                                             value=f"duty@{body}.example"))
    free = incident(rt, principal, clock, "minor")
    held = incident(rt, principal, clock, "minor")
    responding = incident(rt, principal, clock, "serious")
    responses.activate(rt.uow, rt.clock, principal=principal("bj_duty"),
                       data=ActivateIn(incident=responding.ref, level="II"))
    retention.place_hold(rt.uow, rt.clock, principal=principal("bj_admin"), ref=held.ref,
                         reason="公安机关调查 police investigation")
    _finish_notifications(rt)
    audit.chain_pending(rt.uow)
    clock.advance(days=400)
    return {"free": free.ref, "held": held.ref, "responding": responding.ref,
            "log": tmp_path / "logs" / "access.jsonl"}


def test_a_dry_run_counts_and_changes_nothing(rt, world, monkeypatch):
    before = (_count(rt, OutboxMessage), _count(rt, AuditEntry))
    p = retention.plan(rt.uow, rt.clock, policy=POLICY, access_log=world["log"])
    assert set(p.held_incidents) == {world["held"], world["responding"]}
    assert p.of(Kind.NOTIFICATIONS).count == _notifications_of(rt, world["free"]) > 0
    assert p.of(Kind.NOTIFICATIONS).held == (_notifications_of(rt, world["held"])
                                             + _notifications_of(rt, world["responding"]))
    assert p.of(Kind.AUDIT).count > 0 and p.of(Kind.AUDIT).held > 0
    assert (_count(rt, OutboxMessage), _count(rt, AuditEntry)) == before
    assert _count(rt, RetentionPurge) == 0


def test_the_purge_removes_only_old_unheld_notifications(rt, world, principal, clock):
    young = incident(rt, principal, clock, "minor")  # filed today
    _finish_notifications(rt, young.ref)
    kept = {k: _notifications_of(rt, world[k]) for k in ("held", "responding")}
    result = retention.purge(rt.uow, rt.clock, policy=POLICY, access_log=world["log"],
                             batch=2)  # many small transactions
    assert result.purged[Kind.NOTIFICATIONS] > 0
    assert _notifications_of(rt, world["free"]) == 0
    assert {k: _notifications_of(rt, world[k]) for k in kept} == kept  # held: all kept
    assert _notifications_of(rt, young.ref) > 0  # younger than the policy


def test_pending_notifications_are_never_purged(rt, world, principal, clock):
    old = incident(rt, principal, clock, "minor")
    clock.advance(days=100)
    pending = _notifications_of(rt, old.ref)
    assert pending
    retention.purge(rt.uow, rt.clock, policy=POLICY, access_log=None)
    assert _notifications_of(rt, old.ref) == pending


def test_an_incident_under_a_running_response_or_an_explicit_hold_is_held(rt, world):
    """Plan §4.2 (a response not ended), §4.1 (an office's hold on the evidence)."""
    with rt.uow() as s:
        held = {s.get(Incident, i).ref for i in retention.held_incident_ids(s)}
        assert s.scalar(select(func.count()).select_from(LegalHold)) == 1
    assert held == {world["held"], world["responding"]}


def test_a_released_hold_lets_the_records_go(rt, world, principal):
    retention.release_hold(rt.uow, rt.clock, principal=principal("bj_admin"), ref=world["held"],
                           reason="调查结束 investigation closed")
    retention.purge(rt.uow, rt.clock, policy=POLICY, access_log=None)
    assert _notifications_of(rt, world["held"]) == 0
    assert _notifications_of(rt, world["responding"]) > 0


def test_holds_are_placed_by_an_office_in_scope_once_and_audited(rt, world, principal):
    with pytest.raises(Conflict):
        retention.place_hold(rt.uow, rt.clock, principal=principal("bj_admin"),
                             ref=world["held"], reason="again")
    with pytest.raises(Forbidden):  # an operator unit is no office
        retention.place_hold(rt.uow, rt.clock, principal=principal("bj_reporter"),
                             ref=world["free"], reason="mine")
    with pytest.raises(Exception, match="no incident"):  # Shanghai cannot see Beijing's
        retention.place_hold(rt.uow, rt.clock, principal=principal("sh_admin"),
                             ref=world["free"], reason="not yours")
    audit.chain_pending(rt.uow)
    with rt.uow() as s:
        actions = s.scalars(select(AuditEntry.action).where(
            AuditEntry.entity_key == world["held"], AuditEntry.action.like("retention.%"))).all()
    assert actions == ["retention.hold"]
    assert [h.incident for h in retention.list_holds(rt.uow, principal=None)] == [world["held"]]


def test_the_purge_is_run_by_the_top_office_and_audited_with_its_counts(rt, world, principal):
    with pytest.raises(Forbidden):
        retention.purge(rt.uow, rt.clock, policy=POLICY, access_log=None,
                        principal=principal("bj_admin"))
    result = retention.purge(rt.uow, rt.clock, policy=POLICY, access_log=None,
                             principal=principal("nat_admin"))
    audit.chain_pending(rt.uow)
    with rt.uow() as s:
        row = s.scalars(select(AuditEntry).where(AuditEntry.action == "retention.purge")).one()
        purges = {p.kind: p.last_purged for p in s.scalars(select(RetentionPurge))}
    detail = json.loads(row.detail)
    assert row.actor == "nat_admin"
    assert detail["purged"]["notifications"] == result.purged[Kind.NOTIFICATIONS] > 0
    assert detail["policy_days"]["audit_log"] == 200
    assert purges["notifications"] == result.purged[Kind.NOTIFICATIONS]


def test_audit_verify_starts_at_the_purge_point_and_catches_a_faked_one(rt, world):
    """After a purge, ``fenghuo audit verify`` starts from the purge point, which the chain
    itself records (``retention.audit_anchor``); a prefix deleted by hand with the purge table
    edited to match is reported (Law art. 21 (3); 等保 2.0 GB/T 22239-2019 8.1.4.3 c)."""
    retention.purge(rt.uow, rt.clock, policy=POLICY, access_log=None)
    result = audit.verify(rt.uow)
    assert result.ok, result.breaks
    with rt.uow() as s:
        seq = retention.audit_anchor(s)[0]
        assert seq > 0
        later = s.scalar(select(AuditEntry.seq).where(AuditEntry.seq > seq + 3)
                         .order_by(AuditEntry.seq).limit(1))
        cut = s.get(AuditEntry, later)
        s.execute(delete(AuditEntry).where(AuditEntry.seq <= later))
        s.execute(update(RetentionPurge).where(RetentionPurge.kind == Kind.AUDIT.value)
                  .values(last_seq=later, last_hash=cut.hash))
    faked = audit.verify(rt.uow)
    assert not faked.ok
    assert any("purge point" in b.problem for b in faked.breaks)


def test_the_oldest_audit_rows_go_up_to_the_first_held_one_and_the_chain_verifies(
        rt, world, monkeypatch):
    with rt.uow() as s:
        first_held = s.scalar(select(func.min(AuditEntry.seq)).where(
            AuditEntry.entity_key.in_([world["held"], world["responding"]])))
        free_rows = s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity_key == world["free"]))
    assert free_rows > 0
    result = retention.purge(rt.uow, rt.clock, policy=POLICY, access_log=None, batch=7)
    assert result.purged[Kind.AUDIT] == first_held - 1
    with rt.uow() as s:
        assert s.scalar(select(func.min(AuditEntry.seq))) == first_held
        anchor = retention.audit_anchor(s)
        first = s.get(AuditEntry, first_held)
    assert anchor[0] == first_held - 1 and first.prev_hash == anchor[1]
    assert _count(rt, AuditEntry, AuditEntry.entity_key == world["held"]) > 0  # held: kept
    assert audit.verify(rt.uow).ok
    # a second purge on the same day finds nothing more to take and the chain still verifies
    again = retention.purge(rt.uow, rt.clock, policy=POLICY, access_log=None)
    assert again.purged[Kind.AUDIT] == 0 and audit.verify(rt.uow).ok


def test_an_interrupted_audit_purge_still_verifies_and_is_finished_next_time(
        rt, world, monkeypatch):
    rows = _count(rt, AuditEntry)
    with monkeypatch.context() as m:  # the process dies after recording the purge point
        m.setattr(retention, "_delete_batches", lambda *a, **k: 0)
        retention.purge(rt.uow, rt.clock, policy=POLICY, access_log=None)
    with rt.uow() as s:
        anchor = retention.audit_anchor(s)[0]
    assert anchor > 0 and _count(rt, AuditEntry) == rows  # nothing deleted yet
    assert audit.verify(rt.uow).ok
    retention.purge(rt.uow, rt.clock, policy=POLICY, access_log=None)
    assert _count(rt, AuditEntry, AuditEntry.seq <= anchor) == 0
    assert audit.verify(rt.uow).ok
    audit.chain_pending(rt.uow)
    with rt.uow() as s:
        details = [json.loads(d) for d in s.scalars(select(AuditEntry.detail).where(
            AuditEntry.action == "retention.purge").order_by(AuditEntry.seq))]
    assert [d["audit_anchor"]["seq"] for d in details] == [anchor, anchor]


def test_the_anchor_check_catches_an_edited_row_after_a_purge(rt, world, monkeypatch):
    retention.purge(rt.uow, rt.clock, policy=POLICY, access_log=None)
    with rt.uow() as s:
        seq = retention.audit_anchor(s)[0] + 2
        s.execute(update(AuditEntry).where(AuditEntry.seq == seq).values(actor="mallory"))
    assert [b.seq for b in audit.verify(rt.uow).breaks] == [seq]


def test_monitoring_events_older_than_the_policy_go_with_their_raw_lines(rt, principal,
                                                                         clock):
    ingest.create_feed(rt.uow, rt.clock, principal=principal("bj_admin"), data=FeedIn(
        code="bank-ids", name_zh="银行传感器", name_en="bank sensor", body="bj-bank",
        format="suricata"))

    def take(key, moment):
        ingest.take_in(rt.uow, rt.clock, feed="bank-ids", fmt=None, received_by="test",
                       chunks=[ingest.Chunk(key, [_alert(moment, "61.135.1.1")])])

    take("old", clock.now() - timedelta(hours=1))
    clock.advance(days=190)
    take("new", clock.now() - timedelta(hours=1))
    assert _count(rt, events) == 2
    p = retention.plan(rt.uow, rt.clock, policy=POLICY, access_log=None)
    assert p.of(Kind.EVENTS).count == 1 and _count(rt, events) == 2  # dry run
    retention.purge(rt.uow, rt.clock, policy=POLICY, access_log=None, batch=1)
    assert _count(rt, events) == 1 and _count(rt, RawPiece) == 1
    forever = Policy({**POLICY.days, Kind.EVENTS: rules.FOREVER})
    clock.advance(days=400)
    retention.purge(rt.uow, rt.clock, policy=forever, access_log=None)
    assert _count(rt, events) == 1


def test_old_access_log_files_are_purged(rt, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    path = logs / "access.jsonl"
    today = day_of(rt.clock.now())
    days = [today - timedelta(days=n) for n in (0, 183, 184, 185, 300)]
    for d in days:
        (logs / rules.access_file_name("access", ".jsonl", d)).write_text("{}\n")
    (logs / "other.txt").write_text("x")
    p = retention.plan(rt.uow, rt.clock, policy=POLICY, access_log=path)
    assert p.of(Kind.ACCESS).count == 2
    retention.purge(rt.uow, rt.clock, policy=POLICY, access_log=path)
    left = sorted(f.name for f in logs.iterdir())
    assert left == sorted([rules.access_file_name("access", ".jsonl", d) for d in days[:3]]
                          + ["other.txt"])


def test_access_log_lines_are_json_with_the_user(rt, tmp_path):
    rt.settings = rt.settings.model_copy(update={"access_log_file": tmp_path / "access.jsonl"})
    with TestClient(shared_app(rt)) as c:
        token = c.post("/api/v1/auth/token", data={
            "username": "bj_admin", "password": "correct-horse-battery"}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}", "X-Request-ID": "req-42"}
        assert c.get("/api/v1/incidents?limit=5&token=s3cret", headers=auth).status_code == 200
        assert c.get("/api/v1/incidents").status_code == 401
        c.cookies.set("fh_session", token)  # the console's session: the same user logged
        assert c.get("/web/incidents").status_code == 200
    name = rules.access_file_name("access", ".jsonl", day_of(rt.clock.now()))
    lines = [json.loads(x) for x in (tmp_path / name).read_text().splitlines()]
    read, anonymous, console = lines[-3], lines[-2], lines[-1]
    assert console["path"] == "/web/incidents" and console["user"] == "bj_admin"
    assert read["method"] == "GET" and read["path"] == "/api/v1/incidents"
    assert read["status"] == 200 and read["user"] == "bj_admin"
    assert read["request_id"] == "req-42" and read["client"] and read["duration_ms"] >= 0
    assert "s3cret" not in read["query"] and "limit=5" in read["query"]
    assert anonymous["status"] == 401 and anonymous["user"] is None
    assert anonymous["request_id"] != "req-42"


def test_a_failing_access_log_never_fails_the_request(rt, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    rt.settings = rt.settings.model_copy(update={"access_log_file": blocker / "access.jsonl"})
    with TestClient(shared_app(rt)) as c:
        assert c.get("/healthz").status_code == 200


def test_the_worker_purges_once_a_day(rt, world):
    worker = Worker.from_runtime(rt)
    worker._retention_not_before = 0.0
    assert worker.retention_if_due() is not None
    assert worker.retention_if_due() is None  # the same day
    rt.clock.advance(hours=20)
    if day_of(rt.clock.now()) == day_of(rt.clock.now() - timedelta(hours=20)):
        assert worker.retention_if_due() is None
    rt.clock.advance(days=1)
    again = Worker.from_runtime(rt)  # another worker, the next day: once between them
    again._retention_not_before = 0.0
    assert again.retention_if_due() is not None
    assert worker.retention_if_due() is None
    audit.chain_pending(rt.uow)
    assert _count(rt, AuditEntry, AuditEntry.action == "retention.purge") == 2
    assert "retention_if_due" in Worker.PERIODIC


def test_a_new_worker_waits_before_its_first_purge(rt):
    assert Worker.from_runtime(rt).retention_if_due() is None
    assert _count(rt, RetentionPurge) == 0


def test_housekeeping_follows_the_events_policy(rt):
    with rt.uow() as s:
        assert s.info[rules.EVENTS_INFO_KEY] == rt.settings.retention_monitoring_events_days
