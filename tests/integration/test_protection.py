"""Important-event protection periods through the services, on both databases (Plan §6.5):
the Emergency Office declares a period, requires the red-warning response of the bodies in
scope (the red checklist of Plan §3.4.1 becomes their tasks), the bodies are told once when it
starts and once when it ends; everyone else is refused and nothing is stored."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fenghuo.audit import service as audit
from fenghuo.common.errors import Conflict, Forbidden, NotFound, Refused, ValidationFailed
from fenghuo.common.pagination import PageParams
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import interchange, registers
from fenghuo.org.models import Body
from fenghuo.org.schemas import ContactIn
from fenghuo.warning import protection
from fenghuo.warning.protection_models import ProtectionPeriod, ProtectionTask
from fenghuo.warning.protection_schemas import EndIn, ProtectionIn
from fenghuo.warning.schemas import TaskDoneIn
from fenghuo.workers.dispatch import Worker

TEAMS = Path(__file__).parents[2] / "examples" / "national-teams.yaml"
BODIES = ("110000.office", "bj-finance-reg", "310000.office", "cn.emergency-office")


@pytest.fixture
def world(rt, principal):
    """The national support teams of the README's example, and email contacts for the offices
    and the Beijing finance regulator."""
    interchange.import_document(rt.uow, rt.clock, principal=None,
                                doc=interchange.parse_yaml(TEAMS.read_text(), TEAMS.name))
    for body in BODIES:
        registers.add_contact(rt.uow, rt.clock, principal=principal("nat_admin"), body=body,
                              data=ContactIn(name="Duty", channel="email",
                                             value=f"duty@{body}.example"))
    return rt


def period_in(clock, **kw) -> ProtectionIn:
    base = dict(name_zh="第十五届全国运动会", name_en="15th National Games",
                jurisdictions=["110000"], sectors=["finance"],
                starts_at=clock.now() + timedelta(hours=1),
                ends_at=clock.now() + timedelta(hours=49), reason="国家重要活动 national event")
    return ProtectionIn(**{**base, **kw})


def declared(rt, principal, clock, user="nat_admin", **kw):
    return protection.declare(rt.uow, rt.clock, principal=principal(user),
                              data=period_in(clock, **kw))


def messages(rt, event: str) -> list[tuple[str, str, str]]:
    """(address, subject, text) of the outbox messages of ``event``."""
    with rt.uow() as s:
        rows = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [(m.address, m.subject, m.text) for m in rows
                if json.loads(m.payload).get("event") == event]


def count(rt, model) -> int:
    with rt.uow() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_declare_require_the_red_response_and_the_notices_at_start_and_end(world, principal,
                                                                          clock):
    """Plan §6.5: the Emergency Office declares, requires the red-warning response of the
    provinces and departments in scope (24-hour duty; the teams stand by, §3.4.1 (3)); the
    bodies in scope are told at the start and at the end, once each; the end closes the tasks."""
    rt = world
    p = declared(rt, principal, clock)
    assert p.phase == "scheduled" and p.declarer == "cn.emergency-office"
    assert p.bodies_in_scope == ["110000.office", "bj-finance-reg"]
    assert [j.code for j in p.jurisdictions] == ["110000"] and p.tasks == []
    with pytest.raises(Conflict, match="protection.not_running"):  # not yet running
        protection.require_red(rt.uow, rt.clock, principal=principal("nat_admin"), ref=p.ref)
    assert protection.remind_due(rt.uow, rt.clock) == 0  # not started

    clock.advance(hours=1)
    assert protection.remind_due(rt.uow, rt.clock) == 1
    assert protection.remind_due(rt.uow, rt.clock) == 0  # once
    started = messages(rt, "protection.started")
    assert sorted(a for a, _, _ in started) == ["duty@110000.office.example",
                                                "duty@bj-finance-reg.example"]
    subject, text = started[0][1], started[0][2]
    assert subject.startswith("[重要活动保障期开始 PROTECTION PERIOD STARTS]") and p.ref in subject
    assert text.splitlines()[0] == "事件 What: 第十五届全国运动会 / 15th National Games"
    assert "24小时值班" in text and "北京市（金融）" in text

    out = protection.require_red(rt.uow, rt.clock, principal=principal("nat_admin"), ref=p.ref)
    owners: dict[str, set[str]] = {}
    for t in out.tasks:
        owners.setdefault(t.body, set()).add(t.code)
    assert set(owners) == {"cn.emergency-office", "110000.office", "bj-finance-reg",
                           "cn.team-incident", "cn.team-forensics"}  # not Shanghai, no units
    assert owners["110000.office"] == owners["bj-finance-reg"] == {
        "red.duty_24h", "red.prepare", "red.report"}
    assert owners["cn.team-incident"] == {"red.standby", "red.check_equipment"}
    assert out.red_required_by == "nat_admin"
    required = messages(rt, "protection.red_required")
    assert {a for a, _, _ in required} == {"duty@110000.office.example",
                                           "duty@bj-finance-reg.example",
                                           "duty@team-incident.example.cn"}  # not the Office
    assert required[0][1].startswith("[要求启动红色预警响应 RED-WARNING RESPONSE REQUIRED]")
    with pytest.raises(Conflict, match="protection.already_required"):
        protection.require_red(rt.uow, rt.clock, principal=principal("nat_admin"), ref=p.ref)

    mine = next(t for t in out.tasks if t.body == "bj-finance-reg" and t.code == "red.duty_24h")
    theirs = next(t for t in out.tasks if t.body == "110000.office")
    with pytest.raises(Forbidden):  # another body's task
        protection.complete_task(rt.uow, rt.clock, principal=principal("bj_fin"), ref=p.ref,
                                 task_id=theirs.id, data=TaskDoneIn(evidence="on duty"))
    done = protection.complete_task(rt.uow, rt.clock, principal=principal("bj_fin"), ref=p.ref,
                                    task_id=mine.id, data=TaskDoneIn(evidence="值班表 roster"))
    assert {t.state for t in done.tasks if t.id == mine.id} == {"done"}
    assert {t.body for t in done.tasks} == {"bj-finance-reg"}  # a department sees its own

    clock.advance(hours=48)
    assert protection.remind_due(rt.uow, rt.clock) == 1
    assert protection.remind_due(rt.uow, rt.clock) == 0  # once
    ended = messages(rt, "protection.ended")
    assert {a for a, _, _ in ended} == {"duty@110000.office.example",
                                        "duty@bj-finance-reg.example",
                                        "duty@team-incident.example.cn"}
    final = protection.get_period(rt.uow, rt.clock, principal=principal("nat_admin"), ref=p.ref)
    assert final.phase == "ended" and final.end_notified_at is not None
    assert {t.state for t in final.tasks} == {"done", "closed"}
    assert len(messages(rt, "protection.started")) == 2  # still the two of the start
    page = audit.list_entries(rt.uow, scope=principal("nat_admin").scope,
                              page=PageParams(limit=50), entity_type="protection_period")
    assert [e.action for e in reversed(page.items)] == [
        "protection.declare", "protection.notice_start", "protection.require_red",
        "protection.task_done", "protection.notice_end"]


def test_refusals_name_the_rule_and_store_nothing(world, principal, clock):
    """Plan §6.5: only the Emergency Office declares and requires the red-warning response; an
    unusable span or scope is named field by field; nothing is stored."""
    rt = world
    with pytest.raises(Refused) as office:
        declared(rt, principal, clock, user="bj_admin")
    assert [r["code"] for r in office.value.reasons] == ["protection.not_emergency_office"]
    assert office.value.reasons[0]["source"] == "Plan §6.5"
    with pytest.raises(Forbidden):  # a unit's reporter has no warning:issue
        declared(rt, principal, clock, user="bj_reporter")
    with pytest.raises(ValidationFailed) as unknown:
        declared(rt, principal, clock, jurisdictions=["999999"])
    assert [e.field for e in unknown.value.errors] == ["jurisdictions"]
    with pytest.raises(ValidationFailed) as backwards:
        declared(rt, principal, clock, jurisdictions=[], sectors=[],
                 ends_at=clock.now() - timedelta(hours=1))
    assert [(e.field, e.source) for e in backwards.value.errors] == [
        ("ends_at", "Plan §6.5"), ("jurisdictions", "Plan §6.5")]
    assert count(rt, ProtectionPeriod) == 0

    p = declared(rt, principal, clock, starts_at=clock.now())
    with pytest.raises(Refused) as red:  # Beijing sees the period but may not require
        protection.require_red(rt.uow, rt.clock, principal=principal("bj_admin"), ref=p.ref)
    assert [r["code"] for r in red.value.reasons] == ["protection.not_emergency_office"]
    with pytest.raises(Refused):
        protection.end(rt.uow, rt.clock, principal=principal("bj_admin"), ref=p.ref,
                       data=EndIn(reason="not ours"))
    with pytest.raises(NotFound):  # Shanghai does not see a Beijing period (Law art. 30)
        protection.require_red(rt.uow, rt.clock, principal=principal("sh_admin"), ref=p.ref)
    assert count(rt, ProtectionTask) == 0 and messages(rt, "protection.red_required") == []


def test_reads_are_scoped_by_the_callers_place_and_sector(world, principal, clock):
    """Law art. 30: a period is seen by the bodies whose place and sectors it concerns; a
    national one by everyone; the tasks shown are those of bodies the caller sees."""
    rt = world
    bj = declared(rt, principal, clock, starts_at=clock.now())
    sh = declared(rt, principal, clock, jurisdictions=["310000"], sectors=[],
                  starts_at=clock.now())
    nation = declared(rt, principal, clock, jurisdictions=[], sectors=["telecom"],
                      starts_at=clock.now() + timedelta(hours=2))
    assert [j.code for j in nation.jurisdictions] == ["CN"]  # sectors alone: the whole country

    def refs(user: str, phase: str | None = None) -> set[str]:
        page = protection.list_periods(rt.uow, rt.clock, principal=principal(user),
                                       page=PageParams(), phase=phase)
        return {x.ref for x in page.items}

    assert refs("nat_admin") == {bj.ref, sh.ref, nation.ref}
    assert refs("bj_admin") == {bj.ref, nation.ref}
    assert refs("sh_admin") == {sh.ref, nation.ref}
    assert refs("bj_fin") == {bj.ref}  # a finance department: not the telecom period
    assert refs("bj_reporter") == {bj.ref, nation.ref}  # a unit of Beijing
    assert refs("nat_admin", "active") == {bj.ref, sh.ref}
    assert {x.ref for x in protection.active_periods(
        rt.uow, rt.clock, principal=principal("bj_admin"))} == {bj.ref}
    with pytest.raises(NotFound):
        protection.get_period(rt.uow, rt.clock, principal=principal("bj_admin"), ref=sh.ref)

    protection.require_red(rt.uow, rt.clock, principal=principal("nat_admin"), ref=sh.ref)
    seen = protection.get_period(rt.uow, rt.clock, principal=principal("sh_admin"), ref=sh.ref)
    assert {t.body for t in seen.tasks} == {"310000.office"}  # not the national bodies'
    assert seen.bodies_in_scope == ["310000.office"]


def test_ending_early_tells_once_and_the_worker_sends_the_notices(world, principal, clock):
    """Plan §6.5 (project rule): the Emergency Office may end a period early, which closes the
    red-response tasks and sends the end notice at once; one called off before it begins never
    gets a start notice; the worker's job sends each notice once."""
    rt = world
    p = declared(rt, principal, clock, starts_at=clock.now())
    worker = Worker(rt, {})
    assert worker.protection_if_due() == 1 and worker.protection_if_due() == 0
    protection.require_red(rt.uow, rt.clock, principal=principal("nat_admin"), ref=p.ref)
    out = protection.end(rt.uow, rt.clock, principal=principal("nat_admin"), ref=p.ref,
                         data=EndIn(reason="活动提前结束 the event ended early"))
    assert out.phase == "ended" and out.end_reason and out.ended_by == "nat_admin"
    assert {t.state for t in out.tasks} == {"closed"}
    ended = messages(rt, "protection.ended")
    assert len(ended) == 3 and "提前结束 Ended early: 活动提前结束" in ended[0][2]
    assert protection.remind_due(rt.uow, rt.clock) == 0
    with pytest.raises(Conflict, match="protection.already_ended"):
        protection.end(rt.uow, rt.clock, principal=principal("nat_admin"), ref=p.ref,
                       data=EndIn(reason="again"))
    with pytest.raises(Conflict, match="protection.not_running"):
        protection.require_red(rt.uow, rt.clock, principal=principal("nat_admin"), ref=p.ref)

    later = declared(rt, principal, clock, jurisdictions=["310000"], sectors=[],
                     starts_at=clock.now() + timedelta(hours=5))
    protection.end(rt.uow, rt.clock, principal=principal("nat_admin"), ref=later.ref,
                   data=EndIn(reason="活动取消 called off"))
    clock.advance(hours=6)
    assert protection.remind_due(rt.uow, rt.clock) == 0  # no start notice for it, ever
    with rt.uow() as s:
        sh = s.scalar(select(Body.id).where(Body.key == "310000.office"))
        assert s.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.body_id == sh)) == 1  # only its end notice
