"""A published warning reaches every body in scope through the worker, over a real SMTP server
and a real signed webhook; the watchdog reminds a body that has not acknowledged, and the
lifting notice follows (Plan §3.3, §3.5)."""

from __future__ import annotations

from fenghuo.notify.adapters.webhook import verify_signature
from fenghuo.org import registers
from fenghuo.org.schemas import ContactIn
from fenghuo.warning import service as warnings
from fenghuo.warning.schemas import LiftIn
from tests.integration.test_delivery import SECRET, worker_for
from tests.integration.test_warnings import published
from tests.peers import SMTPPeer, WebhookPeer


def test_publication_reminder_and_lifting_are_delivered(rt, principal, clock):
    with SMTPPeer() as smtp, WebhookPeer() as hook:
        nat = principal("nat_admin")
        registers.add_contact(rt.uow, rt.clock, principal=nat, body="bj-finance-reg",
                              data=ContactIn(name="Duty", channel="email",
                                             value="duty@bj-finance-reg.example"))
        registers.add_contact(rt.uow, rt.clock, principal=nat, body="cn.emergency-office",
                              data=ContactIn(name="Hook", channel="webhook", value=hook.url,
                                             secret=SECRET))
        w = published(rt, principal, clock)
        worker = worker_for(rt, smtp.port)
        assert worker.deliver_once() == 3
        mails = {m["To"]: m for m in smtp.box.messages}
        # the finance regulator, and the finance operator itself (Plan §3.3 ¶1; issue 16)
        assert set(mails) == {"duty@bj-finance-reg.example", "duty@bj-bank.example.cn"}
        mail = mails["duty@bj-finance-reg.example"]
        assert w.ref in mail["Subject"] and "橙色预警" in mail["Subject"]
        # in words, Chinese first (issue 16 item 7): the level said once, the category named,
        # what is asked and by when, in Beijing time
        assert "预警预警" not in mail["Subject"]
        body = mail.get_content()
        assert "等级 Grade: 橙色预警 / orange warning" in body
        assert "类别 Category: 有害程序事件" in body and "harmful-program" not in body
        assert "要求 Asked: 请确认收到预警" in body and "北京时间 CST" in body
        [req] = hook.requests
        h = req["headers"]
        assert verify_signature(SECRET, h["X-Fenghuo-Timestamp"], req["body"],
                                h["X-Fenghuo-Signature"], now=int(h["X-Fenghuo-Timestamp"]))
        assert req["json"]["event"] == "warning.published" and req["json"]["level"] == "orange"

        warnings.acknowledge(rt.uow, rt.clock, principal=principal("bj_fin"), ref=w.ref)
        warnings.acknowledge(rt.uow, rt.clock, principal=principal("bj_reporter"), ref=w.ref)
        clock.advance(hours=2)
        # the Office and CNCERT's Beijing branch (which has no contact to remind)
        assert warnings.remind_unacknowledged(rt.uow, rt.clock) == 2
        assert worker.deliver_once() == 1
        assert hook.requests[-1]["json"]["event"] == "warning.reminder"
        assert len(smtp.box.messages) == 2  # the regulator and the bank acknowledged in time

        warnings.lift(rt.uow, rt.clock, principal=principal("bj_duty"), ref=w.ref,
                      data=LiftIn(reason="patched"))
        assert worker.deliver_once() == 3
        assert hook.requests[-1]["json"]["event"] == "warning.lifted"
        assert "解除" in smtp.box.messages[-1]["Subject"]
        out = warnings.get_warning(rt.uow, rt.clock, principal=principal("bj_duty"), ref=w.ref)
        assert {d.state for d in out.deliveries} == {"delivered"}
