"""Incidents carry TLP 2.0 and the Emergency Office shares them across provinces and departments
(Plan §3.2; Law art. 29), on SQLite and PostgreSQL; how bodies stand to incidents, warnings and
monitoring items (``sharing.relations``)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import event, func, select

from fenghuo.audit import service as audit
from fenghuo.audit.models import AuditEntry
from fenghuo.common.errors import Forbidden, NotFound, Refused, ValidationFailed
from fenghuo.common.pagination import PageParams
from fenghuo.incident import handling, queries
from fenghuo.incident.models import Incident
from fenghuo.incident.schemas import FactsIn, RegradeIn, StateIn
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import registers
from fenghuo.org.accounts import put_user
from fenghuo.org.models import Body
from fenghuo.org.schemas import ContactIn, UserIn
from fenghuo.sharing import relations, service
from fenghuo.sharing.models import IncidentShare
from fenghuo.sharing.schemas import TlpIn
from fenghuo.sharing.tlp import Relation, Tlp
from fenghuo.warning import monitoring
from fenghuo.warning.models import EarlyWarning, MonitoringItem
from tests.integration.test_reporting_chain import file
from tests.integration.test_warnings import monitoring_in, published


def relabel(rt, principal, ref, tlp, user="bj_admin"):
    return service.set_incident_tlp(rt.uow, rt.clock, principal=principal(user), ref=ref,
                                    data=TlpIn(tlp=tlp, reason="经研判可扩大范围 reviewed"))


def share(rt, principal, ref, *bodies, user="nat_admin", note="请关注 please watch"):
    return service.share_incident(rt.uow, rt.clock, principal=principal(user), ref=ref,
                                  bodies=list(bodies), note=note)


def body_id(rt, key):
    with rt.uow() as s:
        return s.scalar(select(Body.id).where(Body.key == key))


def audit_actions(rt, key):
    audit.chain_pending(rt.uow)
    with rt.uow() as s:
        return [a for (a,) in s.execute(select(AuditEntry.action).where(
            AuditEntry.entity_key == key).order_by(AuditEntry.seq))]


@pytest.fixture
def tianjin(rt, principal):
    """A user at another province's office, to which nothing is shared."""
    with rt.uow() as s:
        put_user(s, principal=None, now=rt.clock.now(), data=UserIn(
            username="tj_admin", display_name="tj", body="120000.office",
            roles=["administrator"], password="a-long-enough-password-1"))
    return "tj_admin"


# --- TLP on incidents -------------------------------------------------------------------------


def test_tlp_defaults_to_amber_and_the_reporter_may_choose(rt, principal, clock):
    """TLP 2.0; issue 8 item 1: every incident carries a label, AMBER unless the reporter
    says otherwise."""
    plain = file(rt, principal, clock)
    assert plain.tlp == Tlp.AMBER
    red = file(rt, principal, clock, tlp=Tlp.RED, title="敏感事件 sensitive")
    assert red.tlp == Tlp.RED
    got = queries.get_incident(rt.uow, principal=principal("bj_duty"), ref=red.ref,
                               now=clock.now())
    assert got.tlp == Tlp.RED
    listed = queries.list_incidents(rt.uow, principal=principal("bj_duty"),
                                    page=PageParams(limit=10))
    assert {x.ref: x.tlp for x in listed.items} == {plain.ref: Tlp.AMBER, red.ref: Tlp.RED}


def test_a_regrade_does_not_change_the_label(rt, principal, clock):
    out = file(rt, principal, clock, tlp=Tlp.GREEN)
    regraded = handling.regrade(rt.uow, rt.clock, principal=principal("bj_duty"), ref=out.ref,
                                data=RegradeIn(facts=FactsIn(system_loss="especially_serious"),
                                               reason="损失扩大 loss grew"))
    assert regraded.grade != out.grade and regraded.tlp == Tlp.GREEN


def test_an_office_handling_it_relabels_with_a_reason_audited(rt, principal, clock):
    out = file(rt, principal, clock)
    after = relabel(rt, principal, out.ref, Tlp.GREEN)
    assert after.tlp == Tlp.GREEN
    changed = [e for e in after.timeline if e.kind == "tlp_changed"]
    assert [(e.actor, e.detail["from"], e.detail["to"]) for e in changed] == [
        ("bj_admin", "amber", "green")]
    assert changed[0].detail["reason"]
    assert "incident.tlp" in audit_actions(rt, out.ref)
    # the same label again changes nothing and writes nothing
    relabel(rt, principal, out.ref, Tlp.GREEN)
    assert audit_actions(rt, out.ref).count("incident.tlp") == 1


def test_only_an_office_relabels(rt, principal, clock):
    out = file(rt, principal, clock)
    with pytest.raises(Refused) as refused:  # a department sees it (routed) but is no office
        relabel(rt, principal, out.ref, Tlp.CLEAR, user="bj_fin")
    assert [r["code"] for r in refused.value.reasons] == ["tlp.office_only"]
    with pytest.raises(Forbidden):  # the reporter has no incident:handle
        relabel(rt, principal, out.ref, Tlp.CLEAR, user="bj_reporter")
    with pytest.raises(NotFound):  # an office outside its scope does not see it (Law art. 30)
        relabel(rt, principal, out.ref, Tlp.CLEAR, user="sh_admin")
    assert queries.get_incident(rt.uow, principal=principal("bj_duty"), ref=out.ref,
                                now=clock.now()).tlp == Tlp.AMBER


# --- sharing (Plan §3.2) ----------------------------------------------------------------------


def test_plan_3_2_the_emergency_office_shares_and_recipients_acknowledge(rt, principal, clock,
                                                                         tianjin):
    me = principal("nat_admin")
    registers.add_contact(rt.uow, rt.clock, principal=me, body="310000.office", data=ContactIn(
        name="Duty", channel="email", value="duty@sh-office.example"))
    out = file(rt, principal, clock)
    other = file(rt, principal, clock, title="另一事件 another")
    relabel(rt, principal, out.ref, Tlp.GREEN)
    with pytest.raises(NotFound):  # before the share, Shanghai does not see it (Law art. 30)
        queries.get_incident(rt.uow, principal=principal("sh_admin"), ref=out.ref,
                             now=clock.now())
    shares = share(rt, principal, out.ref, "310000.office", "cn.pbc")
    assert [(x.body, x.state, x.shared_by, x.shared_by_body) for x in shares] == [
        ("310000.office", "unacknowledged", "nat_admin", "cn.emergency-office"),
        ("cn.pbc", "unacknowledged", "nat_admin", "cn.emergency-office")]
    with rt.uow() as s:
        msgs = s.execute(select(OutboxMessage.address, OutboxMessage.payload).where(
            OutboxMessage.body_id == body_id(rt, "310000.office"))).all()
    assert [(a, json.loads(p)["event"]) for a, p in msgs] == [
        ("duty@sh-office.example", "incident.shared")]
    with rt.uow() as s:  # in words, Chinese first (issue 16 item 7)
        text = s.scalar(select(OutboxMessage.text).where(
            OutboxMessage.body_id == body_id(rt, "310000.office")))
    assert "等级 Grade: " in text and "要求 Asked: 请确认接收" in text
    assert "类别 Category: " in text and "类别 Category: network-attack" not in text
    assert "incident.share" in audit_actions(rt, out.ref)

    # the recipient reads it and finds it in its list; not the other incident, not Tianjin
    sh = principal("sh_admin")
    seen = queries.get_incident(rt.uow, principal=sh, ref=out.ref, now=clock.now())
    assert "shared" in [e.kind for e in seen.timeline]
    listed = queries.list_incidents(rt.uow, principal=sh, page=PageParams(limit=10))
    assert [x.ref for x in listed.items] == [out.ref]
    with pytest.raises(NotFound):
        queries.get_incident(rt.uow, principal=sh, ref=other.ref, now=clock.now())
    with pytest.raises(NotFound):
        queries.get_incident(rt.uow, principal=principal(tianjin), ref=out.ref,
                             now=clock.now())
    assert queries.list_incidents(rt.uow, principal=principal(tianjin),
                                  page=PageParams(limit=10)).total == 0
    # … reads, does not handle: a share does not make Shanghai a handler
    with pytest.raises(NotFound):
        handling.set_state(rt.uow, rt.clock, principal=sh, ref=out.ref,
                              data=StateIn(state="handling"))
    with pytest.raises(NotFound):
        relabel(rt, principal, out.ref, Tlp.CLEAR, user="sh_admin")

    # it acknowledges; the list says who has and who has not
    received = service.list_received(rt.uow, principal=sh, page=PageParams(limit=10),
                                     state="unacknowledged")
    assert [x.incident for x in received.items] == [out.ref]
    share_id = received.items[0].id
    with pytest.raises(NotFound):  # another body cannot acknowledge Shanghai's share
        service.acknowledge_share(rt.uow, rt.clock, principal=principal("bj_admin"),
                                  share_id=share_id)
    clock.advance(minutes=20)
    acked = service.acknowledge_share(rt.uow, rt.clock, principal=sh, share_id=share_id)
    assert acked.state == "acknowledged" and acked.acknowledged_by == "sh_admin"
    again = service.acknowledge_share(rt.uow, rt.clock, principal=sh, share_id=share_id)
    assert again.acknowledged_at == acked.acknowledged_at
    assert audit_actions(rt, out.ref).count("incident.share.acknowledge") == 1
    listed = service.list_incident_shares(rt.uow, principal=principal("nat_admin"), ref=out.ref)
    assert {x.body: x.state for x in listed} == {"310000.office": "acknowledged",
                                                 "cn.pbc": "unacknowledged"}
    assert service.list_received(rt.uow, principal=sh, page=PageParams(limit=10),
                                 state="unacknowledged").total == 0
    assert service.list_received(rt.uow, principal=sh, page=PageParams(limit=10),
                                 state="acknowledged").total == 1

    # sharing again with the same body neither duplicates nor notifies again
    before = _count(rt, OutboxMessage)
    share(rt, principal, out.ref, "310000.office")
    assert _count(rt, IncidentShare) == 2 and _count(rt, OutboxMessage) == before


def _count(rt, model) -> int:
    with rt.uow() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_plan_3_2_only_the_emergency_office_shares(rt, principal, clock):
    out = file(rt, principal, clock, tlp=Tlp.GREEN)
    for user in ("bj_admin", "cncert_duty"):
        with pytest.raises(Refused) as refused:
            share(rt, principal, out.ref, "310000.office", user=user)
        assert [r["code"] for r in refused.value.reasons] == ["share.not_emergency_office"]
    with pytest.raises(Forbidden):  # no incident:handle at all
        share(rt, principal, out.ref, "310000.office", user="bj_reporter")
    assert _count(rt, IncidentShare) == 0


def test_plan_3_2_recipients_are_provinces_and_departments(rt, principal, clock):
    out = file(rt, principal, clock, tlp=Tlp.GREEN)
    with pytest.raises(ValidationFailed) as failed:
        share(rt, principal, out.ref, "bj-bank", "no-such-body", "cn.emergency-office")
    messages = " ".join(e.message for e in failed.value.errors)
    assert "'bj-bank' is neither" in messages and "no body 'no-such-body'" in messages
    assert "'cn.emergency-office' is your own body" in messages
    with pytest.raises(NotFound):
        share(rt, principal, "FH-20260101-00000000", "310000.office")
    assert _count(rt, IncidentShare) == 0


def test_tlp2_is_checked_per_recipient(rt, principal, clock):
    """AMBER reaches the bodies whose scope holds it (cn.pbc regulates finance nationwide), not
    another province; AMBER+STRICT only bodies it names (cn.mps, routed); RED is not shared."""
    out = file(rt, principal, clock)  # AMBER, bj-bank (Beijing, finance)
    with pytest.raises(Refused) as refused:
        share(rt, principal, out.ref, "310000.office", "cn.pbc")
    assert [(r["code"], r["text_en"].split(":")[0]) for r in refused.value.reasons] == [
        ("tlp.beyond_reach", "310000.office")]
    assert _count(rt, IncidentShare) == 0  # all or nothing
    assert [x.body for x in share(rt, principal, out.ref, "cn.pbc")] == ["cn.pbc"]

    strict = file(rt, principal, clock, tlp=Tlp.AMBER_STRICT, title="仅本单位 strict")
    with pytest.raises(Refused):
        share(rt, principal, strict.ref, "cn.miit")
    assert [x.body for x in share(rt, principal, strict.ref, "cn.mps")] == ["cn.mps"]

    red = file(rt, principal, clock, tlp=Tlp.RED, title="红色 red")
    with pytest.raises(Refused) as refused:
        share(rt, principal, red.ref, "cn.mps")
    assert [r["code"] for r in refused.value.reasons] == ["tlp.red_no_onward"]


# --- relations --------------------------------------------------------------------------------


def test_relations_to_incidents_named_in_scope_community(rt, principal, clock):
    out = file(rt, principal, clock, tlp=Tlp.GREEN)
    share(rt, principal, out.ref, "310000.office")
    with rt.uow() as s:
        incident = s.scalar(select(Incident).where(Incident.ref == out.ref))
        rel = {key: relations.relation_to_incident(s, body_id(rt, key), incident)
               for key in ("bj-bank", "110000.office", "cn.mps", "310000.office", "cn.pbc",
                           "cn.miit", "120000.office", "bj-telco", "110000.cncert")}
        assert relations.relation_to_incident(s, None, incident) == Relation.PUBLIC
    assert rel == {"bj-bank": Relation.NAMED, "110000.office": Relation.NAMED,
                   "cn.mps": Relation.NAMED, "310000.office": Relation.NAMED,
                   "cn.pbc": Relation.IN_SCOPE, "cn.miit": Relation.COMMUNITY,
                   "120000.office": Relation.COMMUNITY, "bj-telco": Relation.COMMUNITY,
                   "110000.cncert": Relation.IN_SCOPE}


def test_relations_in_batch_take_a_fixed_number_of_queries(rt, principal, clock):
    refs = [file(rt, principal, clock, title=f"事件 {i}").ref for i in range(6)]
    relabel(rt, principal, refs[0], Tlp.GREEN)
    share(rt, principal, refs[0], "310000.office")
    statements = []
    with rt.uow() as s:
        incidents = s.scalars(select(Incident).where(Incident.ref.in_(refs))).all()
        sh = body_id(rt, "310000.office")
        listen = lambda *a, **k: statements.append(a[2])  # noqa: E731
        event.listen(rt.engine, "before_cursor_execute", listen)
        try:
            got = relations.relations_to_incidents(s, sh, incidents)
        finally:
            event.remove(rt.engine, "before_cursor_execute", listen)
    by_ref = {i.ref: got[i.id] for i in incidents}
    assert by_ref[refs[0]] == Relation.NAMED
    assert {by_ref[r] for r in refs[1:]} == {Relation.COMMUNITY}
    assert len(statements) <= 4  # the body (+ its sectors), routes, shares: not one per item


def test_relations_to_warnings_and_monitoring_items(rt, principal, clock):
    """A warning names its issuer and recipients; a monitoring item its submitter and the bodies
    it was shared with; in scope is whoever's scope holds the issuer or submitter."""
    w = published(rt, principal, clock)  # issued by 110000.office to Beijing finance
    # the units too: Beijing's finance operator and CNCERT's Beijing branch (Plan §3.3 ¶1)
    assert {r.body for r in w.recipients} == {"cn.emergency-office", "bj-finance-reg",
                                              "bj-bank", "110000.cncert"}
    item = monitoring.submit(rt.uow, rt.clock, principal=principal("bj_reporter"),
                             data=monitoring_in(clock, important=True))
    # Plan §3.2: the bank's important item goes to its office, which reports it on
    monitoring.report_up(rt.uow, rt.clock, principal=principal("bj_duty"), ref=item.ref)
    with rt.uow() as s:
        warning = s.scalar(select(EarlyWarning).where(EarlyWarning.ref == w.ref))
        mi = s.scalar(select(MonitoringItem).where(MonitoringItem.ref == item.ref))
        wr = {k: relations.relation_to_warning(s, body_id(rt, k), warning)
              for k in ("110000.office", "cn.emergency-office", "bj-finance-reg",
                        "110000.cncert", "310000.office", "bj-telco")}
        mr = {k: relations.relation_to_monitoring_item(s, body_id(rt, k), mi)
              for k in ("bj-bank", "cn.emergency-office", "110000.office", "110000.cncert",
                        "310000.office", "bj-telco")}
        assert relations.relations_to_warnings(s, None, [warning]) == {
            warning.id: Relation.PUBLIC}
        assert relations.relations_to_monitoring_items(s, None, [mi]) == {
            mi.id: Relation.PUBLIC}
    assert wr == {"110000.office": Relation.NAMED, "cn.emergency-office": Relation.NAMED,
                  "bj-finance-reg": Relation.NAMED, "110000.cncert": Relation.NAMED,
                  "310000.office": Relation.COMMUNITY, "bj-telco": Relation.COMMUNITY}
    assert mr == {"bj-bank": Relation.NAMED, "cn.emergency-office": Relation.NAMED,
                  "110000.office": Relation.NAMED, "110000.cncert": Relation.IN_SCOPE,
                  "310000.office": Relation.COMMUNITY, "bj-telco": Relation.COMMUNITY}
