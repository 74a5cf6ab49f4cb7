"""Context kept from imports (issue 20 items 2 and 3): the STIX objects (and MISP objects and
galaxies) an import read but that are not monitoring information themselves — malware, threat
actors, attack patterns, reports, relationships, sightings, observed data, locations,
identities — stored as received in ``intel_objects`` for the importing body, linked to the
monitoring item they came with, and exported again with that item (``sharing.stix``), so a
round trip drops nothing the model can hold.

``keep`` stores (or, for a newer ``modified``, replaces) one object; ``linked`` reads what the
export of some monitoring items must carry.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fenghuo.sharing.models import IntelObject

_CHUNK = 400


def _external_id(obj: dict[str, Any]) -> str | None:
    """The first well-known external id (MITRE ATT&CK technique, CVE, CAPEC …)."""
    for ref in obj.get("external_references") or ():
        if isinstance(ref, dict) and ref.get("external_id"):
            return str(ref["external_id"])[:80]
    return None


def _ends(obj: dict[str, Any]) -> tuple[str | None, str | None]:
    if obj.get("type") == "relationship":
        return obj.get("source_ref"), obj.get("target_ref")
    if obj.get("type") == "sighting":
        where = obj.get("where_sighted_refs") or [None]
        return obj.get("sighting_of_ref"), where[0]
    return None, None


def keep(s: Session, *, body_id: int, origin: str, obj: dict[str, Any], item_id: int | None,
         tlp: str, imported_by: str, now: datetime, modified: datetime | None = None
         ) -> IntelObject:
    """Store one object for the body (one row per body and STIX id; a re-import replaces the
    stored copy and its link)."""
    row = s.scalar(select(IntelObject).where(IntelObject.body_id == body_id,
                                             IntelObject.stix_id == obj["id"]))
    if row is None:
        row = IntelObject(body_id=body_id, stix_id=str(obj["id"])[:120])
        s.add(row)
    source, target = _ends(obj)
    row.origin, row.type = origin, str(obj.get("type"))[:40]
    row.name = str(obj.get("name") or "")[:500]
    row.external_id = _external_id(obj)
    row.relationship_type = (str(obj["relationship_type"])[:60]
                             if obj.get("relationship_type") else None)
    row.source_ref = source[:120] if isinstance(source, str) else None
    row.target_ref = target[:120] if isinstance(target, str) else None
    row.monitoring_item_id = item_id if item_id is not None else row.monitoring_item_id
    row.tlp, row.data, row.modified = tlp, json.dumps(obj, ensure_ascii=False), modified
    row.imported_by, row.imported_at = imported_by, now
    return row


def linked(s: Session, item_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """The stored objects of each monitoring item, as received, in the order they were kept."""
    ids, found = list(dict.fromkeys(item_ids)), defaultdict(list)
    for start in range(0, len(ids), _CHUNK):
        rows = s.execute(select(IntelObject.monitoring_item_id, IntelObject.data)
                         .where(IntelObject.monitoring_item_id.in_(ids[start:start + _CHUNK]))
                         .order_by(IntelObject.id))
        for item_id, data in rows:
            found[item_id].append(json.loads(data))
    return dict(found)


def stored(s: Session, body_id: int, stix_ids: Iterable[str]
           ) -> dict[str, tuple[datetime | None, int | None]]:
    """What the body already keeps of these STIX ids: ``modified`` and the linked item, so an
    import tells a duplicate from a newer version (and links new context to the same item)."""
    ids, found = list(dict.fromkeys(stix_ids)), {}
    for start in range(0, len(ids), _CHUNK):
        rows = s.execute(select(IntelObject.stix_id, IntelObject.modified,
                                IntelObject.monitoring_item_id)
                         .where(IntelObject.body_id == body_id,
                                IntelObject.stix_id.in_(ids[start:start + _CHUNK])))
        for stix_id, modified, item_id in rows:
            found[stix_id] = (modified, item_id)
    return found
