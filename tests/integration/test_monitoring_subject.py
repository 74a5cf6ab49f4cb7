"""Monitoring items about another unit (issue 16 item 5, Support obligation 7), through the
services on SQLite and PostgreSQL: a support unit's item about an operator reaches that unit and
its jurisdiction's office, shows the unit, and counts as discovered for the support unit; an
operator may not name another unit (Law art. 30), and nothing is written."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from fenghuo.common.errors import Refused
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import registers
from fenghuo.org.models import Body
from fenghuo.org.schemas import ContactIn
from fenghuo.support import service as support
from fenghuo.warning import monitoring
from fenghuo.warning.models import MonitoringItem
from tests.integration.test_warnings import monitoring_in


def _outbox(rt) -> dict[str, list[OutboxMessage]]:
    with rt.uow() as s:
        rows = s.execute(select(Body.key, OutboxMessage).join(
            Body, Body.id == OutboxMessage.body_id)).all()
        s.expunge_all()
    out: dict[str, list[OutboxMessage]] = {}
    for key, m in rows:
        out.setdefault(key, []).append(m)
    return out


def test_a_support_units_item_about_a_unit_reaches_its_chain_and_counts(rt, principal, clock):
    """Support obligation 7: bj-support reports what it saw at bj-bank; the Beijing office and
    the bank are shared and told (Chinese first, with the page link), the item shows the unit,
    and it counts as discovered for bj-support."""
    registers.add_contact(rt.uow, rt.clock, principal=principal("bj_admin"),
                          body="110000.office", data=ContactIn(
                              name="Duty", channel="email", value="duty@bj-office.example"))
    item = monitoring.submit(rt.uow, rt.clock, principal=principal("bj_support"),
                             data=monitoring_in(clock, unit="bj-bank"))
    assert item.unit == "bj-bank" and item.body == "bj-support"
    assert {(sh.body, sh.reason) for sh in item.shares} == {
        ("110000.office", "subject_office"), ("bj-bank", "subject")}
    sent = _outbox(rt)
    assert [m.address for m in sent["bj-bank"]] == ["duty@bj-bank.example.cn"]
    assert "duty@bj-office.example" in [m.address for m in sent["110000.office"]]
    msg = sent["bj-bank"][0]
    assert msg.subject.startswith("[监测信息 MONITORING]") and item.ref in msg.subject
    assert "单位 Unit: 北京某银行 / Beijing Bank" in msg.text
    assert f"/web/monitoring/{item.ref}" in msg.text
    assert json.loads(msg.payload)["unit"] == "bj-bank"
    seen = monitoring.get_item(rt.uow, principal=principal("bj_reporter"), ref=item.ref)
    assert seen.unit == "bj-bank"  # the bank sees the item about it
    month = support.obligations(rt.uow, rt.clock, principal=principal("bj_support"),
                                unit="bj-support").months[0]
    discovered = next(o for o in month.obligations if o.code == "discovered")
    assert discovered.value == 1 and discovered.obligation == 7
    mine = monitoring.submit(rt.uow, rt.clock, principal=principal("bj_support"),
                             data=monitoring_in(clock))  # not about another unit: not counted
    assert mine.unit is None
    month = support.obligations(rt.uow, rt.clock, principal=principal("bj_support"),
                                unit="bj-support").months[0]
    assert next(o for o in month.obligations if o.code == "discovered").value == 1


def test_an_operator_may_not_name_another_unit(rt, principal, clock):
    """Law art. 30: bj-bank reports only about itself; naming sh-bank is refused with the rule,
    and no item, share or message is written."""
    def counts():
        with rt.uow() as s:
            return tuple(s.scalar(select(func.count()).select_from(m))
                         for m in (MonitoringItem, OutboxMessage))
    before = counts()
    with pytest.raises(Refused) as refused:
        monitoring.submit(rt.uow, rt.clock, principal=principal("bj_reporter"),
                          data=monitoring_in(clock, unit="sh-bank", important=True))
    [reason] = refused.value.reasons
    assert reason["code"] == "report_about.out_of_scope" and reason["source"] == "Law art. 30"
    assert "'sh-bank'" in reason["text_en"]
    assert counts() == before
    own = monitoring.submit(rt.uow, rt.clock, principal=principal("bj_reporter"),
                            data=monitoring_in(clock, unit="bj-bank"))
    assert own.unit == "bj-bank" and own.shares == []  # its own unit: nobody else to reach
