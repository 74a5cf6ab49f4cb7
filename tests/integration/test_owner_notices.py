"""Owner notices (通报) from monitoring, issue 16 item 2, on both databases (Law arts. 51–52,
Plan §3.2). The "done when": the sample monitoring events of issue 15 with its register fixture
make one notice per owning unit — the CII bank's at once (Law art. 31), the telco's in its daily
digest; the bank acknowledges and reports its handling (处置反馈, Law art. 25) and the office
closes it; the telco lets the deadline pass, is reminded, then its office is told and the
accountability view lists it (Plan §7.10). Also: scope (Law art. 30), a contest that goes back
to the register's owner, clear 409s, refusals with the rule, nothing counted twice."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from fenghuo.common import periods
from fenghuo.common.clock import FakeClock
from fenghuo.common.errors import Conflict, Forbidden, NotFound, Refused, ValidationFailed
from fenghuo.common.pagination import PageParams
from fenghuo.monitoring import chunking, ingest, notice_handling, notices, register
from fenghuo.monitoring.constituency import EntryKind, Role
from fenghuo.monitoring.notice_models import OwnerNotice
from fenghuo.monitoring.notice_schemas import ContestIn, FeedbackIn, ResolveIn
from fenghuo.monitoring.schemas import EntryIn, FeedIn
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import registers
from fenghuo.org.models import Body
from fenghuo.org.schemas import ContactIn
from fenghuo.preparedness import accountability as acc
from fenghuo.workers.dispatch import Worker
from tests.e2e.test_cli_monitoring_walkthrough import FILES, MOMENT, SAMPLES

#: the register of the issue 15 walkthrough (tests/e2e/test_cli_monitoring_walkthrough.py)
ENTRIES = [EntryIn(body="bj-bank", kind=EntryKind.PREFIX, value="61.135.0.0/16",
                   verified_by="bj_admin"),
           EntryIn(body="bj-bank", kind=EntryKind.DOMAIN, value="icbc-verify.com.cn",
                   verified_by="bj_admin"),
           EntryIn(body="bj-telco", kind=EntryKind.PREFIX, value="222.186.0.0/16",
                   verified_by="bj_admin"),
           EntryIn(body="bj-telco", kind=EntryKind.DOMAIN, value="jxkj-soft.com.cn",
                   verified_by="bj_admin"),
           EntryIn(body="110000.office", kind=EntryKind.PREFIX, value="117.136.0.0/16",
                   role=Role.JURISDICTION)]
CFG = notices.NoticeSettings()  # the defaults: 24 h for an immediate notice, 72 h for a digest


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MOMENT)  # the day after the samples (2026-11-30)


def _ingest(rt) -> None:
    for name, fmt in FILES:
        with (SAMPLES / name).open("rb") as fp:
            for group in chunking.groups(chunking.chunks(fp, f"file:{name}", fmt)):
                ingest.take_in(rt.uow, rt.clock, feed="samples", fmt=fmt, chunks=group,
                               received_by="nat_admin")


@pytest.fixture
def world(rt, principal):
    register.import_entries(rt.uow, rt.clock, principal=principal("bj_admin"), rows=ENTRIES)
    for body, address in (("110000.office", "duty@bj-office.example.cn"),
                          ("bj-telco", "noc@bj-telco.example.cn")):
        registers.add_contact(rt.uow, rt.clock, principal=principal("nat_admin"), body=body,
                              data=ContactIn(name="Duty", channel="email", value=address))
    ingest.create_feed(rt.uow, rt.clock, principal=principal("nat_admin"), data=FeedIn(
        code="samples", name_zh="样本", name_en="Samples", body="cn.cncert", format="suricata"))
    _ingest(rt)
    return rt


def _messages(rt, event: str) -> list[OutboxMessage]:
    with rt.uow() as s:
        rows = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [m for m in rows if json.loads(m.payload).get("event") == event]


def _notice(rt, principal, who: str, unit: str):
    page = notices.list_notices(rt.uow, rt.clock, principal=principal(who),
                                page=PageParams(), unit=unit)
    assert page.total == 1, page
    return notices.get_notice(rt.uow, rt.clock, principal=principal(who),
                              ref=page.items[0].ref)


def test_done_when_one_notice_per_unit_feedback_and_a_deadline_passed(world, principal):
    rt = world
    first = notices.generate(rt.uow, rt.clock, settings=CFG)
    assert len(first.immediate) == 1 and len(first.digests_collecting) == 1
    # the same aggregates never make two notices: a second run, and the files again
    assert notices.generate(rt.uow, rt.clock, settings=CFG).batches == 0
    _ingest(rt)  # every batch is a duplicate: nothing new is taken in
    again = notices.generate(rt.uow, rt.clock, settings=CFG)
    assert again.immediate == [] and again.digests_collecting == []

    # the digest goes out the next morning at 08:00 Beijing time
    rt.clock.advance(hours=16)  # 2026-12-02 00:00 UTC = 08:00 CST
    assert notices.generate(rt.uow, rt.clock, settings=CFG).digests_sent == \
        first.digests_collecting
    units = notices.list_notices(rt.uow, rt.clock, principal=principal("nat_admin"),
                                 page=PageParams())
    assert sorted(n.unit for n in units.items) == ["bj-bank", "bj-telco"]  # one per owner
    bank = _notice(rt, principal, "bj_admin", "bj-bank")
    telco = _notice(rt, principal, "bj_admin", "bj-telco")
    assert (bank.mode, telco.mode) == ("immediate", "digest")
    assert [r.code for r in bank.reasons] == ["notice.cii"] and bank.tlp == "amber"
    assert bank.deadline_at == MOMENT + timedelta(hours=24)
    assert telco.deadline_at == rt.clock.now() + timedelta(hours=72)
    assert sum(i.count for i in telco.items) == telco.events_total > 0
    sent = _messages(rt, "notice.sent")
    assert {m.address for m in sent} == {"duty@bj-bank.example.cn", "noc@bj-telco.example.cn"}
    assert all(m.subject.startswith("[") and "/web/monitoring/notices/" in m.text for m in sent)

    # the bank answers: acknowledged, handling reported, closed by its office
    reporter = principal("bj_reporter")
    notice_handling.acknowledge(rt.uow, rt.clock, principal=reporter, ref=bank.ref)
    done = notice_handling.feedback(rt.uow, rt.clock, principal=reporter, ref=bank.ref,
                                    data=FeedbackIn(text="已隔离受感染主机并清除木马。"))
    assert done.state == "feedback_reported" and done.feedback_by == "bj_reporter"
    closed = notice_handling.close(rt.uow, rt.clock, principal=principal("bj_duty"),
                                   ref=bank.ref)
    assert closed.state == "closed"
    with pytest.raises(Conflict, match="already closed"):
        notice_handling.feedback(rt.uow, rt.clock, principal=reporter, ref=bank.ref,
                                 data=FeedbackIn(text="再补充一句。"))
    assert notices.get_notice(rt.uow, rt.clock, principal=reporter,
                              ref=bank.ref).feedback == "已隔离受感染主机并清除木马。"

    # the telco says nothing: a reminder before the deadline, another after it, then the office
    rt.clock.advance(hours=72 - 3)
    assert notices.generate(rt.uow, rt.clock, settings=CFG).reminded == [telco.ref]
    rt.clock.advance(hours=4)
    assert notices.generate(rt.uow, rt.clock, settings=CFG).reminded == [telco.ref]
    assert notices.generate(rt.uow, rt.clock, settings=CFG).offices_told == []
    rt.clock.advance(hours=24)
    assert notices.generate(rt.uow, rt.clock, settings=CFG).offices_told == [telco.ref]
    assert notices.generate(rt.uow, rt.clock, settings=CFG).offices_told == []  # once
    told = _messages(rt, "notice.unanswered")
    assert [m.address for m in told] == ["duty@bj-office.example.cn"]
    assert "北京某电信" in told[0].text.splitlines()[0]  # Chinese first
    assert len(_messages(rt, "notice.reminder")) == len(_messages(rt, "notice.overdue")) == 1

    # the accountability view of December lists the telco's unremediated notice (Plan §7.10)
    since, until = periods.window(periods.parse_period("2026-12"), ZoneInfo("Asia/Shanghai"))
    view = acc.accountability(rt.uow, rt.clock, principal=principal("bj_admin"), since=since,
                              until=until)
    rows = {r.body: r for r in view.rows}
    assert rows["bj-telco"].unremediated_notices == 1 and rows["bj-telco"].failures >= 1
    assert "bj-bank" not in rows or rows["bj-bank"].unremediated_notices == 0
    assert "unremediated notices" in acc.as_csv(view).splitlines()[0]


def test_scope_own_events_and_who_may_send(world, principal):
    rt = world
    worker = Worker(rt, {})  # the worker's periodic job makes them, at start and every minute
    assert worker.notices_if_due() == 1 and worker.notices_if_due() == 0
    reporter = principal("bj_reporter")
    mine = notices.list_notices(rt.uow, rt.clock, principal=reporter, page=PageParams())
    assert [n.unit for n in mine.items] == ["bj-bank"]  # the telco's digest is not the bank's
    bank = mine.items[0]
    events = notices.notice_events(rt.uow, principal=reporter, ref=bank.ref,
                                   page=PageParams(limit=500))
    assert events.total == bank.events_total and {e.body for e in events.items} == {"bj-bank"}
    own = notices.my_events(rt.uow, rt.clock, principal=reporter, page=PageParams(limit=500))
    assert own.total >= events.total and {e.body for e in own.items} == {"bj-bank"}
    assert notices.list_notices(rt.uow, rt.clock, principal=principal("sh_admin"),
                                page=PageParams()).total == 0
    with pytest.raises(NotFound):
        notices.get_notice(rt.uow, rt.clock, principal=principal("sh_admin"), ref=bank.ref)

    # a notice to a unit outside the sender's scope is refused with the rule (Law art. 30)
    with pytest.raises(Refused) as outside:
        notice_handling.send_now(rt.uow, rt.clock, principal=principal("sh_admin"),
                                 unit="bj-telco", settings=CFG)
    assert [r["code"] for r in outside.value.reasons] == ["notice.scope"]
    with pytest.raises(Refused) as unit:
        notice_handling.send_now(rt.uow, rt.clock, principal=reporter, unit="bj-bank",
                                 settings=CFG)
    assert [r["code"] for r in unit.value.reasons] == ["notice.sender"]
    sent = notice_handling.send_now(rt.uow, rt.clock, principal=principal("bj_duty"),
                                    unit="bj-telco", settings=CFG)
    assert sent.state == "sent" and sent.deadline_at == MOMENT + timedelta(hours=72)


def test_a_contest_goes_back_to_the_register_owner(world, principal):
    rt = world
    ref = notices.generate(rt.uow, rt.clock, settings=CFG).immediate[0]
    reporter = principal("bj_reporter")
    with pytest.raises(ValidationFailed) as bad:  # not the bank's: nothing is written
        notice_handling.contest(rt.uow, rt.clock, principal=reporter, ref=ref, data=ContestIn(
            address="222.186.33.4", reason="这不是我们的地址"))
    assert [e.field for e in bad.value.errors] == ["address"]
    assert notices.get_notice(rt.uow, rt.clock, principal=reporter, ref=ref).state == "sent"

    out = notice_handling.contest(rt.uow, rt.clock, principal=reporter, ref=ref,
                                  data=ContestIn(address="61.135.20.17",
                                                 reason="该地址段已于上月退还运营商"))
    assert out.state == "contested" and out.contest.entry == "prefix:61.135.0.0/16"
    # bj_admin of the Beijing office registered and verified the entry: the office is told
    told = _messages(rt, "notice.contested")
    assert [m.address for m in told] == ["duty@bj-office.example.cn"]
    assert "61.135.20.17" in told[0].text
    with pytest.raises(Forbidden):  # the unit does not decide its own contest
        notice_handling.resolve(rt.uow, rt.clock, principal=reporter, ref=ref,
                                data=ResolveIn(outcome="withdrawn", note="我们说了算"))
    resolved = notice_handling.resolve(rt.uow, rt.clock, principal=principal("bj_duty"),
                                       ref=ref, data=ResolveIn(outcome="withdrawn",
                                                               note="登记有误，已更正"))
    assert resolved.state == "resolved"
    with pytest.raises(Conflict):
        notice_handling.feedback(rt.uow, rt.clock, principal=reporter, ref=ref,
                                 data=FeedbackIn(text="无需处置"))
    rt.clock.advance(days=5)  # a withdrawn notice counts against nobody
    with rt.uow() as s:
        bank = s.scalar(select(Body.id).where(Body.key == "bj-bank"))
        assert s.scalar(select(OwnerNotice.state).where(OwnerNotice.body_id == bank)) == \
            "resolved"
    assert notices.generate(rt.uow, rt.clock, settings=CFG).reminded == []
