"""STIX 2.1 export of incidents, warnings and monitoring information as a graph (issue 8;
issue 20 item 1; Plan §3.2 sharing; Law arts. 29, 30, 51).

Objects are validated by the ``stix2`` library, so what we emit is STIX 2.1, and the export
passes ``stix2-validator --strict``:

* an incident is an ``incident`` SDO carrying the **Incident Core Extension**
  (``../shared/standards/stix21-incident-core-extension.json``): ``determination``,
  ``investigation_status``, ``criticality`` (from the grade), ``detection_methods`` (from the
  source of the report), ``impacted_entity_counts``; what the extension has no field for goes
  into ``description``, ``labels`` and Fenghuo's property extension (``sharing.stix_fenghuo``);
* a published warning is a ``report`` whose ``object_refs`` name its issuer, its regions and the
  monitoring items its risk assessment was based on (those the caller may receive);
* a monitoring item is a ``grouping`` of its ``indicator`` objects (IP, domain, URL, e-mail,
  hashes as STIX patterns, ``sharing.stix_patterns``), ``vulnerability`` objects (CVEs), an
  ``observed-data`` of its observables as SCOs, and the context an import brought with it
  (``sharing.intel``: malware, relationships, sightings … as received); each indicator has a
  ``sighting`` by the unit concerned, and ``indicates`` the imported malware (or other threat);
* an incident's observables (``incident.casework``) become indicators, vulnerabilities and an
  ``observed-data`` of SCOs, each ``related-to`` the incident;
* bodies are ``identity`` objects (names, sectors in STIX's industry-sector-ov, no internal
  paths) ``located-at`` the ``location`` of their province (ISO 3166-2:CN, ``sharing.iso3166``);
  incidents, groupings and reports are ``related-to`` the locations and units they concern.

Relationship types are those STIX 2.1's relationship summary (Appendix B) suggests for each
pair of types; STIX 2.1 suggests none for incident, grouping and report, so they use the
common ``related-to``. ``attributed-to`` only appears where an import brought it.

Ids: STIX 2.1 §2.9 wants UUIDv4 for SDOs, SROs and bundles: each object draws one on first
export and keeps it (``sharing.exchange_ids``, kind ``stix:<type>``), so the same data exported
twice has the same ids; ``created`` and ``modified`` come from the database, so the objects are
identical too. SCOs have the deterministic UUIDv5 of their value that §2.9 asks for. Every
object carries one of the five official TLP 2.0 ``marking-definition`` objects (OASIS
cti-stix-common-objects, extension-definitions/tlp-2.0: fixed ids).

An item is exported only when the caller's scope (Law art. 30: the scoped reads of
``incident.scoping``, ``warning.views``, ``warning.monitoring``) AND TLP 2.0
(``sharing.tlp.may_receive`` for the caller's relation to the item, ``sharing.relations``)
allow it.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import stix2
from sqlalchemy import select
from sqlalchemy.orm import Session
from stix2.utils import format_datetime

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
from fenghuo.org.models import Body, Jurisdiction
from fenghuo.org.rules import Permission
from fenghuo.org.service import require
from fenghuo.sharing import intel, iso3166, relations, stix_fenghuo, stix_patterns
from fenghuo.sharing.exchange_ids import uuids_for
from fenghuo.sharing.tlp import DEFAULT, Tlp, may_receive
from fenghuo.warning.models import EarlyWarning, MonitoringItem, RiskAssessment
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

#: namespace of the placeholder ids used while building, and of the TAXII collection ids
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:fenghuo:stix")
SOURCE_NAME = "fenghuo"
SCHEMA_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$", re.IGNORECASE)  # a CVE name, not a pattern

#: our sector codes (Law art. 31, seed_org.yaml) → STIX 2.1 industry-sector-ov (§10.14);
#: ``other`` has no counterpart and is left out
SECTORS: dict[str, str] = {
    "telecom": "telecommunications", "energy": "energy", "transport": "transportation",
    "water": "water", "finance": "financial-services",
    "public-services": "government-public-services", "e-government": "government",
}
#: what an indicator ``indicates`` (STIX 2.1 Appendix B): imported context of these types
INDICATES = frozenset({"attack-pattern", "campaign", "infrastructure", "intrusion-set",
                       "malware", "threat-actor", "tool"})
#: SCO classes of the observables' types (STIX 2.1 §6)
_SCO_CLASSES = {"ipv4-addr": stix2.v21.IPv4Address, "ipv6-addr": stix2.v21.IPv6Address,
                "domain-name": stix2.v21.DomainName, "url": stix2.v21.URL,
                "email-addr": stix2.v21.EmailAddress, "file": stix2.v21.File}
_KEY_MAX = 300  # exchange_ids.local_key


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


# --- indicators ↔ STIX patterns (built and parsed by stix2 / stix2-patterns) ------------------

pattern_for = stix_patterns.pattern_for
indicators_of = stix_patterns.indicators_of


def _ts(value: datetime) -> str:
    return format_datetime(value.astimezone(UTC))


# --- ids --------------------------------------------------------------------------------------


def _fit(key: str) -> str:
    """A local key within the column's 300 characters (long URLs: a prefix and a digest)."""
    if len(key) <= _KEY_MAX:
        return key
    return key[:_KEY_MAX - 65] + "#" + hashlib.sha256(key.encode()).hexdigest()


@dataclass
class _Ids:
    """Ids while building: a placeholder per (type, our key), swapped for the stored UUIDv4s
    in one query per type (``exchange_ids.uuids_for``) when the export is complete."""

    wanted: dict[str, tuple[str, str]] = field(default_factory=dict)

    def __call__(self, stix_type: str, key: str) -> str:
        placeholder = f"{stix_type}--{uuid.uuid5(NAMESPACE, f'{stix_type}:{key}')}"
        self.wanted[placeholder] = (stix_type, key)
        return placeholder

    def key(self, some_id: str) -> str:
        """Our key of a placeholder (for the keys of relationships), else the id itself."""
        found = self.wanted.get(some_id)
        return f"{found[0]}:{found[1]}" if found else some_id

    def resolve(self, s: Session, now: datetime) -> dict[str, str]:
        by_type: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for placeholder, (stix_type, key) in self.wanted.items():
            by_type[stix_type].append((placeholder, _fit(key)))
        out = {}
        for stix_type, pairs in by_type.items():
            got = uuids_for(s, f"stix:{stix_type}", [k for _, k in pairs], now=now)
            out.update({p: f"{stix_type}--{got[k]}" for p, k in pairs})
        return out


def _swap(value: Any, ids: dict[str, str]) -> Any:
    """The object with every placeholder id replaced."""
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, list):
        return [_swap(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _swap(v, ids) for k, v in value.items()}
    return value


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
class _Shared:
    """An object several exported items name (identity, location, SCO, the extension's
    definition): it is built once, at the least restrictive TLP of what names it."""

    make: Callable[[Tlp], dict]
    tlp: Tlp
    added: datetime
    kind: str


@dataclass
class _Builder:
    s: Session
    now: datetime
    ids: _Ids = field(default_factory=_Ids)
    pending: list[tuple[dict, datetime, str, Tlp]] = field(default_factory=list)
    shared: dict[str, _Shared] = field(default_factory=dict)
    markings: dict[Tlp, Entry] = field(default_factory=dict)
    received: dict[str, Entry] = field(default_factory=dict)
    places: dict[str, Jurisdiction | None] = field(default_factory=dict)

    # common parts

    def mark(self, tlp: Tlp, added: datetime, kind: str) -> list[str]:
        entry = self.markings.get(tlp)
        if entry is None:
            self.markings[tlp] = Entry(marking(tlp), added, kind, Tlp.CLEAR)
        elif added < entry.added:
            entry.added = added
        return [TLP2_MARKINGS[tlp]]

    def add(self, obj: dict, added: datetime, kind: str, tlp: Tlp) -> str:
        obj.setdefault("spec_version", "2.1")
        obj["object_marking_refs"] = self.mark(tlp, added, kind)
        self.pending.append((obj, added, kind, tlp))
        return obj["id"]

    def share(self, key: str, make: Callable[[Tlp], dict], tlp: Tlp, added: datetime,
              kind: str) -> None:
        found = self.shared.get(key)
        if found is None:
            self.shared[key] = _Shared(make, tlp, added, kind)
            return
        found.tlp = min(tlp, found.tlp, key=lambda t: t.rank)
        found.added = min(added, found.added)

    def relate(self, source: str, rel: str, target: str, about: dict, kind: str, tlp: Tlp,
               added: datetime) -> str:
        """A relationship (STIX 2.1 §5.1) versioned with the object ``about`` it describes."""
        key = f"{self.ids.key(source)}|{rel}|{self.ids.key(target)}"
        return self.add({
            "type": "relationship", "id": self.ids("relationship", key),
            "created": about["created"], "modified": about["modified"],
            "relationship_type": rel, "source_ref": source, "target_ref": target,
            "created_by_ref": about.get("created_by_ref")}, added, kind, tlp)

    def extension(self, added: datetime, what: str, **values: Any) -> dict:
        """Fenghuo's property extension, and its definition (with the Fenghuo identity that
        defines it) in the bundle."""
        for key, make in (("fenghuo:identity", stix_fenghuo.identity),
                          ("fenghuo:definition", stix_fenghuo.definition)):
            self.share(key, lambda t, make=make: make() | {
                "object_marking_refs": self.mark(Tlp.CLEAR, added, what)},
                Tlp.CLEAR, added, what)
        return stix_fenghuo.extension(**values)

    # identities and locations

    def identity(self, body: Body, tlp: Tlp, added: datetime, kind: str) -> str:
        """The identity of a body, located at its province."""
        ident = self.ids("identity", body.key)
        self.share(f"identity:{body.id}", lambda t: self._identity(body, ident, t), tlp,
                   added, kind)
        place = self.location(body.jurisdiction.division_code or body.jurisdiction.code, tlp,
                              added, kind)
        self.share(f"located-at:{body.id}", lambda t: self._located(body, ident, place, t),
                   tlp, added, kind)
        return ident

    def _identity(self, body: Body, ident: str, tlp: Tlp) -> dict:
        sectors = sorted({SECTORS[c] for c in body.sector_codes if c in SECTORS})
        return {"type": "identity", "spec_version": "2.1", "id": ident,
                "created": body.created_at, "modified": max(body.updated_at, body.created_at),
                "name": f"{body.name_zh} {body.name_en}", "identity_class": "organization",
                "description": f"{body.name_en} ({body.kind})",
                "roles": [body.kind] + ([body.function] if body.function else []),
                **({"sectors": sectors} if sectors else {}),
                "external_references": [{"source_name": SOURCE_NAME, "external_id": body.key}],
                "object_marking_refs": self.mark(tlp, body.created_at, "identity")}

    def _located(self, body: Body, ident: str, place: str, tlp: Tlp) -> dict:
        key = f"identity:{body.key}|located-at|{self.ids.key(place)}"
        return {"type": "relationship", "spec_version": "2.1",
                "id": self.ids("relationship", key), "created": body.created_at,
                "modified": max(body.updated_at, body.created_at),
                "relationship_type": "located-at", "source_ref": ident, "target_ref": place,
                "object_marking_refs": self.mark(tlp, body.created_at, "identity")}

    def location(self, division_code: str | None, tlp: Tlp, added: datetime, kind: str) -> str:
        """The location of the province a division lies in (ISO 3166-2:CN), or of China for
        the national level and the XPCC."""
        area = iso3166.subdivision(division_code)
        key = area or iso3166.COUNTRY
        place = self.ids("location", key)
        self.share(f"location:{key}", lambda t: self._location(
            place, area, iso3166.province_code(division_code), t), tlp, added, kind)
        return place

    def _place(self, code: str | None) -> Jurisdiction | None:
        key = code or iso3166.COUNTRY
        if key not in self.places:
            self.places[key] = self.s.scalar(select(Jurisdiction).where(
                Jurisdiction.code == key)) if code else self.s.scalar(select(Jurisdiction).where(
                    Jurisdiction.parent_id.is_(None)))
        return self.places[key]

    def _location(self, place: str, area: str | None, province: str | None, tlp: Tlp) -> dict:
        j = self._place(province)
        created = j.created_at if j else stix_fenghuo.DEFINED_AT
        name = f"{j.name_zh} {j.name_en}" if j and area else "中国 China"
        return {"type": "location", "spec_version": "2.1", "id": place, "created": created,
                "modified": created, "name": name, "country": iso3166.COUNTRY,
                **({"administrative_area": area} if area else {}),
                "object_marking_refs": self.mark(tlp, created, "location")}

    # observables

    def sco(self, kind: str, value: str, tlp: Tlp, added: datetime, where: str) -> str | None:
        """The SCO of an observable (its UUIDv5 id from its value, STIX 2.1 §2.9), or None
        when STIX refuses the value (a malformed hash)."""
        path = stix_patterns.sco_path(kind, value)
        if path is None:
            return None
        props = {"hashes": {path[1][1]: value}} if path[0] == "file" else {"value": value}
        try:
            obj = _SCO_CLASSES[path[0]](**props)
        except stix2.exceptions.STIXError:
            return None
        data = json.loads(obj.serialize())
        self.share(f"sco:{obj.id}", lambda t: data | {
            "object_marking_refs": self.mark(t, added, where)}, tlp, added, where)
        return obj.id

    def observed(self, key: str, scos: list[str], at: datetime, about: dict, kind: str,
                 tlp: Tlp, added: datetime) -> str | None:
        """One ``observed-data`` of the SCOs (STIX 2.1 §4.13: ``object_refs``)."""
        if not scos:
            return None
        return self.add({
            "type": "observed-data", "id": self.ids("observed-data", key),
            "created": about["created"], "modified": about["modified"],
            "created_by_ref": about["created_by_ref"], "first_observed": at,
            "last_observed": at, "number_observed": 1,
            "object_refs": list(dict.fromkeys(scos))}, added, kind, tlp)

    def observable(self, key: str, kind: str, value: str, about: dict, name: str,
                   valid_from: datetime, what: str, tlp: Tlp, added: datetime) -> str | None:
        """An indicator (pattern) or, for a CVE, a vulnerability; None for neither."""
        common = {"created": about["created"], "modified": about["modified"],
                  "created_by_ref": about["created_by_ref"]}
        if kind == "cve":
            if not SCHEMA_CVE.match(value):
                return None
            cve = value.upper()
            return self.add({"type": "vulnerability", "id": self.ids("vulnerability", key),
                             **common, "name": cve, "external_references": [
                                 {"source_name": "cve", "external_id": cve}]}, added, what, tlp)
        pattern = pattern_for(kind, value)
        if pattern is None:
            return None
        return self.add({"type": "indicator", "id": self.ids("indicator", key), **common,
                         "name": f"{kind}: {value}"[:250], "description": name,
                         "pattern": pattern, "pattern_type": "stix",
                         "valid_from": valid_from}, added, what, tlp)

    # incidents

    def incident(self, inc: Incident) -> None:
        tlp, added = Tlp(inc.tlp), inc.updated_at
        subject = self.s.get(Body, inc.subject_body_id)
        reporter = self.s.get(Body, inc.reporting_body_id) if inc.reporting_body_id else subject
        creator = self.identity(reporter, tlp, added, "incidents")
        unit = self.identity(subject, tlp, added, "incidents")
        obj = {
            "type": "incident", "id": self.ids("incident", inc.ref), "created": inc.created_at,
            "modified": max(inc.updated_at, inc.created_at), "name": inc.title,
            "description": _incident_text(inc), "labels": _incident_labels(inc),
            "created_by_ref": creator,
            "external_references": [{"source_name": SOURCE_NAME, "external_id": inc.ref}],
            "extensions": {INCIDENT_CORE_EXTENSION: _core_extension(inc)} | self.extension(
                added, "incidents", kind="incident", ref=inc.ref, category=inc.category,
                grade=inc.grade, regions=[subject.jurisdiction.code],
                sectors=[inc.sector_code] if inc.sector_code else [],
                observed_at=_ts(inc.found_at), originating_unit=reporter.key,
                originating_unit_name=f"{reporter.name_zh} {reporter.name_en}")}
        self.add(obj, added, "incidents", tlp)
        # STIX 2.1 suggests no relationships for incident: the affected unit and its province
        # are related-to it
        self.relate(obj["id"], "related-to", unit, obj, "incidents", tlp, added)
        place = self.location(subject.jurisdiction.division_code, tlp, added, "incidents")
        self.relate(obj["id"], "related-to", place, obj, "incidents", tlp, added)
        self._observables(inc, obj, unit, tlp, added)

    def _observables(self, inc: Incident, obj: dict, unit: str, tlp: Tlp,
                     added: datetime) -> None:
        """The incident's observables (issue 19): an indicator per IP, domain, URL, hash or
        e-mail, a vulnerability per CVE (related-to the affected unit too), each related-to
        the incident, and one observed-data of their SCOs. Internal notes and tasks are never
        exported."""
        scos: list[str] = []
        for kind, value in casework.export_observables(self.s, [inc.id]).get(inc.id, ()):
            key = f"{inc.ref}/{kind}/{value}"
            made = self.observable(key, kind, value, obj, inc.title, inc.found_at,
                                   "incidents", tlp, added)
            if made is None:
                continue
            self.relate(made, "related-to", obj["id"], obj, "incidents", tlp, added)
            if made.startswith("vulnerability--"):
                self.relate(made, "related-to", unit, obj, "incidents", tlp, added)
            elif (sco := self.sco(kind, value, tlp, added, "incidents")) is not None:
                scos.append(sco)
        seen = self.observed(inc.ref, scos, inc.found_at, obj, "incidents", tlp, added)
        if seen:
            self.relate(seen, "related-to", obj["id"], obj, "incidents", tlp, added)

    # warnings

    def warning(self, w: EarlyWarning, items: list[MonitoringItem]) -> None:
        """A published warning; ``items`` are the monitoring items its assessment was based on
        that the caller may receive."""
        tlp, added = Tlp(w.tlp), w.updated_at
        issuer = self.s.get(Body, w.issuer_body_id)
        by = self.identity(issuer, tlp, added, "warnings")
        regions = json.loads(w.jurisdictions or "[]")
        places = [self.location(code, tlp, added, "warnings") for code in regions]
        groups = [self.ids("grouping", i.ref) for i in items]
        obj = {
            "type": "report", "id": self.ids("report", w.ref), "created": w.created_at,
            "modified": max(w.updated_at, w.created_at), "name": w.title,
            "description": _warning_text(w), "report_types": ["threat-report"],
            "published": w.published_at,
            "object_refs": list(dict.fromkeys([by, *places, *groups])),
            "created_by_ref": by,
            "labels": [f"warning-level:{w.level}", f"category:{w.category}",
                       f"state:{w.state}"],
            "external_references": [{"source_name": SOURCE_NAME, "external_id": w.ref}],
            "extensions": self.extension(
                added, "warnings", kind="warning", ref=w.ref, category=w.category,
                regions=regions, sectors=json.loads(w.sectors or "[]"),
                originating_unit=issuer.key,
                originating_unit_name=f"{issuer.name_zh} {issuer.name_en}",
                warning_level=w.level, warning_state=w.state)}
        self.add(obj, added, "warnings", tlp)
        for target in dict.fromkeys([*places, *groups]):
            self.relate(obj["id"], "related-to", target, obj, "warnings", tlp, added)

    # monitoring

    def monitoring(self, item: MonitoringItem, context: list[dict]) -> None:
        """A monitoring item and the context an import kept with it (``sharing.intel``)."""
        tlp, added = Tlp(item.tlp), item.created_at
        body = self.s.get(Body, item.body_id)
        creator = self.identity(body, tlp, added, "monitoring")
        unit = self.identity(self.s.get(Body, item.subject_body_id), tlp, added, "monitoring") \
            if item.subject_body_id else creator
        regions = json.loads(item.jurisdictions or "[]")
        obj = {"type": "grouping", "id": self.ids("grouping", item.ref),
               "created": item.created_at, "modified": item.created_at,
               "created_by_ref": creator}
        received = self._received(context, tlp, added)
        refs, others = self._item_observables(item, obj, unit, received, tlp, added)
        places = [self.location(code, tlp, added, "monitoring") for code in regions]
        description = item.observed + ("\n" + "\n".join(others) if others else "")
        obj |= {
            "name": item.title, "description": description, "context": "suspicious-activity",
            "object_refs": list(dict.fromkeys([*refs, *received])) or [creator],
            "external_references": [{"source_name": SOURCE_NAME, "external_id": item.ref}],
            "extensions": self.extension(
                added, "monitoring", kind="monitoring-item", ref=item.ref,
                category=item.category, regions=regions,
                sectors=json.loads(item.sectors or "[]"), important=item.important,
                observed_at=_ts(item.observed_at), originating_unit=body.key,
                originating_unit_name=f"{body.name_zh} {body.name_en}")}
        if item.category:
            obj["labels"] = [f"category:{item.category}"]
        self.add(obj, added, "monitoring", tlp)
        for place in dict.fromkeys(places):
            self.relate(obj["id"], "related-to", place, obj, "monitoring", tlp, added)

    def _item_observables(self, item: MonitoringItem, obj: dict, unit: str,
                          received: dict[str, str], tlp: Tlp, added: datetime
                          ) -> tuple[list[str], list[str]]:
        """Indicators and vulnerabilities, one observed-data of the SCOs, a sighting of each
        indicator by the unit concerned (STIX 2.1 §5.2), and ``indicates`` to the imported
        threats (Appendix B: indicator → malware, tool, threat-actor …)."""
        refs: list[str] = []
        others: list[str] = []
        indicators: list[tuple[str, str]] = []
        scos: list[str] = []
        for ind in json.loads(item.indicators or "[]"):
            kind, value = ind["type"], ind["value"].strip()
            key = f"{item.ref}/{kind}/{value}"
            made = self.observable(key, kind, value, obj, item.title, item.observed_at,
                                   "monitoring", tlp, added)
            if made is None:
                others.append(f"{kind}: {value}")
            elif made not in refs:
                refs.append(made)
                if made.startswith("indicator--"):
                    indicators.append((key, made))
                    scos.append(self.sco(kind, value, tlp, added, "monitoring") or "")
        seen = self.observed(item.ref, [x for x in scos if x], item.observed_at, obj,
                             "monitoring", tlp, added)
        threats = [i for i, t in received.items() if t in INDICATES]
        for key, ind in indicators:
            self.add({"type": "sighting", "id": self.ids("sighting", key),
                      "created": obj["created"], "modified": obj["modified"],
                      "created_by_ref": obj["created_by_ref"], "sighting_of_ref": ind,
                      "first_seen": item.observed_at, "last_seen": item.observed_at,
                      "count": 1, "where_sighted_refs": [unit],
                      **({"observed_data_refs": [seen]} if seen else {})},
                     added, "monitoring", tlp)
            for threat in threats:
                self.relate(ind, "indicates", threat, obj, "monitoring", tlp, added)
        return refs + ([seen] if seen else []), others

    def _received(self, context: list[dict], tlp: Tlp, added: datetime) -> dict[str, str]:
        """The imported objects, as received, at the item's TLP (they travel with it); those
        STIX cannot parse (a MISP galaxy) are left out. Their ids → their types."""
        out = {}
        for raw in context:
            if raw.get("id") in self.received:
                out[raw["id"]] = raw.get("type")
                continue
            try:
                obj = stix2.parse(raw, allow_custom=True)
            except Exception:  # noqa: BLE001 — whatever stix2 refuses stays home
                continue
            # stix2 gives unknown types (a MISP attribute kept by a MISP import) back as
            # plain dicts: they are not STIX and stay home
            if isinstance(obj, dict) or obj.type in ("bundle", "marking-definition"):
                continue
            self.received[obj.id] = Entry(obj, added, "monitoring", tlp)
            out[obj.id] = obj.type
        return out

    def all(self) -> list[Entry]:
        """The entries, placeholders swapped for the stored ids, each parsed by ``stix2``."""
        made = [(sh.make(sh.tlp), sh.added, sh.kind, sh.tlp) for sh in self.shared.values()]
        ids = self.ids.resolve(self.s, self.now)
        out = list(self.markings.values())
        for obj, added, kind, tlp in [*made, *self.pending]:
            out.append(Entry(stix2.parse(_swap(obj, ids)), added, kind, tlp))
        return out + list(self.received.values())


def _incident_text(inc: Incident) -> str:
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
    return "\n".join(lines)


def _incident_labels(inc: Incident) -> list[str]:
    return [f"category:{inc.category}", f"grade:{inc.grade}", f"state:{inc.state}",
            f"source:{inc.source}"] + (["cii"] if inc.cii else [])


def _core_extension(inc: Incident) -> dict[str, Any]:
    """The Incident Core Extension's properties."""
    return {
        "extension_type": "property-extension",
        "determination": determination(inc.state, inc.report_finding),
        "investigation_status": investigation_status(inc.state),
        "criticality": CRITICALITY[inc.grade],
        "detection_methods": [DETECTION_METHODS.get(inc.source, "unknown")],
        "impacted_entity_counts": {"organizations": 1}
        | ({"information-systems": 1} if inc.system_id else {}),
    }


def _warning_text(w: EarlyWarning) -> str:
    items = json.loads(w.items or "[]")
    measures = json.loads(w.measures or "[]")
    lines = [f"预警级别 Level: {w.level}", f"类别 Category: {w.category}",
             f"开始 Starts at: {w.starts_at.isoformat()}"]
    lines += [f"- {x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)}"
              for x in items]
    lines += [f"* {m.get('text', '') if isinstance(m, dict) else m}" for m in measures]
    if w.lifted_at:
        lines.append(f"已解除 Lifted at: {w.lifted_at.isoformat()} {w.lift_reason or ''}")
    return "\n".join(lines)


# --- use cases --------------------------------------------------------------------------------


def _since(value: datetime | date | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, time.min, tzinfo=UTC)


def _allowed(principal: Principal, permission: Permission) -> bool:
    return org_rules.has_permission(principal.roles, permission)


def _receivable_items(s: Session, principal: Principal, rows: list[MonitoringItem]
                      ) -> tuple[list[MonitoringItem], int]:
    """The items TLP 2.0 lets the caller receive (scope already applied), and how many not."""
    rel = relations.relations_to_monitoring_items(s, principal.body_id, rows,
                                                  scope=principal.scope)
    allowed = [i for i in rows if may_receive(i.tlp, rel[i.id]).allowed]
    return allowed, len(rows) - len(allowed)


def _based_on(s: Session, principal: Principal, w: EarlyWarning) -> list[MonitoringItem]:
    """The monitoring items a warning's risk assessment was based on that the caller may
    receive (scope AND TLP, and the right to read monitoring information)."""
    if w.assessment_id is None or not _allowed(principal, Permission.MONITORING_READ):
        return []
    ids = json.loads(s.get(RiskAssessment, w.assessment_id).item_ids or "[]")
    rows = list(s.scalars(select(MonitoringItem).where(
        visible_items(principal.scope), MonitoringItem.id.in_(ids)).order_by(MonitoringItem.id)))
    return _receivable_items(s, principal, rows)[0] if rows else []


def collect(s: Session, principal: Principal, *, incidents: list[str] | None = None,
            warnings: list[str] | None = None, monitoring: list[str] | None = None,
            since: datetime | date | None = None, kinds: Iterable[str] = KINDS,
            now: datetime | None = None) -> tuple[list[Entry], int]:
    """The STIX objects the caller may receive (scope AND TLP), with the number of items held
    back by TLP. ``None`` for a kind means every visible item; a list means those refs (a ref
    outside the caller's scope is a 404). Kinds the caller's roles cannot read are left out.
    Ids drawn for new objects are written in ``s`` (the caller's transaction commits them)."""
    after = _since(since)
    b = _Builder(s, now or datetime.now(UTC))
    kinds = set(kinds)

    def wanted(refs: list[str] | None, kind: str, permission: Permission) -> bool:
        if kind not in kinds or refs == []:
            return False
        if not _allowed(principal, permission):
            if refs:
                require(principal, permission)
            return False
        return True

    withheld = 0
    if wanted(incidents, "incidents", Permission.INCIDENT_READ):
        withheld += _collect_incidents(s, principal, b, incidents, after)
    if wanted(warnings, "warnings", Permission.WARNING_READ):
        withheld += _collect_warnings(s, principal, b, warnings, after)
    if wanted(monitoring, "monitoring", Permission.MONITORING_READ):
        withheld += _collect_monitoring(s, principal, b, monitoring, after)
    return b.all(), withheld


def _selected(s: Session, stmt: Any, model: Any, changed: Any, refs: list[str] | None,
              after: datetime | None, what: str) -> list[Any]:
    """The rows of a scoped query: those refs (all when None), changed at or after ``after``,
    in id order; a ref asked for by name and not in scope is a 404."""
    if refs:
        stmt = stmt.where(model.ref.in_(refs))
    if after:
        stmt = stmt.where(changed >= after)
    rows = list(s.scalars(stmt.order_by(model.id)))
    if after is None:
        _missing(refs, [r.ref for r in rows], what)
    return rows


def _collect_incidents(s: Session, principal: Principal, b: _Builder, refs: list[str] | None,
                       after: datetime | None) -> int:
    rows = _selected(s, select(Incident).where(visible_incidents(principal.scope)), Incident,
                     Incident.updated_at, refs, after, "incident")
    rel = relations.relations_to_incidents(s, principal.body_id, rows, scope=principal.scope)
    withheld = 0
    for inc in rows:
        if may_receive(inc.tlp, rel[inc.id]).allowed:
            b.incident(inc)
        else:
            withheld += 1
    return withheld


def _collect_warnings(s: Session, principal: Principal, b: _Builder, refs: list[str] | None,
                      after: datetime | None) -> int:
    rows = _selected(s, select(EarlyWarning).where(visible_warnings(principal.scope),
                                                   EarlyWarning.published_at.is_not(None)),
                     EarlyWarning, EarlyWarning.updated_at, refs, after, "published warning")
    rel = relations.relations_to_warnings(s, principal.body_id, rows, scope=principal.scope)
    withheld = 0
    for w in rows:
        if may_receive(w.tlp, rel[w.id]).allowed:
            b.warning(w, _based_on(s, principal, w))
        else:
            withheld += 1
    return withheld


def _collect_monitoring(s: Session, principal: Principal, b: _Builder, refs: list[str] | None,
                        after: datetime | None) -> int:
    rows = _selected(s, select(MonitoringItem).where(visible_items(principal.scope)),
                     MonitoringItem, MonitoringItem.created_at, refs, after, "monitoring item")
    allowed, withheld = _receivable_items(s, principal, rows)
    context = intel.linked(s, [i.id for i in allowed])
    for item in allowed:
        b.monitoring(item, context.get(item.id, []))
    return withheld


def _missing(asked: list[str] | None, found: list[str], what: str) -> None:
    """A ref asked for by name and not found in scope is a 404 (not silently left out)."""
    if asked:
        missing = sorted(set(asked) - set(found))
        if missing:
            raise NotFound(f"no {what} {missing[0]!r}")


def bundle_of(entries: list[Entry]) -> dict:
    """A STIX 2.1 bundle (as JSON) of the entries. Its id is a UUIDv4 (STIX 2.1 §8) derived
    from the objects' ids and versions — a bundle is not versioned or stored — so the same
    export gives the same bundle."""
    objs = [e.obj for e in entries]
    key = ",".join(sorted(f"{o.id}@{o.get('modified', '')}" for o in objs))
    digest = hashlib.sha256(key.encode()).digest()
    bundle = stix2.v21.Bundle(*objs, id=f"bundle--{uuid.UUID(bytes=digest[:16], version=4)}",
                              allow_custom=True)
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
    within TLP 2.0's reach for its relation to each item. The export is audited; the ids it
    drew for new objects are stored in the same transaction."""
    now = clock.now()
    with uow() as s:
        entries, withheld = collect(s, principal, incidents=incidents, warnings=warnings,
                                    monitoring=monitoring, since=since, now=now)
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
