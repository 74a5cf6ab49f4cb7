"""History with its own dates (issue 18 item 9), on both databases: imported incidents keep their
report, acknowledgement and closing times, are never late in the accountability view (Plan
§7.10), send nothing and import once; a response's end and an investigation's filing can be
entered after the fact with an as-of time, and the 30-day clock (Plan §5 ¶2) judges by it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fenghuo.audit.models import AuditPending
from fenghuo.common.errors import Forbidden, ValidationFailed
from fenghuo.incident import accountability, history, queries
from fenghuo.incident.models import Duty, Incident, IncidentRoute
from fenghuo.notify.models import OutboxMessage
from fenghuo.response import service as responses
from fenghuo.response.schemas import ActivateIn, EndIn, SectionsIn
from tests.integration.test_reporting_chain import file
from tests.integration.test_responses import SECTIONS, incident

HISTORY = Path(__file__).parent.parent / "fixtures" / "history"
FILES = {"fir-csv": "fir_incidents.csv", "fir-json": "fir_incidents.json",
         "thehive-json": "thehive_cases.json", "fenghuo-json": "fenghuo_incidents.json"}


def text(fmt: str) -> str:
    return (HISTORY / FILES[fmt]).read_text(encoding="utf-8")


def run(rt, principal, fmt: str, body: str | None = None, user: str = "bj_admin"):
    return history.import_history(rt.uow, rt.clock, principal=principal(user), fmt=fmt,
                                  text=body if body is not None else text(fmt),
                                  profile="cac2025", timezone="Asia/Shanghai")


def count(rt, model, *where) -> int:
    with rt.uow() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def by_import_id(rt, source: str) -> dict[str, Incident]:
    with rt.uow() as s:
        rows = s.scalars(select(Incident).where(Incident.import_source == source)).all()
        s.expunge_all()
        return {r.import_id: r for r in rows}


def at(text_: str) -> datetime:
    return datetime.fromisoformat(text_).astimezone(UTC)


@pytest.mark.parametrize("fmt", sorted(FILES))
def test_each_format_keeps_its_dates(rt, principal, fmt):
    before = count(rt, OutboxMessage)
    out = run(rt, principal, fmt)
    assert (out.rows, out.imported, out.skipped) == (20, 20, 0)
    got = by_import_id(rt, {"fir-csv": "fir", "fir-json": "fir"}.get(fmt, fmt.split("-")[0]))
    assert len(got) == 20 and all(i.imported_at == rt.clock.now() for i in got.values())
    assert count(rt, Duty, Duty.incident_id.in_([i.id for i in got.values()])) == 0
    assert count(rt, OutboxMessage) == before  # history is not a new report: nothing is sent
    if fmt == "fir-csv":  # naive FIR dates are in the deployment's zone (UTC+8)
        first = got["1000"]
        assert first.reported_at == at("2025-01-06T11:07:00+08:00")
        assert first.resolved_at == at("2025-01-12T22:06:00+08:00")
        assert (first.state, first.category, first.subcategory) == (
            "closed", "network-attack", "network-attack.phishing")
        assert first.grade == "major"  # severity 1 but is_major (FIR) → at least major
        assert got["1007"].state == "handling" and got["1007"].resolved_at is None  # Blocked
        assert got["1003"].state == "acknowledged"  # Open, with an acknowledgement
    elif fmt == "fir-json":  # the timeline of comments: Initial acknowledges, Closed closes
        first = got["2000"]
        assert first.reported_at == at("2024-10-02T16:30:00+08:00")
        assert first.resolved_at == at("2024-10-04T16:30:00+08:00")
        assert got["2004"].state == "acknowledged"
    elif fmt == "thehive-json":  # milliseconds since the epoch; TheHive 4 and 5 custom fields
        first = got["~41000"]
        assert first.found_at == at("2025-03-01T02:00:00+00:00")
        assert first.reported_at == at("2025-03-01T03:00:00+00:00")
        assert first.resolved_at == at("2025-03-04T03:00:00+00:00")
        assert got["~41008"].tlp == "green" and got["~41024"].tlp == "amber+strict"
        assert got["~41056"].category == "other"  # a tag naming no category: 其他事件
    else:
        first = got["LEGACY-2025-001"]
        assert first.found_at == at("2025-06-02T08:00:00+08:00")
        assert first.state == "handling" and first.resolved_at is None
    out_one = queries.get_incident(rt.uow, principal=principal("bj_admin"), ref=first.ref,
                                   now=rt.clock.now())
    assert out_one.reported_at == first.reported_at
    kinds = [e.kind for e in out_one.timeline]
    assert kinds[0] == "reported" and kinds[-1] == "imported"
    with rt.uow() as s:
        route = s.scalar(select(IncidentRoute).where(IncidentRoute.incident_id == first.id))
    assert route.acknowledged_at is not None and route.acknowledged_at >= route.routed_at


def test_a_bad_row_rejects_the_whole_file_naming_row_and_field(rt, principal):
    lines = text("fir-csv").splitlines()
    lines[5] = lines[5].replace(",Vulnerability,", ",Teleportation,")  # row 5: category
    with pytest.raises(ValidationFailed) as caught:
        run(rt, principal, "fir-csv", "\n".join(lines))
    assert [(e.row, e.field) for e in caught.value.errors] == [(5, "category")]
    rows = json.loads(text("fenghuo-json"))
    rows[16]["unit"] = "no-such-unit"
    with pytest.raises(ValidationFailed) as caught:
        run(rt, principal, "fenghuo-json", json.dumps(rows))
    assert [(e.row, e.field) for e in caught.value.errors] == [(17, "unit")]
    assert "no unit 'no-such-unit'" in caught.value.errors[0].message
    rows[16]["unit"], rows[3]["reported_at"] = "bj-bank", "2027-01-01T00:00:00+08:00"
    with pytest.raises(ValidationFailed) as caught:
        run(rt, principal, "fenghuo-json", json.dumps(rows))
    assert (4, "reported_at") in [(e.row, e.field) for e in caught.value.errors]
    assert count(rt, Incident, Incident.imported_at.is_not(None)) == 0  # nothing half-written


def test_imported_history_is_never_late_a_late_report_is(rt, principal, clock):
    """Plan §7.10 (迟报): a report after its clock counts as late; imported history has no
    clock. A TheHive case reported days after it began is history, not a late report."""
    since, until = clock.now() - timedelta(days=900), clock.now() + timedelta(days=1)
    file(rt, principal, clock, found_at=clock.now() - timedelta(hours=3))  # CII: 1 h → late
    run(rt, principal, "thehive-json")
    run(rt, principal, "fenghuo-json")
    rows = {r.unit: r for r in accountability.reporting(
        rt.uow, rt.clock, principal=principal("bj_admin"), since=since, until=until)}
    assert rows["bj-bank"].late == 1  # only the one reported now, late
    assert rows["bj-telco"].late == 0 and rows["bj-telco"].overdue_duties == 0
    assert rows["bj-bank"].omitted == rows["bj-telco"].omitted == 0


def test_reimport_does_not_duplicate(rt, principal):
    first = run(rt, principal, "fir-json")
    again = run(rt, principal, "fir-json")
    assert (again.imported, again.skipped) == (0, 20)
    assert count(rt, Incident, Incident.import_source == "fir") == first.imported == 20
    # the same FIR instance through the flat export is a different set of ids: imported too
    assert run(rt, principal, "fir-csv").imported == 20
    with rt.uow() as s:
        detail = s.scalars(select(AuditPending.detail).where(
            AuditPending.action == "incident.import")).all()
    assert len(detail) == 3


def test_scope_an_office_imports_only_its_units(rt, principal):
    """Law art. 30: Shanghai's office cannot bring in Beijing units' incidents; a unit and a
    department cannot import at all."""
    with pytest.raises(ValidationFailed) as caught:
        run(rt, principal, "fenghuo-json", user="sh_admin")
    assert caught.value.errors[0].field == "unit"
    assert "no unit 'bj-bank' within your jurisdiction" in caught.value.errors[0].message
    for user in ("bj_reporter", "bj_fin", "bj_analyst"):
        with pytest.raises(Forbidden):
            run(rt, principal, "fenghuo-json", user=user)
    assert count(rt, Incident, Incident.imported_at.is_not(None)) == 0


def _ended(rt, principal, clock, as_of=None):
    inc = incident(rt, principal, clock, "serious")
    r = responses.activate(rt.uow, rt.clock, principal=principal("bj_duty"),
                           data=ActivateIn(incident=inc.ref, level="II"))
    clock.advance(days=10)
    return responses.end(rt.uow, rt.clock, principal=principal("bj_duty"), ref=r.ref,
                         data=EndIn(reason="contained", as_of=as_of))


def test_a_response_end_entered_after_the_fact(rt, principal, clock):
    start = clock.now()
    with pytest.raises(ValidationFailed) as caught:
        _ended(rt, principal, clock, as_of=start + timedelta(days=11))  # in the future
    assert caught.value.errors[0].field == "as_of"
    with pytest.raises(ValidationFailed):  # before the response began
        _ended(rt, principal, clock, as_of=start - timedelta(days=1))
    start = clock.now()
    r = _ended(rt, principal, clock, as_of=start + timedelta(days=2))
    assert r.ended_at == start + timedelta(days=2)
    assert (r.end_entered_at, r.end_entered_by) == (clock.now(), "bj_duty")
    assert r.investigation.due_at == start + timedelta(days=32)  # Plan §5: 30 days from the end
    with rt.uow() as s:
        row = s.scalar(select(AuditPending).where(AuditPending.action == "response.end",
                                                  AuditPending.entity_key == r.ref))
    said = json.loads(row.detail)
    assert said["ended_at"] == r.ended_at.isoformat()
    assert said["entered_at"] == clock.now().isoformat() and said["entered_by"] == "bj_duty"


def test_the_30_day_clock_judges_an_investigation_by_its_as_of_time(rt, principal, clock):
    """Plan §5 ¶2: within 30 days after the response ends. Approved on day 25 but entered on
    day 40, it was met; approved as of day 35 it was late; never in the future."""
    start = clock.now()
    r = _ended(rt, principal, clock)  # ended on day 10
    me = principal("bj_duty")
    responses.write_investigation(rt.uow, rt.clock, principal=me, ref=r.ref,
                                  data=SectionsIn(sections=SECTIONS))
    clock.advance(days=30)  # day 40
    with pytest.raises(ValidationFailed):
        responses.advance_investigation(rt.uow, rt.clock, principal=me, ref=r.ref,
                                        target="submitted", as_of=clock.now() + timedelta(1))
    with pytest.raises(ValidationFailed):  # before the response ended
        responses.advance_investigation(rt.uow, rt.clock, principal=me, ref=r.ref,
                                        target="submitted", as_of=start + timedelta(days=9))
    responses.advance_investigation(rt.uow, rt.clock, principal=me, ref=r.ref,
                                    target="submitted", as_of=start + timedelta(days=20))
    out = responses.advance_investigation(rt.uow, rt.clock, principal=me, ref=r.ref,
                                          target="approved", as_of=start + timedelta(days=25))
    inv = out.investigation
    assert inv.approved_at == start + timedelta(days=25) and inv.clock == "met"
    assert (inv.filed_entered_at, inv.filed_entered_by) == (clock.now(), "bj_duty")
    rows = accountability.reporting(rt.uow, rt.clock, principal=principal("nat_admin"),
                                    since=start, until=start + timedelta(days=90))
    office = next((x for x in rows if x.unit == "110000.office"), None)
    assert office is None or office.overdue_investigations == 0
    late = _ended(rt, principal, clock)  # ended on day 50
    responses.write_investigation(rt.uow, rt.clock, principal=me, ref=late.ref,
                                  data=SectionsIn(sections=SECTIONS))
    clock.advance(days=40)  # day 90
    responses.advance_investigation(rt.uow, rt.clock, principal=me, ref=late.ref,
                                    target="submitted", as_of=start + timedelta(days=84))
    out = responses.advance_investigation(rt.uow, rt.clock, principal=me, ref=late.ref,
                                          target="approved",
                                          as_of=start + timedelta(days=85))
    assert out.investigation.clock == "late"  # due day 80, approved as of day 85
