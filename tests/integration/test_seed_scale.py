"""The scale instance's seeder (bench/seed_scale.py, issue 21 item 1), small: 2,000 incidents
bulk-loaded into a throwaway PostgreSQL database, then read back through the app's own services
(incident list and detail under the caller's scope, Law art. 30), its audit verification and a
new report. PostgreSQL only: the seeder loads by COPY."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from unittest import mock

import psycopg
import pytest
from bench import scale_common, seed_scale
from sqlalchemy import select
from sqlalchemy.engine import make_url

from fenghuo import bootstrap
from fenghuo.audit import service as audit
from fenghuo.common.pagination import PageParams
from fenghuo.config import Settings
from fenghuo.incident import grading, queries, rules, service
from fenghuo.incident.schemas import ReportIn
from fenghuo.org.accounts import principal_for
from fenghuo.org.models import Body, Jurisdiction
from tests import pgpool
from tests.conftest import PG_ADMIN_URL, _pg_exec

INCIDENTS = 2000
LOADED = ("incidents", "incident_events", "incident_routes", "duties", "outbox")


@pytest.fixture(scope="module")
def scale(pg_available: None):
    name = f"fenghuo_scale_{uuid.uuid4().hex[:10]}"
    url = str(make_url(PG_ADMIN_URL).set(database=name))
    try:
        result = seed_scale.seed(url, incidents=INCIDENTS, seed_value=7, quiet=True)
        rt = bootstrap.build(Settings(database_url=url))
        yield result, rt
        rt.engine.dispose()
    finally:
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _sql(rt: bootstrap.Runtime, query: str) -> list[tuple]:
    with psycopg.connect(pgpool.libpq(rt.settings.database_url)) as conn:
        return conn.execute(query).fetchall()


def _total(rt: bootstrap.Runtime, username: str, **filters) -> int:
    """The list's total, counted exactly (the list counts up to ``queries.COUNT_CAP``)."""
    me = principal_for(rt.uow, username=username)
    with mock.patch.object(queries, "COUNT_CAP", 10**9):
        found = queries.list_incidents(rt.uow, principal=me, page=PageParams(limit=1),
                                       **filters)
    assert found.total_exact
    return found.total


def test_the_list_counts_what_the_seeder_wrote(scale):
    result, rt = scale
    assert sum(result.counts.grades.values()) == INCIDENTS
    assert result.counts.rows["incidents"] == INCIDENTS
    assert _total(rt, seed_scale.NATIONAL_ADMIN) == INCIDENTS
    for grade in grading.Grade:
        assert _total(rt, seed_scale.NATIONAL_ADMIN, grade=grade.value) == (
            result.counts.grades[grade.value]), grade
    for state in rules.State:
        assert _total(rt, seed_scale.NATIONAL_ADMIN, state=state.value) == (
            result.counts.states[state.value]), state
    # skewed as asked: most general, most closed, some still open
    assert result.counts.grades["general"] > INCIDENTS * 0.8
    assert result.counts.states["closed"] > INCIDENTS * 0.8
    assert result.counts.states["closed"] < INCIDENTS
    for table in ("incident_events", "incident_routes", "duties", "outbox"):
        assert _sql(rt, f"SELECT count(*) FROM {table}")[0][0] == result.counts.rows[table]


def test_a_province_sees_its_own_incidents_only(scale):
    _, rt = scale
    with rt.uow() as s:
        path = s.scalar(select(Jurisdiction.path).where(Jurisdiction.code == "110000"))
    expected = _sql(rt, f"SELECT count(*) FROM incidents WHERE jurisdiction_path LIKE '{path}%'")
    assert 0 < _total(rt, "bench-110000") == expected[0][0] < INCIDENTS
    me = principal_for(rt.uow, username="bench-110000")
    page = queries.list_incidents(rt.uow, principal=me, page=PageParams(limit=50))
    with rt.uow() as s:
        beijing = set(s.scalars(select(Body.key).join(Jurisdiction).where(
            Jurisdiction.path.startswith(path))))
    assert {i.unit for i in page.items} <= beijing


def test_one_incident_reads_in_full(scale):
    result, rt = scale
    me = principal_for(rt.uow, username=seed_scale.NATIONAL_ADMIN)
    closed = queries.list_incidents(rt.uow, principal=me, page=PageParams(limit=3),
                                    state=rules.State.CLOSED.value).items
    assert closed
    for summary in closed:
        one = queries.get_incident(rt.uow, principal=me, ref=summary.ref, now=result.now)
        assert one.ref.startswith("FH-") and one.title == summary.title
        assert one.routes and all(r.reasons for r in one.routes)
        assert one.routes[0].reasons[0].code == "local_office"  # Plan §4.1
        kinds = [d.kind for d in one.duties]
        assert kinds.count(rules.DutyKind.ACKNOWLEDGE.value) == len(one.routes)
        assert rules.DutyKind.FINAL_REPORT.value in kinds  # resolved: CAC 2025 art. 8
        assert one.timeline[0].kind == "reported"
        assert [e.at for e in one.timeline] == sorted(e.at for e in one.timeline)
        assert ("state", {"from": "resolved", "to": "closed", "note": ""}) in [
            (e.kind, e.detail) for e in one.timeline]
        assert one.resolution
        assert one.deliveries and all(d.state in ("delivered", "dead") for d in one.deliveries)
        assert one.grade_reasons and one.grade_reasons[0].grade == one.grade


def test_search_reads_chinese_and_finds_nothing_for_the_missing_token(scale):
    _, rt = scale
    word = "木马"  # in the Trojan titles (scale_common.PHRASES)
    expected = _sql(rt, f"SELECT count(*) FROM incidents i JOIN bodies b ON b.id = "
                        f"i.subject_body_id WHERE i.title ILIKE '%{word}%' OR i.description "
                        f"ILIKE '%{word}%' OR i.impact ILIKE '%{word}%' OR i.measures ILIKE "
                        f"'%{word}%' OR b.name_zh ILIKE '%{word}%'")[0][0]
    assert 0 < _total(rt, seed_scale.NATIONAL_ADMIN, q=word) == expected
    assert _total(rt, seed_scale.NATIONAL_ADMIN, q=scale_common.NEVER_TOKEN) == 0


def test_every_foreign_key_holds(scale):
    """Checked from the catalogue (not from the seeder's own list): every FK constraint of the
    loaded tables, one anti-join each."""
    _, rt = scale
    fks = _sql(rt, """
        SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, r.attname
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        JOIN pg_attribute r ON r.attrelid = c.confrelid AND r.attnum = c.confkey[1]
        WHERE c.contype = 'f' AND c.conrelid::regclass::text IN %s""".replace(
        "%s", str(LOADED)))
    assert len(fks) >= 14
    broken = {}
    for table, col, target, key in fks:
        n = _sql(rt, f"SELECT count(*) FROM {table} c WHERE c.{col} IS NOT NULL AND NOT EXISTS "
                     f"(SELECT 1 FROM {target} p WHERE p.{key} = c.{col})")[0][0]
        if n:
            broken[f"{table}.{col}"] = n
    assert broken == {}


def test_the_trail_verifies_and_a_new_report_follows_the_loaded_rows(scale):
    result, rt = scale
    before = {t: _sql(rt, f"SELECT max(id) FROM {t}")[0][0] for t in LOADED}
    unit = _sql(rt, "SELECT key FROM bodies WHERE kind = 'operator' AND cii ORDER BY id "
                    "LIMIT 1")[0][0]
    me = principal_for(rt.uow, username=f"rep.{unit}")
    now = datetime.now(UTC)
    filed = service.report(rt.uow, rt.clock, principal=me, profile="cac2025", data=ReportIn(
        category="network-attack", subcategory="network-attack.dos", title="扫描后遭DDoS攻击",
        found_at=now - timedelta(minutes=20), impact="门户短时不可用", measures="已切换清洗"))
    assert filed.routes and filed.deliveries and filed.duties
    after = {t: _sql(rt, f"SELECT max(id) FROM {t}")[0][0] for t in LOADED}
    assert all(after[t] > before[t] for t in LOADED), (before, after)
    assert _total(rt, seed_scale.NATIONAL_ADMIN) == INCIDENTS + 1
    verified = audit.verify(rt.uow)
    assert verified.ok, verified.breaks[:3]
    loaded = result.counts.rows["audit_log"]
    assert verified.rows > loaded
    assert _sql(rt, "SELECT count(*) FROM audit_log WHERE action = 'incident.report'")[0][0] == (
        INCIDENTS + 1)
