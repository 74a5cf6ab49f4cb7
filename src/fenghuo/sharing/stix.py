"""STIX 2.1 export of incidents, warnings and monitoring information (issue 8; Plan §3.2
sharing; Law arts. 29, 30, 51).

Objects are built with the ``stix2`` library, so what we emit validates:

* an incident is an ``incident`` SDO carrying the **Incident Core Extension**
  (``../shared/standards/stix21-incident-core-extension.json``): ``determination``,
  ``investigation_status``, ``criticality`` (from the grade), ``detection_methods`` (from the
  source of the report), ``impacted_entity_counts``; what the extension has no field for (the
  category, the grade, the times, the sector) goes into ``description``, ``labels`` and
  ``external_references``;
* the reporting body (and any other body an object names) is an ``identity``;
* a published warning is a ``report`` whose ``object_refs`` name its issuer;
* a monitoring item is a ``grouping`` of its ``indicator`` objects (IP, domain, URL, e-mail,
  hashes as STIX patterns) and ``vulnerability`` objects (CVEs);
* every object carries one of the five official TLP 2.0 ``marking-definition`` objects
  (OASIS cti-stix-common-objects, extension-definitions/tlp-2.0: fixed ids, ``created``
  2022-10-01, property extension ``tlp_2_0``).

Ids are UUIDv5 of our references, so the same data exported twice has the same ids; ``created``
and ``modified`` come from the database, so the objects are identical too.

An item is exported only when the caller's scope (Law art. 30: the scoped reads of
``incident.scoping``, ``warning.views``, ``warning.monitoring``) AND TLP 2.0
(``sharing.tlp.may_receive`` for the caller's relation to the item, ``sharing.relations``)
allow it.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import stix2
from sqlalchemy import select
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import NotFound
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.incident import casework, grading
from fenghuo.incident.models import Incident
from fenghuo.incident.rules import State
from fenghuo.incident.scoping import visible_incidents
from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.org import rules as org_rules
from fenghuo.org.models import Body
from fenghuo.org.rules import Permission
from fenghuo.org.service import require
from fenghuo.sharing import relations
from fenghuo.sharing.tlp import DEFAULT, Tlp, may_receive
from fenghuo.warning.models import EarlyWarning, MonitoringItem
from fenghuo.warning.monitoring import visible_items
from fenghuo.warning.views import visible_warnings

# --- constants of the standards ---------------------------------------------------------------

#: TLP 2.0 marking extension (OASIS cti-stix-common-objects, tlp-2.0)
TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"
#: the official TLP 2.0 marking-definition ids
TLP2_MARKINGS: dict[Tlp, str] = {
    Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
#: STIX 2.1's predefined TLP 1.0 markings, read on import (WHITE is TLP 2.0's CLEAR)
TLP1_MARKINGS: dict[str, Tlp] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": Tlp.CLEAR,
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": Tlp.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": Tlp.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": Tlp.RED,
}
#: Incident Core Extension (v2.0 draft), from the standards file
INCIDENT_CORE_EXTENSION = "extension-definition--ef765651-680c-498d-9894-99799f2fa126"

#: namespace of our deterministic ids (uuid5 of "fenghuo" in the URL namespace)
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:fenghuo:stix")
SOURCE_NAME = "fenghuo"
SCHEMA_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$", re.IGNORECASE)


def stix_id(stix_type: str, key: str) -> str:
    """``incident--<uuid5>`` of one of our references: the same ref gives the same id."""
    return f"{stix_type}--{uuid.uuid5(NAMESPACE, f'{stix_type}:{key}')}"


def marking(tlp: Tlp | str) -> stix2.v21.MarkingDefinition:
    """The official TLP 2.0 marking-definition object of a label."""
    tlp = Tlp(tlp)
    return stix2.v21.MarkingDefinition(
        id=TLP2_MARKINGS[tlp], created=TLP2_CREATED, name=tlp.marking,
        extensions={TLP2_EXTENSION: {"extension_type": "property-extension",
                                     "tlp_2_0": tlp.value}})


def tlp_of(marking_refs: Iterable[str] | None, default: Tlp = DEFAULT) -> Tlp:
    """The TLP of an imported object from its ``object_marking_refs`` (TLP 2.0 ids, or STIX
    2.1's TLP 1.0 ids): the strictest one present, else ``default`` (AMBER)."""
    by_id = {v: k for k, v in TLP2_MARKINGS.items()} | TLP1_MARKINGS
    found = [by_id[r] for r in marking_refs or () if r in by_id]
    return max(found, key=lambda t: t.rank) if found else default


# --- incident fields → Incident Core Extension ------------------------------------------------

#: criticality 0–100 from the four grades of Plan §1.4 (our mapping onto the extension's
#: qualitative scale: especially major = emergency … general = low)
CRITICALITY: dict[str, int] = {
    grading.Grade.ESPECIALLY_MAJOR.value: 95, grading.Grade.MAJOR.value: 80,
    grading.Grade.RELATIVELY_MAJOR.value: 60, grading.Grade.GENERAL.value: 30,
}
#: who told us (incidents.source) → detection-methods-ov (open vocabulary)
DETECTION_METHODS: dict[str, str] = {
    "unit": "unknown",  # the unit found it itself; how is not recorded
    "office": "unknown",
    "support": "external-notification",
    "monitoring": "automated-tool",
    "public": "user-reporting",
}


def investigation_status(state: str) -> str:
    """incident-investigation-ov: a report not yet received is ``new``; resolved or closed
    incidents are ``closed``; the rest ``open``."""
    if state == State.REPORTED.value:
        return "new"
    return "closed" if state in (State.RESOLVED.value, State.CLOSED.value) else "open"


def determination(state: str, report_finding: str | None) -> str:
    """incident-determination-enum: a report found false (Measures art. on false reports) is a
    ``false-positive``; one not yet received is ``suspected``; a received incident happened
    (``successful-attempt``)."""
    if report_finding == "false":
        return "false-positive"
    return "suspected" if state == State.REPORTED.value else "successful-attempt"


# --- indicators ↔ STIX patterns ---------------------------------------------------------------

_HASHES = {"sha256": "SHA-256", "sha1": "SHA-1", "md5": "MD5"}
_HASH_BACK = {v: k for k, v in _HASHES.items()}


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pattern_for(kind: str, value: str) -> str | None:
    """The STIX pattern of one of our indicators, or None (CVEs become vulnerabilities;
    ``other`` has no pattern)."""
    value = value.strip()
    if kind == "ip":
        return f"[{'ipv6-addr' if ':' in value else 'ipv4-addr'}:value = {_quote(value)}]"
    if kind == "domain":
        return f"[domain-name:value = {_quote(value)}]"
    if kind == "url":
        return f"[url:value = {_quote(value)}]"
    if kind == "email":
        return f"[email-addr:value = {_quote(value)}]"
    if kind in _HASHES:
        return f"[file:hashes.'{_HASHES[kind]}' = {_quote(value)}]"
    return None


_COMPARISON = re.compile(
    r"(?P<path>[a-z0-9-]+:[a-z_]+(?:\.'[^']+'|\.[A-Za-z0-9_-]+)?)\s*=\s*"
    r"'(?P<value>(?:[^'\\]|\\.)*)'")
_PATHS = {"ipv4-addr:value": "ip", "ipv6-addr:value": "ip", "domain-name:value": "domain",
          "url:value": "url", "email-addr:value": "email"}


def indicators_of(pattern: str) -> list[tuple[str, str]]:
    """Our (type, value) pairs from the equality comparisons of a STIX pattern; comparisons
    we have no type for are left out."""
    out = []
    for m in _COMPARISON.finditer(pattern):
        path = m["path"]
        value = re.sub(r"\\(.)", r"\1", m["value"])
        if path in _PATHS:
            out.append((_PATHS[path], value))
        elif path.startswith("file:hashes."):
            algo = path.removeprefix("file:hashes.").strip("'").upper().replace("SHA256", "SHA-256")
            algo = algo.replace("SHA1", "SHA-1")
            if algo in _HASH_BACK:
                out.append((_HASH_BACK[algo], value))
    return out


# --- building objects -------------------------------------------------------------------------

KINDS = ("incidents", "warnings", "monitoring")


@dataclass
class Entry:
    """One STIX object with the time it was added (or last changed) here, for TAXII."""

    obj: Any
    added: datetime
    kind: str
    tlp: Tlp


@dataclass
class _Builder:
    s: Session
    entries: list[Entry] = field(default_factory=list)
    identities: dict[int, Entry] = field(default_factory=dict)
    markings: dict[Tlp, Entry] = field(default_factory=dict)

    def identity(self, body_id: int, tlp: Tlp, added: datetime, kind: str) -> str:
        """The identity of a body; it carries the least restrictive TLP of what names it."""
        body = self.s.get(Body, body_id)
        existing = self.identities.get(body_id)
        if existing is not None:
            if tlp.rank < existing.tlp.rank or added < existing.added:
                tlp = min(tlp, existing.tlp, key=lambda t: t.rank)
                existing.obj = self._identity(body, tlp)
                existing.tlp, existing.added = tlp, min(added, existing.added)
            return existing.obj.id
        entry = Entry(self._identity(body, tlp), added, kind, tlp)
        self.identities[body_id] = entry
        return entry.obj.id

    def _identity(self, body: Body, tlp: Tlp) -> stix2.v21.Identity:
        self.mark(tlp, body.created_at, "identity")
        return stix2.v21.Identity(
            id=stix_id("identity", f"body:{body.key}"), created=body.created_at,
            modified=max(body.updated_at, body.created_at),
            name=f"{body.name_zh} {body.name_en}", identity_class="organization",
            description=f"{body.name_en} ({body.kind}, {body.jurisdiction.path})",
            roles=[body.kind] + ([body.function] if body.function else []),
            external_references=[{"source_name": SOURCE_NAME, "external_id": body.key}],
            object_marking_refs=[TLP2_MARKINGS[tlp]])

    def mark(self, tlp: Tlp, added: datetime, kind: str) -> str:
        entry = self.markings.get(tlp)
        if entry is None:
            self.markings[tlp] = Entry(marking(tlp), added, kind, Tlp.CLEAR)
        elif added < entry.added:
            entry.added = added
        return TLP2_MARKINGS[tlp]

    def add(self, obj: Any, added: datetime, kind: str, tlp: Tlp) -> None:
        self.entries.append(Entry(obj, added, kind, tlp))

    # incidents

    def incident(self, inc: Incident) -> None:
        tlp = Tlp(inc.tlp)
        added = inc.updated_at
        creator = self.identity(inc.reporting_body_id or inc.subject_body_id, tlp, added,
                                "incidents")
        self.identity(inc.subject_body_id, tlp, added, "incidents")
        cat_zh, cat_en = get_taxonomy().label(inc.category)
        grade_zh, grade_en = grading.GRADE_LABELS[grading.Grade(inc.grade)]
        lines = [inc.description or inc.title,
                 f"类别 Category: {inc.category} {cat_zh} / {cat_en}"
                 + (f" ({inc.subcategory})" if inc.subcategory else ""),
                 f"分级 Grade: {grade_zh} / {grade_en}",
                 f"发现时间 Found at: {inc.found_at.isoformat()}",
                 f"报告时间 Reported at: {inc.reported_at.isoformat()}",
                 f"状态 State: {inc.state}"]
        if inc.resolved_at:
            lines.append(f"处置完成 Resolved at: {inc.resolved_at.isoformat()}")
        if inc.impact:
            lines.append(f"影响 Impact: {inc.impact}")
        if inc.measures:
            lines.append(f"措施 Measures: {inc.measures}")
        if inc.sector_code:
            lines.append(f"行业 Sector: {inc.sector_code}")
        ext: dict[str, Any] = {
            "extension_type": "property-extension",
            "determination": determination(inc.state, inc.report_finding),
            "investigation_status": investigation_status(inc.state),
            "criticality": CRITICALITY[inc.grade],
            "detection_methods": [DETECTION_METHODS.get(inc.source, "unknown")],
            "impacted_entity_counts": {"organizations": 1}
            | ({"information-systems": 1} if inc.system_id else {}),
        }
        labels = [f"category:{inc.category}", f"grade:{inc.grade}", f"state:{inc.state}",
                  f"source:{inc.source}"] + (["cii"] if inc.cii else [])
        self.add(stix2.v21.Incident(
            id=stix_id("incident", inc.ref), created=inc.created_at,
            modified=max(inc.updated_at, inc.created_at), name=inc.title,
            description="\n".join(lines), labels=labels, created_by_ref=creator,
            external_references=[{"source_name": SOURCE_NAME, "external_id": inc.ref}],
            object_marking_refs=[self.mark(tlp, added, "incidents")],
            extensions={INCIDENT_CORE_EXTENSION: ext}), added, "incidents", tlp)
        self._observables(inc, creator, tlp, added)

    def _observables(self, inc: Incident, creator: str, tlp: Tlp, added: datetime) -> None:
        """The incident's observables (issue 19): an indicator per IP, domain, URL, hash or
        email (patterns from ``pattern_for``), a vulnerability per CVE, each related to the
        incident. Internal notes and tasks are never exported."""
        mark = [self.mark(tlp, added, "incidents")]
        incident_id = stix_id("incident", inc.ref)
        for kind, value in casework.export_observables(self.s, [inc.id]).get(inc.id, ()):
            key = f"{inc.ref}:{kind}:{value}"
            if kind == "cve":
                obj: Any = stix2.v21.Vulnerability(
                    id=stix_id("vulnerability", key), created=inc.created_at,
                    modified=inc.updated_at, name=value, created_by_ref=creator,
                    external_references=[{"source_name": "cve", "external_id": value}],
                    object_marking_refs=mark)
            elif (pattern := pattern_for(kind, value)) is not None:
                obj = stix2.v21.Indicator(
                    id=stix_id("indicator", key), created=inc.created_at,
                    modified=inc.updated_at, name=f"{kind}: {value}"[:250], pattern=pattern,
                    pattern_type="stix", valid_from=inc.found_at, created_by_ref=creator,
                    description=inc.title, object_marking_refs=mark)
            else:
                continue
            self.add(obj, added, "incidents", tlp)
            self.add(stix2.v21.Relationship(
                id=stix_id("relationship", f"{key}:incident"), created=inc.created_at,
                modified=inc.updated_at, relationship_type="related-to", source_ref=obj.id,
                target_ref=incident_id, created_by_ref=creator, object_marking_refs=mark),
                added, "incidents", tlp)

    # warnings

    def warning(self, w: EarlyWarning) -> None:
        tlp = Tlp(w.tlp)
        added = w.updated_at
        issuer = self.identity(w.issuer_body_id, tlp, added, "warnings")
        items = json.loads(w.items or "[]")
        measures = json.loads(w.measures or "[]")
        lines = [f"预警级别 Level: {w.level}", f"类别 Category: {w.category}",
                 f"开始 Starts at: {w.starts_at.isoformat()}"]
        lines += [f"- {x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)}"
                  for x in items]
        lines += [f"* {m.get('text', '') if isinstance(m, dict) else m}" for m in measures]
        if w.lifted_at:
            lines.append(f"已解除 Lifted at: {w.lifted_at.isoformat()} {w.lift_reason or ''}")
        self.add(stix2.v21.Report(
            id=stix_id("report", w.ref), created=w.created_at,
            modified=max(w.updated_at, w.created_at), name=w.title,
            description="\n".join(lines), report_types=["threat-report"],
            published=w.published_at, object_refs=[issuer], created_by_ref=issuer,
            labels=[f"warning-level:{w.level}", f"category:{w.category}", f"state:{w.state}"],
            external_references=[{"source_name": SOURCE_NAME, "external_id": w.ref}],
            object_marking_refs=[self.mark(tlp, added, "warnings")]), added, "warnings", tlp)

    # monitoring

    def monitoring(self, item: MonitoringItem) -> None:
        tlp = Tlp(item.tlp)
        added = item.created_at
        creator = self.identity(item.body_id, tlp, added, "monitoring")
        mark = [self.mark(tlp, added, "monitoring")]
        refs: list[str] = []
        others: list[str] = []
        for ind in json.loads(item.indicators or "[]"):
            kind, value = ind["type"], ind["value"].strip()
            if kind == "cve" and SCHEMA_CVE.match(value):
                cve = value.upper()
                obj = stix2.v21.Vulnerability(
                    id=stix_id("vulnerability", f"{item.ref}:{cve}"), created=item.created_at,
                    modified=item.created_at, name=cve, created_by_ref=creator,
                    external_references=[{"source_name": "cve", "external_id": cve}],
                    object_marking_refs=mark)
            elif (pattern := pattern_for(kind, value)) is not None:
                obj = stix2.v21.Indicator(
                    id=stix_id("indicator", f"{item.ref}:{kind}:{value}"),
                    created=item.created_at, modified=item.created_at,
                    name=f"{kind}: {value}"[:250], pattern=pattern, pattern_type="stix",
                    valid_from=item.observed_at, created_by_ref=creator,
                    description=item.title, object_marking_refs=mark)
            else:
                others.append(f"{kind}: {value}")
                continue
            if obj.id not in refs:
                refs.append(obj.id)
                self.add(obj, added, "monitoring", tlp)
        description = item.observed + ("\n" + "\n".join(others) if others else "")
        self.add(stix2.v21.Grouping(
            id=stix_id("grouping", item.ref), created=item.created_at,
            modified=item.created_at, name=item.title, description=description,
            context="suspicious-activity", object_refs=refs or [creator], created_by_ref=creator,
            labels=[f"category:{item.category}"] if item.category else None,
            external_references=[{"source_name": SOURCE_NAME, "external_id": item.ref}],
            object_marking_refs=mark), added, "monitoring", tlp)

    def all(self) -> list[Entry]:
        return [*self.markings.values(), *self.identities.values(), *self.entries]


# --- use cases --------------------------------------------------------------------------------


def _since(value: datetime | date | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, time.min, tzinfo=UTC)


def _allowed(principal: Principal, permission: Permission) -> bool:
    return org_rules.has_permission(principal.roles, permission)


def collect(s: Session, principal: Principal, *, incidents: list[str] | None = None,
            warnings: list[str] | None = None, monitoring: list[str] | None = None,
            since: datetime | date | None = None, kinds: Iterable[str] = KINDS
            ) -> tuple[list[Entry], int]:
    """The STIX objects the caller may receive (scope AND TLP), with the number of items held
    back by TLP. ``None`` for a kind means every visible item; a list means those refs (a ref
    outside the caller's scope is a 404). Kinds the caller's roles cannot read are left out."""
    scope, body_id = principal.scope, principal.body_id
    after = _since(since)
    b = _Builder(s)
    withheld = 0
    kinds = set(kinds)

    def wanted(refs: list[str] | None, kind: str, permission: Permission) -> bool:
        if kind not in kinds or refs == []:
            return False
        if not _allowed(principal, permission):
            if refs:
                require(principal, permission)
            return False
        return True

    if wanted(incidents, "incidents", Permission.INCIDENT_READ):
        stmt = select(Incident).where(visible_incidents(scope))
        if incidents:
            stmt = stmt.where(Incident.ref.in_(incidents))
        if after:
            stmt = stmt.where(Incident.updated_at >= after)
        rows = s.scalars(stmt.order_by(Incident.id)).all()
        if after is None:
            _missing(incidents, [r.ref for r in rows], "incident")
        rel = relations.relations_to_incidents(s, body_id, rows, scope=scope)
        for inc in rows:
            if may_receive(inc.tlp, rel[inc.id]).allowed:
                b.incident(inc)
            else:
                withheld += 1
    if wanted(warnings, "warnings", Permission.WARNING_READ):
        stmt = select(EarlyWarning).where(visible_warnings(scope),
                                          EarlyWarning.published_at.is_not(None))
        if warnings:
            stmt = stmt.where(EarlyWarning.ref.in_(warnings))
        if after:
            stmt = stmt.where(EarlyWarning.updated_at >= after)
        rows = s.scalars(stmt.order_by(EarlyWarning.id)).all()
        if after is None:
            _missing(warnings, [r.ref for r in rows], "published warning")
        rel = relations.relations_to_warnings(s, body_id, rows, scope=scope)
        for w in rows:
            if may_receive(w.tlp, rel[w.id]).allowed:
                b.warning(w)
            else:
                withheld += 1
    if wanted(monitoring, "monitoring", Permission.MONITORING_READ):
        stmt = select(MonitoringItem).where(visible_items(scope))
        if monitoring:
            stmt = stmt.where(MonitoringItem.ref.in_(monitoring))
        if after:
            stmt = stmt.where(MonitoringItem.created_at >= after)
        rows = s.scalars(stmt.order_by(MonitoringItem.id)).all()
        if after is None:
            _missing(monitoring, [r.ref for r in rows], "monitoring item")
        rel = relations.relations_to_monitoring_items(s, body_id, rows, scope=scope)
        for item in rows:
            if may_receive(item.tlp, rel[item.id]).allowed:
                b.monitoring(item)
            else:
                withheld += 1
    return b.all(), withheld


def _missing(asked: list[str] | None, found: list[str], what: str) -> None:
    """A ref asked for by name and not found in scope is a 404 (not silently left out)."""
    if asked:
        missing = sorted(set(asked) - set(found))
        if missing:
            raise NotFound(f"no {what} {missing[0]!r}")


def bundle_of(entries: list[Entry]) -> dict:
    """A STIX 2.1 bundle (as JSON) of the entries; its id is derived from the objects' ids and
    versions, so the same export gives the same bundle."""
    objs = [e.obj for e in entries]
    key = ",".join(sorted(f"{o.id}@{o.get('modified', '')}" for o in objs))
    bundle = stix2.v21.Bundle(*objs, id=stix_id("bundle", key))
    return json.loads(bundle.serialize())


@dataclass(frozen=True)
class ExportResult:
    bundle: dict
    counts: dict[str, int]
    withheld: int


def export_bundle(uow: UnitOfWork, clock: Clock, *, principal: Principal,
                  incidents: list[str] | None = None, warnings: list[str] | None = None,
                  monitoring: list[str] | None = None, since: datetime | date | None = None
                  ) -> ExportResult:
    """A STIX 2.1 bundle of what the caller may export: inside its scope (Law art. 30) and
    within TLP 2.0's reach for its relation to each item. The export is audited."""
    now = clock.now()
    with uow() as s:
        entries, withheld = collect(s, principal, incidents=incidents, warnings=warnings,
                                    monitoring=monitoring, since=since)
        counts = {k: 0 for k in ("incident", "report", "grouping", "indicator",
                                 "vulnerability", "identity", "marking-definition")}
        for e in entries:
            counts[e.obj.type] = counts.get(e.obj.type, 0) + 1
        body = s.get(Body, principal.body_id)
        audit.record(s, at=now, actor=audit.Actor.of(principal), action="stix.export",
                     entity_type="stix", entity_key=body.key,
                     scope_path=body.jurisdiction.path,
                     detail={"counts": counts, "withheld": withheld,
                             "since": _since(since).isoformat() if since else None})
        return ExportResult(bundle_of(entries), counts, withheld)
