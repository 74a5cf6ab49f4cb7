"""Monitoring information, risk assessment and warnings through the services, on both databases
(Plan §3, Law arts. 51–55)."""

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
from fenghuo.org.schemas import ContactIn
from fenghuo.warning import monitoring
from fenghuo.warning import service as warnings
from fenghuo.warning.models import EarlyWarning
from fenghuo.warning.schemas import (
    AssessmentIn,
    LiftIn,
    MonitoringIn,
    ReviseIn,
    ShareIn,
    TaskDoneIn,
    WarningIn,
)

TEAMS = Path(__file__).parents[2] / "examples" / "national-teams.yaml"


@pytest.fixture
def contacts(rt, principal):
    """Email contacts for the bodies a Beijing warning reaches."""
    me = principal("nat_admin")
    for body in ("110000.office", "bj-finance-reg", "cn.emergency-office"):
        registers.add_contact(rt.uow, rt.clock, principal=me, body=body, data=ContactIn(
            name="Duty", channel="email", value=f"duty@{body}.example"))


def warning_in(clock, **kw) -> WarningIn:
    base = dict(title="勒索软件攻击金融机构 Ransomware against banks", category="harmful-program",
                level="orange", starts_at=clock.now(), jurisdictions=["110000"],
                sectors=["finance"], items=["勒索软件利用VPN漏洞 ransomware via a VPN flaw"],
                measures=[{"text": "修补VPN patch the VPN", "deadline": clock.now()
                           + timedelta(hours=24)}])
    return WarningIn(**{**base, **kw})


def drafted(rt, principal, clock, user="bj_duty", **kw):
    return warnings.draft(rt.uow, rt.clock, principal=principal(user), data=warning_in(clock, **kw))


def published(rt, principal, clock, **kw):
    w = drafted(rt, principal, clock, **kw)
    warnings.approve(rt.uow, rt.clock, principal=principal("bj_admin"), ref=w.ref)
    return warnings.publish(rt.uow, rt.clock, principal=principal("bj_duty"), ref=w.ref)


def count(rt, model) -> int:
    with rt.uow() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_province_drafts_approves_and_publishes_an_orange_warning(rt, principal, clock,
                                                                    contacts):
    w = drafted(rt, principal, clock)
    assert w.state == "draft" and w.level == "orange" and w.issuer == "110000.office"
    assert w.authority[0].code == "authority.own_region_or_sector"
    with pytest.raises(Refused) as refused:  # four eyes: the drafter does not approve
        warnings.approve(rt.uow, rt.clock, principal=principal("bj_duty"), ref=w.ref)
    assert [r["code"] for r in refused.value.reasons] == ["approve.four_eyes"]
    with pytest.raises(Refused):  # publishing needs approval first (Plan §3.3)
        warnings.publish(rt.uow, rt.clock, principal=principal("bj_duty"), ref=w.ref)
    warnings.approve(rt.uow, rt.clock, principal=principal("bj_admin"), ref=w.ref)
    out = warnings.publish(rt.uow, rt.clock, principal=principal("bj_duty"), ref=w.ref)
    assert out.state == "published" and out.published_at is not None
    # Plan §3.3 ¶1 (通知有关部门和单位): the finance regulator, the Emergency Office, and
    # the units: Beijing's finance operator and CNCERT's Beijing branch (issue 16 item 1)
    assert {r.body for r in out.recipients} == {"bj-finance-reg", "cn.emergency-office",
                                                 "bj-bank", "110000.cncert"}
    assert all(r.state == "due" for r in out.recipients)
    assert {(d.body, d.channel) for d in out.deliveries} == {
        ("bj-finance-reg", "email"), ("cn.emergency-office", "email"), ("bj-bank", "email")}
    # Plan §3.4.2 for orange: the region's office and the sector's department act
    owners = {(t.body, t.code) for t in out.tasks}
    assert ("110000.office", "orange.start_plan") in owners
    assert ("bj-finance-reg", "orange.start_plan") in owners
    assert ("bj-bank", "orange.unit_measures") in owners  # the unit takes the measures
    assert [e.kind for e in out.timeline] == ["drafted", "approved", "published"]
    # issue 20 item 6: each message's payload names the issuing unit and the TLP
    with rt.uow() as s:
        payloads = [json.loads(m.payload) for m in s.scalars(select(OutboxMessage).where(
            OutboxMessage.warning_id.is_not(None)))]
    assert payloads and all(p["unit"] == {"key": "110000.office", "name_zh": p["unit"]["name_zh"],
                                          "name_en": p["unit"]["name_en"]}
                            and p["unit"]["name_zh"] and p["tlp"] == out.tlp for p in payloads)


def test_authority_refusals_name_the_rule_and_store_nothing(rt, principal, clock):
    with pytest.raises(Refused) as red:
        drafted(rt, principal, clock, level="red")
    assert "authority.red_reserved" in {r["code"] for r in red.value.reasons}
    with pytest.raises(Refused) as other:
        drafted(rt, principal, clock, jurisdictions=["310000"])
    assert "authority.outside_jurisdiction" in {r["code"] for r in other.value.reasons}
    with pytest.raises(Refused) as two:  # a two-province yellow is the Office's too
        drafted(rt, principal, clock, level="yellow", jurisdictions=["110000", "310000"])
    assert {"authority.multi_province"} <= {r["code"] for r in two.value.reasons}
    assert all(r["source"] and r["text_zh"] and r["text_en"] for r in two.value.reasons)
    assert count(rt, EarlyWarning) == 0


def test_missing_content_is_named_field_by_field(rt, principal, clock):
    with pytest.raises(ValidationFailed) as exc:
        warnings.draft(rt.uow, rt.clock, principal=principal("bj_duty"),
                       data=WarningIn(title="incomplete"))
    fields = [e.field for e in exc.value.errors]
    assert fields == ["category", "level", "starts_at", "jurisdictions", "items", "measures"]
    assert all(e.source == "Plan §3.3 ¶3" for e in exc.value.errors)
    assert count(rt, EarlyWarning) == 0


def test_acknowledgement_and_reminders(rt, principal, clock, contacts):
    w = published(rt, principal, clock)
    out = warnings.acknowledge(rt.uow, rt.clock, principal=principal("bj_fin"), ref=w.ref)
    states = {r.body: r.state for r in out.recipients}
    assert states == {"bj-finance-reg": "acknowledged", "cn.emergency-office": "due",
                      "bj-bank": "due", "110000.cncert": "due"}
    with pytest.raises(NotFound):  # Shanghai did not receive it, and cannot see it
        warnings.acknowledge(rt.uow, rt.clock, principal=principal("sh_admin"), ref=w.ref)
    assert warnings.remind_unacknowledged(rt.uow, rt.clock) == 0
    warnings.acknowledge(rt.uow, rt.clock, principal=principal("bj_reporter"), ref=w.ref)
    clock.advance(hours=1, minutes=1)  # orange: one hour to acknowledge
    # the Emergency Office and CNCERT's branch did not acknowledge; the bank did
    assert warnings.remind_unacknowledged(rt.uow, rt.clock) == 2
    assert warnings.remind_unacknowledged(rt.uow, rt.clock) == 0  # once
    out = warnings.get_warning(rt.uow, rt.clock, principal=principal("bj_duty"), ref=w.ref)
    eo = next(r for r in out.recipients if r.body == "cn.emergency-office")
    assert eo.state == "overdue" and eo.reminded_at is not None
    with rt.uow() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.payload.contains("warning.reminder"))) == 1


def test_only_the_issuer_lifts_and_open_tasks_close(rt, principal, clock, contacts):
    w = published(rt, principal, clock)
    with pytest.raises(Refused) as refused:
        warnings.lift(rt.uow, rt.clock, principal=principal("nat_admin"), ref=w.ref,
                      data=LiftIn(reason="not yours"))
    assert [r["code"] for r in refused.value.reasons] == ["lift.not_issuer"]
    task = next(t for t in w.tasks if t.body == "110000.office")
    done = warnings.complete_task(rt.uow, rt.clock, principal=principal("bj_duty"), ref=w.ref,
                                  task_id=task.id, data=TaskDoneIn(evidence="plan started"))
    assert next(t for t in done.tasks if t.id == task.id).state == "done"
    out = warnings.lift(rt.uow, rt.clock, principal=principal("bj_duty"), ref=w.ref,
                        data=LiftIn(reason="patched everywhere"))
    assert out.state == "lifted" and out.lift_reason == "patched everywhere"
    assert {t.state for t in out.tasks if t.id != task.id} == {"closed"}
    lifted = [d for d in out.deliveries if d.body == "bj-finance-reg"]
    assert len(lifted) == 2  # the warning, then the lifting notice
    with pytest.raises(Refused):
        warnings.lift(rt.uow, rt.clock, principal=principal("bj_duty"), ref=w.ref,
                      data=LiftIn(reason="again"))


def test_a_revision_is_recorded_and_reapplies_authority(rt, principal, clock, contacts):
    w = published(rt, principal, clock)
    warnings.acknowledge(rt.uow, rt.clock, principal=principal("bj_fin"), ref=w.ref)
    with pytest.raises(Refused) as refused:
        warnings.revise(rt.uow, rt.clock, principal=principal("bj_duty"), ref=w.ref,
                        data=ReviseIn(level="red", reason="worse"))
    assert "authority.red_reserved" in {r["code"] for r in refused.value.reasons}
    out = warnings.revise(rt.uow, rt.clock, principal=principal("bj_duty"), ref=w.ref,
                          data=ReviseIn(level="yellow", reason="contained"))
    assert (out.level, out.revision) == ("yellow", 2)
    revised = next(e for e in out.timeline if e.kind == "revised")
    assert revised.detail["from"] == "orange" and revised.detail["to"] == "yellow"
    assert all(r.state == "due" for r in out.recipients)  # everyone acknowledges again
    states = {(t.code.split(".")[0], t.state) for t in out.tasks}
    assert ("orange", "open") not in states  # the old level's checklist is superseded
    assert ("orange", "superseded") in states and ("yellow", "open") in states


def test_a_red_multi_province_warning_of_the_emergency_office(rt, principal, clock):
    """Plan §3.3 ¶2: the Office issues red and multi-province warnings; §3.4.1: support teams
    on standby, provinces on 24-hour duty; §3.5: only the issuer lifts."""
    doc = interchange.parse_yaml(TEAMS.read_text(), TEAMS.name)  # the README's example
    interchange.import_document(rt.uow, rt.clock, principal=None, doc=doc)
    w = warnings.draft(rt.uow, rt.clock, principal=principal("nat_admin"),
                       data=warning_in(clock, level="red", jurisdictions=["110000", "310000"],
                                       sectors=[]))
    assert w.authority[0].code == "authority.emergency_office"
    with pytest.raises(Refused):  # nat_admin drafted it; nobody else at the Office here
        warnings.approve(rt.uow, rt.clock, principal=principal("nat_admin"), ref=w.ref)
    with rt.uow() as s:  # a second Office member approves
        from fenghuo.org.accounts import put_user
        from fenghuo.org.schemas import UserIn
        put_user(s, principal=None, now=rt.clock.now(), data=UserIn(
            username="nat_duty", display_name="nat_duty", body="cn.emergency-office",
            roles=["duty_officer"], password="correct-horse-battery"))
    warnings.approve(rt.uow, rt.clock, principal=principal("nat_duty"), ref=w.ref)
    out = warnings.publish(rt.uow, rt.clock, principal=principal("nat_duty"), ref=w.ref)
    codes = {(t.body, t.code) for t in out.tasks}
    assert any(body == "cn.team-incident" for body, _ in codes)
    assert any(body == "cn.emergency-office" for body, _ in codes)
    assert {"110000.office", "310000.office"} <= {body for body, _ in codes}  # on duty
    assert "cn.team-incident" in {r.body for r in out.recipients}
    with pytest.raises(Refused) as refused:  # a province that received it cannot lift it
        warnings.lift(rt.uow, rt.clock, principal=principal("sh_admin"), ref=w.ref,
                      data=LiftIn(reason="over here"))
    assert [r["code"] for r in refused.value.reasons] == ["lift.not_issuer"]
    lifted = warnings.lift(rt.uow, rt.clock, principal=principal("nat_duty"), ref=w.ref,
                           data=LiftIn(reason="threat gone"))
    assert lifted.state == "lifted" and lifted.timeline[-1].kind == "lifted"


def test_public_warnings_are_clear_marked_and_published_only(rt, principal, clock):
    with pytest.raises(ValidationFailed) as exc:
        drafted(rt, principal, clock, public=True)  # amber by default
    assert [e.field for e in exc.value.errors] == ["tlp"]
    public = published(rt, principal, clock, public=True, tlp="clear")
    published(rt, principal, clock, title="internal", tlp="clear")
    drafted(rt, principal, clock, title="not yet", public=True, tlp="clear")
    feed = warnings.public_warnings(rt.uow)
    assert [w.ref for w in feed] == [public.ref]
    assert "recipients" not in feed[0].model_dump() and "drafted_by" not in feed[0].model_dump()
    with pytest.raises(NotFound):
        warnings.public_warning(rt.uow, ref=public.ref.replace("WN", "XX"))


def test_warnings_are_scoped(rt, principal, clock, contacts):
    w = published(rt, principal, clock)
    assert warnings.get_warning(rt.uow, rt.clock, principal=principal("nat_admin"), ref=w.ref)
    with pytest.raises(NotFound):
        warnings.get_warning(rt.uow, rt.clock, principal=principal("sh_admin"), ref=w.ref)
    listed = warnings.list_warnings(rt.uow, principal=principal("sh_admin"),
                                    page=PageParams(limit=10, offset=0))
    assert listed.total == 0


def monitoring_in(clock, **kw) -> MonitoringIn:
    base = dict(title="VPN漏洞被利用 VPN flaw exploited", observed="扫描流量 scanning traffic",
                observed_at=clock.now(), category="network-attack", jurisdictions=["110000"],
                sectors=["finance"], indicators=[{"type": "ip", "value": "203.0.113.7"},
                                                 {"type": "cve", "value": "CVE-2026-0001"}])
    return MonitoringIn(**{**base, **kw})


def test_important_monitoring_goes_up_and_is_shared_across(rt, principal, clock):
    item = monitoring.submit(rt.uow, rt.clock, principal=principal("bj_reporter"),
                             data=monitoring_in(clock, important=True), idempotency_key="m1")
    again = monitoring.submit(rt.uow, rt.clock, principal=principal("bj_reporter"),
                              data=monitoring_in(clock, important=True), idempotency_key="m1")
    assert again.ref == item.ref
    # Plan §3.2: a unit's important item goes up its chain, which reports it on
    assert [(sh.body, sh.reason) for sh in item.shares] == [
        ("110000.office", "local_office"), ("bj-finance-reg", "sector_department")]
    up = monitoring.report_up(rt.uow, rt.clock, principal=principal("bj_duty"), ref=item.ref)
    assert ("cn.emergency-office", "reported_up") in [(sh.body, sh.reason) for sh in up.shares]
    assert monitoring.get_item(rt.uow, principal=principal("bj_duty"), ref=item.ref)
    with pytest.raises(NotFound):
        monitoring.get_item(rt.uow, principal=principal("sh_admin"), ref=item.ref)
    with pytest.raises(Forbidden):  # only the Emergency Office shares across (Plan §3.2)
        monitoring.share(rt.uow, rt.clock, principal=principal("bj_admin"), ref=item.ref,
                         data=ShareIn(bodies=["310000.office"]))
    shared = monitoring.share(rt.uow, rt.clock, principal=principal("nat_admin"), ref=item.ref,
                              data=ShareIn(bodies=["310000.office"]))
    assert {sh.body for sh in shared.shares} == {"110000.office", "bj-finance-reg",
                                                 "cn.emergency-office", "310000.office"}
    acked = monitoring.acknowledge(rt.uow, rt.clock, principal=principal("sh_admin"),
                                   ref=item.ref)
    assert next(sh for sh in acked.shares if sh.body == "310000.office").acknowledged_by == \
        "sh_admin"


def test_a_risk_assessment_proposes_a_level_with_reasons(rt, principal, clock):
    item = monitoring.submit(rt.uow, rt.clock, principal=principal("bj_reporter"),
                             data=monitoring_in(clock))
    out = monitoring.assess(rt.uow, rt.clock, principal=principal("bj_analyst"),
                            data=AssessmentIn(items=[item.ref], likelihood="high",
                                              extent="region_or_sector", harm="major"),
                            profile="cac2025")
    assert out.proposal.level == "orange" and out.proposal.reasons
    assert out.items == [item.ref]
    w = drafted(rt, principal, clock, assessment=out.ref)
    assert w.assessment == out.ref
    with pytest.raises(NotFound):
        monitoring.get_assessment(rt.uow, rt.clock, principal=principal("sh_admin"),
                                  ref=out.ref)


def test_every_change_is_audited(rt, principal, clock, contacts):
    w = published(rt, principal, clock)
    warnings.lift(rt.uow, rt.clock, principal=principal("bj_duty"), ref=w.ref,
                  data=LiftIn(reason="over"))
    page = audit.list_entries(rt.uow, scope=principal("nat_admin").scope,
                              page=PageParams(limit=20, offset=0), entity_type="warning")
    assert [e.action for e in reversed(page.items)] == [
        "warning.draft", "warning.approve", "warning.publish", "warning.lift"]
    assert audit.verify(rt.uow).ok


def test_a_monitoring_key_reused_for_different_data_is_a_conflict(rt, principal, clock):
    monitoring.submit(rt.uow, rt.clock, principal=principal("bj_reporter"),
                      data=monitoring_in(clock), idempotency_key="k")
    with pytest.raises(Conflict):
        monitoring.submit(rt.uow, rt.clock, principal=principal("bj_reporter"),
                          data=monitoring_in(clock, title="something else", important=True),
                          idempotency_key="k")


def test_searches_treat_wildcards_literally(rt, principal, clock):
    monitoring.submit(rt.uow, rt.clock, principal=principal("bj_reporter"),
                      data=monitoring_in(clock))
    page = PageParams(limit=10, offset=0)
    me = principal("bj_duty")
    assert monitoring.list_items(rt.uow, principal=me, page=page, q="%").total == 0
    assert monitoring.list_items(rt.uow, principal=me, page=page, q="VPN").total == 1
    assert monitoring.list_items(rt.uow, principal=me, page=page, q="203.0.113.7").total == 1
