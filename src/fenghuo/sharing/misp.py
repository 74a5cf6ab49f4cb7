"""MISP events in MISP's JSON format, built and read with PyMISP (issue 8 item 5, issue 20 item 3;
Plan §3.2 sharing, Law art. 51 information sharing).

Export: incidents and monitoring items the caller may read (Law art. 30) **and** may receive
under TLP 2.0 (``sharing.tlp.may_receive`` for the body's ``sharing.relations`` relation to
each) become MISP events, written as a JSON list of ``{"Event": …}`` (what PyMISP's
``search()`` returns; each loads whole with ``MISPEvent().load``). Each event has ``info``,
``date``, ``threat_level_id`` from the grade (Plan §1.4), ``analysis`` from the state,
``distribution`` consistent with the TLP label, ``Orgc`` (the originating body) and ``Org``,
``timestamp``, ``published`` and ``publish_timestamp`` (a monitoring item is published when
submitted; an incident once resolved or closed), the machine tags ``tlp:…`` (MISP taxonomy
"tlp", verbatim: ``tlp:amber+strict``), **one** ``rsit:…`` tag (:func:`rsit_tag`) and our
``fenghuo:category="…"``; its indicators as attributes and MISP objects (``file``, ``url``,
``domain-ip``, ``email``: ``sharing.misp_objects``, which also reads ``ip-src``/``ip-dst``),
ATT&CK techniques of kept STIX context as ``mitre-attack-pattern`` galaxies, and the ref as an
``Internal reference`` text attribute. Attribute, object and organisation UUIDs are stored in
``exchange_ids`` (kinds ``misp-attribute``, ``misp-object``, ``misp-org``) and the same in
every export; event UUIDs are UUIDv5 of the ref (an imported event keeps its own).

Import: a file with one event, a list of events or a MISP ``{"response": [...]}`` becomes
monitoring items of the importing body (Plan §3.2: monitoring information), with the
indicators of the attributes, the TLP of the ``tlp:`` tag (AMBER when there is none, a 422
naming an unknown one) and a category found back from the ``fenghuo:category`` or ``rsit:``
tags; the rest of the event is kept as context (``sharing.misp_context``) and exported again
with the item. An event already imported (``ImportedObject(source="misp",
external_id="<body key>|<event uuid>")``) is not imported twice by the same body.

The mapping half of this module (``build_event``, ``tlp_from_tags``, …) touches no database;
``sharing.misp_feed`` serves the events as a MISP feed.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError as PydanticValidationError
from pymisp import MISPEvent, MISPGalaxy, MISPObject, MISPOrganisation
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
from fenghuo.sharing import exchange_ids, intel, misp_context, misp_objects
from fenghuo.sharing.models import ImportedObject, IncidentShare, IntelObject
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

#: our indicator types → MISP attribute types (``ip`` is ``ip-src`` or ``ip-dst`` by the
#: item's category: ``misp_objects.ip_direction``); MISP types read back as indicators
ATTRIBUTE_TYPE = {"ip": "ip-dst", **misp_objects.ATTRIBUTE_TYPE}
INDICATOR_TYPE = misp_context.INDICATOR_TYPE

REF_CATEGORY = "Internal reference"  # the attribute carrying our ref


def tlp_tag(tlp: Tlp | str) -> str:
    """The MISP machine tag of a label, as in the "tlp" taxonomy: ``tlp:amber+strict``."""
    return f"tlp:{Tlp(tlp).value}"


#: RSIT's value for something whose RSIT class is not known (misp-rsit-machinetag: "The
#: categorisation of the incident is unknown/undetermined")
UNDETERMINED = 'rsit:other="undetermined"'
#: our own machine tags carrying the Plan annex 1 code, so that a round trip keeps it
CATEGORY_TAG, SUBCATEGORY_TAG = "fenghuo:category", "fenghuo:subcategory"


def rsit_tag(category: str | None, subcategory: str | None = None) -> str | None:
    """The one RSIT tag of an event: its subcategory's (``Taxonomy.rsit_tag``), else its
    category's own, else ``rsit:other="undetermined"`` for a category whose subcategories span
    several RSIT classes (network-attack: DoS, intrusion, scanning …) when the subcategory is
    not known (monitoring information carries only a category); None without a category."""
    taxonomy = get_taxonomy()
    for code in (subcategory, category):
        if code and (taxonomy.category(code) or taxonomy.subcategory(code)):
            tag = taxonomy.rsit_tag(code)
            if tag:
                return tag
    return UNDETERMINED if category and taxonomy.category(category) else None


def rsit_tags(category: str | None, subcategory: str | None = None) -> tuple[str, ...]:
    """The RSIT tags of an event: at most one (:func:`rsit_tag`)."""
    tag = rsit_tag(category, subcategory)
    return (tag,) if tag else ()


def category_tags(category: str | None, subcategory: str | None = None) -> list[str]:
    """``fenghuo:category="…"`` (and ``fenghuo:subcategory="…"``): the Plan annex 1 codes."""
    out = [f'{CATEGORY_TAG}="{category}"'] if category else []
    return out + ([f'{SUBCATEGORY_TAG}="{subcategory}"'] if subcategory else [])


def category_from_tags(tags: Iterable[str]) -> str | None:
    """The Plan annex 1 category of an event: our ``fenghuo:category`` tag when it names a
    known category, else what its ``rsit:`` tags point back to."""
    taxonomy = get_taxonomy()
    for tag in tags:
        if tag.startswith(f'{CATEGORY_TAG}="') and tag.endswith('"'):
            code = tag[len(CATEGORY_TAG) + 2:-1]
            if taxonomy.category(code):
                return code
    return category_from_rsit(tags)


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
    uuid: str | None = None  # the event's; by default :func:`event_uuid` of the ref
    orgc: tuple[str, str] | None = None  # (name, uuid) of the originating body
    org: tuple[str, str] | None = None  # (name, uuid) of the body holding it here
    timestamp: datetime | None = None  # last change
    published: bool = False
    publish_timestamp: datetime | None = None
    #: kept context (``sharing.intel.linked``): MISP dicts of an import, STIX attack patterns
    context: tuple[dict[str, Any], ...] = ()
    #: stored UUIDs (``sharing.exchange_ids``) by local key, for attributes and objects
    uuids: Mapping[str, str] = field(default_factory=dict)


def event_uuid(ref: str) -> str:
    return str(uuid.uuid5(EVENT_NAMESPACE, f"fenghuo:{ref}"))


def planned(data: EventData) -> tuple[list[misp_objects.Planned],
                                      list[misp_objects.PlannedObject]]:
    """The attributes and objects written for the indicators not already in kept context."""
    covered = misp_context.restore(data.context).covered()
    fresh = [(k, v) for k, v in data.indicators if (k, v) not in covered]
    return misp_objects.plan(fresh, data.category, data.subcategory)


def local_keys(data: EventData) -> tuple[list[str], list[str]]:
    """The ``exchange_ids`` keys an event needs: (attributes, objects)."""
    plain, objects = planned(data)
    attributes = [misp_objects.local_key(data.ref, "ref", data.ref)]
    attributes += [p.key(data.ref) for p in plain]
    attributes += [p.key(data.ref) for o in objects for p in o.attributes]
    return attributes, [o.key(data.ref) for o in objects]


def _stamp(moment: datetime | None) -> int:
    return int(moment.timestamp()) if moment else 0


def build_event(data: EventData) -> MISPEvent:
    """A PyMISP event for ``data``, offline: kept context first (as received), then the
    indicators it does not carry, as attributes and objects (``sharing.misp_objects``)."""
    kept = misp_context.restore(data.context)
    event = MISPEvent(force_timestamps=True)
    event.uuid = data.uuid or event_uuid(data.ref)
    event.info = data.info
    event.set_date(data.day)
    event.threat_level_id = data.threat_level_id
    event.analysis = data.analysis
    event.distribution = DISTRIBUTION[data.tlp]
    for attr, org in (("Orgc", data.orgc), ("Org", data.org)):
        if org:
            setattr(event, attr, _organisation(*org))
    event.timestamp = _stamp(data.timestamp)
    event.published = data.published
    event.publish_timestamp = _stamp(data.publish_timestamp) if data.published else 0
    _add_tags(event, data, kept)
    _add_galaxies(event, data, kept)
    stamp = {"timestamp": _stamp(data.timestamp)}
    for raw in kept.attributes:
        event.add_attribute(**copy.deepcopy(raw))
    for raw in kept.objects:
        event.add_object(copy.deepcopy(raw))
    plain, objects = planned(data)
    for p in plain:
        event.add_attribute(p.misp_type, p.value, to_ids=p.to_ids,
                            uuid=data.uuids.get(p.key(data.ref)), **stamp)
    for o in objects:
        obj = MISPObject(o.name, standalone=False)
        obj.uuid = data.uuids.get(o.key(data.ref)) or obj.uuid
        obj.timestamp = stamp["timestamp"]
        for p in o.attributes:
            obj.add_attribute(p.relation, value=p.value, type=p.misp_type, to_ids=p.to_ids,
                              uuid=data.uuids.get(p.key(data.ref)), **stamp)
        event.add_object(obj)
    event.add_attribute("text", data.ref, category=REF_CATEGORY, to_ids=False,
                        uuid=data.uuids.get(misp_objects.local_key(data.ref, "ref", data.ref)),
                        comment=f"Fenghuo {data.kind} {data.ref}" + (
                            f": {data.comment}" if data.comment else ""), **stamp)
    return event


def _organisation(name: str, org_uuid: str) -> MISPOrganisation:
    org = MISPOrganisation()
    org.name, org.uuid = name, org_uuid
    return org


def _add_tags(event: MISPEvent, data: EventData, kept: misp_context.Restored) -> None:
    """Our TLP (the item's label governs, whatever the source said), the kept tags, one RSIT
    tag (the kept ones when the source had any) and our category tags."""
    received = [t for t in kept.tags() if not str(t["name"]).lower().startswith("tlp:")]
    names = [str(t["name"]) for t in received]
    event.add_tag(tlp_tag(data.tlp))
    for tag in received:
        event.add_tag(copy.deepcopy(tag))
    if not any(n.startswith("rsit:") for n in names):
        for tag in rsit_tags(data.category, data.subcategory):
            event.add_tag(tag)
    for tag in category_tags(data.category, data.subcategory):
        if tag not in names:
            event.add_tag(tag)


def _add_galaxies(event: MISPEvent, data: EventData, kept: misp_context.Restored) -> None:
    """The kept galaxies, and ATT&CK techniques of the STIX context as ``mitre-attack-pattern``
    clusters; each cluster's tag on the event too (MISP feeds carry galaxies as tags)."""
    galaxies = [copy.deepcopy(g) for g in kept.galaxies()]
    known = {c.get("value") for g in galaxies for c in g.get("GalaxyCluster") or ()}
    techniques = [t for t in misp_objects.attack_patterns(data.context)
                  if misp_objects.attack_cluster(*t)["value"] not in known]
    extra = misp_objects.attack_galaxy(techniques)
    galaxies += [extra] if extra else []
    names = {t.name for t in event.tags}
    for raw in galaxies:
        galaxy = MISPGalaxy()
        galaxy.from_dict(**raw)
        event.add_galaxy(galaxy)
        for cluster in raw.get("GalaxyCluster") or ():
            tag = cluster.get("tag_name")
            if tag and tag not in names:
                event.add_tag(tag)
                names.add(tag)


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
    """The monitoring item an event becomes, and how many attributes are not indicators here
    (other types, values too long, beyond the limit: kept as context by the import)."""
    tags = event_tags(event)
    tlp = tlp_from_tags(tags, where)
    attributes = list(event.attributes) + [a for o in event.objects for a in o.attributes]
    indicators: dict[tuple[str, str], IndicatorIn] = {}
    refs: list[str] = []
    left_out = 0
    for a in attributes:
        raw = {"type": a.type, "value": getattr(a, "value", ""),
               "category": getattr(a, "category", None), "comment": getattr(a, "comment", "")}
        if raw["category"] == REF_CATEGORY and a.type == "text":
            refs.append(str(raw["value"] or "").strip())
            continue
        pair = misp_context.indicator_of(raw)
        if pair is None or len(indicators) >= MAX_INDICATORS:
            left_out += 1
            continue
        indicators.setdefault(pair, IndicatorIn(type=pair[0], value=pair[1]))
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
            observed_at=min(observed_at, now), category=_top_category(category_from_tags(tags)),
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
    """The events (PyMISP's and ``{"Event": …}`` each) and what was in scope but withheld by
    TLP."""

    events: list[dict[str, Any]] = field(default_factory=list)
    withheld: list[Withheld] = field(default_factory=list)
    misp: list[MISPEvent] = field(default_factory=list)

    def document(self) -> list[dict[str, Any]]:
        """A JSON list of ``{"Event": …}``: what PyMISP's ``search()`` returns for events, each
        loaded whole by ``MISPEvent().load(e)`` (pymisp/api.py), and what our import reads."""
        return self.events

    def response_document(self) -> dict[str, Any]:
        """The older shape, as MISP's REST search wraps it: ``{"response": [...]}``."""
        return {"response": self.events}


KINDS = ("incident", "monitoring", "all")


@dataclass
class _Source:
    """One exportable thing before its ids are read: the event data, the relation TLP checks,
    the body that originated it and, for a monitoring item, its id (for its kept context)."""

    data: EventData
    relation: Relation
    body_id: int
    item_id: int | None = None


def _incident_event(incident: Incident, tz: ZoneInfo,
                    observables: tuple[tuple[str, str], ...] = ()) -> EventData:
    """An incident's event has the ref attribute, the tags, the levels and one attribute per
    observable recorded on it (issue 19; internal notes are never exported). It is published
    once the incident is resolved or closed (its account is final), unpublished before."""
    done = incident.state in ("resolved", "closed")
    return EventData(
        ref=incident.ref, kind="incident", info=f"{incident.ref} {incident.title}",
        day=incident.found_at.astimezone(tz).date(), tlp=Tlp(incident.tlp),
        threat_level_id=THREAT_LEVEL.get(incident.grade, 4),
        analysis=ANALYSIS.get(incident.state, 0), category=incident.category,
        subcategory=incident.subcategory, indicators=observables,  # issue 19: observables
        comment=f"grade {incident.grade}, state {incident.state}",
        timestamp=incident.updated_at, published=done,
        publish_timestamp=(incident.resolved_at or incident.updated_at) if done else None)


def _monitoring_event(item: MonitoringItem, tz: ZoneInfo) -> EventData:
    """A monitoring item is information already shared when submitted (Plan §3.2): published,
    at its submission time, which is also its last change (items are not edited)."""
    indicators = tuple((i["type"], i["value"]) for i in json.loads(item.indicators or "[]"))
    return EventData(
        ref=item.ref, kind="monitoring", info=f"{item.ref} {item.title}",
        day=item.observed_at.astimezone(tz).date(), tlp=Tlp(item.tlp),
        threat_level_id=2 if item.important else 4, analysis=0, category=item.category,
        indicators=indicators, comment="important" if item.important else "",
        timestamp=item.created_at, published=True, publish_timestamp=item.created_at)


def export_events(uow: UnitOfWork, *, principal: Principal, kind: str = "all",
                  refs: list[str] | None = None, since: datetime | None = None,
                  until: datetime | None = None, limit: int = MAX_EVENTS,
                  timezone: str = DEFAULT_TIMEZONE, now: datetime | None = None) -> MispExport:
    """Incidents and/or monitoring items as MISP events: those the caller's scope reads (Law
    art. 30) and TLP 2.0 lets it receive; ``since``/``until`` bound the reporting (incident) or
    observation (monitoring) time, ``until`` excluded; ``refs`` keeps only those refs. The
    newest ``limit`` of each kind in scope are read, then TLP withholds some (``withheld``).
    Attribute, object and organisation UUIDs are read from (or drawn into) ``exchange_ids``
    in the same transaction, so every export gives the same ones."""
    if kind not in KINDS:
        raise ValidationFailed([FieldError("kind", f"expected one of {', '.join(KINDS)}")])
    if kind in ("incident", "all"):
        require(principal, Permission.INCIDENT_READ)
    if kind in ("monitoring", "all"):
        require(principal, Permission.MONITORING_READ)
    limit = max(1, min(limit, MAX_EVENTS))
    tz = ZoneInfo(timezone)
    result = MispExport()
    sources: list[_Source] = []
    with uow() as s:
        if kind in ("incident", "all"):
            sources += _incidents(s, principal.scope, refs, since, until, limit, tz)
        if kind in ("monitoring", "all"):
            sources += _items(s, principal.scope, refs, since, until, limit, tz)
        allowed: list[_Source] = []
        for source in sources:
            decision = may_receive(source.data.tlp, source.relation)
            if not decision.allowed:
                result.withheld.append(Withheld(source.data.ref, source.data.tlp.value,
                                                [r.as_dict() for r in decision.refusals]))
            elif len(allowed) < limit:
                allowed.append(source)
        ready = _with_ids(s, allowed, now or datetime.now(UTC))
    result.misp = [build_event(data) for data in ready]
    result.events = [event_document(e) for e in result.misp]
    return result


def ref_of_event(uow: UnitOfWork, *, principal: Principal, event: str) -> str | None:
    """The ref of the incident or monitoring item in the caller's scope whose event has this
    uuid (an imported event's own, else the UUIDv5 of the ref), without building any event;
    TLP is checked by the export that follows."""
    wanted = event.lower()
    with uow() as s:
        kept = s.scalar(select(MonitoringItem.ref).join(
            IntelObject, IntelObject.monitoring_item_id == MonitoringItem.id).where(
            IntelObject.stix_id == f"misp-event--{wanted}",
            monitoring.visible_items(principal.scope)).limit(1))
        if kept:
            return kept
        shared = Incident.id.in_(select(IncidentShare.incident_id).where(
            IncidentShare.body_id == principal.scope.body_id))
        refs = [*s.scalars(select(MonitoringItem.ref).where(
                    monitoring.visible_items(principal.scope))),
                *s.scalars(select(Incident.ref).where(
                    visible_incidents(principal.scope) | shared))]
    return next((ref for ref in refs if event_uuid(ref) == wanted), None)


def _with_ids(s: Session, sources: list[_Source], now: datetime) -> list[EventData]:
    """The events with their organisations, kept context and stored UUIDs. An imported event
    keeps its uuid and originating organisation (MISP then updates it instead of copying it);
    should two items carry the same one, the second is named by its own ref."""
    context = intel.linked(s, [x.item_id for x in sources if x.item_id is not None])
    bodies = {b.id: b for b in s.scalars(select(Body).where(
        Body.id.in_({x.body_id for x in sources})))}
    orgs = exchange_ids.uuids_for(s, "misp-org", [b.key for b in bodies.values()], now=now)
    out: list[EventData] = []
    used: set[str] = set()
    for x in sources:
        body = bodies[x.body_id]
        org = (f"{body.name_en} {body.name_zh}", orgs[body.key])
        kept = tuple(context.get(x.item_id, ())) if x.item_id is not None else ()
        received = misp_context.restore(kept).event
        own = str(received.get("uuid") or "") or None
        orgc = received.get("Orgc") or {}
        data = replace(x.data, context=kept, org=org,
                       uuid=own if own and own not in used else None,
                       orgc=(str(orgc["name"]), str(orgc["uuid"]))
                       if orgc.get("name") and orgc.get("uuid") else org)
        used.add(data.uuid or event_uuid(data.ref))
        out.append(data)
    attribute_keys, object_keys = [], []
    for data in out:
        a, o = local_keys(data)
        attribute_keys += a
        object_keys += o
    uuids = {**exchange_ids.uuids_for(s, "misp-attribute", attribute_keys, now=now),
             **exchange_ids.uuids_for(s, "misp-object", object_keys, now=now)}
    return [replace(d, uuids=uuids) for d in out]


def _incidents(s: Session, scope: Scope, refs: list[str] | None, since: datetime | None,
               until: datetime | None, limit: int, tz: ZoneInfo) -> list[_Source]:
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
    return [_Source(_incident_event(i, tz, observables.get(i.id, ())), relations[i.id],
                    i.reporting_body_id or i.subject_body_id) for i in rows]


def _items(s: Session, scope: Scope, refs: list[str] | None, since: datetime | None,
           until: datetime | None, limit: int, tz: ZoneInfo) -> list[_Source]:
    stmt = select(MonitoringItem).where(monitoring.visible_items(scope))
    if refs:
        stmt = stmt.where(MonitoringItem.ref.in_(refs))
    if since:
        stmt = stmt.where(MonitoringItem.observed_at >= since)
    if until:
        stmt = stmt.where(MonitoringItem.observed_at < until)
    rows = list(s.scalars(stmt.order_by(MonitoringItem.id.desc()).limit(limit)))
    relations = relations_to_monitoring_items(s, scope.body_id, rows, scope=scope)
    return [_Source(_monitoring_event(i, tz), relations[i.id], i.body_id, i.id) for i in rows]


# --- import -----------------------------------------------------------------------------------


@dataclass
class Imported:
    uuid: str
    ref: str | None  # the monitoring item; None for a duplicate the caller cannot read
    created: bool
    indicators: int = 0
    left_out: int = 0
    tlp: str = DEFAULT.value
    kept: int = 0  # context objects kept (sharing.intel): event, attributes, objects
    dropped: list[dict] = field(default_factory=list)  # {"id", "type", "reason"}


def import_events(uow: UnitOfWork, clock: Clock, *, principal: Principal, document: Any,
                  timezone: str = DEFAULT_TIMEZONE) -> list[Imported]:
    """Import the events of a MISP JSON document as monitoring information of the caller's
    body (Plan §3.2, Law arts. 51–52), in one transaction; an event imported before (by its
    uuid) is reported, not created again. What the item cannot hold (attribute types and
    directions, ``to_ids``, objects, tags, galaxies) is kept as context linked to it
    (``sharing.misp_context``, ``sharing.intel.keep``) and exported again with it."""
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
                seen[key] = _import_one(s, principal, mine, key, event, data, left_out, now)
                out.append(seen[key])
            s.flush()
    except IntegrityError as exc:
        raise Conflict("these MISP events are being imported concurrently; try again") from exc
    return out


def _import_one(s: Session, principal: Principal, mine: str, key: str, event: MISPEvent,
                data: MonitoringIn, left_out: int, now: datetime) -> Imported:
    item = monitoring.write_item(s, principal, data, now, None)
    s.add(ImportedObject(source=SOURCE, external_id=f"{mine}|{key}"[:200],
                         monitoring_item_id=item.id, imported_by=principal.username,
                         imported_at=now))
    normal = json.loads(event.to_json())
    normal["uuid"] = key
    kept, dropped = misp_context.split(normal, REF_CATEGORY)
    for obj in kept:
        intel.keep(s, body_id=principal.body_id, origin=SOURCE, obj=obj, item_id=item.id,
                   tlp=item.tlp, imported_by=principal.username, now=now)
    audit.record(s, at=now, actor=audit.Actor.of(principal), action="misp.import",
                 entity_type="monitoring", entity_key=item.ref,
                 scope_path=item.jurisdiction_path,
                 detail={"event_uuid": key, "tlp": item.tlp,
                         "indicators": len(data.indicators), "kept": len(kept),
                         "dropped": len(dropped)})
    return Imported(key, item.ref, True, len(data.indicators), left_out, data.tlp.value,
                    len(kept), dropped)
