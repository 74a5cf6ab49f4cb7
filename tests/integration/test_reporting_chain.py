"""The reporting chain through its services, on SQLite and PostgreSQL: intake, grading with
reasons, routing, clocks, timeline, idempotency, supplementary reports, acknowledgement,
the watchdog and the accountability view."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from fenghuo import bootstrap
from fenghuo.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from fenghuo.common.pagination import PageParams
from fenghuo.config import Settings
from fenghuo.incident import accountability, handling, queries, service
from fenghuo.incident.models import Duty, Incident
from fenghuo.incident.schemas import FactsIn, FindingIn, RegradeIn, ReportIn, SupplementIn
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import accounts, bodies, registers
from fenghuo.org.models import OrgVersion
from fenghuo.org.schemas import BodyPatch, ContactIn

PROFILE = "cac2025"


def report_data(clock, **kw) -> ReportIn:
    base = dict(system="core", category="network-attack", subcategory="network-attack.dos",
                title="核心系统遭拒绝服务攻击 DoS on core banking",
                found_at=clock.now() - timedelta(minutes=30), impact="交易缓慢 slow payments",
                measures="启用清洗 scrubbing enabled")
    return ReportIn(**{**base, **kw})


def file(rt, principal, clock, user="bj_reporter", key=None, **kw):
    return service.report(rt.uow, rt.clock, principal=principal(user),
                          data=report_data(clock, **kw), profile=PROFILE, idempotency_key=key)


def count(rt, model) -> int:
    with rt.uow() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_general_report_is_graded_routed_and_timed(rt, principal, clock):
    out = file(rt, principal, clock)
    assert out.grade == "general" and out.grade_reasons
    assert out.state == "reported" and out.source == "unit" and out.cii
    routed = {r.body: {x.code for x in r.reasons} for r in out.routes}
    # bj-bank: Beijing (province-level) office, its finance regulator (also its CII protection
    # department), and the public security organ (CAC 2025 art. 4)
    assert routed == {"110000.office": {"local_office"},
                      "bj-finance-reg": {"sector_department", "cii_protection_department"},
                      "cn.mps": {"public_security"}}
    report_duty = [d for d in out.duties if d.kind == "report"]
    assert report_duty[0].state == "met" and "1 h" in report_duty[0].source
    assert [e.kind for e in out.timeline][:3] == ["reported", "graded", "routed"]


def test_a_major_incident_goes_immediately_to_the_emergency_office(rt, principal, clock):
    out = file(rt, principal, clock, facts=FactsIn(system_loss="serious"))
    assert out.grade == "major"
    assert any("①" in r.text_zh or "criterion" in r.text_en.lower() for r in out.grade_reasons)
    national = [r for r in out.routes if r.body == "cn.emergency-office"]
    assert national and national[0].immediate


def test_criterion_one_needs_an_important_system(rt, principal, clock):
    out = file(rt, principal, clock, system="www", facts=FactsIn(system_loss="serious"))
    assert out.grade == "general" and out.system_important is False
    assert all(r.body != "cn.emergency-office" for r in out.routes)


def test_notifications_are_queued_with_the_report(rt, principal, clock):
    me = principal("bj_admin")
    registers.add_contact(rt.uow, rt.clock, principal=me, body="110000.office",
                          data=ContactIn(name="Duty", channel="email", value="duty@bj.example"))
    out = file(rt, principal, clock)
    assert [(d.body, d.channel, d.state) for d in out.deliveries] == [
        ("110000.office", "email", "pending")]
    assert any(e.kind == "no_channel" for e in out.timeline)  # regulators without contacts


def test_retries_with_the_same_key_do_not_duplicate(rt, principal, clock):
    first = file(rt, principal, clock, key="abc-1")
    again = file(rt, principal, clock, key="abc-1")
    assert again.ref == first.ref and count(rt, Incident) == 1
    with pytest.raises(Conflict):
        file(rt, principal, clock, key="abc-1", title="something else")
    assert file(rt, principal, clock, key="abc-2").ref != first.ref


def test_concurrent_retries_create_one_incident(rt, principal, clock):
    with ThreadPoolExecutor(max_workers=4) as pool:
        refs = set(pool.map(lambda _: file(rt, principal, clock, key="same").ref, range(8)))
    assert len(refs) == 1 and count(rt, Incident) == 1


@pytest.mark.parametrize(("field", "kw"), [
    ("category", {"category": "alien-invasion", "subcategory": None}),
    ("subcategory", {"subcategory": "harmful-program.virus"}),
    ("system", {"system": "nope"}),
    ("found_at", {"found_at_offset": timedelta(days=1)}),
])
def test_bad_reports_store_nothing(rt, principal, clock, field, kw):
    if "found_at_offset" in kw:
        kw = {"found_at": clock.now() + kw["found_at_offset"]}
    before = (count(rt, Incident), count(rt, OutboxMessage), count(rt, Duty))
    with pytest.raises(ValidationFailed) as exc:
        file(rt, principal, clock, **kw)
    assert exc.value.errors[0].field == field
    assert (count(rt, Incident), count(rt, OutboxMessage), count(rt, Duty)) == before


def test_supplementary_report_regrades_and_escalates(rt, principal, clock):
    registers.add_contact(rt.uow, rt.clock, principal=principal("nat_admin"),
                          body="cn.emergency-office",
                          data=ContactIn(name="Duty", channel="email", value="eo@cn.example"))
    out = file(rt, principal, clock)
    clock.advance(minutes=20)
    out = handling.supplement(rt.uow, rt.clock, principal=principal("bj_reporter"), ref=out.ref,
                              data=SupplementIn(text="扩散 spreading",
                                                facts=FactsIn(system_loss="especially_serious")))
    assert out.grade == "especially_major"
    regraded = [e for e in out.timeline if e.kind == "regraded"][0]
    assert regraded.detail["from"] == "general" and regraded.detail["to"] == "especially_major"
    assert any(r.body == "cn.emergency-office" and r.immediate for r in out.routes)
    assert [e.kind for e in out.timeline].count("supplementary") == 1
    with rt.uow() as s:  # issue 16 item 7: the re-routed report names the unit and system
        texts = s.scalars(select(OutboxMessage.text).join(Incident, Incident.id ==
                                                          OutboxMessage.incident_id)
                          .where(Incident.ref == out.ref,
                                 OutboxMessage.subject.contains("特别重大"))).all()
    assert texts and all("单位 Unit: 北京某银行 / Beijing Bank" in x
                         and "系统 System: 核心系统 / Core banking" in x for x in texts)


def test_regrading_by_an_office_keeps_history(rt, principal, clock):
    out = file(rt, principal, clock, facts=FactsIn(system_loss="serious"))
    with pytest.raises(Forbidden):
        handling.regrade(rt.uow, rt.clock, principal=principal("bj_reporter"), ref=out.ref,
                         data=RegradeIn(facts=FactsIn(), reason="not that bad"))
    out = handling.regrade(rt.uow, rt.clock, principal=principal("bj_analyst"), ref=out.ref,
                           data=RegradeIn(facts=FactsIn(), reason="service restored in minutes"))
    e = [e for e in out.timeline if e.kind == "regraded"][-1]
    assert (e.actor, e.detail["from"], e.detail["to"], e.detail["why"]) == (
        "bj_analyst", "major", "general", "service restored in minutes")


def test_acknowledgement_stops_the_clock(rt, principal, clock):
    out = file(rt, principal, clock)
    with pytest.raises(NotFound):
        handling.acknowledge(rt.uow, rt.clock, principal=principal("sh_admin"), ref=out.ref)
    with pytest.raises(Forbidden):
        handling.acknowledge(rt.uow, rt.clock, principal=principal("bj_ro"), ref=out.ref)
    out = handling.acknowledge(rt.uow, rt.clock, principal=principal("bj_duty"), ref=out.ref)
    assert out.state == "acknowledged"
    ack = [d for d in out.duties if d.body == "110000.office"][0]
    assert ack.state == "met"


def test_incidents_are_scoped(rt, principal, clock):
    out = file(rt, principal, clock)
    page = PageParams(limit=50)
    for user, visible in (("bj_admin", True), ("bj_fin", True), ("bj_reporter", True),
                          ("sh_admin", False), ("bj_support", False)):
        listed = queries.list_incidents(rt.uow, principal=principal(user), page=page)
        assert (listed.total == 1) is visible, user
        if not visible:
            with pytest.raises(NotFound):
                queries.get_incident(rt.uow, principal=principal(user), ref=out.ref,
                                     now=clock.now())


def test_watchdog_flags_overdue_clocks_once(rt, principal, clock):
    me = principal("bj_admin")
    registers.add_contact(rt.uow, rt.clock, principal=me, body="bj-finance-reg",
                          data=ContactIn(name="Duty", channel="email", value="fin@bj.example"))
    out = file(rt, principal, clock)
    assert handling.sweep_overdue(rt.uow, rt.clock) == 0
    clock.advance(hours=2)
    flagged = handling.sweep_overdue(rt.uow, rt.clock)
    assert flagged == 3  # three routed bodies, none acknowledged
    assert handling.sweep_overdue(rt.uow, rt.clock) == 0
    out = queries.get_incident(rt.uow, principal=me, ref=out.ref, now=clock.now())
    assert {d.state for d in out.duties if d.kind == "acknowledge"} == {"overdue"}
    assert sum(e.kind == "clock_overdue" for e in out.timeline) == 3
    reminders = [d for d in out.deliveries if d.body == "bj-finance-reg"]
    assert len(reminders) == 2  # the report itself and the overdue reminder


def test_accountability_view(rt, principal, clock):
    since = clock.now() - timedelta(days=1)
    file(rt, principal, clock, found_at=clock.now() - timedelta(hours=3))  # CII: 1 h → late
    file(rt, principal, clock)  # on time
    by_office = service.report(rt.uow, rt.clock, principal=principal("bj_duty"),
                               data=report_data(clock, unit="bj-telco", system=None),
                               profile=PROFILE)
    handling.record_finding(rt.uow, rt.clock, principal=principal("bj_admin"),
                            ref=by_office.ref,
                            data=FindingIn(finding="concealed", reason="knew for days"))
    rows = {r.unit: r for r in accountability.reporting(
        rt.uow, rt.clock, principal=principal("bj_admin"), since=since,
        until=clock.now() + timedelta(days=1))}
    assert (rows["bj-bank"].incidents, rows["bj-bank"].late, rows["bj-bank"].omitted) == (2, 1, 0)
    # reported by the office and never told to bj-telco (no channel): no omission of bj-telco's
    # (Plan §7.10 punishes not reporting, not being discovered; tests/integration/test_omissions)
    assert (rows["bj-telco"].omitted, rows["bj-telco"].concealed) == (0, 1)
    sh = accountability.reporting(rt.uow, rt.clock, principal=principal("sh_admin"), since=since,
                                 until=clock.now() + timedelta(days=1))
    assert all(r.unit not in ("bj-bank", "bj-telco") for r in sh)


def test_the_answer_is_what_was_stored(rt, principal, clock):
    """The report's answer is built from what was written, not read back: it must equal what a
    later read returns."""
    registers.add_contact(rt.uow, rt.clock, principal=principal("bj_admin"), body="110000.office",
                          data=ContactIn(name="Duty", channel="email", value="duty@bj.example"))
    out = file(rt, principal, clock, facts=FactsIn(system_loss="serious"), key="k-stored")
    stored = queries.get_incident(rt.uow, principal=principal("bj_reporter"), ref=out.ref,
                                  now=clock.now())  # the same reader: the same masking
    assert out.model_dump() == stored.model_dump()
    assert out.deliveries and out.duties and len(out.timeline) >= 3


def test_routing_sees_org_changes_made_by_another_process(rt, principal, clock):
    """Routing reads an in-process snapshot of the tree; a change committed elsewhere (here:
    through a second engine, as another server process would) is seen by the next report."""
    first = file(rt, principal, clock)
    assert not [d for d in first.deliveries if d.body == "bj-finance-reg"]
    other = bootstrap.build(Settings(database_url=rt.settings.database_url), clock=clock)
    try:
        registers.add_contact(other.uow, other.clock, principal=principal("bj_admin"),
                              body="bj-finance-reg", data=ContactIn(
                                  name="Regulator", channel="webhook",
                                  value="https://reg.example/hook"))
    finally:
        other.engine.dispose()
    second = file(rt, principal, clock)
    assert [(d.body, d.channel) for d in second.deliveries
            if d.body == "bj-finance-reg"] == [("bj-finance-reg", "webhook")]


def test_every_org_change_gives_the_tree_a_new_version(rt, principal):
    def token() -> str:
        with rt.uow() as s:
            return s.scalar(select(OrgVersion.token))

    before = token()
    bodies.update_body(rt.uow, rt.clock, principal=principal("bj_admin"), key="bj-bank",
                       patch=BodyPatch(notes="changed"))
    after = token()
    assert after != before
    file_unrelated = accounts.principal_for(rt.uow, username="bj_duty")  # a read changes nothing
    assert file_unrelated and token() == after


def test_an_unacknowledged_report_escalates_to_the_next_contact(rt, principal, clock):
    me = principal("bj_admin")
    registers.add_contact(rt.uow, rt.clock, principal=me, body="110000.office", data=ContactIn(
        name="Duty officer", channel="email", value="duty@bj.example", priority=10))
    registers.add_contact(rt.uow, rt.clock, principal=me, body="110000.office", data=ContactIn(
        name="Deputy head", channel="email", value="deputy@bj.example", priority=20))
    out = file(rt, principal, clock)  # the reporter sees the office's inbox masked (issue 18)
    assert [d.address for d in out.deliveries if d.body == "110000.office"] == [
        "d***@bj.example"]
    clock.advance(hours=2)  # the office's acknowledgement clock has run out
    assert handling.sweep_overdue(rt.uow, rt.clock) >= 1
    out = queries.get_incident(rt.uow, principal=me, ref=out.ref, now=clock.now())
    assert [d.address for d in out.deliveries if d.body == "110000.office"] == [
        "duty@bj.example", "deputy@bj.example"]
    overdue = [e for e in out.timeline if e.kind == "clock_overdue"
               and e.detail.get("escalated_to") == ["Deputy head"]]
    assert overdue
    # the reminder says in words which clock ran out and by when (issue 16 item 7)
    with rt.uow() as s:
        reminder = s.scalar(select(OutboxMessage).where(
            OutboxMessage.address == "deputy@bj.example"))
    assert reminder.subject.startswith(f"[逾期 OVERDUE] {out.ref}")
    assert "已逾期，请立即签收并上报" in reminder.text and "北京时间 CST" in reminder.text
