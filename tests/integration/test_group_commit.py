"""Group commit of first reports (issue 21 item 5), on SQLite and PostgreSQL: reports filed
together are written by one statement per table in one transaction, each exactly as it would
have been alone; a refused report holds nobody back; a failed batch falls back to one
transaction each; the writer thread batches what waits and answers each request after the
commit."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, event, func, select, text

from fenghuo.audit import service as audit
from fenghuo.audit.models import AuditPending
from fenghuo.common.errors import Conflict, Forbidden, ValidationFailed
from fenghuo.incident import intake, queries, service
from fenghuo.incident.models import Duty, Incident, IncidentEvent, IncidentRoute
from fenghuo.incident.schemas import ReportIn
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import accounts
from fenghuo.org.schemas import TokenIn
from fenghuo.workers.group_commit import IntakeWriter
from tests.conftest import PASSWORD

PROFILE = "cac2025"


def data(clock, **kw) -> ReportIn:
    base = dict(system="core", category="network-attack", subcategory="network-attack.dos",
                title="核心系统遭拒绝服务攻击 DoS on core banking",
                found_at=clock.now() - timedelta(minutes=30), impact="交易缓慢 slow payments",
                measures="启用清洗 scrubbing enabled")
    return ReportIn(**{**base, **kw})


def count(rt, model) -> int:
    with rt.uow() as s:
        return s.scalar(select(func.count()).select_from(model))


class Statements:
    """The statements and commits an engine runs while counting."""

    def __init__(self, engine) -> None:
        self.sql: list[str] = []
        self.commits = 0
        event.listen(engine, "before_cursor_execute", self._execute)
        event.listen(engine, "commit", self._commit)
        self.engine = engine

    def _execute(self, _conn, _cursor, statement, *_args) -> None:
        self.sql.append(statement)

    def _commit(self, _conn) -> None:
        self.commits += 1

    def inserts_into(self, table: str) -> int:
        head = f"INSERT INTO {table} ".upper()
        return sum(1 for s in self.sql if s.lstrip().upper().startswith(head))

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._execute)
        event.remove(self.engine, "commit", self._commit)


def sqlite(rt) -> bool:
    return rt.engine.dialect.name == "sqlite"


def test_a_batch_is_one_transaction_and_one_insert_per_table(rt, principal, clock):
    subs = [intake.Submission(principal("bj_reporter"), data(clock, title=f"报告 {i}"))
            for i in range(5)]
    subs.append(intake.Submission(principal("bj_duty"), data(clock, unit="bj-telco",
                                                              system=None)))
    watch = Statements(rt.uow.engine)
    try:
        answers = intake.report_batch(rt.uow, rt.clock, subs, profile=PROFILE)
    finally:
        watch.close()
    assert [type(a).__name__ for a in answers] == ["IncidentOut"] * 6
    assert len({a.ref for a in answers}) == 6 and count(rt, Incident) == 6
    assert watch.commits == 1
    # one statement per table on PostgreSQL; SQLite returns generated ids a row at a time,
    # so there the incidents and clocks are inserted one by one (still one transaction)
    one_each = ("incident_routes", "audit_pending") if sqlite(rt) else (
        "incidents", "incident_routes", "duties", "audit_pending")
    for table in one_each:
        assert watch.inserts_into(table) == 1, table
    assert watch.inserts_into("incidents") == (6 if sqlite(rt) else 1)
    # the timelines of all six, and the note that bj-telco was told (the one report about
    # another unit tells that unit in a write of its own)
    assert watch.inserts_into("incident_events") == 2
    # the office's report about bj-telco also tells bj-telco (its own write, Plan §3.3)
    assert [e.kind for e in answers[-1].timeline][:3] == ["reported", "graded", "routed"]
    assert answers[-1].discovered_by == "110000.office"


def test_each_report_of_a_batch_is_stored_as_if_filed_alone(rt, principal, clock):
    alone = service.report(rt.uow, rt.clock, principal=principal("bj_reporter"),
                           data=data(clock), profile=PROFILE)
    together = intake.report_batch(rt.uow, rt.clock, [
        intake.Submission(principal("bj_reporter"), data(clock)),
        intake.Submission(principal("bj_reporter"), data(clock, title="另一 other"))],
        profile=PROFILE)[0]

    def shape(out):
        return (out.grade, [(r.body, r.immediate, [x.code for x in r.reasons])
                            for r in out.routes],
                sorted((d.body, d.kind, d.state) for d in out.duties),
                sorted((d.body, d.channel) for d in out.deliveries),
                [(e.kind, e.actor) for e in out.timeline])

    assert shape(together) == shape(alone)
    with rt.uow() as s:  # what was answered is what was stored
        stored = queries.incident_out(s, s.scalar(select(Incident).where(
            Incident.ref == together.ref)), reader=principal("bj_reporter"))
    assert shape(stored) == shape(together)
    with rt.uow() as s:
        per_incident = dict(s.execute(
            select(IncidentEvent.incident_id, func.count()).group_by(IncidentEvent.incident_id)
        ).all())
    assert len(set(per_incident.values())) == 1  # each timeline complete, none doubled
    assert audit_rows(rt) == 3  # one audit row per report


def audit_rows(rt) -> int:
    with rt.uow() as s:
        pending = s.scalar(select(func.count()).select_from(AuditPending).where(
            AuditPending.action == "incident.report"))
        return pending + s.scalar(text(
            "SELECT count(*) FROM audit_log WHERE action = 'incident.report'"))


def test_refused_reports_are_answered_alone_and_store_nothing(rt, principal, clock):
    before = (count(rt, Incident), count(rt, OutboxMessage), count(rt, Duty))
    answers = intake.report_batch(rt.uow, rt.clock, [
        intake.Submission(principal("bj_reporter"), data(clock)),
        intake.Submission(principal("bj_reporter"), data(clock, system="nope")),
        intake.Submission(principal("bj_ro"), data(clock)),  # no incident:report permission
        intake.Submission(principal("sh_admin"), data(clock, unit="bj-bank")),  # out of scope
        intake.Submission(principal("bj_reporter"), data(clock, title="第二 second")),
    ], profile=PROFILE)
    assert isinstance(answers[1], ValidationFailed) and answers[1].errors[0].field == "system"
    assert isinstance(answers[2], Forbidden)
    assert isinstance(answers[3], ValidationFailed) and answers[3].errors[0].field == "unit"
    assert answers[0].ref and answers[4].ref
    assert (count(rt, Incident), count(rt, Duty)) == (before[0] + 2, before[2] +
                                                      len(answers[0].duties) * 2)


def test_keys_within_a_batch_and_across_batches(rt, principal, clock):
    me = principal("bj_reporter")
    first = intake.report_batch(rt.uow, rt.clock, [
        intake.Submission(me, data(clock), key="k-1"),
        intake.Submission(me, data(clock), key="k-1"),  # the same retry, in the same batch
        intake.Submission(me, data(clock, title="其他 other"), key="k-1"),  # a different one
    ], profile=PROFILE)
    assert first[1].ref == first[0].ref and isinstance(first[2], Conflict)
    again = intake.report_batch(rt.uow, rt.clock, [
        intake.Submission(me, data(clock), key="k-1"),
        intake.Submission(me, data(clock), key="k-2")], profile=PROFILE)
    assert again[0].ref == first[0].ref and again[1].ref != first[0].ref
    assert count(rt, Incident) == 2


def test_a_failed_batch_is_filed_one_by_one(rt, principal, clock, monkeypatch):
    """A write that fails for the batch (here: one report the database refuses, by fault
    injection) costs no other report its answer."""
    real = service.write_reports

    def refuse_poison(s, now, reports):
        if any(p.data.title == "poison" for p in reports):
            raise ValueError("refused")
        return real(s, now, reports)

    monkeypatch.setattr(service, "write_reports", refuse_poison)
    answers = intake.report_batch(rt.uow, rt.clock, [
        intake.Submission(principal("bj_reporter"), data(clock)),
        intake.Submission(principal("bj_reporter"), data(clock, title="poison")),
        intake.Submission(principal("bj_reporter"), data(clock, title="好 fine"))],
        profile=PROFILE)
    assert isinstance(answers[1], ValueError)
    assert answers[0].ref and answers[2].ref and count(rt, Incident) == 2


def test_the_database_unreachable_answers_every_report_of_the_batch(rt, principal, clock):
    from fenghuo.db.session import UnitOfWork
    gone = UnitOfWork(create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
                      if rt.engine.dialect.name == "postgresql"
                      else create_engine("sqlite:////nonexistent/dir/x.db"))
    answers = intake.report_batch(gone, rt.clock, [
        intake.Submission(principal("bj_reporter"), data(clock)) for _ in range(3)],
        profile=PROFILE)
    assert all(type(a).__name__ == "OperationalError" for a in answers)


def _hold_writes(rt):
    """A second connection that holds the write lock on incidents until released."""
    conn = rt.engine.connect()
    if rt.engine.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.begin()
        conn.execute(text("LOCK TABLE incidents IN EXCLUSIVE MODE"))
    return conn


def test_the_writer_batches_what_waits_and_answers_after_the_commit(rt, principal, clock):
    writer = IntakeWriter(rt)
    me = principal("bj_reporter")
    held = _hold_writes(rt)
    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            first = pool.submit(writer.submit, intake.Submission(me, data(clock), key="w-0"))
            _wait(lambda: writer.writing == 1)  # the first batch, waiting for the lock
            rest = [pool.submit(writer.submit,
                                intake.Submission(me, data(clock, title=f"等 {i}"), key=f"w-{i}"))
                    for i in range(1, 10)]
            _wait(lambda: writer._queue.qsize() == 9)
            assert not first.done()  # not answered before its batch is committed
            held.rollback()
            held.close()
            refs = [first.result(timeout=30).ref] + [f.result(timeout=30).ref for f in rest]
        assert len(set(refs)) == 10 and count(rt, Incident) == 10
        assert (writer.batches, writer.reports) == (2, 10)
    finally:
        held.close()
        writer.close()


def test_the_writer_raises_a_refusal_in_the_request_and_survives_it(rt, principal, clock):
    writer = IntakeWriter(rt)
    try:
        with pytest.raises(Forbidden):
            writer.submit(intake.Submission(principal("bj_ro"), data(clock)))
        assert writer.submit(intake.Submission(principal("bj_reporter"), data(clock))).ref
    finally:
        writer.close()
    # after close, a report is still filed (on the caller's thread), never dropped
    assert writer.submit(intake.Submission(principal("bj_reporter"), data(clock))).ref
    assert count(rt, Incident) == 2
    assert audit.verify(rt.uow).ok and audit_rows(rt) == 2


def test_concurrent_requests_all_land_once(rt, principal, clock):
    writer = IntakeWriter(rt)
    me = principal("bj_reporter")
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            outs = list(pool.map(lambda i: writer.submit(intake.Submission(
                me, data(clock, title=f"并发 {i % 20}"), key=f"c-{i % 20}")), range(40)))
    finally:
        writer.close()
    assert len({o.ref for o in outs}) == 20 and count(rt, Incident) == 20
    with rt.uow() as s:
        assert s.scalar(select(func.count()).select_from(IncidentRoute)) == 20 * len(
            outs[0].routes)


def _wait(cond, timeout: float = 10) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.01)



def _login(rt, username: str) -> str:
    return accounts.login(rt.uow, rt.clock, username=username, password=PASSWORD,
                          session_hours=2).access_token


def test_requests_hand_over_tokens_checked_with_their_batch(rt, principal, clock):
    # the API's path: the token goes with the report, the writer authenticates the batch
    writer = IntakeWriter(rt)
    good, ro = _login(rt, "bj_reporter"), _login(rt, "bj_ro")
    me = principal("bj_reporter")
    issued = accounts.issue_token(rt.uow, rt.clock, principal=me, data=TokenIn(name="gone"))
    accounts.revoke_token(rt.uow, rt.clock, principal=me, token_id=issued.id)

    async def send() -> list:
        bearers = [intake.Bearer(good, data(clock, title="令牌 1")),
                   intake.Bearer("not-a-token", data(clock)),
                   intake.Bearer(issued.token, data(clock)),
                   intake.Bearer(ro, data(clock)),  # may not report
                   intake.Bearer(good, data(clock, title="令牌 2"), key="t-2")]
        return await asyncio.gather(*(writer.submit_async(b) for b in bearers),
                                    return_exceptions=True)

    held = _hold_writes(rt)  # so that the five are taken as one batch
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            answers = pool.submit(asyncio.run, send())
            _wait(lambda: writer.writing + writer._queue.qsize() == 5 or writer.batches > 0)
            held.rollback()
            held.close()
            answers = answers.result(timeout=30)
    finally:
        held.close()
        writer.close()
    kinds = [type(a).__name__ if isinstance(a, BaseException) else "filed" for a in answers]
    assert kinds == ["filed", "Unauthorized", "Unauthorized", "Forbidden", "filed"]
    (caller, out), (caller2, out2) = answers[0], answers[4]
    assert caller.username == caller2.username == "bj_reporter" and out.ref != out2.ref
    assert count(rt, Incident) == 2 and audit_rows(rt) == 2


def test_a_request_cancelled_while_queued_is_not_filed(rt, principal, clock):
    writer = IntakeWriter(rt)
    token = _login(rt, "bj_reporter")
    held = _hold_writes(rt)

    async def send_and_give_up() -> str:
        first = asyncio.ensure_future(writer.submit_async(intake.Bearer(token, data(clock))))
        while writer.writing != 1:  # the first batch waits for the lock
            await asyncio.sleep(0.01)
        gone = asyncio.ensure_future(writer.submit_async(intake.Bearer(token, data(clock))))
        await asyncio.sleep(0.05)
        gone.cancel()  # e.g. the server shutting down while it was queued
        await asyncio.sleep(0.05)
        held.rollback()
        (_, out) = await first
        with pytest.raises(asyncio.CancelledError):
            await gone
        return out.ref

    try:
        assert asyncio.run(send_and_give_up())
    finally:
        held.close()
        writer.close()
    assert count(rt, Incident) == 1 and writer.reports == 1
