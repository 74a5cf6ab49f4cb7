"""Incidents on state secrets go to the secrecy administration too (issue 17 item 12; Plan §2.1
国家保密局等相关部门按照职责分工负责相关网络安全事件应对工作, Plan §1.4 criterion ②), through the
services on SQLite and PostgreSQL: the province's secrecy administration where there is one,
else the State Secrecy Bureau; it is told and sees the incident; a regrade that newly meets
criterion ② routes it then."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fenghuo.common.errors import NotFound
from fenghuo.incident import handling, queries
from fenghuo.incident.schemas import FactsIn, RegradeIn
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import interchange, registers
from fenghuo.org.accounts import put_user
from fenghuo.org.schemas import ContactIn, UserIn
from tests.conftest import PASSWORD
from tests.integration.test_reporting_chain import file

SECRET = FactsIn(data_threat="relatively_serious")  # criterion ②: relatively major
OTHER = FactsIn(other_threat="relatively_serious")  # criterion ③: relatively major too

BEIJING_SECRECY = """
bodies:
  - {key: 110000.secrecy, kind: department, jurisdiction: "110000", function: state_secrecy,
     sectors: [e-government], name_zh: 北京市国家保密局, name_en: Beijing State Secrets Bureau}
"""
#: its scope is e-government in Beijing: it sees a finance incident only when routed to it


def _user(rt, username: str, body: str) -> None:
    with rt.uow() as s:
        put_user(s, principal=None, now=rt.clock.now(), data=UserIn(
            username=username, display_name=username, body=body, roles=["duty_officer"],
            password=PASSWORD))


def _contact(rt, principal, body: str, address: str) -> None:
    registers.add_contact(rt.uow, rt.clock, principal=principal("nat_admin"), body=body,
                          data=ContactIn(name="Duty", channel="email", value=address))


def _to(rt, address: str) -> list[OutboxMessage]:
    with rt.uow() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.address == address)).all()
        s.expunge_all()
    return list(rows)


def _routes(out) -> dict[str, set[str]]:
    return {r.body: {x.code for x in r.reasons} for r in out.routes}


@pytest.fixture
def beijing_secrecy(rt):
    doc = interchange.parse_yaml(BEIJING_SECRECY, "secrecy.yaml")
    interchange.import_document(rt.uow, rt.clock, principal=None, doc=doc)
    _user(rt, "bj_secrecy", "110000.secrecy")


def test_criterion_two_goes_to_the_state_secrecy_bureau(rt, principal, clock):
    """Plan §2.1, §1.4 criterion ②: no Beijing secrecy administration, so the State Secrecy
    Bureau receives it, is told why and sees it; an incident without criterion ② does not go
    there."""
    _contact(rt, principal, "cn.nssb", "duty@nssb.example")
    out = file(rt, principal, clock, facts=SECRET)
    assert out.grade == "relatively_major"
    assert _routes(out)["cn.nssb"] == {"state_secrecy"}
    route = next(r for r in out.routes if r.body == "cn.nssb")
    assert "Plan §2.1" in route.reasons[0].source and "criterion ②" in route.reasons[0].source
    [msg] = _to(rt, "duty@nssb.example")
    assert out.ref in msg.subject and "保密行政管理部门" in msg.text
    _user(rt, "nssb_duty", "cn.nssb")
    assert queries.get_incident(rt.uow, principal=principal("nssb_duty"), ref=out.ref,
                                now=clock.now()).ref == out.ref
    plain = file(rt, principal, clock, facts=OTHER)
    assert "cn.nssb" not in _routes(plain)


def test_the_provinces_secrecy_administration_comes_first_and_sees_it(rt, principal, clock,
                                                                      beijing_secrecy):
    """Plan §2.1: the nearest secrecy administration of the unit's chain, Beijing's for a
    Beijing bank; its users see that incident (it was routed to them) but not Shanghai's,
    which goes to the State Secrecy Bureau."""
    out = file(rt, principal, clock, facts=SECRET)
    routes = _routes(out)
    assert routes["110000.secrecy"] == {"state_secrecy"} and "cn.nssb" not in routes
    me = principal("bj_secrecy")
    assert queries.get_incident(rt.uow, principal=me, ref=out.ref, now=clock.now())
    plain = file(rt, principal, clock, facts=OTHER)
    with pytest.raises(NotFound):  # not routed, and finance is outside its scope
        queries.get_incident(rt.uow, principal=me, ref=plain.ref, now=clock.now())
    sh = file(rt, principal, clock, user="sh_admin", unit="sh-bank", system="core",
              facts=SECRET)
    assert _routes(sh)["cn.nssb"] == {"state_secrecy"} and "110000.secrecy" not in _routes(sh)
    with pytest.raises(NotFound):
        queries.get_incident(rt.uow, principal=me, ref=sh.ref, now=clock.now())


def test_a_regrade_that_newly_meets_criterion_two_routes_then(rt, principal, clock,
                                                              beijing_secrecy):
    """Plan §2.1: the grade stays relatively major (criterion ③ before, ② and ③ after), yet
    the secrecy administration is reached when criterion ② is first met, once, and told."""
    _contact(rt, principal, "110000.secrecy", "duty@bj-secrecy.example")
    out = file(rt, principal, clock, facts=OTHER)
    assert out.grade == "relatively_major" and "110000.secrecy" not in _routes(out)
    clock.advance(minutes=20)
    both = FactsIn(other_threat="relatively_serious", data_threat="relatively_serious")
    again = handling.regrade(rt.uow, rt.clock, principal=principal("bj_duty"), ref=out.ref,
                             data=RegradeIn(facts=both, reason="机密文件外泄 secrets leaked"))
    assert again.grade == "relatively_major"
    assert _routes(again)["110000.secrecy"] == {"state_secrecy"}
    assert len(_to(rt, "duty@bj-secrecy.example")) == 1
    assert any(d.body == "110000.secrecy" and d.kind == "acknowledge" for d in again.duties)
    handling.regrade(rt.uow, rt.clock, principal=principal("bj_duty"), ref=out.ref,
                     data=RegradeIn(facts=both, reason="核实 confirmed"))
    assert len(_to(rt, "duty@bj-secrecy.example")) == 1  # routed once
    assert queries.get_incident(rt.uow, principal=principal("bj_secrecy"), ref=out.ref,
                                now=clock.now())
