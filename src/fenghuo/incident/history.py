"""Importing historical incidents with their own dates (issue 18 item 9).

An office brings in the incidents its units had before Fenghuo, from FIR or TheHive exports or
our own JSON (``history_rules``). Each keeps its report, acknowledgement and closing times, is
marked imported (``imported_at``, ``import_source``, ``import_id``) and is history, not a new
report: no clocks (so never late, overdue or omitted in the accountability view, Plan §7.10),
no routing and no notifications. The importing office is recorded as the body that received it
(an acknowledged route when the file says when it was acknowledged).

One transaction per file: any bad row, or a unit unknown or outside the office's jurisdiction
(Law art. 30), refuses the whole file naming row and field, and nothing is written. A row
imported before (same tool, same id) is skipped, so importing a file twice changes nothing.
Rows are written in bulk (a few statements per thousand incidents; bench/history_import.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import FieldError, Forbidden, ValidationFailed
from fenghuo.common.refs import new_ref
from fenghuo.common.scope import Principal
from fenghuo.db.bulk import insert_rows
from fenghuo.db.session import UnitOfWork
from fenghuo.incident import history_rules
from fenghuo.incident.history_rules import HistoryRow
from fenghuo.incident.models import Incident, IncidentEvent, IncidentRoute
from fenghuo.org import scoping
from fenghuo.org.models import Body, BodySector, Jurisdiction
from fenghuo.org.rules import BodyKind, Permission, Role
from fenghuo.org.service import require

#: who may import history: an office's administrators and duty officers
IMPORT_ROLES = frozenset({Role.ADMINISTRATOR.value, Role.DUTY_OFFICER.value})
CHUNK = 1000
_INSERT = insert(Incident.__table__).returning(Incident.__table__.c.id,
                                               sort_by_parameter_order=True)


@dataclass(frozen=True)
class ImportSummary:
    format: str
    source: str
    rows: int
    imported: int
    skipped: int
    refs: tuple[str, ...]


@dataclass(frozen=True)
class _Unit:
    id: int
    key: str
    path: str
    sector: str | None
    cii: bool


def _may_import(s: Session, principal: Principal) -> None:
    require(principal, Permission.INCIDENT_HANDLE)
    kind = s.scalar(select(Body.kind).where(Body.id == principal.body_id))
    if kind != BodyKind.OFFICE.value or not principal.roles & IMPORT_ROLES:
        raise Forbidden("history is imported by an office's administrators and duty officers")


def _failed(problems: Sequence[history_rules.Problem], source: str) -> ValidationFailed:
    return ValidationFailed([FieldError(p.field, p.message, row=p.row or None, source=source)
                             for p in problems[:200]],
                            f"the file was not imported: {len(problems)} problem(s)")


def _units(s: Session, principal: Principal, rows: list[HistoryRow], source: str
           ) -> dict[str, _Unit]:
    """The units the rows name, by key or Chinese or English name, within the office's
    jurisdiction (Law art. 30); any other refuses the file naming its row."""
    names = sorted({r.unit for r in rows})
    sector = (select(func.min(BodySector.sector_code)).where(BodySector.body_id == Body.id)
              .scalar_subquery())
    named = or_(Body.key.in_(names), Body.name_zh.in_(names), Body.name_en.in_(names))
    found: dict[str, _Unit] = {}
    keys: dict[str, _Unit] = {}
    for b in s.execute(select(Body.id, Body.key, Body.name_zh, Body.name_en, Body.cii,
                              Jurisdiction.path, sector.label("sector"))
                       .join(Jurisdiction, Jurisdiction.id == Body.jurisdiction_id)
                       .where(named, scoping.visible_bodies(principal.scope))):
        unit = _Unit(b.id, b.key, b.path, b.sector, b.cii)
        found[b.name_en] = found[b.name_zh] = keys[b.key] = unit
    found.update(keys)  # a key wins over another unit's namesake
    missing = [r for r in rows if r.unit not in found]
    if missing:  # one answer for a unit that does not exist and one outside scope (Law art. 30)
        raise _failed([history_rules.Problem(
            r.row, _unit_field(source), f"no unit {r.unit!r} within your jurisdiction (by key "
                                        "or name)") for r in missing], source)
    return found


def _unit_field(fmt: str) -> str:
    return {"fir-csv": "concerned_business_lines", "fir-json": "concerned_business_lines",
            "thehive-json": "customFields.unit"}.get(fmt, "unit")


def _fresh(s: Session, source: str, rows: list[HistoryRow]) -> list[HistoryRow]:
    """The rows not imported before from ``source`` (idempotence)."""
    done: set[str] = set()
    ids = [r.source_id for r in rows]
    for i in range(0, len(ids), CHUNK):
        done.update(s.scalars(select(Incident.import_id).where(
            Incident.import_source == source, Incident.import_id.in_(ids[i:i + CHUNK]))))
    return [r for r in rows if r.source_id not in done]


def _incident_row(r: HistoryRow, unit: _Unit, principal: Principal, now: datetime,
                  source: str, profile: str, ref: str) -> dict:
    return dict(
        ref=ref, subject_body_id=unit.id, reporting_body_id=principal.body_id,
        reported_by_user_id=None, idempotency_key=None, request_hash=None, source="import",
        jurisdiction_path=unit.path, sector_code=unit.sector, system_id=None, cii=unit.cii,
        category=r.category, subcategory=r.subcategory, title=r.title,
        description=r.description, impact=r.impact, measures=r.measures,
        found_at=r.found_at, reported_at=r.reported_at, state=r.state, grade=r.grade,
        grading_profile=profile, facts="{}", grade_reasons="[]", report_finding=None,
        tlp=r.tlp, created_at=r.reported_at, updated_at=now,
        resolved_at=r.resolved_at if r.state in ("resolved", "closed") else None,
        is_parent=False, parent_id=None, pi_records=None, pi_inform_users=None,
        pi_reason=None, pi_informed_at=None, pi_informed_how=None, pi_informed_count=None,
        imported_at=now, import_source=source, import_id=r.source_id)


def _event(incident_id: int, at: datetime, kind: str, actor: str, detail: dict) -> dict:
    return {"incident_id": incident_id, "at": at, "kind": kind, "actor": actor,
            "detail": json.dumps(detail, ensure_ascii=False, default=str)}


def _timeline(incident_id: int, r: HistoryRow, principal: Principal, now: datetime,
              fmt: str, source: str) -> list[dict]:
    """The incident's history as the file tells it, then the import itself."""
    actor = f"{source}:{r.extra.get('owner') or 'history'}"
    events = [_event(incident_id, r.reported_at, "reported", actor,
                     {"source": "import", "import": {"format": fmt, "id": r.source_id}})]
    if r.acknowledged_at:
        events.append(_event(incident_id, r.acknowledged_at, "acknowledged", actor, {}))
    if r.resolved_at and r.state in ("resolved", "closed"):
        events.append(_event(incident_id, r.resolved_at, "state", actor, {"to": r.state}))
    events.append(_event(incident_id, now, "imported", principal.username,
                         {"format": fmt, "source": source, "id": r.source_id, **r.extra}))
    return events


def _route(incident_id: int, r: HistoryRow, principal: Principal, source: str) -> dict:
    return {"incident_id": incident_id, "body_id": principal.body_id,
            "reason_code": "history.imported", "reason_zh": "导入的历史事件",
            "reason_en": "imported history", "source": f"import from {source}",
            "immediate": False, "routed_at": r.reported_at,
            "acknowledged_at": r.acknowledged_at,
            "acknowledged_by": f"{source}:history" if r.acknowledged_at else None}


def _insert_incidents(s: Session, rows: list[dict]) -> list[int]:
    """Insert the incidents, returning their ids in order: on PostgreSQL ids drawn from the
    sequence and the rows COPYed (a multi-row INSERT … RETURNING of a thousand forty-column
    rows spends seconds in the driver's query parsing); elsewhere one INSERT … RETURNING."""
    if s.get_bind().dialect.name != "postgresql":
        return list(s.connection().execute(_INSERT, rows).scalars())
    ids = list(s.scalars(select(func.nextval(func.pg_get_serial_sequence("incidents", "id")))
                         .select_from(func.generate_series(1, len(rows)))))
    insert_rows(s, Incident.__table__, [{"id": i, **row} for i, row in zip(ids, rows,
                                                                              strict=True)])
    return ids


def _write(s: Session, rows: list[HistoryRow], units: dict[str, _Unit], principal: Principal,
           now: datetime, fmt: str, source: str, profile: str,
           progress: Callable[[int, int], None] | None, total: int) -> list[str]:
    refs: list[str] = []
    seen: set[str] = set()
    for i in range(0, len(rows), CHUNK):
        chunk = rows[i:i + CHUNK]
        incidents = []
        for r in chunk:
            ref = new_ref("FH", r.reported_at)
            while ref in seen:
                ref = new_ref("FH", r.reported_at)
            seen.add(ref)
            incidents.append(_incident_row(r, units[r.unit], principal, now, source, profile,
                                           ref))
        ids = _insert_incidents(s, incidents)
        insert_rows(s, IncidentEvent.__table__, [
            e for incident_id, r in zip(ids, chunk, strict=True)
            for e in _timeline(incident_id, r, principal, now, fmt, source)])
        insert_rows(s, IncidentRoute.__table__, [
            _route(incident_id, r, principal, source)
            for incident_id, r in zip(ids, chunk, strict=True)])
        refs += [row["ref"] for row in incidents]
        if progress:
            progress(len(chunk), total)
    return refs


def import_history(uow: UnitOfWork, clock: Clock, *, principal: Principal, fmt: str,
                   text: str, profile: str, timezone: str = "Asia/Shanghai",
                   source: str | None = None,
                   progress: Callable[[int, int], None] | None = None) -> ImportSummary:
    """Import the incidents of one file (``fmt``: see ``history_rules.FORMATS``) as history;
    all or nothing. ``source`` names the tool instance (default: the tool, e.g. ``fir``):
    a row's id is unique within it. ``progress`` is told how many rows each step wrote, and
    of how many."""
    now = clock.now()
    rows, problems = history_rules.parse(fmt, text, zone=ZoneInfo(timezone), now=now)
    if problems:
        raise _failed(problems, fmt)
    source = (source or history_rules.TOOL_OF[fmt]).strip()[:80]
    with uow() as s:
        _may_import(s, principal)
        units = _units(s, principal, rows, fmt)
        fresh = _fresh(s, source, rows)
        if progress and len(fresh) < len(rows):
            progress(len(rows) - len(fresh), len(rows))
        refs = _write(s, fresh, units, principal, now, fmt, source, profile, progress,
                      len(rows))
        scope = s.scalar(select(Jurisdiction.path).join(Body, Body.jurisdiction_id
                                                        == Jurisdiction.id)
                         .where(Body.id == principal.body_id))
        audit.record(s, at=now, actor=audit.Actor.of(principal), action="incident.import",
                     entity_type="incident_import", entity_key=source, scope_path=scope,
                     detail={"format": fmt, "source": source, "rows": len(rows),
                             "imported": len(refs), "skipped": len(rows) - len(fresh),
                             "refs": refs[:100]})
    return ImportSummary(format=fmt, source=source, rows=len(rows), imported=len(refs),
                         skipped=len(rows) - len(fresh), refs=tuple(refs))
