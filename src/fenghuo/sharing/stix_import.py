"""Import of a STIX 2.1 bundle as monitoring information of the importing body (Plan §3.2;
Law arts. 51–52: monitoring information from outside sources).

* a ``grouping`` becomes one monitoring item with the indicators and vulnerabilities it refers
  to (that is how ``sharing.stix`` exports a monitoring item);
* an ``indicator`` or ``vulnerability`` not in an imported grouping becomes an item of its own;
* an ``incident`` becomes an item (what another system observed), its description kept;
* everything else (identities, markings, reports, relationships…) is read but not stored.

The TLP comes from the object's markings (TLP 2.0 ids, or STIX 2.1's TLP 1.0 ids; the strictest
present), AMBER when it has none (TLP 2.0 default here, ``sharing.tlp.DEFAULT``). Every stored
object is recorded in ``imported_objects`` (source ``stix``), so a second import of the same
bundle by the same body creates nothing new.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import stix2
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import FieldError, ValidationFailed
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.org.models import Body
from fenghuo.org.rules import Permission
from fenghuo.org.service import require
from fenghuo.sharing.models import ImportedObject
from fenghuo.sharing.stix import SCHEMA_CVE, indicators_of, tlp_of
from fenghuo.sharing.tlp import strictest
from fenghuo.warning import monitoring
from fenghuo.warning.schemas import IndicatorIn, MonitoringIn

SOURCE = "stix"
MAX_OBJECTS = 20000
#: progress callback: (done, total)
Progress = Callable[[int, int], None]


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)  # refs of the new monitoring items
    duplicates: int = 0  # objects this body had already imported
    ignored: int = 0  # objects of types we do not store

    def as_dict(self) -> dict:
        return {"created": self.created, "duplicates": self.duplicates, "ignored": self.ignored}


def parse_bundle(raw: str | bytes | dict) -> list[dict]:
    """The objects of a bundle, validated by the ``stix2`` library (custom properties are
    allowed: other producers use them); a malformed bundle is a 422."""
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
        stix2.parse(data, allow_custom=True)
    except (ValueError, TypeError, KeyError, AttributeError,
            stix2.exceptions.STIXError) as exc:
        raise ValidationFailed([FieldError("bundle", str(exc)[:500])]) from exc
    return objects


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


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
    return []


def _text(obj: dict) -> tuple[str, str]:
    name = str(obj.get("name") or obj.get("id"))[:300]
    observed = str(obj.get("description") or name)[:20000]
    return name, observed


def _key(body: Body, stix_id: str) -> str:
    # one row per importing body: two bodies importing the same bundle each get their items
    return f"{body.key}|{stix_id}"[:200]


def import_bundle(uow: UnitOfWork, clock: Clock, *, principal: Principal, raw: str | bytes | dict,
                  progress: Progress | None = None) -> ImportResult:
    """Import a bundle as monitoring items of the caller's body; objects already imported by
    this body are skipped. One transaction: all or nothing."""
    require(principal, Permission.MONITORING_SUBMIT)
    objects = parse_bundle(raw)
    by_id = {o["id"]: o for o in objects}
    now = clock.now()
    result = ImportResult()
    with uow() as s:
        body = s.get(Body, principal.body_id)
        done = set(s.scalars(select(ImportedObject.external_id).where(
            ImportedObject.source == SOURCE,
            ImportedObject.external_id.in_([_key(body, i) for i in by_id]))).all()) \
            if by_id else set()
        consumed: set[str] = set()
        units: list[tuple[dict, list[dict]]] = []
        for o in objects:
            if o.get("type") == "grouping":
                members = [by_id[r] for r in o.get("object_refs") or ()
                           if r in by_id and by_id[r].get("type") in ("indicator",
                                                                     "vulnerability")]
                consumed.update(m["id"] for m in members)
                units.append((o, members))
        for o in objects:
            if o.get("type") == "incident" or (
                    o.get("type") in ("indicator", "vulnerability") and o["id"] not in consumed):
                units.append((o, []))
        result.ignored = len(objects) - len(units) - len(consumed)
        for n, (o, members) in enumerate(units, 1):
            if _key(body, o["id"]) in done:
                result.duplicates += 1 + len(members)
            else:
                result.created.append(_store(s, principal, body, o, members, now, done))
            if progress:
                progress(n, len(units))
        audit.record(s, at=now, actor=audit.Actor.of(principal), action="stix.import",
                     entity_type="stix", entity_key=body.key, scope_path=body.jurisdiction.path,
                     detail=result.as_dict() | {"created": len(result.created)})
    return result


def _store(s: Session, principal: Principal, body: Body, obj: dict, members: list[dict],
           now: datetime, done: set[str]) -> str:
    name, observed = _text(obj)
    indicators = _indicators(obj)
    for m in members:
        indicators += [i for i in _indicators(m) if i not in indicators]
    tlp = strictest([tlp_of(x.get("object_marking_refs")) for x in (obj, *members)])
    observed_at = (_time(obj.get("valid_from")) or _time(obj.get("created")) or now)
    try:
        data = MonitoringIn(title=name, observed=observed, observed_at=observed_at,
                            indicators=indicators[:1000], tlp=tlp)
    except ValidationError as exc:
        raise ValidationFailed([FieldError(obj["id"][:200], str(exc)[:500])]) from exc
    item = monitoring.write_item(s, principal, data, now, None)
    for x in (obj, *members):
        key = _key(body, x["id"])
        if key not in done:
            s.add(ImportedObject(source=SOURCE, external_id=key, monitoring_item_id=item.id,
                                 imported_by=principal.username, imported_at=now))
            done.add(key)
    s.flush()
    return item.ref
