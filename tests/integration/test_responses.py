"""Emergency responses I–IV and investigation through the services, on both databases
(Plan §4.2, §4.3, §5)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from fenghuo.audit import service as audit
from fenghuo.common.errors import Conflict, Forbidden, NotFound, Refused, ValidationFailed
from fenghuo.common.pagination import PageParams
from fenghuo.incident import accountability
from fenghuo.incident import service as incidents
from fenghuo.incident.schemas import FactsIn
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import interchange, registers
from fenghuo.org.accounts import put_user
from fenghuo.org.schemas import ContactIn, UserIn
from fenghuo.response import service as responses
from fenghuo.response.models import Response
from fenghuo.response.schemas import (
    ActivateIn,
    DispatchIn,
    EndIn,
    MemberIn,
    ProgressIn,
    SectionsIn,
    ShiftIn,
    SupportIn,
)
from tests.conftest import PASSWORD
from tests.integration.test_reporting_chain import report_data
from tests.integration.test_warnings import TEAMS

SECTIONS = {"cause": "VPN flaw", "nature": "criminal ransomware", "impact": "payments down 6 h",
            "responsibility": "patching late", "handling_opinions": "warn the vendor",
            "improvements": "patch within 48 h"}


def user(rt, name: str, body: str, role: str = "duty_officer") -> None:
    with rt.uow() as s:
        put_user(s, principal=None, now=rt.clock.now(), data=UserIn(
            username=name, display_name=name, body=body, roles=[role], password=PASSWORD))


def incident(rt, principal, clock, loss: str):
    return incidents.report(rt.uow, rt.clock, principal=principal("bj_reporter"),
                            data=report_data(clock, facts=FactsIn(system_loss=loss)),
                            profile="cac2025")


def level_one(rt, principal, clock):
    """An especially major incident in Beijing, Level I activated by the Emergency Office with a
    headquarters whose member ``hq_lead`` may approve the end."""
    user(rt, "hq_lead", "cn.emergency-office", "read_only")
    for body in ("110000.office", "cn.emergency-office"):
        registers.add_contact(rt.uow, rt.clock, principal=principal("nat_admin"), body=body,
                              data=ContactIn(name="Duty", channel="email",
                                             value=f"duty@{body}.example"))
    inc = incident(rt, principal, clock, "especially_serious")
    assert inc.grade == "especially_major"
    return responses.activate(rt.uow, rt.clock, principal=principal("nat_admin"), data=ActivateIn(
        incident=inc.ref, level="I", headquarters=[
            MemberIn(name="总指挥 Commander", title="leading group", username="hq_lead"),
            MemberIn(name="北京 Beijing liaison", body="110000.office")]))


def test_level_one_is_activated_by_the_office_with_a_headquarters(rt, principal, clock):
    r = level_one(rt, principal, clock)
    assert (r.level, r.state, r.activated_by) == ("I", "active", "cn.emergency-office")
    assert [m.username for m in r.headquarters] == ["hq_lead", None]
    roles = {p.body: (p.role, p.duty_24h) for p in r.participants}
    assert roles["cn.emergency-office"] == ("activator", True)
    assert roles["110000.office"] == ("emergency_state", True)  # Plan §4.2.1
    assert {e.code for e in r.effects} >= {"level_i.headquarters"}
    assert "§4.2.1" in r.activation[0].source
    # the Beijing office is told in words, Chinese first (issue 16 item 7)
    with rt.uow() as s:
        told = s.scalar(select(OutboxMessage).where(
            OutboxMessage.address == "duty@110000.office.example",
            OutboxMessage.payload.contains("response.activated")))
    assert told.subject.startswith(f"[Ⅰ级响应启动 LEVEL I RESPONSE ACTIVATED] {r.ref}")
    assert "等级 Grade: 特别重大" in told.text and "要求 Asked: 按响应级别开展应急处置" in told.text


def test_activation_refusals_name_the_rule(rt, principal, clock):
    inc = incident(rt, principal, clock, "especially_serious")
    with pytest.raises(Refused) as by_province:
        responses.activate(rt.uow, rt.clock, principal=principal("bj_duty"),
                           data=ActivateIn(incident=inc.ref, level="I"))
    assert "activate.level_reserved" in {r["code"] for r in by_province.value.reasons}
    with pytest.raises(Refused) as mismatch:
        responses.activate(rt.uow, rt.clock, principal=principal("nat_admin"),
                           data=ActivateIn(incident=inc.ref, level="II"))
    assert "activate.level_mismatch" in {r["code"] for r in mismatch.value.reasons}
    with pytest.raises(ValidationFailed) as no_hq:
        responses.activate(rt.uow, rt.clock, principal=principal("nat_admin"),
                           data=ActivateIn(incident=inc.ref, level="I"))
    assert no_hq.value.errors[0].field == "headquarters"
    with rt.uow() as s:
        assert s.scalar(select(func.count()).select_from(Response)) == 0


def test_support_is_requested_by_a_province_and_coordinated_by_the_office(rt, principal, clock):
    interchange.import_document(rt.uow, rt.clock, principal=None,
                                doc=interchange.parse_yaml(TEAMS.read_text(), TEAMS.name))
    r = level_one(rt, principal, clock)
    out = responses.request_support(rt.uow, rt.clock, principal=principal("bj_duty"), ref=r.ref,
                                    data=SupportIn(needs="forensics team on site"))
    req = out.support[0]
    assert (req.requesting_body, req.state) == ("110000.office", "requested")
    with pytest.raises(Refused) as refused:  # only the Office coordinates (Plan §4.2.2(3))
        responses.dispatch(rt.uow, rt.clock, principal=principal("bj_duty"), ref=r.ref,
                           request_ref=req.ref, data=DispatchIn(body="cn.team-forensics"))
    assert refused.value.reasons[0]["source"].startswith("Plan §2.2")
    out = responses.dispatch(rt.uow, rt.clock, principal=principal("nat_admin"), ref=r.ref,
                             request_ref=req.ref, data=DispatchIn(body="cn.team-forensics",
                                                                  note="arrives 14:00"))
    req = out.support[0]
    assert req.state == "dispatched" and req.dispatches[0].body == "cn.team-forensics"
    assert req.dispatches[0].dispatched_at == clock.now()
    with pytest.raises(NotFound):  # a department outside the response does not even see it
        responses.request_support(rt.uow, rt.clock, principal=principal("bj_fin"), ref=r.ref,
                                  data=SupportIn(needs="something"))


def test_level_one_ends_only_on_the_office_proposal_and_headquarters_approval(rt, principal,
                                                                              clock):
    r = level_one(rt, principal, clock)
    with pytest.raises(Refused) as by_province:
        responses.end(rt.uow, rt.clock, principal=principal("bj_duty"), ref=r.ref,
                      data=EndIn(reason="we are fine"))
    codes = {x["code"] for x in by_province.value.reasons}
    assert {"end.not_emergency_office", "end.needs_proposal", "end.needs_approval"} <= codes
    with pytest.raises(Refused):  # a province does not propose either
        responses.propose_end(rt.uow, rt.clock, principal=principal("bj_duty"), ref=r.ref,
                              data=EndIn(reason="we are fine"))
    proposed = responses.propose_end(rt.uow, rt.clock, principal=principal("nat_admin"),
                                     ref=r.ref, data=EndIn(reason="systems restored"))
    assert proposed.state == "end_proposed"
    with pytest.raises(Refused) as not_member:
        responses.approve_end(rt.uow, rt.clock, principal=principal("bj_duty"), ref=r.ref)
    assert [x["code"] for x in not_member.value.reasons] == ["end.approve_not_headquarters"]
    ended = responses.approve_end(rt.uow, rt.clock, principal=principal("hq_lead"), ref=r.ref)
    assert (ended.state, ended.end_approved_by) == ("ended", "hq_lead")
    assert ended.timeline[-1].detail["notify"] == ["provinces_and_departments"]
    inv = ended.investigation
    assert (inv.organizer, inv.organizer_body) == ("emergency_office", "cn.emergency-office")
    assert inv.due_at == clock.now() + timedelta(days=30) and inv.clock == "due"


def test_the_investigation_falls_due_in_30_days_and_is_overdue_on_day_31(rt, principal, clock):
    r = level_one(rt, principal, clock)
    responses.propose_end(rt.uow, rt.clock, principal=principal("nat_admin"), ref=r.ref,
                          data=EndIn(reason="restored"))
    responses.approve_end(rt.uow, rt.clock, principal=principal("hq_lead"), ref=r.ref)
    clock.advance(days=30)
    get = lambda: responses.get_response(rt.uow, rt.clock, principal=principal("nat_admin"),  # noqa: E731
                                         ref=r.ref).investigation
    assert get().clock == "due"
    clock.advance(days=1)
    assert get().clock == "overdue"
    with pytest.raises(Refused) as incomplete:
        responses.advance_investigation(rt.uow, rt.clock, principal=principal("nat_admin"),
                                        ref=r.ref, target="submitted")
    assert "investigation.missing_sections" in {x["code"] for x in incomplete.value.reasons}
    with pytest.raises(Forbidden):  # the Office organizes it (Plan §5), not the province
        responses.write_investigation(rt.uow, rt.clock, principal=principal("bj_duty"),
                                      ref=r.ref, data=SectionsIn(sections=SECTIONS))
    responses.write_investigation(rt.uow, rt.clock, principal=principal("nat_admin"), ref=r.ref,
                                  data=SectionsIn(sections=SECTIONS))
    responses.advance_investigation(rt.uow, rt.clock, principal=principal("nat_admin"),
                                    ref=r.ref, target="submitted")
    done = responses.advance_investigation(rt.uow, rt.clock, principal=principal("nat_admin"),
                                           ref=r.ref, target="approved").investigation
    assert (done.state, done.clock) == ("approved", "late")


def test_level_two_is_ended_by_its_province_and_the_office_is_told(rt, principal, clock):
    registers.add_contact(rt.uow, rt.clock, principal=principal("nat_admin"),
                          body="cn.emergency-office", data=ContactIn(
                              name="Duty", channel="email", value="duty@eo.example"))
    inc = incident(rt, principal, clock, "serious")
    assert inc.grade == "major"
    r = responses.activate(rt.uow, rt.clock, principal=principal("bj_duty"),
                           data=ActivateIn(incident=inc.ref, level="II"))
    assert {p.body: p.role for p in r.participants} == {
        "110000.office": "activator", "cn.emergency-office": "informed"}
    with pytest.raises(Conflict):
        responses.activate(rt.uow, rt.clock, principal=principal("bj_duty"),
                           data=ActivateIn(incident=inc.ref, level="II"))
    with pytest.raises(NotFound):  # Shanghai cannot see it (Law art. 30)
        responses.end(rt.uow, rt.clock, principal=principal("sh_admin"), ref=r.ref,
                      data=EndIn(reason="not mine"))
    with pytest.raises(Refused) as refused:
        responses.end(rt.uow, rt.clock, principal=principal("nat_admin"), ref=r.ref,
                      data=EndIn(reason="the Office cannot end a Level II"))
    assert [x["code"] for x in refused.value.reasons] == ["end.not_activator"]
    ended = responses.end(rt.uow, rt.clock, principal=principal("bj_duty"), ref=r.ref,
                          data=EndIn(reason="contained"))
    assert ended.state == "ended"
    assert ended.timeline[-1].detail["notify"] == ["emergency_office"]
    inv = ended.investigation
    assert (inv.organizer_body, inv.file_with_emergency_office) == ("110000.office", True)


def test_progress_reports_are_flagged_when_missing(rt, principal, clock):
    inc = incident(rt, principal, clock, "serious")
    r = responses.activate(rt.uow, rt.clock, principal=principal("bj_duty"),
                           data=ActivateIn(incident=inc.ref, level="II",
                                           progress_every_minutes=60))
    assert responses.flag_missing_progress(rt.uow, rt.clock) == 0
    clock.advance(minutes=61)
    assert responses.flag_missing_progress(rt.uow, rt.clock) == 1
    assert responses.flag_missing_progress(rt.uow, rt.clock) == 0  # once per miss
    out = responses.report_progress(rt.uow, rt.clock, principal=principal("bj_duty"), ref=r.ref,
                                    data=ProgressIn(developments="spread stopped",
                                                    progress="restoring backups"))
    office = next(p for p in out.participants if p.body == "110000.office")
    assert office.progress_state == "due" and out.progress[0].progress == "restoring backups"
    with pytest.raises(NotFound):  # only bodies taking part (or overseeing) see it at all
        responses.report_progress(rt.uow, rt.clock, principal=principal("bj_fin"), ref=r.ref,
                                  data=ProgressIn(developments="x", progress="y"))


def test_every_change_is_audited(rt, principal, clock):
    inc = incident(rt, principal, clock, "serious")
    r = responses.activate(rt.uow, rt.clock, principal=principal("bj_duty"),
                           data=ActivateIn(incident=inc.ref, level="II"))
    responses.end(rt.uow, rt.clock, principal=principal("bj_duty"), ref=r.ref,
                  data=EndIn(reason="contained"))
    page = audit.list_entries(rt.uow, scope=principal("nat_admin").scope,
                              page=PageParams(limit=10, offset=0), entity_type="response")
    assert [e.action for e in reversed(page.items)] == ["response.activate", "response.end"]
    assert audit.verify(rt.uow).ok


def test_duty_rosters_show_who_is_on_duty_now(rt, principal, clock):
    now = clock.now()
    me = principal("bj_duty")
    shift = responses.add_shift(rt.uow, rt.clock, principal=me, data=ShiftIn(
        officer="王值班 Wang", contact="+86 10 0000 0000", starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=11), handover_note="watch the bank"))
    assert shift.on_duty_now and shift.body == "110000.office"
    responses.add_shift(rt.uow, rt.clock, principal=me, data=ShiftIn(
        officer="李 Li", starts_at=now + timedelta(hours=11), ends_at=now + timedelta(hours=23)))
    with pytest.raises(Conflict):
        responses.add_shift(rt.uow, rt.clock, principal=me, data=ShiftIn(
            officer="王值班 Wang", starts_at=now, ends_at=now + timedelta(hours=2)))
    with pytest.raises(ValidationFailed):
        responses.add_shift(rt.uow, rt.clock, principal=me, data=ShiftIn(
            officer="x", starts_at=now, ends_at=now))
    inc = incident(rt, principal, clock, "serious")
    r = responses.activate(rt.uow, rt.clock, principal=me,
                           data=ActivateIn(incident=inc.ref, level="II"))
    office = next(p for p in r.participants if p.body == "110000.office")
    assert office.on_duty == ["王值班 Wang"]
    clock.advance(hours=12)
    roster = responses.list_shifts(rt.uow, rt.clock, principal=principal("nat_admin"),
                                   body="110000.office")
    assert [(x.officer, x.on_duty_now) for x in roster] == [("李 Li", True)]
    listed = responses.list_responses(rt.uow, principal=principal("sh_admin"),
                                      page=PageParams(limit=10, offset=0))
    assert listed.total == 0


def test_an_overdue_investigation_shows_in_the_accountability_view(rt, principal, clock):
    inc = incident(rt, principal, clock, "serious")
    r = responses.activate(rt.uow, rt.clock, principal=principal("bj_duty"),
                           data=ActivateIn(incident=inc.ref, level="II"))
    responses.end(rt.uow, rt.clock, principal=principal("bj_duty"), ref=r.ref,
                  data=EndIn(reason="contained"))
    since, until = clock.now() - timedelta(days=1), clock.now() + timedelta(days=60)

    def office_row():
        rows = accountability.reporting(rt.uow, rt.clock, principal=principal("nat_admin"),
                                       since=since, until=until)
        return next((x for x in rows if x.unit == "110000.office"), None)

    clock.advance(days=30)
    assert office_row() is None or office_row().overdue_investigations == 0
    clock.advance(days=1)
    assert office_row().overdue_investigations == 1  # Plan §5: 30 days, §7.10
