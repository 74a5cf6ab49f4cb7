"""Issue 17 items 9–11 through the services, on both databases: the city's headquarters and
field command inside a Level I/II response (City §3.3.3–3.3.4), the Emergency Office's relay of
a Level II ending (Plan §4.3.2), and content security incidents left to their special plan
(Plan §1.3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from fenghuo.audit import service as audit
from fenghuo.common.errors import Conflict, NotFound, Refused, ValidationFailed
from fenghuo.common.pagination import PageParams
from fenghuo.incident import service as incidents
from fenghuo.incident.schemas import FactsIn
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import interchange, registers
from fenghuo.org.models import Body
from fenghuo.org.schemas import ContactIn
from fenghuo.response import service as responses
from fenghuo.response.models import HeadquartersMember, Response
from fenghuo.response.schemas import (
    ActivateIn,
    CommandIn,
    DispatchIn,
    EndIn,
    MemberIn,
    ProgressIn,
    ShiftIn,
    SupportIn,
)
from tests.integration.test_reporting_chain import report_data
from tests.integration.test_responses import user
from tests.integration.test_warnings import TEAMS

JINCHENG = Path(__file__).parents[2] / "examples" / "jincheng.yaml"
#: a county office in Zezhou (the county government's, City §3.3.4) and a second city, Taiyuan
MORE = """
jurisdictions:
  - {code: "140100", parent: "140000", level: city, name_zh: 太原市, name_en: Taiyuan}
bodies:
  - {key: zz.office, kind: office, jurisdiction: "140525", name_zh: 泽州县网络安全办,
     name_en: Zezhou County Network Security Office,
     contacts: [{name: Duty, channel: email, value: duty@zezhou.example.cn, is_24x7: true}]}
  - {key: ty.office, kind: office, jurisdiction: "140100", name_zh: 太原市网络安全办,
     name_en: Taiyuan Network Security Office}
"""


@pytest.fixture
def shanxi(rt):
    """Jincheng (its coordination group and office, a Zezhou water operator), a Zezhou county
    office, Taiyuan; duty officers of each office and of the province, the operator's
    reporter."""
    for text, name in ((JINCHENG.read_text(), JINCHENG.name), (MORE, "more.yaml")):
        interchange.import_document(rt.uow, rt.clock, principal=None,
                                    doc=interchange.parse_yaml(text, name))
    for name, body, role in (("jc_duty", "jc.office", "duty_officer"),
                             ("jc_lead", "jc.office", "analyst"),
                             ("zz_duty", "zz.office", "duty_officer"),
                             ("ty_duty", "ty.office", "duty_officer"),
                             ("sx_duty", "140000.office", "duty_officer"),
                             ("jc_ops", "jc.zezhou-water", "operator_reporter")):
        user(rt, name, body, role)
    return rt


def water_incident(rt, principal, clock, loss: str):
    return incidents.report(rt.uow, rt.clock, principal=principal("jc_ops"), data=report_data(
        clock, system="scada", title="供水调度中断 SCADA outage",
        facts=FactsIn(system_loss=loss)), profile="cac2025")


def level_two(rt, principal, clock):
    inc = water_incident(rt, principal, clock, "serious")
    assert inc.grade == "major"
    return responses.activate(rt.uow, rt.clock, principal=principal("sx_duty"),
                              data=ActivateIn(incident=inc.ref, level="II"))


def headquarters(rt, principal, ref: str, who: str = "jc_duty"):
    return responses.set_up_command(rt.uow, rt.clock, principal=principal(who), ref=ref,
                                    data=CommandIn(kind="headquarters", members=[
                                        MemberIn(name="市长 Mayor", title="总指挥",
                                                 username="jc_lead"),
                                        MemberIn(name="市公安局 Police",
                                                 body="jc.emergency-center")]))


def field_command(rt, principal, ref: str, who: str = "zz_duty"):
    return responses.set_up_command(rt.uow, rt.clock, principal=principal(who), ref=ref,
                                    data=CommandIn(kind="field_command", members=[
                                        MemberIn(name="县长 County head", username="zz_duty",
                                                 body="zz.office")]))


def refused(call) -> dict[str, str]:
    with pytest.raises(Refused) as exc:
        call()
    return {x["code"]: x["source"] for x in exc.value.reasons}


# --- City §3.3.3–3.3.4 ------------------------------------------------------------------------


def test_city_3_3_3_and_3_3_4_headquarters_and_field_command_in_a_level_ii(shanxi, principal,
                                                                           clock):
    """City §3.3.3: in a Level II response to a major incident in Jincheng, the city office
    converts the coordination group into the city's emergency headquarters; §3.3.4: the county
    where it happened sets up a field command under it. Both take part and report progress."""
    rt = shanxi
    r = level_two(rt, principal, clock)
    assert [e.code for e in r.effects][-2:] == ["city.headquarters", "city.field_command"]

    out = headquarters(rt, principal, r.ref)
    hq_key = f"hq.{r.ref.lower()}"
    roles = {p.body: (p.role, p.duty_24h, p.progress_state) for p in out.participants}
    assert roles[hq_key] == ("city_headquarters", True, "due")
    assert {(m.name, m.command) for m in out.headquarters} == {
        ("市长 Mayor", hq_key), ("市公安局 Police", hq_key)}
    assert out.timeline[-1].kind == "city_headquarters"
    assert out.timeline[-1].detail["basis"]["source"] == "City §3.3.3"
    with rt.uow() as s:
        hq = s.scalar(select(Body).where(Body.key == hq_key))
        assert (hq.kind, hq.jurisdiction.code, hq.parent_body.key) == (
            "headquarters", "140500", "jc.coordination-group")  # the group, converted
        assert hq.name_zh.startswith("晋城市网络安全事件应急处置指挥部")

    with pytest.raises(Conflict):  # one headquarters per response
        headquarters(rt, principal, r.ref)
    out = field_command(rt, principal, r.ref)
    fc_key = f"fc.{r.ref.lower()}"
    assert {p.body: p.role for p in out.participants}[fc_key] == "field_command"
    with rt.uow() as s:
        fc = s.scalar(select(Body).where(Body.key == fc_key))
        assert (fc.kind, fc.jurisdiction.code, fc.parent_body.key) == (
            "field_command", "140525", hq_key)  # where it happened, under the headquarters
        # the county office named in it is told, Chinese first
        told = s.scalar(select(OutboxMessage).where(
            OutboxMessage.address == "duty@zezhou.example.cn",
            OutboxMessage.payload.contains("response.command_set_up")))
    assert told.subject.startswith("[Ⅱ级响应成立指挥部 LEVEL II RESPONSE COMMAND SET UP]")
    assert "现场指挥部" in told.text

    # the members report progress and keep the roster for their command, within the response
    out = responses.report_progress(rt.uow, rt.clock, principal=principal("jc_lead"), ref=r.ref,
                                    data=ProgressIn(developments="水厂恢复 plant back",
                                                    progress="切换备用 failover",
                                                    command=hq_key))
    assert (out.progress[-1].body, out.progress[-1].reported_by) == (hq_key, "jc_lead")
    assert next(p for p in out.participants if p.body == hq_key).last_progress_at == clock.now()
    responses.add_shift(rt.uow, rt.clock, principal=principal("zz_duty"), data=ShiftIn(
        officer="张 Zhang", starts_at=clock.now(), ends_at=clock.now().replace(hour=20),
        command=fc_key))
    out = responses.get_response(rt.uow, rt.clock, principal=principal("sx_duty"), ref=r.ref)
    assert next(p for p in out.participants if p.body == fc_key).on_duty == ["张 Zhang"]
    assert refused(lambda: responses.report_progress(  # not a member (City §3.3.3)
        rt.uow, rt.clock, principal=principal("sx_duty"), ref=r.ref,
        data=ProgressIn(developments="x", progress="y", command=hq_key))) == {
        "command.not_member": "City §3.3.3–3.3.4"}
    with pytest.raises(ValidationFailed):
        responses.add_shift(rt.uow, rt.clock, principal=principal("zz_duty"), data=ShiftIn(
            officer="x", starts_at=clock.now(), ends_at=clock.now().replace(hour=20),
            command="jc.office"))

    # the watchdog also watches the field command's cadence (4 h at Level II)
    clock.advance(hours=4, minutes=1)
    assert responses.flag_missing_progress(rt.uow, rt.clock) == 3  # province, hq, field command

    # the response ends: the commands stand down; the audit names every step
    responses.end(rt.uow, rt.clock, principal=principal("sx_duty"), ref=r.ref,
                  data=EndIn(reason="已恢复 restored"))
    with rt.uow() as s:
        assert not any(s.scalars(select(Body.active).where(Body.key.in_([hq_key, fc_key]))))
    page = audit.list_entries(rt.uow, scope=principal("nat_admin").scope,
                              page=PageParams(limit=20, offset=0), entity_type="response")
    assert [e.action for e in reversed(page.items)] == [
        "response.activate", "response.city_headquarters", "response.field_command",
        "response.progress", "response.end"]


def test_city_3_3_refusals_name_the_rule(shanxi, principal, clock):
    """City §3.3.3: only for a major or especially major incident (Levels I, II), by the city's
    office; §3.3.4: a field command only under the headquarters, by the county where it
    happened or the city office; a city outside sees nothing (Law art. 30)."""
    rt = shanxi
    r = level_two(rt, principal, clock)
    assert refused(lambda: field_command(rt, principal, r.ref)) == {
        "command.needs_headquarters": "City §3.3.4"}
    assert refused(lambda: headquarters(rt, principal, r.ref, who="sx_duty")) == {
        "command.not_city_office": "City §3.3.2–3.3.3"}
    assert refused(lambda: headquarters(rt, principal, r.ref, who="zz_duty")) == {
        "command.not_city_office": "City §3.3.2–3.3.3"}
    with pytest.raises(NotFound):  # Taiyuan does not see Jincheng's response
        headquarters(rt, principal, r.ref, who="ty_duty")
    with pytest.raises(ValidationFailed) as no_members:
        responses.set_up_command(rt.uow, rt.clock, principal=principal("jc_duty"), ref=r.ref,
                                 data=CommandIn(kind="headquarters", members=[
                                     MemberIn(name="x", username="nobody")]))
    assert no_members.value.errors[0].field == "members"
    with rt.uow() as s:
        assert s.scalar(select(func.count()).select_from(HeadquartersMember)) == 0
        assert s.scalar(select(func.count()).select_from(Body).where(
            Body.kind == "headquarters")) == 0  # nothing half-written

    # Level III: the city runs it under its own plan, without a headquarters (Plan §4.2.3)
    inc = water_incident(rt, principal, clock, "relatively_serious")
    r3 = responses.activate(rt.uow, rt.clock, principal=principal("jc_duty"),
                            data=ActivateIn(incident=inc.ref, level="III"))
    assert "city.headquarters" not in {e.code for e in r3.effects}
    assert refused(lambda: headquarters(rt, principal, r3.ref)) == {
        "command.level": "City §3.3.3; Plan §4.2.3"}


def test_city_3_3_3_in_a_level_i_a_city_member_does_not_approve_the_end(shanxi, principal,
                                                                         clock):
    """City §3.3.3 in a Level I response: a city outside the incident's, which sees the
    response as a member of its headquarters, is refused with the rule; the city's own
    headquarters members do not approve the end, which is the response headquarters' (Plan
    §4.3.1)."""
    rt = shanxi
    inc = water_incident(rt, principal, clock, "especially_serious")
    r = responses.activate(rt.uow, rt.clock, principal=principal("nat_admin"), data=ActivateIn(
        incident=inc.ref, level="I", headquarters=[MemberIn(name="太原 liaison",
                                                            username="ty_duty")]))
    assert refused(lambda: headquarters(rt, principal, r.ref, who="ty_duty")) == {
        "command.outside_city": "City §3.3.3–3.3.4"}
    out = headquarters(rt, principal, r.ref)
    assert {p.role for p in out.participants} >= {"activator", "emergency_state",
                                                   "city_headquarters"}
    out = field_command(rt, principal, r.ref, who="jc_duty")  # the city office may (§3.3.4)
    assert {m.username for m in out.headquarters if m.command} == {"jc_lead", "zz_duty", None}
    responses.propose_end(rt.uow, rt.clock, principal=principal("nat_admin"), ref=r.ref,
                          data=EndIn(reason="restored"))
    assert refused(lambda: responses.approve_end(
        rt.uow, rt.clock, principal=principal("jc_lead"), ref=r.ref)) == {
        "end.approve_not_headquarters": "Plan §4.3.1"}
    ended = responses.approve_end(rt.uow, rt.clock, principal=principal("ty_duty"), ref=r.ref)
    assert ended.state == "ended"
    # Level I: the Office's notice to the bodies taking part is recorded (Plan §4.3.1)
    assert {n.kind for n in ended.end_notices} == {"notice"}
    assert {n.sent_by for n in ended.end_notices} == {"cn.emergency-office"}
    assert {f"hq.{r.ref.lower()}", "140000.office"} <= {n.body for n in ended.end_notices}


# --- Plan §4.3.2 ------------------------------------------------------------------------------


def test_plan_4_3_2_the_office_relays_a_level_ii_end_and_who_was_told_is_recorded(
        rt, principal, clock):
    """Plan §4.3.2: the province decides the end and reports to the Emergency Office, which
    notifies the provinces and departments concerned: here the sector's regulators, and the
    team it sent in support. Each notice is recorded, with who sent it; the relay is in
    words, Chinese first."""
    interchange.import_document(rt.uow, rt.clock, principal=None,
                                doc=interchange.parse_yaml(TEAMS.read_text(), TEAMS.name))
    for body in ("cn.emergency-office", "bj-finance-reg", "cn.pbc"):
        registers.add_contact(rt.uow, rt.clock, principal=principal("nat_admin"), body=body,
                              data=ContactIn(name="Duty", channel="email",
                                             value=f"duty@{body}.example"))
    inc = incidents.report(rt.uow, rt.clock, principal=principal("bj_reporter"),
                           data=report_data(clock, facts=FactsIn(system_loss="serious")),
                           profile="cac2025")
    r = responses.activate(rt.uow, rt.clock, principal=principal("bj_duty"),
                           data=ActivateIn(incident=inc.ref, level="II"))
    req = responses.request_support(rt.uow, rt.clock, principal=principal("bj_duty"), ref=r.ref,
                                    data=SupportIn(needs="forensics")).support[0]
    responses.dispatch(rt.uow, rt.clock, principal=principal("nat_admin"), ref=r.ref,
                       request_ref=req.ref, data=DispatchIn(body="cn.team-forensics"))
    assert responses.get_response(rt.uow, rt.clock, principal=principal("nat_admin"),
                                  ref=r.ref).end_notices == []
    clock.advance(hours=3)
    ended = responses.end(rt.uow, rt.clock, principal=principal("bj_duty"), ref=r.ref,
                          data=EndIn(reason="已控制 contained"))
    told = {(n.body, n.kind, n.sent_by): n.messages for n in ended.end_notices}
    assert told[("cn.emergency-office", "report", "110000.office")] == 1
    relayed = {b for b, kind, by in told if kind == "relay"}
    assert {"bj-finance-reg", "cn.pbc", "cn.mps", "cn.team-forensics"} <= relayed
    assert not relayed & {"110000.office", "cn.emergency-office", "sh-bank", "310000.office"}
    assert {by for _b, kind, by in told if kind == "relay"} == {"cn.emergency-office"}
    assert told[("bj-finance-reg", "relay", "cn.emergency-office")] == 1
    assert told[("cn.mps", "relay", "cn.emergency-office")] == 0  # no contact to reach
    assert all(n.at == clock.now() for n in ended.end_notices)
    assert "cn.pbc" in ended.timeline[-1].detail["relayed"]
    with rt.uow() as s:
        msg = s.scalar(select(OutboxMessage).where(
            OutboxMessage.address == "duty@cn.pbc.example",
            OutboxMessage.payload.contains("response.end_relayed")))
    assert msg.subject.startswith(
        f"[Ⅱ级响应结束（应急办通报） LEVEL II RESPONSE ENDED (EMERGENCY OFFICE NOTICE)] {r.ref}")
    assert "Plan §4.3.2" in msg.text and "已控制 contained" in msg.text
    assert msg.text.index("应急办通报") < msg.text.index("Emergency Office notifies")


def test_plan_4_3_levels_iii_and_iv_record_no_notice(rt, principal, clock):
    """Plan §4.3 says nothing of Levels III and IV: no one is told, nothing is recorded."""
    inc = incidents.report(rt.uow, rt.clock, principal=principal("bj_reporter"),
                           data=report_data(clock, facts=FactsIn(
                               system_loss="relatively_serious")), profile="cac2025")
    r = responses.activate(rt.uow, rt.clock, principal=principal("bj_duty"),
                           data=ActivateIn(incident=inc.ref, level="III"))
    ended = responses.end(rt.uow, rt.clock, principal=principal("bj_duty"), ref=r.ref,
                          data=EndIn(reason="contained"))
    assert ended.end_notices == []


# --- Plan §1.3 --------------------------------------------------------------------------------


def test_plan_1_3_content_security_is_recorded_and_routed_but_not_activated(rt, principal,
                                                                            clock):
    """Plan §1.3: a content security incident (annex 1 category 4) is recorded and routed,
    but no Level I–IV response of this Plan is activated for it: the refusal points to the
    special plan, whoever asks, and nothing is stored."""
    inc = incidents.report(rt.uow, rt.clock, principal=principal("bj_reporter"), data=report_data(
        clock, category="information-content-security", subcategory=None, system="www",
        title="网站被植入违法信息 unlawful content on the website",
        facts=FactsIn(other_threat="serious")), profile="cac2025")
    assert inc.category == "information-content-security" and inc.grade == "major"
    assert {r.body for r in inc.routes} >= {"110000.office"}
    for who, level in (("bj_duty", "II"), ("bj_fin", "II"), ("nat_admin", "I")):
        assert refused(lambda who=who, level=level: responses.activate(
            rt.uow, rt.clock, principal=principal(who),
            data=ActivateIn(incident=inc.ref, level=level))) == {
            "activate.special_plan": "Plan §1.3"}
    with rt.uow() as s:
        assert s.scalar(select(func.count()).select_from(Response)) == 0
