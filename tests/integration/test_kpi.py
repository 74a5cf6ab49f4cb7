"""The KPIs (issue 19 item 10; fenghuo.kpi) on both databases: known timestamps recorded by
the services under the FakeClock give known medians and 90th percentiles; the figures are
scoped like every read (Law art. 30); the CSV carries the same figures.

The FakeClock starts on 2026-11-01 08:00 UTC (16:00 in Beijing): everything below happens in
November 2026 (China Standard Time), the support work in October."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from fenghuo.common.errors import NotFound
from fenghuo.common.periods import Month, Week
from fenghuo.incident import handling
from fenghuo.incident.schemas import StateIn
from fenghuo.kpi import export
from fenghuo.kpi import service as kpi
from fenghuo.kpi.rules import Kpi, Quarter
from fenghuo.response import service as responses
from fenghuo.response.schemas import ActivateIn, EndIn
from tests.integration.test_reporting_chain import file
from tests.integration.test_responses import incident
from tests.integration.test_support import member, work
from tests.integration.test_warnings import published
from tests.integration.test_warnings import warnings as warning_service

NOV = Month(2026, 11)


def to_state(rt, principal, ref, *states):
    for state in states:
        handling.set_state(rt.uow, rt.clock, principal=principal("bj_admin"), ref=ref,
                           data=StateIn(state=state))


def ack(rt, principal, ref, user="bj_admin"):
    handling.acknowledge(rt.uow, rt.clock, principal=principal(user), ref=ref)


@pytest.fixture
def history(rt, principal, clock):
    """Three reports of bj-bank, found 30, 90 and 60 minutes before they were filed:
    A acknowledged by the Beijing office after 1 h, resolved 3 h and closed 4 h after its
    report; B acknowledged after 3 h, resolved after 8 h, not closed; C left open."""
    a = file(rt, principal, clock, found_at=clock.now() - timedelta(minutes=30))
    clock.advance(hours=1)
    ack(rt, principal, a.ref)
    clock.advance(hours=2)
    to_state(rt, principal, a.ref, "handling", "resolved")
    clock.advance(hours=1)
    to_state(rt, principal, a.ref, "closed")
    b = file(rt, principal, clock, key="b", found_at=clock.now() - timedelta(minutes=90))
    clock.advance(hours=3)
    ack(rt, principal, b.ref)
    clock.advance(hours=5)
    to_state(rt, principal, b.ref, "resolved")
    file(rt, principal, clock, key="c", found_at=clock.now() - timedelta(minutes=60))
    return a, b


def rows(out) -> dict:
    return {(r.kpi.value, r.body.key): r.summary for r in out.rows}


def test_known_timestamps_give_known_medians_and_percentiles(rt, principal, history):
    out = kpi.report(rt.uow, principal=principal("bj_admin"), period=NOV)
    got = rows(out)
    report = got[("report", "bj-bank")]
    # 0.5, 1.5 and 1 h: median 1, p90 interpolated 1 + 0.8 × 0.5
    assert (report.n, report.median, report.open) == (3, 1.0, 0)
    assert report.p90 == pytest.approx(1.4) and report.mean == pytest.approx(1.0)
    assert got[("report", "")] == report  # one unit: the all-bodies row is the same
    mtta = got[("acknowledge", "110000.office")]
    assert (mtta.n, mtta.median, mtta.open) == (2, 2.0, 1)
    assert mtta.p90 == pytest.approx(2.8)
    # the finance regulator and the public security organ were routed all three, acknowledged none
    assert got[("acknowledge", "bj-finance-reg")].open == 3
    assert got[("acknowledge", "bj-finance-reg")].median is None
    contain = got[("contain", "bj-bank")]
    assert (contain.n, contain.median, contain.open) == (2, 5.5, 1)
    assert contain.p90 == pytest.approx(7.5)
    close = got[("close", "bj-bank")]
    assert (close.n, close.median, close.p90, close.open) == (1, 4.0, 4.0, 2)
    assert out.period == "2026-11" and out.first_day == "2026-11-01"
    assert out.last_day == "2026-11-30" and out.periods[0] == "2026-04"
    assert [s.n for s in out.trend[Kpi.REPORT]] == [0] * 7 + [3]
    assert out.trend[Kpi.CONTAIN][-1].median == 5.5


def test_an_empty_period_and_other_period_lengths(rt, principal, history):
    me = principal("bj_admin")
    october = kpi.report(rt.uow, principal=me, period=Month(2026, 10))
    assert october.rows == [] and all(s.n == 0 for s in october.trend[Kpi.REPORT])
    week = kpi.report(rt.uow, principal=me, period=Week(2026, 44))  # 26 Oct – 1 Nov
    # B was filed at 20:00 on 1 November (CST) and C after midnight: the week ends between
    assert rows(week)[("report", "bj-bank")].n == 2
    quarter = kpi.report(rt.uow, principal=me, period=Quarter(2026, 4))
    assert rows(quarter)[("report", "bj-bank")].n == 3 and quarter.periods[0] == "2025-Q1"


def test_scope_a_province_its_bodies_a_unit_itself(rt, principal, history):
    shanghai = kpi.report(rt.uow, principal=principal("sh_admin"), period=NOV)
    assert shanghai.rows == [] and shanghai.bodies == []
    unit = kpi.report(rt.uow, principal=principal("bj_reporter"), period=NOV)
    assert {b for _, b in rows(unit)} == {"bj-bank", ""}
    assert {k for k, _ in rows(unit)} == {"report", "contain", "close"}
    national = kpi.report(rt.uow, principal=principal("nat_admin"), period=NOV)
    assert ("acknowledge", "cn.mps") in rows(national)
    beijing = kpi.report(rt.uow, principal=principal("bj_admin"), period=NOV)
    assert "cn.mps" not in {b for _, b in rows(beijing)}  # a national body, not Beijing's


def test_one_body_of_the_scope(rt, principal, history):
    me = principal("bj_admin")
    out = kpi.report(rt.uow, principal=me, period=NOV, body="110000.office")
    assert {b for _, b in rows(out)} == {"110000.office", ""}
    assert out.body.key == "110000.office"
    with pytest.raises(NotFound):
        kpi.report(rt.uow, principal=me, period=NOV, body="cn.emergency-office")
    with pytest.raises(NotFound):
        kpi.report(rt.uow, principal=principal("bj_reporter"), period=NOV,
                   body="110000.office")


def test_responses_and_warning_acknowledgements(rt, principal, clock):
    inc = incident(rt, principal, clock, "serious")
    r = responses.activate(rt.uow, rt.clock, principal=principal("bj_duty"),
                           data=ActivateIn(incident=inc.ref, level="II"))
    w = published(rt, principal, clock)
    clock.advance(minutes=30)
    warning_service.acknowledge(rt.uow, rt.clock, principal=principal("bj_fin"), ref=w.ref)
    clock.advance(minutes=90)
    warning_service.acknowledge(rt.uow, rt.clock, principal=principal("bj_reporter"), ref=w.ref)
    clock.advance(hours=4)
    responses.end(rt.uow, rt.clock, principal=principal("bj_duty"), ref=r.ref,
                  data=EndIn(reason="contained"))
    got = rows(kpi.report(rt.uow, principal=principal("nat_admin"), period=NOV))
    assert got[("response", "110000.office")].median == pytest.approx(6.0)
    assert got[("warning_ack", "bj-finance-reg")].median == pytest.approx(0.5)
    assert got[("warning_ack", "bj-bank")].median == pytest.approx(2.0)
    every = got[("warning_ack", "")]
    assert every.median == pytest.approx(1.25) and every.open == 2  # the Office and CNCERT's
    beijing = rows(kpi.report(rt.uow, principal=principal("bj_admin"), period=NOV))
    assert beijing[("warning_ack", "")].open == 1  # the Emergency Office is not Beijing's


def test_support_unit_hours_against_the_obligation(rt, principal, clock):
    member(rt, principal)
    work(rt, principal)  # 600 minutes on 3 October
    work(rt, principal, minutes=120, worked_on=Month(2026, 10).start + timedelta(days=5))
    out = kpi.report(rt.uow, principal=principal("bj_ro"), period=Month(2026, 10))
    (row,) = out.support
    assert (row.body.key, row.hours, row.entries, row.target) == ("bj-support", 12.0, 2, 40)
    assert row.trend[-1] == 12.0 and row.trend[:-1] == [0.0] * 7
    assert kpi.report(rt.uow, principal=principal("sh_admin"),
                      period=Month(2026, 10)).support == []
    assert kpi.report(rt.uow, principal=principal("bj_ro"),
                      period=Week(2026, 40)).support[0].target is None


def test_the_csv_carries_the_same_figures(rt, principal, history):
    out = kpi.report(rt.uow, principal=principal("bj_admin"), period=NOV)
    text = export.to_csv(out)
    assert text.startswith("\ufeffperiod,kpi,")
    table = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    mtta = next(r for r in table if r["kpi"] == "acknowledge" and r["body"] == "110000.office")
    assert (mtta["n"], mtta["open"], mtta["median_hours"], mtta["p90_hours"]) == (
        "2", "1", "2.00", "2.80")
    assert mtta["body_zh"] and mtta["kpi_zh"] == "签收用时（MTTA）"
    assert len(table) == len(out.rows)
