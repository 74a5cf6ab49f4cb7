"""Issue 17 (rule fidelity), the warning domain, through the services on both databases:

* item 2 — the proposed level is the grade of the possible incident (Plan §3.1, §1.4), graded by
  the incidents' own rules from its facts; a low likelihood proposes no warning;
* item 4 — a city's warnings are its office's (City §3.3.3): city departments are refused;
* item 5 — only provincial-level and higher bodies release warnings to the public (Law art.
  54(3), art. 51);
* item 7 — a province's or department's orange or red assessment goes to the Emergency Office
  with an acknowledgement clock (Plan §3.3 ¶1).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from fenghuo import bootstrap
from fenghuo.audit import service as audit
from fenghuo.common.errors import Forbidden, Refused, ValidationFailed
from fenghuo.common.pagination import PageParams
from fenghuo.config import Settings
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import accounts, interchange, registers
from fenghuo.org.schemas import ContactIn, UserIn
from fenghuo.warning import assessment_reports, monitoring
from fenghuo.warning import service as warnings
from fenghuo.warning.models import AssessmentReport, EarlyWarning, RiskAssessment
from fenghuo.warning.schemas import AssessmentIn
from tests.conftest import PASSWORD
from tests.integration.test_warnings import monitoring_in, published, warning_in

EXAMPLES = Path(__file__).parents[2] / "examples"
PROFILE = "cac2025"


def item(rt, principal, clock) -> str:
    return monitoring.submit(rt.uow, rt.clock, principal=principal("bj_reporter"),
                             data=monitoring_in(clock)).ref


def assess(rt, principal, clock, user="bj_analyst", **kw):
    data = {"items": [item(rt, principal, clock)], "likelihood": "high",
            "extent": "region_or_sector", **kw}
    return monitoring.assess(rt.uow, rt.clock, principal=principal(user),
                             data=AssessmentIn(**data), profile=PROFILE)


def outbox(rt, event: str) -> list[OutboxMessage]:
    with rt.uow() as s:
        rows = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [m for m in rows if json.loads(m.payload).get("event") == event]


def count(rt, model) -> int:
    with rt.uow() as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.fixture
def eo_contacts(rt, principal):
    """The Emergency Office's duty line first, its head's phone as the next tier."""
    me = principal("nat_admin")
    for name, value, priority in (("Duty", "duty@eo.example", 0), ("Head", "head@eo.example", 1)):
        registers.add_contact(rt.uow, rt.clock, principal=me, body="cn.emergency-office",
                              data=ContactIn(name=name, channel="email", value=value,
                                             priority=priority))


@pytest.fixture
def jincheng(rt):
    """examples/jincheng.yaml (a city office and a city department) and one user of each."""
    doc = interchange.parse_yaml((EXAMPLES / "jincheng.yaml").read_text(), "jincheng.yaml")
    interchange.import_document(rt.uow, rt.clock, principal=None, doc=doc)
    admin = accounts.principal_for(rt.uow, username="nat_admin")
    for username, body in (("jc_duty", "jc.office"), ("jc_tel", "jc.telecom-regulator")):
        accounts.create_user(rt.uow, rt.clock, principal=admin, data=UserIn(
            username=username, display_name=username, body=body, roles=["duty_officer"],
            password=PASSWORD))


def city_warning(clock, **kw):
    return warning_in(clock, level="yellow", jurisdictions=["140500"], sectors=["telecom"], **kw)


# --- item 2: the level of the possible incident's grade (Plan §3.1, §1.4) ----------------------


def test_the_facts_of_the_possible_incident_are_graded_like_an_incident(rt, principal, clock):
    """Plan §1.4 criterion ① (serious loss of an important system → major) and Plan §3.1
    (major → orange): the same grading rules as a reported incident, with their reasons."""
    out = assess(rt, principal, clock, facts={"system_loss": "serious", "important_system": True})
    assert (out.harm, out.proposal.level, out.proposal.grade) == ("major", "orange", "major")
    assert out.grading_profile == PROFILE and out.facts.important_system
    codes = [r.code for r in out.proposal.reasons]
    assert codes[:3] == ["risk.grade", "risk.grade.plan.criterion1.serious", "risk.likely"]
    ordinary = assess(rt, principal, clock, facts={"system_loss": "serious"})
    assert (ordinary.harm, ordinary.proposal.level) == ("general", "blue")  # annex 2 only
    again = monitoring.get_assessment(rt.uow, rt.clock, principal=principal("bj_duty"),
                                      ref=out.ref)
    assert again.facts == out.facts and again.proposal == out.proposal


def test_a_stated_grade_must_agree_with_the_facts(rt, principal, clock):
    with pytest.raises(ValidationFailed) as exc:
        assess(rt, principal, clock, harm="especially_major",
               facts={"other_threat": "relatively_serious"})
    assert exc.value.errors[0].field == "harm"
    assert exc.value.errors[0].source == "Plan §1.4; §3.1"
    assert count(rt, RiskAssessment) == 0  # nothing half-written
    agreed = assess(rt, principal, clock, harm="relatively_major",
                    facts={"other_threat": "relatively_serious"})
    assert agreed.proposal.level == "yellow"
    with pytest.raises(ValueError, match="facts"):
        AssessmentIn(items=["MI-1"], likelihood="high", extent="national")


def test_a_low_likelihood_proposes_no_warning(rt, principal, clock):
    """Was: one step lower than the harm. Plan §3.1 warns of incidents that happen or may
    happen; the likelihood decides whether a warning is proposed, not its level."""
    out = assess(rt, principal, clock, likelihood="low", harm="especially_major")
    assert out.proposal.level is None and not out.proposal.report_to_emergency_office
    assert "risk.unlikely" in [r.code for r in out.proposal.reasons]
    assert out.reports == [] and count(rt, AssessmentReport) == 0
    with rt.uow() as s:
        assert s.scalar(select(RiskAssessment.proposed_level)) is None


def test_a_likely_wide_major_threat_is_orange_not_red(rt, principal, clock):
    """Was red ("major harm, likely, several provinces"): Plan §3.1 pairs major with orange;
    the reach makes it the Emergency Office's to issue (Plan §3.3 ¶2)."""
    out = assess(rt, principal, clock, user="nat_admin", likelihood="almost_certain",
                 extent="several_provinces_or_sectors", harm="major")
    assert out.proposal.level == "orange" and out.proposal.emergency_office_only


# --- item 7: possible major incidents to the Emergency Office (Plan §3.3 ¶1) --------------------


def test_a_provinces_orange_assessment_goes_to_the_emergency_office(rt, principal, clock,
                                                                    eo_contacts):
    out = assess(rt, principal, clock, harm="major")
    [report] = out.reports
    assert (report.body, report.state, report.source) == ("cn.emergency-office", "due",
                                                          "Plan §3.3 ¶1")
    assert report.ack_due_at == clock.now() + timedelta(hours=1)  # the project default
    [sent] = outbox(rt, "assessment.reported")
    assert sent.address == "duty@eo.example"  # the first tier only
    assert sent.subject.startswith(f"[橙色预警 可能发生重大事件 ORANGE POSSIBLE MAJOR INCIDENT] "
                                   f"{out.ref}")
    assert "期限 Due:" in sent.text and "Plan §3.3 ¶1" in sent.text and "重大" in sent.text
    assert json.loads(sent.payload)["path"] == f"/web/warnings/new?assessment={out.ref}"
    # the clock: overdue after the deadline, one reminder to the next tier
    clock.advance(hours=1, minutes=1)
    later = monitoring.get_assessment(rt.uow, rt.clock, principal=principal("nat_admin"),
                                      ref=out.ref)
    assert later.reports[0].state == "overdue"
    assert assessment_reports.remind_overdue(rt.uow, rt.clock) == 1
    assert assessment_reports.remind_overdue(rt.uow, rt.clock) == 0  # once
    [reminder] = outbox(rt, "assessment.reminder")
    assert reminder.address == "head@eo.example" and "OVERDUE" in reminder.subject
    # only the Office acknowledges; its clock stops
    with pytest.raises(Forbidden):
        monitoring.acknowledge_assessment(rt.uow, rt.clock, principal=principal("bj_duty"),
                                          ref=out.ref)
    acked = monitoring.acknowledge_assessment(rt.uow, rt.clock,
                                              principal=principal("nat_admin"), ref=out.ref)
    assert (acked.reports[0].state, acked.reports[0].acknowledged_by) == ("acknowledged",
                                                                          "nat_admin")
    actions = [e.action for e in audit.list_entries(
        rt.uow, scope=principal("nat_admin").scope, page=PageParams(limit=20, offset=0),
        entity_type="assessment").items]
    assert sorted(actions) == ["risk.acknowledge", "risk.assess", "risk.report_overdue"]


def test_a_department_reports_red_and_the_deadline_is_a_setting(db_url, principal, clock):
    """FENGHUO_POSSIBLE_MAJOR_ACK_HOURS (the Plan says 及时 and gives no figure)."""
    rt = bootstrap.build(Settings(database_url=db_url, possible_major_ack_hours=0.5),
                         clock=clock)
    try:
        out = assess(rt, principal, clock, user="bj_fin", harm="especially_major")
    finally:
        rt.engine.dispose()
    assert out.proposal.level == "red" and out.reports[0].body == "cn.emergency-office"
    assert out.reports[0].ack_due_at == clock.now() + timedelta(minutes=30)


@pytest.mark.parametrize(("user", "harm"), [("bj_analyst", "relatively_major"),  # yellow
                                            ("nat_admin", "especially_major"),  # the Office
                                            ("bj_cert", "major")])  # not a province office
def test_others_are_not_routed(rt, principal, clock, user, harm):
    out = assess(rt, principal, clock, user=user, harm=harm)
    assert out.reports == [] and count(rt, AssessmentReport) == 0
    assert outbox(rt, "assessment.reported") == []


# --- item 4: city departments do not issue (City §3.3.3) ---------------------------------------


def test_a_city_department_is_refused_and_the_city_office_issues(rt, principal, clock,
                                                                 jincheng):
    with pytest.raises(Refused) as exc:
        warnings.draft(rt.uow, rt.clock, principal=principal("jc_tel"), data=city_warning(clock))
    assert [r["code"] for r in exc.value.reasons] == ["authority.city_department"]
    assert exc.value.reasons[0]["source"] == "City §3.3.3"
    assert count(rt, EarlyWarning) == 0
    w = warnings.draft(rt.uow, rt.clock, principal=principal("jc_duty"),
                       data=city_warning(clock))
    assert w.authority[0].code == "authority.city"
    powers = warnings.issuing_powers(rt.uow, principal=principal("jc_tel"))
    assert powers.allowed_levels == ()


# --- item 5: public release by provincial-level bodies and above (Law art. 54(3)) --------------


def test_a_city_may_not_release_to_the_public(rt, principal, clock, jincheng):
    with pytest.raises(Refused) as exc:
        warnings.draft(rt.uow, rt.clock, principal=principal("jc_duty"),
                       data=city_warning(clock, public=True, tlp="clear"))
    [reason] = exc.value.reasons
    assert reason["code"] == "public.below_province" and "Law art. 54(3)" in reason["source"]
    assert "省级网络安全应急办公室" in reason["text_zh"] and exc.value.status == 403
    assert count(rt, EarlyWarning) == 0
    # a city warning marked public before the rule never reaches the public feed
    w = warnings.draft(rt.uow, rt.clock, principal=principal("jc_duty"),
                       data=city_warning(clock, tlp="clear"))
    with rt.uow() as s:
        s.execute(update(EarlyWarning).where(EarlyWarning.ref == w.ref).values(
            public=True, state="published", published_at=clock.now()))
    acts = warnings.available_actions(rt.uow, principal=principal("jc_duty"), ref=w.ref)
    assert acts.publish is None  # published already
    assert warnings.public_warnings(rt.uow) == []
    # the province may, and its public warning is on the feed
    province = published(rt, principal, clock, public=True, tlp="clear")
    assert [p.ref for p in warnings.public_warnings(rt.uow)] == [province.ref]


def test_publishing_rechecks_the_public_rule(rt, principal, clock, jincheng):
    """A city draft made public behind the rule's back is refused at publication too."""
    w = warnings.draft(rt.uow, rt.clock, principal=principal("jc_duty"),
                       data=city_warning(clock, tlp="clear"))
    with rt.uow() as s:
        s.execute(update(EarlyWarning).where(EarlyWarning.ref == w.ref).values(public=True,
                                                                               state="approved"))
    acts = warnings.available_actions(rt.uow, principal=principal("jc_duty"), ref=w.ref)
    assert [r.code for r in acts.publish.refusals] == ["public.below_province"]
    with pytest.raises(Refused):
        warnings.publish(rt.uow, rt.clock, principal=principal("jc_duty"), ref=w.ref)
