"""MISP events in MISP's JSON format, built and read offline with PyMISP (issue 8 item 5;
Plan §3.2 sharing, Law art. 51 information sharing).

Export: incidents and monitoring items the caller may read (Law art. 30) **and** may receive
under TLP 2.0 (``sharing.tlp.may_receive`` for the body's ``sharing.relations`` relation to
each) become MISP events: ``info``, ``date``,
``threat_level_id`` from the grade (Plan §1.4), ``analysis`` from the state, ``distribution``
consistent with the TLP label, the machine tags ``tlp:…`` (MISP taxonomy "tlp", exactly as
its predicates are written: ``tlp:amber+strict``) and ``rsit:…`` (MISP taxonomy "rsit", from the
category's mapping in ``rules/taxonomy.yaml``), one attribute per indicator and the item's ref
as an ``Internal reference`` text attribute.

Import: a file with one event, a list of events or a MISP ``{"response": [...]}`` becomes
monitoring items of the importing body (Plan §3.2: monitoring information), with the
indicators of the attributes, the TLP of the ``tlp:`` tag (AMBER when there is none, a 422
naming an unknown one) and a category found back from the ``rsit:`` tags; an event already
imported (``ImportedObject(source="misp", external_id="<body key>|<event uuid>")``) is not
imported twice by the same body.

The mapping half of this module (``build_event``, ``tlp_from_tags``, …) touches no database.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError as PydanticValidationError
from pymisp import MISPEvent
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import Conflict, FieldError, ValidationFailed
from fenghuo.common.scope import Principal, Scope
from fenghuo.db.session import UnitOfWork
from fenghuo.incident import casework
from fenghuo.incident.models import Incident
from fenghuo.incident.scoping import visible_incidents
from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.org.models import Body
from fenghuo.org.rules import Permission
from fenghuo.org.service import require
from fenghuo.sharing.models import ImportedObject, IncidentShare
from fenghuo.sharing.relations import relations_to_incidents, relations_to_monitoring_items
from fenghuo.sharing.tlp import DEFAULT, Relation, Tlp, may_receive
from fenghuo.warning import monitoring
from fenghuo.warning.models import MonitoringItem
from fenghuo.warning.schemas import IndicatorIn, MonitoringIn

SOURCE = "misp"
#: the namespace of the UUIDs of exported events: the same item is always the same event, so a
#: MISP instance (or another Fenghuo) updates it instead of duplicating it
EVENT_NAMESPACE = uuid.UUID("5d0c6f9e-4a1b-5f0e-9c4e-66656e676875")
DEFAULT_TIMEZONE = "Asia/Shanghai"
MAX_EVENTS = 1000  # per import or export
MAX_INDICATORS = 1000  # MonitoringIn.indicators

# --- the mapping, pure ------------------------------------------------------------------------

#: MISP distribution levels: 0 your organisation only, 1 this community only, 2 connected
#: communities, 3 all communities. A label that stops at the organisation (AMBER,
#: AMBER+STRICT, RED) stays in the organisation; GREEN stays in the community; CLEAR goes to all.
DISTRIBUTION: dict[Tlp, int] = {Tlp.CLEAR: 3, Tlp.GREEN: 1, Tlp.AMBER: 0, Tlp.AMBER_STRICT: 0,
                                Tlp.RED: 0}

#: MISP threat levels (1 high, 2 medium, 3 low, 4 undefined) from the grades of Plan §1.4
THREAT_LEVEL: dict[str, int] = {"especially_major": 1, "major": 1, "relatively_major": 2,
                                "general": 3}

#: MISP analysis (0 initial, 1 ongoing, 2 completed) from the incident states
ANALYSIS: dict[str, int] = {"reported": 0, "acknowledged": 0, "handling": 1, "resolved": 2,
                            "closed": 2}

#: our indicator types (warning.schemas.IndicatorType) → MISP attribute types
ATTRIBUTE_TYPE: dict[str, str] = {"ip": "ip-dst", "domain": "domain", "url": "url",
                                  "md5": "md5", "sha1": "sha1", "sha256": "sha256",
                                  "cve": "vulnerability", "email": "email", "other": "text"}

#: MISP attribute types read back as indicators on import; others are left out
INDICATOR_TYPE: dict[str, str] = {
    "ip-dst": "ip", "ip-src": "ip", "domain": "domain", "hostname": "domain", "url": "url",
    "uri": "url", "link": "url", "md5": "md5", "sha1": "sha1", "sha256": "sha256",
    "vulnerability": "cve", "email": "email", "email-src": "email", "email-dst": "email",
    "ip-dst|port": "ip", "ip-src|port": "ip", "domain|ip": "domain", "hostname|port": "domain"}

REF_CATEGORY = "Internal reference"  # the attribute carrying our ref


def tlp_tag(tlp: Tlp | str) -> str:
    """The MISP machine tag of a label, as in the "tlp" taxonomy: ``tlp:amber+strict``."""
    return f"tlp:{Tlp(tlp).value}"


def rsit_tags(category: str | None, subcategory: str | None = None) -> tuple[str, ...]:
    """The RSIT machine tags of a category (or, when known, its subcategory), from the
    taxonomy's editorial mapping; none for an unknown or missing code."""
    taxonomy = get_taxonomy()
    for code in (subcategory, category):
        if code and (taxonomy.category(code) or taxonomy.subcategory(code)):
            tags = taxonomy.rsit_tags(code)
            if tags:
                return tags
    return ()


def category_from_rsit(tags: Iterable[str]) -> str | None:
    """The taxonomy code an event's ``rsit:`` tags point back to: the one subcategory (or
    category with its own tags) carrying all of them, else the one category they all fall
    under, else None."""
    wanted = {t for t in tags if t.startswith("rsit:")}
    if not wanted:
        return None
    taxonomy = get_taxonomy()
    nodes = [(c.code, c.code, set(c.rsit)) for c in taxonomy.categories] + [
        (s.code, c.code, set(s.rsit)) for c in taxonomy.categories for s in c.subcategories]
    exact = [code for code, _, own in nodes if own and wanted <= own]
    if len(exact) == 1:
        return exact[0]
    parents = {parent for _, parent, own in nodes if own & wanted}
    return parents.pop() if len(parents) == 1 else None


def _top_category(code: str | None) -> str | None:
    """Monitoring information carries a category, not a subcategory (``places.check_category``)."""
    sub = get_taxonomy().subcategory(code) if code else None
    return sub.category if sub else code


def tlp_from_tags(tags: Iterable[str], where: str = "tags") -> Tlp:
    """The label an event's ``tlp:`` tags give (the strictest, should there be several);
    :data:`fenghuo.sharing.tlp.DEFAULT` (AMBER) without one. An unknown ``tlp:`` value (say
    ``tlp:unclear``) is a 422 naming it: better refuse than guess a wider reach."""
    found: list[Tlp] = []
    for tag in tags:
        if not tag.lower().startswith("tlp:"):
            continue
        try:
            found.append(Tlp(tag))
        except ValueError:
            raise ValidationFailed([FieldError(where, f"unknown TLP tag {tag!r}; expected one "
                                                      "of " + ", ".join(tlp_tag(t) for t in Tlp))]
                                   ) from None
    return max(found, key=lambda t: t.rank) if found else DEFAULT


@dataclass(frozen=True)
class EventData:
    """What an exported event says, whatever it was made from."""

    ref: str
    kind: str  # incident, monitoring
    info: str
    day: date
    tlp: Tlp
    threat_level_id: int
    analysis: int
    category: str | None = None
    subcategory: str | None = None
    indicators: tuple[tuple[str, str], ...] = ()  # (our type, value)
    comment: str = ""


def event_uuid(ref: str) -> str:
    return str(uuid.uuid5(EVENT_NAMESPACE, f"fenghuo:{ref}"))


def build_event(data: EventData) -> MISPEvent:
    """A PyMISP event for ``data``, offline."""
    event = MISPEvent()
    event.uuid = event_uuid(data.ref)
    event.info = data.info
    event.set_date(data.day)
    event.threat_level_id = data.threat_level_id
    event.analysis = data.analysis
    event.distribution = DISTRIBUTION[data.tlp]
    event.add_tag(tlp_tag(data.tlp))
    for tag in rsit_tags(data.category, data.subcategory):
        event.add_tag(tag)
    for kind, value in data.indicators:
        misp_type = ATTRIBUTE_TYPE.get(kind, "text")
        event.add_attribute(misp_type, value, to_ids=misp_type not in ("text", "vulnerability"))
    event.add_attribute("text", data.ref, category=REF_CATEGORY, to_ids=False,
                        comment=f"Fenghuo {data.kind} {data.ref}" + (
                            f": {data.comment}" if data.comment else ""))
    return event


def event_document(event: MISPEvent) -> dict[str, Any]:
    """``{"Event": {...}}`` as MISP writes one event."""
    return {"Event": json.loads(event.to_json())}


def parse_events(document: Any) -> list[tuple[dict[str, Any], MISPEvent]]:
    """Events of a MISP JSON document: ``{"Event": …}``, a bare event, a list of either, or a
    ``{"response": [...]}`` from MISP's REST search. Each with its raw dict. 422 otherwise."""
    if isinstance(document, dict) and isinstance(document.get("response"), list):
        document = document["response"]
    raws = document if isinstance(document, list) else [document]
    if not raws:
        raise ValidationFailed([FieldError("events", "no MISP event in the document")])
    if len(raws) > MAX_EVENTS:
        raise ValidationFailed([FieldError("events", f"at most {MAX_EVENTS} events at a time")])
    out: list[tuple[dict[str, Any], MISPEvent]] = []
    for n, raw in enumerate(raws):
        if isinstance(raw, dict) and isinstance(raw.get("Event"), dict):
            raw = raw["Event"]
        where = f"events[{n}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("info"), str):
            raise ValidationFailed([FieldError(where, "not a MISP event (no 'info')")])
        try:
            uuid.UUID(str(raw.get("uuid")))
        except ValueError:
            raise ValidationFailed([FieldError(f"{where}.uuid", "a MISP event needs its uuid "
                                               "(so it is imported once)")]) from None
        event = MISPEvent()
        try:
            event.load({"Event": copy.deepcopy(raw)})  # PyMISP empties what it loads
        except Exception as exc:  # noqa: BLE001 - PyMISP raises many kinds on bad input
            raise ValidationFailed([FieldError(where, f"not a valid MISP event: {exc}")]
                                   ) from None
        out.append((raw, event))
    return out


def event_tags(event: MISPEvent) -> list[str]:
    return [t.name for t in event.tags if isinstance(getattr(t, "name", None), str)]


def monitoring_in(event: MISPEvent, tz: ZoneInfo, now: datetime, where: str = "tags"
                  ) -> tuple[MonitoringIn, int]:
    """The monitoring item an event becomes, and how many attributes were left out (types
    that are not indicators, values too long, beyond the limit)."""
    tags = event_tags(event)
    tlp = tlp_from_tags(tags, where)
    attributes = list(event.attributes) + [a for o in event.objects for a in o.attributes]
    indicators: dict[tuple[str, str], IndicatorIn] = {}
    refs: list[str] = []
    left_out = 0
    for a in attributes:
        kind = INDICATOR_TYPE.get(str(a.type))
        value = str(getattr(a, "value", "") or "").strip()
        if getattr(a, "category", None) == REF_CATEGORY and a.type == "text":
            refs.append(value)
            continue
        if "|" in str(a.type):  # composite (ip-dst|port, domain|ip): the first half
            value = value.split("|", 1)[0].strip()
        if kind is None or not value or len(value) > 2000 or len(indicators) >= MAX_INDICATORS:
            left_out += 1
            continue
        indicators.setdefault((kind, value), IndicatorIn(type=kind, value=value))
    day = getattr(event, "date", None)
    observed_at = (datetime.combine(day, time(0), tz).astimezone(UTC)
                   if isinstance(day, date) else now)
    info = (event.info or "").strip()
    lines = [f"MISP event {event.uuid}: {info}" if info else f"MISP event {event.uuid}"]
    lines += [f"Source reference: {r}" for r in refs]
    lines += [f"Tags: {', '.join(tags)}"] if tags else []
    try:
        data = MonitoringIn(
            title=(info or f"MISP event {event.uuid}")[:300], observed="\n".join(lines)[:20000],
            observed_at=min(observed_at, now), category=_top_category(category_from_rsit(tags)),
            indicators=list(indicators.values()), tlp=tlp)
    except PydanticValidationError as exc:
        raise ValidationFailed([FieldError(where.rsplit(".", 1)[0], e["msg"])
                                for e in exc.errors()]) from None
    return data, left_out


# --- export -----------------------------------------------------------------------------------


@dataclass
class Withheld:
    ref: str
    tlp: str
    reasons: list[dict]


@dataclass
class MispExport:
    """The events (``{"Event": …}`` each) and what was in scope but withheld by TLP."""

    events: list[dict[str, Any]] = field(default_factory=list)
    withheld: list[Withheld] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        """As MISP's REST search answers: ``{"response": [{"Event": …}, …]}``."""
        return {"response": self.events}


KINDS = ("incident", "monitoring", "all")


def _incident_event(incident: Incident, tz: ZoneInfo,
                    observables: tuple[tuple[str, str], ...] = ()) -> EventData:
    """An incident's event has the ref attribute, the tags, the levels and one attribute per
    observable recorded on it (issue 19; internal notes are never exported)."""
    return EventData(
        ref=incident.ref, kind="incident", info=f"{incident.ref} {incident.title}",
        day=incident.found_at.astimezone(tz).date(), tlp=Tlp(incident.tlp),
        threat_level_id=THREAT_LEVEL.get(incident.grade, 4),
        analysis=ANALYSIS.get(incident.state, 0), category=incident.category,
        subcategory=incident.subcategory, indicators=observables,  # issue 19: observables
        comment=f"grade {incident.grade}, state {incident.state}")


def _monitoring_event(item: MonitoringItem, tz: ZoneInfo) -> EventData:
    indicators = tuple((i["type"], i["value"]) for i in json.loads(item.indicators or "[]"))
    return EventData(
        ref=item.ref, kind="monitoring", info=f"{item.ref} {item.title}",
        day=item.observed_at.astimezone(tz).date(), tlp=Tlp(item.tlp),
        threat_level_id=2 if item.important else 4, analysis=0, category=item.category,
        indicators=indicators, comment="important" if item.important else "")


def export_events(uow: UnitOfWork, *, principal: Principal, kind: str = "all",
                  refs: list[str] | None = None, since: datetime | None = None,
                  until: datetime | None = None, limit: int = MAX_EVENTS,
                  timezone: str = DEFAULT_TIMEZONE) -> MispExport:
    """Incidents and/or monitoring items as MISP events: those the caller's scope reads (Law
    art. 30) and TLP 2.0 lets it receive; ``since``/``until`` bound the reporting (incident) or
    observation (monitoring) time, ``until`` excluded; ``refs`` keeps only those refs. The
    newest ``limit`` of each kind in scope are read, then TLP withholds some (``withheld``)."""
    if kind not in KINDS:
        raise ValidationFailed([FieldError("kind", f"expected one of {', '.join(KINDS)}")])
    if kind in ("incident", "all"):
        require(principal, Permission.INCIDENT_READ)
    if kind in ("monitoring", "all"):
        require(principal, Permission.MONITORING_READ)
    limit = max(1, min(limit, MAX_EVENTS))
    tz = ZoneInfo(timezone)
    result = MispExport()
    sources: list[tuple[EventData, Relation]] = []
    with uow() as s:
        if kind in ("incident", "all"):
            sources += _incidents(s, principal.scope, refs, since, until, limit, tz)
        if kind in ("monitoring", "all"):
            sources += _items(s, principal.scope, refs, since, until, limit, tz)
    for data, relation in sources:
        decision = may_receive(data.tlp, relation)
        if not decision.allowed:
            result.withheld.append(Withheld(data.ref, data.tlp.value,
                                            [r.as_dict() for r in decision.refusals]))
            continue
        if len(result.events) < limit:
            result.events.append(event_document(build_event(data)))
    return result


def _incidents(s: Session, scope: Scope, refs: list[str] | None, since: datetime | None,
               until: datetime | None, limit: int, tz: ZoneInfo
               ) -> list[tuple[EventData, Relation]]:
    shared = Incident.id.in_(select(IncidentShare.incident_id).where(
        IncidentShare.body_id == scope.body_id))
    stmt = select(Incident).where(visible_incidents(scope) | shared)
    if refs:
        stmt = stmt.where(Incident.ref.in_(refs))
    if since:
        stmt = stmt.where(Incident.reported_at >= since)
    if until:
        stmt = stmt.where(Incident.reported_at < until)
    rows = list(s.scalars(stmt.order_by(Incident.id.desc()).limit(limit)))
    relations = relations_to_incidents(s, scope.body_id, rows, scope=scope)
    observables = casework.export_observables(s, [i.id for i in rows])
    return [(_incident_event(i, tz, observables.get(i.id, ())), relations[i.id]) for i in rows]


def _items(s: Session, scope: Scope, refs: list[str] | None, since: datetime | None,
           until: datetime | None, limit: int, tz: ZoneInfo
           ) -> list[tuple[EventData, Relation]]:
    stmt = select(MonitoringItem).where(monitoring.visible_items(scope))
    if refs:
        stmt = stmt.where(MonitoringItem.ref.in_(refs))
    if since:
        stmt = stmt.where(MonitoringItem.observed_at >= since)
    if until:
        stmt = stmt.where(MonitoringItem.observed_at < until)
    rows = list(s.scalars(stmt.order_by(MonitoringItem.id.desc()).limit(limit)))
    relations = relations_to_monitoring_items(s, scope.body_id, rows, scope=scope)
    return [(_monitoring_event(i, tz), relations[i.id]) for i in rows]


# --- import -----------------------------------------------------------------------------------


@dataclass
class Imported:
    uuid: str
    ref: str | None  # the monitoring item; None for a duplicate the caller cannot read
    created: bool
    indicators: int = 0
    left_out: int = 0
    tlp: str = DEFAULT.value


def import_events(uow: UnitOfWork, clock: Clock, *, principal: Principal, document: Any,
                  timezone: str = DEFAULT_TIMEZONE) -> list[Imported]:
    """Import the events of a MISP JSON document as monitoring information of the caller's
    body (Plan §3.2, Law arts. 51–52), in one transaction; an event imported before (by its
    uuid) is reported, not created again."""
    require(principal, Permission.MONITORING_SUBMIT)
    events = parse_events(document)
    now = clock.now()
    tz = ZoneInfo(timezone)
    prepared = [(event, *monitoring_in(event, tz, now, f"events[{n}].Tag"))
                for n, (_, event) in enumerate(events)]
    out: list[Imported] = []
    try:
        with uow() as s:
            # one row per importing body (as for STIX): each body that imports an event gets
            # its own monitoring item, and its second import creates nothing
            mine = s.get(Body, principal.body_id).key
            seen: dict[str, Imported] = {}
            for event, data, left_out in prepared:
                key = str(uuid.UUID(str(event.uuid)))  # one spelling per event
                if key in seen:
                    out.append(Imported(key, seen[key].ref, False, tlp=data.tlp.value))
                    continue
                existing = s.scalar(select(ImportedObject).where(
                    ImportedObject.source == SOURCE,
                    ImportedObject.external_id == f"{mine}|{key}"[:200]))
                if existing is not None:
                    ref = s.scalar(select(MonitoringItem.ref).where(
                        MonitoringItem.id == existing.monitoring_item_id,
                        monitoring.visible_items(principal.scope)))
                    seen[key] = Imported(key, ref, False, tlp=data.tlp.value)
                    out.append(seen[key])
                    continue
                item = monitoring.write_item(s, principal, data, now, None)
                s.add(ImportedObject(source=SOURCE, external_id=f"{mine}|{key}"[:200],
                                     monitoring_item_id=item.id,
                                     imported_by=principal.username, imported_at=now))
                audit.record(s, at=now, actor=audit.Actor.of(principal), action="misp.import",
                             entity_type="monitoring", entity_key=item.ref,
                             scope_path=item.jurisdiction_path,
                             detail={"event_uuid": key, "tlp": item.tlp,
                                     "indicators": len(data.indicators)})
                seen[key] = Imported(key, item.ref, True, len(data.indicators), left_out,
                                     data.tlp.value)
                out.append(seen[key])
            s.flush()
    except IntegrityError as exc:
        raise Conflict("these MISP events are being imported concurrently; try again") from exc
    return out
