"""Import of a STIX 2.1 bundle as monitoring information of the importing body, keeping what it
reads (Plan §3.2; Law arts. 51–52: monitoring information from outside sources; issue 20 item 2).

Every object of the bundle is accounted for (``sharing.stix_graph`` plans it):

* groupings, incidents, Fenghuo warnings and the indicators, vulnerabilities and observed data
  no item holds become **monitoring items** of the caller's body, with the indicators of their
  members and cyber-observables (IP, domain, URL, e-mail, hashes, CVEs);
* everything else — malware, threat actors, attack patterns (MITRE ATT&CK ids), reports,
  relationships, sightings, observed data, locations, identities, notes, custom objects — is
  **kept as context** (``sharing.intel.keep``), linked to the item it belongs to, so the export
  carries it again; what no item reaches is held by one more item, the bundle's loose context;
* TLP marking definitions and the extension definitions read here are **understood**;
* what cannot be kept is **dropped** and listed with the reason (``ImportResult.dropped``).

An item's category is the one its objects state (``sharing.stix_category``: Fenghuo's property,
malware types, ATT&CK techniques, incident types). From another Fenghuo instance the Fenghuo
properties (``sharing.stix_fenghuo``) also give the regions, sectors, importance and observation
time; the originating unit, the original reference and a warning's level and state are written
into the item's text and travel on in the kept context. A warning from elsewhere becomes
monitoring information, not a warning of this body: warnings are issued by the authorised body
(Plan §3.2, §3.3), and an importing instance is not it.

The TLP comes from the object's markings (TLP 2.0 ids, or STIX 2.1's TLP 1.0 ids; the strictest
present), AMBER when it has none (TLP 2.0 default here, ``sharing.tlp.DEFAULT``). Every item's
objects are recorded in ``imported_objects`` (source ``stix``) and the context in
``intel_objects``, both per importing body, so a second import of the same bundle creates
nothing new (a newer ``modified`` replaces the kept copy).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import FieldError, ValidationFailed
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.org.models import Body, Jurisdiction, Sector
from fenghuo.org.rules import Permission
from fenghuo.org.service import require
from fenghuo.sharing import intel, stix_category, stix_fenghuo, stix_graph
from fenghuo.sharing.models import ImportedObject
from fenghuo.sharing.stix import SCHEMA_CVE, indicators_of, tlp_of
from fenghuo.sharing.tlp import strictest
from fenghuo.warning import monitoring
from fenghuo.warning.schemas import IndicatorIn, MonitoringIn

SOURCE = "stix"
MAX_OBJECTS = 20000
#: progress callback: (done, total)
Progress = Callable[[int, int], None]
#: cyber-observable paths that are indicators here (STIX 2.1 §6)
_SCO_VALUES = {"ipv4-addr": "ip", "ipv6-addr": "ip", "domain-name": "domain", "url": "url",
               "email-addr": "email"}
_HASHES = {"SHA-256": "sha256", "SHA256": "sha256", "SHA-1": "sha1", "SHA1": "sha1",
           "MD5": "md5"}


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)  # refs of the new monitoring items
    duplicates: int = 0  # objects this body had already imported
    kept_context: int = 0  # objects kept (or replaced by a newer version) as context
    understood: int = 0  # TLP marking and extension definitions: read, nothing to store
    dropped: list[dict[str, str]] = field(default_factory=list)  # {id, type, reason}

    def as_dict(self) -> dict:
        return {"created": self.created, "duplicates": self.duplicates,
                "kept_context": self.kept_context, "understood": self.understood,
                "dropped": self.dropped}


def _bundle(raw: str | bytes | dict) -> dict:
    """The bundle, checked for its shape; a malformed bundle is a 422. The objects are
    validated one by one later (``stix_graph.screen``): an invalid object is dropped, listed."""
    try:
        data = json.loads(raw) if isinstance(raw, str | bytes) else raw
        if not isinstance(data, dict) or data.get("type") != "bundle":
            raise ValueError("not a STIX bundle (type must be 'bundle')")
        objects = data.get("objects") or []
        if not isinstance(objects, list) or len(objects) > MAX_OBJECTS:
            raise ValueError(f"objects must be a list of at most {MAX_OBJECTS}")
        if not all(isinstance(o, dict) and isinstance(o.get("type"), str)
                   and isinstance(o.get("id"), str) for o in objects):
            raise ValueError("every object must have a type and an id")
    except (ValueError, TypeError) as exc:
        raise ValidationFailed([FieldError("bundle", str(exc)[:500])]) from exc
    return data


def parse_bundle(raw: str | bytes | dict) -> list[dict]:
    """The objects of a bundle (its shape checked; a malformed bundle is a 422)."""
    return _bundle(raw).get("objects") or []


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _is_tlp(marking_id: str) -> bool:
    return tlp_of([marking_id], default=None) is not None  # type: ignore[arg-type]


# --- indicators -------------------------------------------------------------------------------


def _observable(obj: dict) -> list[IndicatorIn]:
    """Our indicators of one cyber-observable (STIX 2.1 §6)."""
    kind = _SCO_VALUES.get(str(obj.get("type")))
    if kind and isinstance(obj.get("value"), str) and obj["value"].strip():
        return [IndicatorIn(type=kind, value=obj["value"].strip()[:2000])]
    if obj.get("type") == "file" and isinstance(obj.get("hashes"), dict):
        return [IndicatorIn(type=_HASHES[k.upper()], value=str(v)[:2000])
                for k, v in obj["hashes"].items() if k.upper() in _HASHES and v]
    return []


def _indicators(obj: dict) -> list[IndicatorIn]:
    if obj.get("type") == "indicator" and obj.get("pattern_type", "stix") == "stix":
        return [IndicatorIn(type=k, value=v[:2000]) for k, v in
                indicators_of(str(obj.get("pattern", ""))) if v]
    if obj.get("type") == "vulnerability":
        names = [str(obj.get("name", ""))] + [
            str(r.get("external_id", "")) for r in obj.get("external_references") or ()
            if isinstance(r, dict) and r.get("source_name") == "cve"]
        cves = list(dict.fromkeys(n.upper() for n in names if SCHEMA_CVE.match(n)))
        return [IndicatorIn(type="cve", value=c) for c in cves]
    if obj.get("type") == "observed-data" and isinstance(obj.get("objects"), dict):
        # STIX 2.0-style embedded observables (deprecated in 2.1 §4.13, still read)
        return [i for o in obj["objects"].values() if isinstance(o, dict)
                for i in _observable(o)]
    return _observable(obj)


def _unit_indicators(unit: stix_graph.Unit) -> list[IndicatorIn]:
    found: list[IndicatorIn] = []
    for x in ([unit.obj] if unit.obj else []) + unit.members + unit.context:
        found += [i for i in _indicators(x) if i not in found]
    return found[:1000]


# --- what the item says -----------------------------------------------------------------------


def _category(unit: stix_graph.Unit) -> tuple[str | None, str | None]:
    """(the item's annex 1 category, the code stated) — a subcategory stated gives its
    category (monitoring items hold the category, Plan annex 1); an unknown code gives none."""
    stated = stix_category.first_category(
        ([unit.obj] if unit.obj else []) + unit.members + unit.context)
    taxonomy = get_taxonomy()
    if stated and (sub := taxonomy.subcategory(stated)) is not None:
        return sub.category, stated
    return (stated if stated and taxonomy.category(stated) else None), stated


def _known(s: Session, model: type, codes: Any) -> tuple[list[str], list[str]]:
    wanted = [str(c) for c in codes if isinstance(c, str | int)][:100] \
        if isinstance(codes, list) else []
    if not wanted:
        return [], []
    found = set(s.scalars(select(model.code).where(model.code.in_(wanted))))
    return [c for c in wanted if c in found], [c for c in wanted if c not in found]


def _lines(props: dict, stated: str | None, category: str | None,
           unknown: list[str]) -> list[str]:
    lines = []
    if props.get("ref"):
        lines.append(f"原编号 Original ref: {props['ref']}")
    if props.get("originating_unit"):
        name = props.get("originating_unit_name") or ""
        lines.append(f"报送单位 Originating unit: {name} ({props['originating_unit']})".strip())
    if props.get("warning_level"):
        lines.append(f"预警级别 Warning level: {props['warning_level']}"
                     + (f" ({props['warning_state']})" if props.get("warning_state") else "")
                     + " — 由有权机关发布，此处作为监测信息 issued by the authorised body, held "
                       "here as monitoring information (Plan §3.2)")
    if stated and stated != category:
        lines.append(f"类别 Category stated: {stated}")
    if unknown:
        lines.append("本机构未识别的地区或行业 Regions or sectors unknown here: "
                     + ", ".join(unknown))
    return lines


def _loose_text(unit: stix_graph.Unit, bundle_id: str) -> tuple[str, str]:
    reports = [o for o in unit.context if o["type"] == "report" and o.get("name")]
    title = (f"{reports[0]['name']}" if reports else f"STIX {bundle_id}")[:300]
    names = [f"- {o['type']}: {o.get('name') or o.get('value') or o['id']}"
             for o in unit.context[:200]]
    return title, "\n".join(["情报上下文 Context received with no item "
                             f"(STIX bundle {bundle_id}):", *names])[:20000]


def _item_in(s: Session, unit: stix_graph.Unit, bundle_id: str, now: datetime) -> MonitoringIn:
    obj = unit.obj or {}
    props = stix_fenghuo.properties_of(obj)
    category, stated = _category(unit)
    regions, unknown_regions = _known(s, Jurisdiction, props.get("regions"))
    sectors, unknown_sectors = _known(s, Sector, props.get("sectors"))
    if unit.obj is None:
        title, observed = _loose_text(unit, bundle_id)
    else:
        title = str(obj.get("name") or obj["id"])[:300]
        observed = str(obj.get("description") or title)
    extra = _lines(props, stated, category, unknown_regions + unknown_sectors)
    observed = "\n".join([observed, *extra])[:20000]
    observed_at = (_time(props.get("observed_at")) or _time(obj.get("first_observed"))
                   or _time(obj.get("valid_from")) or _time(obj.get("published"))
                   or _time(obj.get("created")) or now)
    parts = ([obj] if unit.obj else unit.context) + unit.members
    tlp = strictest([tlp_of(x.get("object_marking_refs")) for x in parts])
    try:
        return MonitoringIn(title=title, observed=observed, observed_at=observed_at,
                            category=category, jurisdictions=regions, sectors=sectors,
                            important=props.get("important") is True,
                            indicators=_unit_indicators(unit), tlp=tlp)
    except ValidationError as exc:
        raise ValidationFailed([FieldError(str(obj.get("id", "bundle"))[:200],
                                           str(exc)[:500])]) from exc


# --- the use case -----------------------------------------------------------------------------


def _key(body: Body, stix_id: str) -> str:
    # one row per importing body: two bodies importing the same bundle each get their items
    return f"{body.key}|{stix_id}"[:200]


@dataclass
class _Run:
    s: Session
    principal: Principal
    body: Body
    now: datetime
    bundle_id: str
    done: dict[str, int | None]  # imported_objects key → its monitoring item
    kept: dict[str, tuple[datetime | None, int | None]]  # intel_objects of the body
    result: ImportResult


def import_bundle(uow: UnitOfWork, clock: Clock, *, principal: Principal, raw: str | bytes | dict,
                  progress: Progress | None = None,
                  then: Callable[[Session, ImportResult], None] | None = None) -> ImportResult:
    """Import a bundle as monitoring items of the caller's body with its context; objects
    already imported by this body are skipped. One transaction: all or nothing; audited.
    ``then`` runs in the same transaction with the result (a TAXII status resource)."""
    require(principal, Permission.MONITORING_SUBMIT)
    bundle = _bundle(raw)
    objects = bundle.get("objects") or []
    planned = stix_graph.screen(objects, _is_tlp)
    result = ImportResult(duplicates=planned.duplicates, understood=planned.understood,
                          dropped=planned.dropped)
    now = clock.now()
    with uow() as s:
        body = s.get(Body, principal.body_id)
        ids = [o["id"] for o in objects]
        run = _Run(s, principal, body, now, str(bundle.get("id", "bundle"))[:120],
                   _imported(s, body, ids), intel.stored(s, body.id, ids), result)
        for n, unit in enumerate(planned.units, 1):
            _store(run, unit)
            if progress:
                progress(n, len(planned.units))
        audit.record(s, at=now, actor=audit.Actor.of(principal), action="stix.import",
                     entity_type="stix", entity_key=body.key, scope_path=body.jurisdiction.path,
                     detail=result.as_dict() | {"created": len(result.created),
                                                "dropped": len(result.dropped),
                                                "dropped_ids": [d["id"] for d in
                                                                result.dropped[:50]]})
        if then is not None:
            then(s, result)
    return result


def _imported(s: Session, body: Body, ids: list[str]) -> dict[str, int | None]:
    keys, found = [_key(body, i) for i in ids], {}
    for start in range(0, len(keys), 400):
        found.update(s.execute(select(ImportedObject.external_id,
                                      ImportedObject.monitoring_item_id)
                               .where(ImportedObject.source == SOURCE,
                                      ImportedObject.external_id.in_(keys[start:start + 400]))
                               ).tuples().all())
    return found


def _store(run: _Run, unit: stix_graph.Unit) -> None:
    """One unit: its item (new, or the one imported before) and its context."""
    if unit.obj is not None and _key(run.body, unit.obj["id"]) in run.done:
        item_id = run.done[_key(run.body, unit.obj["id"])]
        run.result.duplicates += 1 + len(unit.members)
    elif unit.obj is None and (earlier := [run.kept[o["id"]][1] for o in unit.context
                                           if o["id"] in run.kept and run.kept[o["id"]][1]]):
        item_id = earlier[0]  # the loose context of an earlier import of the same bundle
    elif unit.obj is None and not any(_newer(run, o) for o in unit.context):
        item_id = None
    else:
        item_id = _new_item(run, unit)
    counted = {id(x) for x in [unit.obj, *unit.members]}  # counted with the item above
    for obj in unit.context:
        if not _newer(run, obj):
            run.result.duplicates += 0 if id(obj) in counted else 1
            continue
        intel.keep(run.s, body_id=run.body.id, origin=SOURCE, obj=obj, item_id=item_id,
                   tlp=tlp_of(obj.get("object_marking_refs")).value,
                   imported_by=run.principal.username, now=run.now,
                   modified=_time(obj.get("modified")))
        run.kept[obj["id"]] = (_time(obj.get("modified")), item_id)
        run.result.kept_context += 1
    run.s.flush()


def _newer(run: _Run, obj: dict) -> bool:
    """Not kept yet, or a newer version of what is kept (STIX 2.1 §3.6 ``modified``)."""
    if obj["id"] not in run.kept:
        return True
    stored, incoming = run.kept[obj["id"]][0], _time(obj.get("modified"))
    return incoming is not None and (stored is None or incoming > _aware(stored))


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _new_item(run: _Run, unit: stix_graph.Unit) -> int:
    data = _item_in(run.s, unit, run.bundle_id, run.now)
    item = monitoring.write_item(run.s, run.principal, data, run.now, None)
    for x in ([unit.obj] if unit.obj else []) + unit.members:
        key = _key(run.body, x["id"])
        if key not in run.done:
            run.s.add(ImportedObject(source=SOURCE, external_id=key, monitoring_item_id=item.id,
                                     imported_by=run.principal.username, imported_at=run.now))
            run.done[key] = item.id
    run.result.created.append(item.ref)
    return item.id
