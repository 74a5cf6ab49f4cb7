"""Which monitoring item each object of an imported STIX 2.1 bundle belongs to (issue 20 item 2).
Pure: no I/O; ``sharing.stix_import`` stores what this plans.

* **Items** (monitoring information of the importing body, Plan §3.2): a ``grouping`` (how
  Fenghuo exports a monitoring item), an ``incident``, a Fenghuo warning (a ``report`` whose
  Fenghuo properties say ``kind: warning``), an ``indicator`` or ``vulnerability`` that none of
  these holds, and ``observed-data`` that no item holds or reaches.
* **Members** give an item their indicators: the indicators, vulnerabilities and observed data
  a grouping or warning names in ``object_refs``, and the indicators and vulnerabilities related
  to an incident by a relationship (that is how Fenghuo exports an incident's observables).
* **Context** is every other object (malware, threat actors, attack patterns, reports,
  relationships, sightings, observed data and its cyber-observables, locations, identities,
  notes, custom objects …): kept as received, linked to the item it is reached from through the
  graph of relationships, sightings and ``*_ref(s)`` properties (STIX 2.1 §3.3, §5, §7.2),
  nearest item first. Identities and locations are hubs: reached, but only relationships and
  sightings are followed out of them, so one shared identity does not join unrelated items. An
  identity, marking or extension definition reached by nothing is linked to the first item
  whose objects name it as creator, marking or extension. What no item reaches is the bundle's
  **loose** context: one more item holds it, so nothing read is lost.
* **Understood**, not stored: the TLP marking definitions (their meaning is the item's TLP),
  the extension definitions this importer reads (Fenghuo's, Incident Core, TLP 2.0) and the
  Fenghuo project's identity that defines Fenghuo's.
* **Dropped**, with the reason: objects that fail ``stix2`` validation or exceed the limits.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import stix2

from fenghuo.sharing import stix_fenghuo

#: extension definitions read here (ids as in ``sharing.stix`` / ``sharing.stix_fenghuo``):
#: Fenghuo's, the Incident Core Extension 2.0 and the TLP 2.0 marking extension
UNDERSTOOD_EXTENSIONS = frozenset({
    stix_fenghuo.EXTENSION_ID,
    "extension-definition--ef765651-680c-498d-9894-99799f2fa126",
    "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d",
})
#: limits of what is kept (``intel_objects``: stix_id 120, type 40 characters)
MAX_ID, MAX_TYPE, MAX_CHARS = 120, 40, 1_000_000
MEMBER_TYPES = ("indicator", "vulnerability", "observed-data")
#: items or members kept as received too: a warning's report (so it is exported again with its
#: level) and observed data (its times and counts; its cyber-observables are context anyway)
KEPT_TOO = ("report", "observed-data")
HUBS = ("identity", "location")
FOLLOWED_FROM_HUBS = ("relationship", "sighting")
#: references that say who made or marks an object, not what it is about
_WEAK = ("created_by_ref", "object_marking_refs")


@dataclass
class Unit:
    """One monitoring item to be: its object (None for the loose context), the members whose
    indicators it takes, and the context kept linked to it."""

    obj: dict[str, Any] | None
    members: list[dict[str, Any]] = field(default_factory=list)
    context: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Plan:
    units: list[Unit]
    understood: int = 0
    duplicates: int = 0  # earlier versions of an object repeated in the bundle
    dropped: list[dict[str, str]] = field(default_factory=list)

    @property
    def loose(self) -> Unit | None:
        return next((u for u in self.units if u.obj is None), None)


def is_warning(obj: dict[str, Any]) -> bool:
    return obj.get("type") == "report" and stix_fenghuo.properties_of(obj).get("kind") == "warning"


def _problem(obj: dict[str, Any]) -> str | None:
    if len(obj["id"]) > MAX_ID or len(obj["type"]) > MAX_TYPE:
        return f"id or type too long (at most {MAX_ID} and {MAX_TYPE} characters)"
    if len(json.dumps(obj, ensure_ascii=False)) > MAX_CHARS:
        return f"object larger than {MAX_CHARS} characters"
    try:
        stix2.parse(obj, allow_custom=True)
    except (ValueError, TypeError, KeyError, AttributeError, stix2.exceptions.STIXError) as exc:
        return f"not valid STIX 2.1: {str(exc)[:300]}"
    return None


def _understood(obj: dict[str, Any], is_tlp: Callable[[str], bool]) -> bool:
    if obj["type"] == "marking-definition":
        return is_tlp(obj["id"])
    if obj["id"] == stix_fenghuo.IDENTITY_ID:  # the project that defines our extension
        return True
    return obj["type"] == "extension-definition" and obj["id"] in UNDERSTOOD_EXTENSIONS


def screen(objects: list[dict[str, Any]], is_tlp: Callable[[str], bool]) -> Plan:
    """Sort out the understood and the dropped; the rest (the newest version of each id) is
    planned by :func:`plan`."""
    result, newest = Plan(units=[]), {}
    for obj in objects:
        if _understood(obj, is_tlp):
            result.understood += 1
        elif (problem := _problem(obj)) is not None:
            result.dropped.append({"id": obj["id"][:200], "type": obj["type"][:80],
                                   "reason": problem})
        elif obj["id"] in newest:
            result.duplicates += 1
            if str(obj.get("modified", "")) > str(newest[obj["id"]].get("modified", "")):
                newest[obj["id"]] = obj
        else:
            newest[obj["id"]] = obj
    result.units = plan(list(newest.values()))
    return result


def _refs(obj: dict[str, Any], *, weak: bool = False) -> list[str]:
    """The ids an object refers to: ``*_ref`` / ``*_refs`` properties (without the creator and
    markings unless ``weak``); with ``weak``, also the extension definitions it uses."""
    out: list[str] = []
    for key, value in obj.items():
        if not key.endswith(("_ref", "_refs")) or (key in _WEAK) != weak:
            continue
        out += [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]
    if weak:
        out += [k for k in obj.get("extensions") or {} if k.startswith("extension-definition--")]
    return out


def _units(objects: list[dict[str, Any]], by_id: dict[str, dict[str, Any]]
           ) -> tuple[list[Unit], dict[str, int]]:
    units: list[Unit] = []
    owner: dict[str, int] = {}
    for obj in objects:  # groupings and warnings first: they hold their members
        if obj["type"] == "grouping" or is_warning(obj):
            members = [by_id[r] for r in obj.get("object_refs") or ()
                       if r in by_id and by_id[r]["type"] in MEMBER_TYPES and r not in owner]
            owner.update({m["id"]: len(units) for m in members} | {obj["id"]: len(units)})
            units.append(Unit(obj, members))
    for obj in objects:
        if obj["type"] == "incident":
            owner[obj["id"]] = len(units)
            units.append(Unit(obj))
    for obj in objects:  # an incident's observables: indicator/vulnerability related-to it
        if obj["type"] == "relationship":
            for a, b in ((obj.get("source_ref"), obj.get("target_ref")),
                         (obj.get("target_ref"), obj.get("source_ref"))):
                if (a in by_id and by_id[a]["type"] in MEMBER_TYPES[:2] and a not in owner
                        and b in by_id and by_id[b]["type"] == "incident"):
                    owner[a] = owner[b]
                    units[owner[b]].members.append(by_id[a])
    for obj in objects:
        if obj["type"] in MEMBER_TYPES[:2] and obj["id"] not in owner:
            owner[obj["id"]] = len(units)
            units.append(Unit(obj))
    return units, owner


def _own(units: list[Unit], owner: dict[str, int], obj: dict[str, Any]) -> str:
    owner[obj["id"]] = len(units)
    units.append(Unit(obj))
    return obj["id"]


def _edges(objects: Iterable[dict[str, Any]], by_id: dict[str, Any]) -> dict[str, list[str]]:
    adjacent: dict[str, list[str]] = {}

    def link(a: str, b: str) -> None:
        if a in by_id and b in by_id and a != b:
            adjacent.setdefault(a, []).append(b)
            adjacent.setdefault(b, []).append(a)

    for obj in objects:
        for ref in _refs(obj):
            link(obj["id"], ref)
        if obj["type"] == "relationship":
            link(str(obj.get("source_ref")), str(obj.get("target_ref")))
    return adjacent


def _spread(owner: dict[str, int], start: Iterable[str], adjacent: dict[str, list[str]],
            by_id: dict[str, dict[str, Any]]) -> None:
    """Breadth first from the owned objects: each object takes its nearest item."""
    queue = deque(start)
    while queue:
        node = queue.popleft()
        hub = by_id[node]["type"] in HUBS
        for nxt in adjacent.get(node, ()):
            if nxt not in owner and (not hub or by_id[nxt]["type"] in FOLLOWED_FROM_HUBS):
                owner[nxt] = owner[node]
                queue.append(nxt)


def plan(objects: list[dict[str, Any]]) -> list[Unit]:
    """The items of these (valid, distinct) objects and the context linked to each; the loose
    context, if any, is the last unit (``obj`` None)."""
    by_id = {o["id"]: o for o in objects}
    units, owner = _units(objects, by_id)
    adjacent = _edges(objects, by_id)
    _spread(owner, list(owner), adjacent, by_id)
    # observed data an item reaches (a sighting of its indicator, say) is that item's
    # evidence; the rest is monitoring information of its own
    alone = [_own(units, owner, o) for o in objects
             if o["type"] == "observed-data" and o["id"] not in owner]
    _spread(owner, alone, adjacent, by_id)
    weak = []
    for obj in objects:  # creators, markings, extension definitions reached by nothing else
        for ref in _refs(obj, weak=True):
            if ref in by_id and ref not in owner and obj["id"] in owner:
                owner[ref] = owner[obj["id"]]
                weak.append(ref)
    _spread(owner, weak, adjacent, by_id)
    loose, made = Unit(None), {id(u.obj) for u in units} | {id(m) for u in units for m in u.members}
    for obj in objects:
        if id(obj) in made and obj["type"] not in KEPT_TOO:
            continue
        (units[owner[obj["id"]]] if obj["id"] in owner else loose).context.append(obj)
    return units + ([loose] if loose.context else [])
