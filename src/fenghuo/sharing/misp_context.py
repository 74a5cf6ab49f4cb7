"""What a MISP import keeps besides indicators, and how the export puts it back (issue 20 item 3)
— pure, no I/O.

Our monitoring information holds indicators as (type, value) pairs (``warning.schemas``), so an
imported event keeps the rest as context (``sharing.intel.keep``, ``origin="misp"``), linked
to the item it became, in three kinds of dicts:

* ``{"id": "misp-event--<uuid>", "type": "misp-event", "event": {...}}``: the event's own
  fields (uuid, info, date, levels, ``Orgc``, ``Tag``, ``Galaxy``, reports …);
* ``{"id": "misp-attribute--<uuid>", "type": "misp-attribute", "attribute": {...}}``: each
  attribute as received (type, category, ``to_ids``, comment, its tags, first/last seen …);
* ``{"id": "misp-object--<uuid>", "type": "misp-object", "object": {...}}``: each object with
  its attributes.

The export of the item writes them back as they were: an attribute keeps its type (``ip-src``
stays ``ip-src``), ``to_ids``, tags and uuid, an object its template and relations, the event
its tags and galaxies, so a round trip through Fenghuo drops nothing. What is the sending MISP
instance's own bookkeeping (ids, sharing groups, correlations, sightings, proposals) is not
kept; the sightings, proposals and correlations are reported as ``dropped``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

EVENT, ATTRIBUTE, OBJECT = "misp-event", "misp-attribute", "misp-object"
TYPES = (EVENT, ATTRIBUTE, OBJECT)

#: MISP attribute types read back as indicators (our ``IndicatorIn`` types)
INDICATOR_TYPE: dict[str, str] = {
    "ip-dst": "ip", "ip-src": "ip", "domain": "domain", "hostname": "domain", "url": "url",
    "uri": "url", "link": "url", "md5": "md5", "sha1": "sha1", "sha256": "sha256",
    "vulnerability": "cve", "email": "email", "email-src": "email", "email-dst": "email",
    "ip-dst|port": "ip", "ip-src|port": "ip", "domain|ip": "domain", "hostname|port": "domain"}

#: the sending instance's bookkeeping, not kept, not reported: ids, owner, sharing groups and
#: distribution (here the item's TLP governs the reach of all it carries)
LOCAL = frozenset({"id", "org_id", "orgc_id", "Org", "attribute_count", "locked", "user_id",
                   "sharing_group_id", "SharingGroup", "proposal_email_lock", "event_id",
                   "event_creator_email", "object_id", "Event", "distribution"})
#: kept nowhere, reported as dropped: what the sending instance alone means
DROPPED = {"RelatedEvent": "MISP's correlations on the sending instance (the receiver "
                           "computes its own)",
           "RelatedAttribute": "MISP's correlations on the sending instance",
           "Sighting": "sightings are the sending instance's, not the event's",
           "ShadowAttribute": "proposals to the sending instance are not part of the event"}


def indicator_of(attribute: dict[str, Any]) -> tuple[str, str] | None:
    """The (our type, value) an attribute stands for; None when it is not an indicator here."""
    kind = INDICATOR_TYPE.get(str(attribute.get("type")))
    value = str(attribute.get("value") or "").strip()
    if "|" in str(attribute.get("type")):  # composite (ip-dst|port, domain|ip): the first half
        value = value.split("|", 1)[0].strip()
    if kind is None or not value or len(value) > 2000:
        return None
    return kind, value


def is_our_ref(attribute: dict[str, Any], ref_category: str) -> bool:
    """Our own ``Internal reference`` attribute (it is read into the observation text)."""
    return (attribute.get("category") == ref_category and attribute.get("type") == "text"
            and str(attribute.get("comment") or "").startswith("Fenghuo "))


def _clean(raw: dict[str, Any], where: str, dropped: list[dict]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in LOCAL:
            continue
        if key in DROPPED:
            if value:
                dropped.append({"id": where, "type": key, "reason": DROPPED[key]})
            continue
        out[key] = value
    return out


def _techniques(galaxies: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    refs = []
    for galaxy in galaxies:
        for cluster in galaxy.get("GalaxyCluster") or ():
            for technique in (cluster.get("meta") or {}).get("external_id") or ():
                refs.append({"source_name": "mitre-attack", "external_id": str(technique)})
    return refs


def split(event: dict[str, Any], ref_category: str) -> tuple[list[dict[str, Any]], list[dict]]:
    """The context dicts to keep for one event (as PyMISP writes it, ``MISPEvent.to_json``) and
    what is dropped (``{"id", "type", "reason"}``)."""
    dropped: list[dict] = []
    uuid = str(event.get("uuid"))
    own = _clean({k: v for k, v in event.items() if k not in ("Attribute", "Object")},
                 f"misp-event--{uuid}", dropped)
    kept = [{"id": f"misp-event--{uuid}", "type": EVENT, "name": str(own.get("info") or ""),
             "external_references": _techniques(own.get("Galaxy") or ()), "event": own}]
    for raw in event.get("Attribute") or ():
        if is_our_ref(raw, ref_category):
            continue
        where = f"misp-attribute--{raw.get('uuid')}"
        kept.append({"id": where, "type": ATTRIBUTE, "name": str(raw.get("value") or ""),
                     "attribute": _clean(raw, where, dropped)})
    for raw in event.get("Object") or ():
        where = f"misp-object--{raw.get('uuid')}"
        obj = _clean(raw, where, dropped)
        obj["Attribute"] = [_clean(a, f"misp-attribute--{a.get('uuid')}", dropped)
                            for a in raw.get("Attribute") or ()]
        kept.append({"id": where, "type": OBJECT, "name": str(raw.get("name") or ""),
                     "object": obj})
    return kept, dropped


@dataclass
class Restored:
    """The kept MISP context of one item, ready to be written back."""

    event: dict[str, Any] = field(default_factory=dict)
    attributes: list[dict[str, Any]] = field(default_factory=list)
    objects: list[dict[str, Any]] = field(default_factory=list)

    def covered(self) -> set[tuple[str, str]]:
        """The indicators the kept attributes and objects already carry."""
        attrs = [*self.attributes, *(a for o in self.objects for a in o.get("Attribute") or ())]
        return {pair for a in attrs if (pair := indicator_of(a)) is not None}

    def tags(self) -> list[dict[str, Any]]:
        return [t for t in self.event.get("Tag") or () if isinstance(t, dict) and t.get("name")]

    def galaxies(self) -> list[dict[str, Any]]:
        return [g for g in self.event.get("Galaxy") or () if isinstance(g, dict)]


def restore(context: Iterable[dict[str, Any]]) -> Restored:
    out = Restored()
    for obj in context:
        if obj.get("type") == EVENT and not out.event:
            out.event = dict(obj.get("event") or {})
        elif obj.get("type") == ATTRIBUTE and isinstance(obj.get("attribute"), dict):
            out.attributes.append(dict(obj["attribute"]))
        elif obj.get("type") == OBJECT and isinstance(obj.get("object"), dict):
            out.objects.append(dict(obj["object"]))
    return out
