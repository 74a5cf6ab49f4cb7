"""Monitoring information up the chain it came from (issue 17 item 8, Plan §3.2), through the
services on SQLite and PostgreSQL: a unit's important item reaches its province office and its
sector's department, each told in words; they report it on to the Emergency Office, once; a
province's or department's own item goes to the Office at once."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from fenghuo.audit import service as audit
from fenghuo.common.errors import NotFound, Refused
from fenghuo.common.pagination import PageParams
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import registers
from fenghuo.org.models import Body
from fenghuo.org.schemas import ContactIn
from fenghuo.warning import monitoring
from fenghuo.warning.models import MonitoringShare
from tests.integration.test_warnings import monitoring_in

EMAILS = {"110000.office": "duty@bj-office.example", "bj-finance-reg": "duty@bj-fin.example",
          "cn.emergency-office": "duty@eo.example"}


@pytest.fixture
def contacts(rt, principal):
    for body, address in EMAILS.items():
        registers.add_contact(rt.uow, rt.clock, principal=principal("nat_admin"), body=body,
                              data=ContactIn(name="Duty", channel="email", value=address))


def _to(rt, address: str) -> list[OutboxMessage]:
    with rt.uow() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.address == address)
                         .order_by(OutboxMessage.id)).all()
        s.expunge_all()
    return list(rows)


def _shares(item) -> set[tuple[str, str]]:
    return {(sh.body, sh.reason) for sh in item.shares}


def test_a_units_important_item_reaches_its_office_and_department(rt, principal, clock,
                                                                  contacts):
    """Plan §3.2: bj-bank's important item goes to the Beijing office and the finance
    regulator, each told Chinese first what, which unit, the category in words, what it is
    asked and the link; not to the Emergency Office, which hears of it when they report it."""
    item = monitoring.submit(rt.uow, rt.clock, principal=principal("bj_reporter"),
                             data=monitoring_in(clock, important=True))
    assert _shares(item) == {("110000.office", "local_office"),
                             ("bj-finance-reg", "sector_department")}
    office = next(sh for sh in item.shares if sh.body == "110000.office")
    assert office.may_report_up and office.reason_zh.startswith("单位重要监测信息报属地网信部门")
    assert _to(rt, EMAILS["cn.emergency-office"]) == []
    [msg] = _to(rt, EMAILS["110000.office"])
    assert msg.subject == (f"[监测信息 重要 MONITORING IMPORTANT] {item.ref} "
                           "VPN漏洞被利用 VPN flaw exploited")
    assert "单位 Unit: 北京某银行 / Beijing Bank" in msg.text
    assert "类别 Category: 网络攻击事件 / " in msg.text and "network-attack" not in msg.text
    assert "要求 Asked: 请研判；重要监测信息报应急办（预案3.2、3.3） / assess it" in msg.text
    assert f"详情 Details: /web/monitoring/{item.ref}" in msg.text
    assert json.loads(msg.payload)["reason"] == "local_office"
    assert len(_to(rt, EMAILS["bj-finance-reg"])) == 1
    quiet = monitoring.submit(rt.uow, rt.clock, principal=principal("bj_reporter"),
                              data=monitoring_in(clock, title="not important"))
    assert quiet.shares == []


def test_the_chain_reports_it_on_once(rt, principal, clock, contacts):
    """Plan §3.2 各省（区、市）、各部门将重要监测信息报应急办: the office reports it on; the
    Emergency Office gets it once (shared, told, audited); a repeat changes nothing; the
    department reporting it too is recorded on its own share."""
    item = monitoring.submit(rt.uow, rt.clock, principal=principal("bj_reporter"),
                             data=monitoring_in(clock, important=True))
    clock.advance(minutes=30)
    up = monitoring.report_up(rt.uow, rt.clock, principal=principal("bj_duty"), ref=item.ref)
    assert ("cn.emergency-office", "reported_up") in _shares(up)
    office = next(sh for sh in up.shares if sh.body == "110000.office")
    assert (office.reported_up_at, office.reported_up_by) == (clock.now(), "bj_duty")
    assert not office.may_report_up
    [msg] = _to(rt, EMAILS["cn.emergency-office"])
    assert "请研判，组织跨省（区、市）、跨部门共享" in msg.text
    assert "送达原因 Why you: 省（区、市）、部门将重要监测信息报应急办" in msg.text
    again = monitoring.report_up(rt.uow, rt.clock, principal=principal("bj_duty"), ref=item.ref)
    assert again == up and len(_to(rt, EMAILS["cn.emergency-office"])) == 1
    dept = monitoring.report_up(rt.uow, rt.clock, principal=principal("bj_fin"), ref=item.ref)
    assert next(sh for sh in dept.shares if sh.body == "bj-finance-reg").reported_up_by == \
        "bj_fin"
    with rt.uow() as s:
        assert s.scalar(select(func.count()).select_from(MonitoringShare).join(
            Body, Body.id == MonitoringShare.body_id).where(
            Body.key == "cn.emergency-office")) == 1
    assert len(_to(rt, EMAILS["cn.emergency-office"])) == 1
    trail = audit.list_entries(rt.uow, scope=principal("nat_admin").scope,
                               page=PageParams(limit=20, offset=0), entity_key=item.ref)
    assert [e.action for e in reversed(trail.items)] == [
        "monitoring.submit", "monitoring.report_up", "monitoring.report_up"]


def test_only_the_chain_reports_it_on(rt, principal, clock):
    """Plan §3.2: the submitting unit, the Emergency Office and a body outside scope do not
    report it on; each refusal names the rule and nothing is written."""
    item = monitoring.submit(rt.uow, rt.clock, principal=principal("bj_reporter"),
                             data=monitoring_in(clock, important=True))
    for username, code in (("bj_reporter", "monitoring.report_up.not_in_chain"),
                           ("bj_cert", "monitoring.report_up.not_in_chain"),
                           ("nat_admin", "monitoring.report_up.emergency_office")):
        with pytest.raises(Refused) as refused:
            monitoring.report_up(rt.uow, rt.clock, principal=principal(username), ref=item.ref)
        assert [r["code"] for r in refused.value.reasons] == [code]
    with pytest.raises(NotFound):
        monitoring.report_up(rt.uow, rt.clock, principal=principal("sh_admin"), ref=item.ref)
    assert _shares(monitoring.get_item(rt.uow, principal=principal("nat_admin"),
                                       ref=item.ref)) == {
        ("110000.office", "local_office"), ("bj-finance-reg", "sector_department")}


@pytest.mark.parametrize("username", ["bj_duty", "bj_fin"])
def test_a_province_or_departments_own_item_goes_to_the_office_at_once(rt, principal, clock,
                                                                       username):
    """Plan §3.2 各省（区、市）、各部门将重要监测信息报应急办: as before."""
    item = monitoring.submit(rt.uow, rt.clock, principal=principal(username),
                             data=monitoring_in(clock, important=True))
    assert _shares(item) == {("cn.emergency-office", "upward")}


def test_a_support_units_important_item_about_a_unit_goes_up_that_units_chain(
        rt, principal, clock):
    """Support obligation 7 and Plan §3.2: bj-support's important item about bj-bank reaches
    the bank and its office (as an item about it) and the bank's sector department; the
    office reports it on."""
    item = monitoring.submit(rt.uow, rt.clock, principal=principal("bj_support"),
                             data=monitoring_in(clock, important=True, unit="bj-bank"))
    assert _shares(item) == {("110000.office", "subject_office"), ("bj-bank", "subject"),
                             ("bj-finance-reg", "sector_department")}
    up = monitoring.report_up(rt.uow, rt.clock, principal=principal("bj_duty"), ref=item.ref)
    assert ("cn.emergency-office", "reported_up") in _shares(up)
