"""Public tips handled, through the services on SQLite and PostgreSQL (Law art. 14, issue 16
item 4): the receiving office is notified and its clock starts; transfer (移送) to the competent
department, which is notified and takes over; refusals with the rule and nothing half-written;
a 409 on a closed tip; the watchdog on an overdue clock; the receipt code and what it shows."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from fenghuo.audit.models import AuditPending
from fenghuo.common.errors import Conflict, Forbidden, NotFound, Refused, ValidationFailed
from fenghuo.common.pagination import PageParams
from fenghuo.config import Settings
from fenghuo.incident import tip_handling, tips
from fenghuo.incident.models import Tip, TipEvent
from fenghuo.incident.tip_rules import RECEIPT_ALPHABET
from fenghuo.incident.tip_schemas import AcceptIn, CloseIn, TipIn, TransferIn
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import registers
from fenghuo.org.accounts import put_user
from fenghuo.org.models import Jurisdiction
from fenghuo.org.schemas import ContactIn, UserIn
from fenghuo.workers.dispatch import Worker
from tests.conftest import PASSWORD
from tests.integration.test_reporting_chain import report_data

TIPSTER, CONTACT = "王五", "wangwu@example.cn"
REASON = "属公安机关职责：涉嫌非法侵入 suspected intrusion, a police matter"
NOTE = "内部：已电话核实 internal: verified by phone"
OUTCOME = "已依法处理，相关网站已整改。 Handled; the website was fixed."


def tip_in(**kw) -> TipIn:
    base = dict(jurisdiction="110000", unit_name="北京某网站 a Beijing website",
                category="information-destruction",
                description="网站首页被篡改并挂马 defaced and serving malware",
                reporter_name=TIPSTER, reporter_contact=CONTACT)
    return TipIn(**{**base, **kw})


@pytest.fixture
def world(rt, principal):
    """Contacts for the Beijing office (two ranks) and the Ministry of Public Security, and a
    duty officer at the Ministry."""
    for body, who, name, value, rank in (
            ("110000.office", "bj_admin", "Duty", "duty@bj.example", 10),
            ("110000.office", "bj_admin", "Deputy head", "deputy@bj.example", 20),
            ("cn.mps", "nat_admin", "MPS duty", "duty@mps.example", 10)):
        registers.add_contact(rt.uow, rt.clock, principal=principal(who), body=body,
                              data=ContactIn(name=name, channel="email", value=value,
                                             priority=rank))
    with rt.uow() as s:
        put_user(s, principal=None, now=rt.clock.now(), data=UserIn(
            username="mps_duty", display_name="mps_duty", body="cn.mps", roles=["duty_officer"],
            password=PASSWORD))
    return principal


def sent_to(rt, address: str) -> list[OutboxMessage]:
    with rt.uow() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.address == address)
                              .order_by(OutboxMessage.id)))


def audit_actions(rt, ref: str) -> list[str]:
    with rt.uow() as s:
        return list(s.scalars(select(AuditPending.action).where(AuditPending.entity_key == ref)
                              .order_by(AuditPending.id)))


def test_a_tip_is_received_notified_and_its_clock_starts(rt, world, clock):
    receipt = tips.submit(rt.uow, rt.clock, data=tip_in())
    assert receipt.received_by_zh.startswith("北京市")
    groups = receipt.receipt_code.split("-")
    assert [len(g) for g in groups] == [5, 5, 5, 5]
    assert set("".join(groups)) <= set(RECEIPT_ALPHABET)
    with rt.uow() as s:
        tip = s.scalar(select(Tip).where(Tip.ref == receipt.ref))
        row = json.dumps({c.name: str(getattr(tip, c.name)) for c in Tip.__table__.columns})
        assert tip.receipt_hash == hashlib.sha256(
            receipt.receipt_code.replace("-", "").encode()).hexdigest()
        assert receipt.receipt_code not in row  # only its hash is kept
    # the office's most urgent contact is told, Chinese first, without the tipster's identity
    [message] = sent_to(rt, "duty@bj.example")
    assert receipt.ref in message.subject and message.text.startswith("事件 What: 收到一条公众举报")
    assert "单位 Unit: 北京某网站" in message.text and "/web/tips/" in message.text
    assert TIPSTER not in message.text + message.payload and CONTACT not in message.text
    assert sent_to(rt, "deputy@bj.example") == []
    out = tips.get_tip(rt.uow, rt.clock, principal=world("bj_duty"), ref=receipt.ref)
    assert (out.state, out.holder, out.public_status) == ("received", "110000.office",
                                                          "received")
    assert out.clock.kind == "decide" and out.clock.state == "due"
    assert out.clock.due_at == clock.now() + timedelta(hours=72)  # the default project rule
    assert "Law art. 14" in out.clock.source and "tip_decide_hours" in out.clock.source
    assert [e.kind for e in out.history] == ["received"]
    assert out.history[0].detail["notified"] == ["Duty"]
    assert out.reporter_name == TIPSTER and set(out.actions) == {
        "accept", "transfer", "close", "convert"}
    ro = tips.get_tip(rt.uow, rt.clock, principal=world("bj_ro"), ref=receipt.ref)
    assert ro.reporter_name is None and ro.actions == []
    assert audit_actions(rt, receipt.ref) == ["tip.submit"]


def test_the_clock_durations_are_settings(rt, world, clock):
    settings = tips.settings_of(Settings(tip_decide_hours=4, tip_close_days=7))
    ref = tips.submit(rt.uow, rt.clock, data=tip_in(), settings=settings).ref
    out = tips.get_tip(rt.uow, rt.clock, principal=world("bj_duty"), ref=ref)
    assert out.clock.due_at == clock.now() + timedelta(hours=4)
    out = tip_handling.accept(rt.uow, rt.clock, principal=world("bj_duty"), ref=ref,
                              settings=settings)
    assert out.clock.kind == "close" and out.clock.due_at == clock.now() + timedelta(days=7)


def test_a_tip_transferred_to_public_security_is_taken_over(rt, world, clock):
    """The issue's done-when: the Beijing office transfers a tip to the public security organ,
    which is notified, takes it over and closes it; the tipster sees it with the code."""
    receipt = tips.submit(rt.uow, rt.clock, data=tip_in())
    targets = tip_handling.transfer_targets(rt.uow, principal=world("bj_duty"), ref=receipt.ref)
    keys = {t.key for t in targets}
    assert {"cn.mps", "cn.miit", "bj-finance-reg", "310000.office"} <= keys
    assert not keys & {"110000.office", "bj-bank", "cn.cncert", "bj-support"}
    assert next(t for t in targets if t.key == "cn.mps").authority.zh == "公安机关"
    clock.advance(hours=2)
    out = tip_handling.transfer(rt.uow, rt.clock, principal=world("bj_duty"), ref=receipt.ref,
                                data=TransferIn(to="cn.mps", reason=REASON))
    # the sender keeps reading it, but no longer handles it nor sees the tipster
    assert (out.state, out.holder, out.authority_kind) == ("transferred", "cn.mps",
                                                           "public_security")
    assert out.actions == [] and out.reporter_name is None
    assert out.clock.kind == "decide" and out.clock.due_at == clock.now() + timedelta(hours=72)
    # the Ministry's contact is told, with the reason; the Beijing office's decide clock met
    [message] = sent_to(rt, "duty@mps.example")
    assert "移送" in message.text.splitlines()[0] and REASON in message.text
    assert TIPSTER not in message.text
    sender = tips.get_tip(rt.uow, rt.clock, principal=world("bj_duty"), ref=receipt.ref)
    assert [e.kind for e in sender.history] == ["received", "transferred"]
    assert sender.history[1].detail["to"] == "cn.mps"
    assert sender.history[1].detail["notified"] == ["MPS duty"]
    with pytest.raises(Forbidden, match="cn.mps"):
        tip_handling.accept(rt.uow, rt.clock, principal=world("bj_duty"), ref=receipt.ref)
    # the Ministry sees it, with the tipster, and handles it
    mps = world("mps_duty")
    mine = tips.list_tips(rt.uow, rt.clock, principal=mps, page=PageParams())
    assert [t.ref for t in mine.items] == [receipt.ref]
    assert mine.items[0].reporter_name == TIPSTER
    tip_handling.accept(rt.uow, rt.clock, principal=mps, ref=receipt.ref,
                        data=AcceptIn(note=NOTE))
    closed = tip_handling.close(rt.uow, rt.clock, principal=mps, ref=receipt.ref,
                                data=CloseIn(outcome=OUTCOME, note=NOTE))
    assert closed.state == "closed" and closed.clock.done_at == clock.now()
    status = tips.public_status(rt.uow, code=receipt.receipt_code)
    assert (status.status, status.authority.zh, status.outcome) == (
        "closed", "公安机关", OUTCOME)
    assert status.received_at == clock.now() - timedelta(hours=2)
    shown = status.model_dump_json()
    for internal in (REASON, NOTE, TIPSTER, CONTACT, "cn.mps", "公安部", "Ministry",
                     "110000.office", "bj_duty", "mps_duty", "北京市网信办"):
        assert internal not in shown, internal
    assert audit_actions(rt, receipt.ref) == ["tip.submit", "tip.transfer", "tip.accept",
                                             "tip.close"]


def test_a_tip_transferred_to_another_province_moves_to_its_region(rt, world):
    ref = tips.submit(rt.uow, rt.clock, data=tip_in(unit_name="上海某网站")).ref
    beijing = tips.get_tip(rt.uow, rt.clock, principal=world("bj_duty"), ref=ref)
    out = tip_handling.transfer(rt.uow, rt.clock, principal=world("bj_duty"), ref=ref,
                                data=TransferIn(to="310000.office", reason="在上海 Shanghai"))
    assert out.holder == "310000.office" and out.authority_kind == "cyberspace"
    sh = tips.get_tip(rt.uow, rt.clock, principal=world("sh_admin"), ref=ref)
    assert sh.reporter_name == TIPSTER and "accept" in sh.actions
    with rt.uow() as s:
        shanghai = s.scalar(select(Jurisdiction.path).where(Jurisdiction.code == "310000"))
    assert (beijing.jurisdiction_path, sh.jurisdiction_path) != (shanghai, shanghai)
    assert sh.jurisdiction_path == shanghai  # the tip now concerns Shanghai's region
    # Beijing still reads what it held; the Beijing finance regulator never held it
    assert tips.get_tip(rt.uow, rt.clock, principal=world("bj_ro"), ref=ref).holder == (
        "310000.office")
    with pytest.raises(NotFound):
        tips.get_tip(rt.uow, rt.clock, principal=world("bj_fin"), ref=ref)


def _snapshot(rt, ref: str) -> tuple:
    with rt.uow() as s:
        tip = s.scalar(select(Tip).where(Tip.ref == ref))
        return (tip.state, tip.receiving_body_id, tip.jurisdiction_path, tip.due_at,
                s.scalar(select(func.count()).select_from(TipEvent).where(
                    TipEvent.tip_id == tip.id)),
                s.scalar(select(func.count()).select_from(OutboxMessage)),
                s.scalar(select(func.count()).select_from(AuditPending)))


@pytest.mark.parametrize(("target", "rule"), [
    ("bj-bank", "tip_transfer.not_a_department"),  # an operator unit
    ("110000.cncert", "tip_transfer.not_a_department"),  # a CERT handles no tips
    ("bj-support", "tip_transfer.not_a_department"),
    ("110000.office", "tip_transfer.self"),
])
def test_a_transfer_to_a_body_that_may_not_receive_it_is_refused(rt, world, target, rule):
    ref = tips.submit(rt.uow, rt.clock, data=tip_in()).ref
    before = _snapshot(rt, ref)
    with pytest.raises(Refused) as refused:
        tip_handling.transfer(rt.uow, rt.clock, principal=world("bj_duty"), ref=ref,
                              data=TransferIn(to=target, reason="试一试 just trying"))
    assert [r["code"] for r in refused.value.reasons] == [rule]
    assert refused.value.reasons[0]["source"].startswith("Law art. 14")
    assert _snapshot(rt, ref) == before  # nothing half-written


def test_a_department_outside_the_tips_region_is_refused(rt, world):
    """A Shanghai tip may go to the national public security organ, not to Beijing's finance
    regulator: a department handles its own region (Plan §2.3)."""
    ref = tips.submit(rt.uow, rt.clock, data=tip_in(jurisdiction="310000")).ref
    before = _snapshot(rt, ref)
    with pytest.raises(Refused) as refused:
        tip_handling.transfer(rt.uow, rt.clock, principal=world("sh_admin"), ref=ref,
                              data=TransferIn(to="bj-finance-reg", reason="金融 finance"))
    assert [r["code"] for r in refused.value.reasons] == ["tip_transfer.out_of_region"]
    assert "Plan §2.3" in refused.value.reasons[0]["source"]
    assert _snapshot(rt, ref) == before
    for hidden in ("no.such.body", "bj-bank"):  # a unit outside the scope, like a missing one
        with pytest.raises(ValidationFailed) as invalid:
            tip_handling.transfer(rt.uow, rt.clock, principal=world("sh_admin"), ref=ref,
                                  data=TransferIn(to=hidden, reason="nowhere"))
        assert [(e.field, e.message) for e in invalid.value.errors] == [
            ("to", f"no body {hidden!r}")]
    keys = {t.key for t in tip_handling.transfer_targets(rt.uow, principal=world("sh_admin"),
                                                         ref=ref)}
    assert "cn.mps" in keys and "bj-finance-reg" not in keys
    # nor may another body act on a tip it does not hold
    with pytest.raises(NotFound):
        tip_handling.transfer(rt.uow, rt.clock, principal=world("bj_duty"), ref=ref,
                              data=TransferIn(to="cn.mps", reason="not ours"))
    with pytest.raises(Forbidden):
        tip_handling.transfer(rt.uow, rt.clock, principal=world("nat_admin"), ref=ref,
                              data=TransferIn(to="cn.mps", reason="not ours"))
    assert _snapshot(rt, ref) == before


def test_actions_on_a_closed_tip_conflict(rt, world):
    ref = tips.submit(rt.uow, rt.clock, data=tip_in()).ref
    me = world("bj_duty")
    tip_handling.close(rt.uow, rt.clock, principal=me, ref=ref, data=CloseIn(outcome=OUTCOME))
    before = _snapshot(rt, ref)
    for act in (lambda: tip_handling.accept(rt.uow, rt.clock, principal=me, ref=ref),
                lambda: tip_handling.transfer(rt.uow, rt.clock, principal=me, ref=ref,
                                              data=TransferIn(to="cn.mps", reason="late")),
                lambda: tip_handling.close(rt.uow, rt.clock, principal=me, ref=ref,
                                           data=CloseIn(outcome="again")),
                lambda: tip_handling.dismiss(rt.uow, rt.clock, principal=me, ref=ref,
                                             reason="again")):
        with pytest.raises(Conflict, match="already closed"):
            act()
    assert _snapshot(rt, ref) == before
    accepted = tips.submit(rt.uow, rt.clock, data=tip_in()).ref
    tip_handling.accept(rt.uow, rt.clock, principal=me, ref=accepted)
    with pytest.raises(Conflict, match="already accepted"):
        tip_handling.accept(rt.uow, rt.clock, principal=me, ref=accepted)


def test_a_dismissed_tip_is_closed_with_a_neutral_outcome(rt, world):
    receipt = tips.submit(rt.uow, rt.clock, data=tip_in())
    out = tip_handling.dismiss(rt.uow, rt.clock, principal=world("bj_duty"), ref=receipt.ref,
                               reason="重复举报 a duplicate")
    assert out.state == "closed" and out.history[-1].detail["note"] == "重复举报 a duplicate"
    status = tips.public_status(rt.uow, code=receipt.receipt_code)
    assert status.outcome == tip_handling.DISMISSED_OUTCOME and "duplicate" not in (
        status.model_dump_json())


def test_the_watchdog_flags_an_overdue_clock_once_and_escalates(rt, world, clock):
    ref = tips.submit(rt.uow, rt.clock, data=tip_in()).ref
    me = world("bj_duty")
    assert tip_handling.sweep_overdue(rt.uow, rt.clock) == 0
    clock.advance(hours=71)
    assert tip_handling.sweep_overdue(rt.uow, rt.clock) == 0
    assert tips.list_tips(rt.uow, rt.clock, principal=me, page=PageParams(),
                          overdue=True).total == 0
    clock.advance(hours=2)
    assert tip_handling.sweep_overdue(rt.uow, rt.clock) == 1
    assert tip_handling.sweep_overdue(rt.uow, rt.clock) == 0  # once
    out = tips.get_tip(rt.uow, rt.clock, principal=me, ref=ref)
    assert out.clock.state == "overdue"
    flagged = out.history[-1]
    assert (flagged.kind, flagged.actor) == ("clock_overdue", "watchdog")
    assert flagged.detail["escalated_to"] == ["Deputy head"]  # the next rank of contacts
    [reminder] = sent_to(rt, "deputy@bj.example")
    assert "逾期" in reminder.text.splitlines()[0] and ref in reminder.subject
    overdue = tips.list_tips(rt.uow, rt.clock, principal=me, page=PageParams(), overdue=True)
    assert [t.ref for t in overdue.items] == [ref]
    # accepting late: the decide clock is done late, the close clock (30 days) starts afresh
    out = tip_handling.accept(rt.uow, rt.clock, principal=me, ref=ref)
    assert out.clock.kind == "close" and out.clock.state == "due"
    assert [t.ref for t in tips.list_tips(rt.uow, rt.clock, principal=me, page=PageParams(),
                                          overdue=True).items] == []
    clock.advance(days=31)
    assert tip_handling.sweep_overdue(rt.uow, rt.clock) == 1
    assert "tip.overdue" in audit_actions(rt, ref)


def test_the_worker_sweeps_tip_clocks(rt, world, clock):
    tips.submit(rt.uow, rt.clock, data=tip_in())
    clock.advance(hours=73)
    worker = Worker(rt, {}, watchdog_seconds=0)
    assert worker.sweep_if_due() >= 1
    assert len(sent_to(rt, "deputy@bj.example")) == 1


def test_a_wrong_receipt_code_is_not_found_like_a_missing_one(rt, world):
    receipt = tips.submit(rt.uow, rt.clock, data=tip_in())
    answers = []
    last = receipt.receipt_code[-1]
    # one symbol off: never the code itself (a code may end in any symbol of the alphabet)
    off_by_one = receipt.receipt_code[:-1] + ("X" if last != "X" else "Y")
    for code in ("AAAAA-BBBBB-CCCCC-DDDDD", off_by_one, "x", "' OR 1=1"):
        with pytest.raises(NotFound) as missing:
            tips.public_status(rt.uow, code=code)
        answers.append(missing.value.detail)
    assert len(set(answers)) == 1
    # case, spaces and dashes do not matter to a tipster copying the code by hand
    typed = receipt.receipt_code.lower().replace("-", " ")
    assert tips.public_status(rt.uow, code=typed).status == "received"


def test_a_tip_filed_as_an_incident_is_being_handled_to_the_tipster(rt, world, clock):
    receipt = tips.submit(rt.uow, rt.clock, data=tip_in())
    incident = tip_handling.convert(rt.uow, rt.clock, principal=world("bj_duty"),
                                    ref=receipt.ref, data=report_data(clock, system=None,
                                                                      unit="bj-bank"),
                                    profile="cac2025")
    assert incident.source == "public"
    out = tips.get_tip(rt.uow, rt.clock, principal=world("bj_duty"), ref=receipt.ref)
    assert (out.state, out.incident, out.clock.state) == ("converted", incident.ref, "met")
    assert tips.public_status(rt.uow, code=receipt.receipt_code).status == "handling"
