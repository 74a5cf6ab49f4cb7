"""Routing, clocks, lifecycle and incident scope — pure rules of the reporting chain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fenghuo.common.scope import Scope
from fenghuo.incident import rules
from fenghuo.incident.rules import Candidate, ClockSettings, DutyKind, State, Subject
from fenghuo.org.rules import BodyFunction, BodyKind

# jurisdictions: 1 nation, 2 province, 3 city, 4 county, 9 another province
NATION_OFFICE = Candidate(100, BodyKind.OFFICE, 1, frozenset(),
                          BodyFunction.NATIONAL_EMERGENCY_OFFICE)
CAC = Candidate(101, BodyKind.OFFICE, 1, frozenset(), None)
MPS = Candidate(102, BodyKind.DEPARTMENT, 1, frozenset({"finance", "water"}),
                BodyFunction.PUBLIC_SECURITY)
PBC = Candidate(103, BodyKind.DEPARTMENT, 1, frozenset({"finance"}), None)
PROV_OFFICE = Candidate(200, BodyKind.OFFICE, 2, frozenset(), None)
PROV_FIN = Candidate(201, BodyKind.DEPARTMENT, 2, frozenset({"finance"}), None)
PROV_PSB = Candidate(202, BodyKind.LINKAGE_UNIT, 2, frozenset(), BodyFunction.PUBLIC_SECURITY)
CITY_OFFICE = Candidate(300, BodyKind.OFFICE, 3, frozenset(), None)
ALL = [NATION_OFFICE, CAC, MPS, PBC, PROV_OFFICE, PROV_FIN, PROV_PSB, CITY_OFFICE]
CLOCKS = ClockSettings()


def unit(sector="finance", cii=False, chain=(4, 3, 2, 1)) -> Subject:
    return Subject(500, BodyKind.OPERATOR, sector, cii, chain)


def routed(subject, grade, cands=ALL):
    return {r.body_id: r for r in rules.route(subject, grade, cands, CLOCKS)}


class TestRouting:
    def test_general_incident_goes_to_local_offices_and_sector_department(self):
        """Plan §4.1 (regions), CAC 2025 art. 4 (province office), Plan §2.3 (department)."""
        got = routed(unit(), "general")
        assert set(got) == {300, 200, 201}
        assert [x.code for x in got[201].reasons] == ["sector_department"]
        assert not any(r.immediate for r in got.values())

    def test_nearest_department_wins(self):
        assert 103 not in routed(unit(), "general")  # the province regulator is nearer
        assert 103 in routed(unit(), "general", [c for c in ALL if c is not PROV_FIN])

    @pytest.mark.parametrize("grade", ["major", "especially_major"])
    def test_severe_goes_immediately_to_the_national_emergency_office(self, grade):
        """Plan §4.1: first judged especially major or major → immediately."""
        got = routed(unit(), grade)
        assert got[100].immediate and got[100].reasons[0].code == "national_emergency_office"
        assert 101 not in got  # the CAC's other offices are not on the reporting chain
        assert got[200].escalation_hours == CLOCKS.escalation_hours_office

    @pytest.mark.parametrize("grade", ["relatively_major", "general"])
    def test_lesser_grades_do_not_reach_the_nation(self, grade):
        assert 100 not in routed(unit(), grade)

    def test_cii_also_to_protection_department_and_public_security(self):
        """CAC 2025 art. 4: CII operators report to the protection department and police."""
        got = routed(unit(cii=True), "major")
        assert {x.code for x in got[201].reasons} == {"sector_department",
                                                      "cii_protection_department"}
        assert got[201].escalation_hours == CLOCKS.escalation_hours_protection
        assert 202 in got and 102 not in got  # the nearest public security organ

    def test_non_cii_does_not_go_to_public_security(self):
        got = routed(unit(cii=False), "major")
        assert 202 not in got and 102 not in got

    def test_unit_without_a_regulator_in_its_sector(self):
        got = routed(unit(sector="energy"), "general")
        assert set(got) == {300, 200}

    def test_central_unit_has_no_local_office(self):
        got = routed(unit(chain=(1,)), "general")
        assert set(got) == {103}


class TestClocks:
    T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)

    @pytest.mark.parametrize(("subject", "hours"), [
        (unit(cii=True), 1), (unit(chain=(1,)), 2), (unit(), 4)])
    def test_report_deadlines(self, subject, hours):
        """CAC 2025 art. 4: 1 h CII, 2 h central and state organs, 4 h others."""
        assert rules.report_deadline_hours(subject, CLOCKS)[0] == hours

    def test_intake_starts_the_right_clocks(self):
        subject = unit(cii=True)
        routes = rules.route(subject, "major", ALL, CLOCKS)
        reported = self.T0 + timedelta(minutes=90)
        duties = rules.intake_duties(subject, self_reported=True, found_at=self.T0,
                                     reported_at=reported, routes=routes, clocks=CLOCKS)
        report = [d for d in duties if d.kind == DutyKind.REPORT]
        assert len(report) == 1 and report[0].due_at == self.T0 + timedelta(hours=1)
        assert rules.clock_state(report[0].due_at, report[0].done_at, reported) == "late"
        ack = {d.body_id: d.due_at - reported for d in duties if d.kind == DutyKind.ACKNOWLEDGE}
        assert ack[100] == timedelta(minutes=CLOCKS.immediate_minutes)
        assert ack[201] == timedelta(hours=0.5) and ack[200] == timedelta(hours=1)

    def test_reports_by_others_start_no_report_clock(self):
        duties = rules.intake_duties(unit(), self_reported=False, found_at=self.T0,
                                     reported_at=self.T0, routes=[], clocks=CLOCKS)
        assert duties == []

    def test_clock_states(self):
        due = self.T0
        assert rules.clock_state(due, due, due) == "met"
        assert rules.clock_state(due, due + timedelta(seconds=1), due) == "late"
        assert rules.clock_state(due, None, due) == "due"
        assert rules.clock_state(due, None, due + timedelta(seconds=1)) == "overdue"

    def test_final_report_in_30_days(self):
        """CAC 2025 art. 8."""
        d = rules.final_report_duty(500, self.T0, CLOCKS)
        assert d.due_at - d.starts_at == timedelta(days=30) and d.kind == DutyKind.FINAL_REPORT


class TestLifecycle:
    def test_allowed_and_refused(self):
        assert rules.transition_problem(State.REPORTED, State.HANDLING) is None
        assert rules.transition_problem(State.RESOLVED, State.CLOSED) is None
        assert "cannot become" in rules.transition_problem(State.CLOSED, State.HANDLING)
        assert rules.transition_problem(State.REPORTED, State.CLOSED) is not None


class TestIncidentScope:
    """Law art. 30."""

    def facts(self, **kw):
        base = dict(subject_body_id=500, reporting_body_id=500, jurisdiction_path="/1/2/3/",
                    sector="finance", routed_body_ids=frozenset({201}))
        return rules.IncidentFacts(**{**base, **kw})

    def scope(self, body_id, path, sectors=None, own=False):
        return Scope(body_id, path, frozenset(), sectors, own)

    def test_visibility(self):
        f = self.facts()
        assert rules.incident_visible(self.scope(200, "/1/2/"), f)
        assert not rules.incident_visible(self.scope(900, "/1/9/"), f)
        assert rules.incident_visible(self.scope(201, "/1/9/", {"energy"}), f)  # routed to it
        assert rules.incident_visible(self.scope(500, "/1/2/3/", own=True), f)
        assert not rules.incident_visible(self.scope(501, "/1/2/3/", own=True), f)
        assert not rules.incident_visible(self.scope(600, "/1/2/", {"energy"}), f)
        assert rules.incident_visible(self.scope(600, "/1/2/", {"finance"}), f)


def test_the_open_incidents_index_covers_the_dashboards_open_states():
    """The partial index of the open incidents (migration 0029) names exactly the states the
    dashboard counts as open: a state added to one and not the other would make the dashboard
    scan the table (issue 21)."""
    import re

    from fenghuo.incident.models import OPEN_SQL
    from fenghuo.web.console import OPEN_STATES

    assert set(re.findall(r"'([a-z_]+)'", OPEN_SQL)) == {s.value for s in OPEN_STATES}
