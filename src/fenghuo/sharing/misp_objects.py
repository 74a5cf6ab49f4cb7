"""How our indicators become MISP attributes and objects, and ATT&CK context MISP galaxies
(issue 20 item 3) — pure, no I/O.

**Direction (ip-src / ip-dst).** Our indicators (``warning.schemas.IndicatorIn``) carry a type and
a value, no role, so the direction is read from the item's category (Plan annex 1), with MISP's
definitions of the types (MISP core format, ``describeTypes``: ``ip-src`` "a source IP address of
the attacker", ``ip-dst`` "a destination IP address of the attacker or C&C server"): a network
attack (scanning, DoS, exploitation, backdoor use, brute force …) comes *from* the address
reported, so ``ip-src``; phishing, malicious code (C2, malware distribution, infected web sites)
and everything else name a host that is (or would be) contacted, so ``ip-dst``. An imported
attribute keeps its own type whatever this reading says (``sharing.misp_context``).

**Objects** (MISP object templates shipped with PyMISP, ``pymisp/data/misp-objects``), used where
they fit the indicators of one item:

* ``file``: the item's hashes, as one file when there is at most one hash per algorithm (several
  algorithms of one sample), else one file per hash;
* ``url``: each URL;
* ``domain-ip``: one domain with the addresses of the same item, when those addresses are hosts
  contacted (``ip-dst``): a scanning source is not the domain's address;
* ``email``: the sender (``from``) of a phishing item (subcategory ``network-attack.phishing``).

Other indicators are plain attributes (``vulnerability``, ``text``, ``ip-src`` …).

**Galaxies.** A STIX ``attack-pattern`` with a ``mitre-attack`` external reference (kept with
the item, ``sharing.intel``) is the cluster "<name> - <T-id>" of MISP's ``mitre-attack-pattern``
galaxy (misp-galaxy ``galaxies/mitre-attack-pattern.json``; the cluster uuid is the ATT&CK STIX
id's, as misp-galaxy has it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

SRC, DST = "src", "dst"

#: our indicator types → MISP attribute types (``ip`` depends on the direction)
ATTRIBUTE_TYPE: dict[str, str] = {"domain": "domain", "url": "url", "md5": "md5", "sha1": "sha1",
                                  "sha256": "sha256", "cve": "vulnerability", "email": "email",
                                  "other": "text"}
HASHES = ("md5", "sha1", "sha256")
NOT_IDS = ("text", "vulnerability")  # context, not something to detect on

#: MISP's galaxy of ATT&CK techniques (misp-galaxy ``galaxies/mitre-attack-pattern.json``)
ATTACK_GALAXY = {"uuid": "c4e851fa-775f-11e7-8163-b774922098cd", "name": "Attack Pattern",
                 "type": "mitre-attack-pattern", "namespace": "mitre-attack",
                 "description": "ATT&CK Tactic", "icon": "map"}


def ip_direction(category: str | None, subcategory: str | None = None) -> str:
    """``src`` for a network attack (its address is the attacker's), ``dst`` otherwise."""
    code = subcategory or category or ""
    if code == "network-attack.phishing" or not code.startswith("network-attack"):
        return DST
    return SRC


def attribute_type(kind: str, direction: str) -> str:
    if kind == "ip":
        return "ip-src" if direction == SRC else "ip-dst"
    return ATTRIBUTE_TYPE.get(kind, "text")


def local_key(ref: str, kind: str, value: str) -> str:
    """``<ref>|<kind>|<value>`` (``exchange_ids.local_key``, at most 300 characters: a long value
    is named by its SHA-256)."""
    key = f"{ref}|{kind}|{value}"
    if len(key) <= 300:
        return key
    return f"{ref}|{kind}|sha256:{hashlib.sha256(value.encode()).hexdigest()}"


@dataclass(frozen=True)
class Planned:
    """One attribute to write: the indicator it comes from, its MISP type, its relation when
    it is inside an object."""

    kind: str
    value: str
    misp_type: str
    relation: str | None = None

    @property
    def to_ids(self) -> bool:
        return self.misp_type not in NOT_IDS

    def key(self, ref: str) -> str:
        return local_key(ref, self.kind, self.value)


@dataclass(frozen=True)
class PlannedObject:
    name: str  # a MISP object template
    attributes: tuple[Planned, ...]

    def key(self, ref: str) -> str:
        parts = "|".join(sorted(f"{a.kind}={a.value}" for a in self.attributes))
        return local_key(ref, self.name, parts)


def plan(indicators: Iterable[tuple[str, str]], category: str | None,
         subcategory: str | None = None) -> tuple[list[Planned], list[PlannedObject]]:
    """The plain attributes and the objects of an item's indicators (see the module text)."""
    direction = ip_direction(category, subcategory)
    pairs = list(dict.fromkeys((k, v) for k, v in indicators))
    by_kind: dict[str, list[str]] = {}
    for kind, value in pairs:
        by_kind.setdefault(kind, []).append(value)
    objects: list[PlannedObject] = []
    used: set[tuple[str, str]] = set()
    hashes = [(k, v) for k, v in pairs if k in HASHES]
    if hashes and all(len(by_kind.get(h, [])) <= 1 for h in HASHES):
        objects.append(PlannedObject("file", tuple(Planned(k, v, k, k) for k, v in hashes)))
    else:
        objects += [PlannedObject("file", (Planned(k, v, k, k),)) for k, v in hashes]
    used.update(hashes)
    for value in by_kind.get("url", []):
        objects.append(PlannedObject("url", (Planned("url", value, "url", "url"),)))
        used.add(("url", value))
    domains, ips = by_kind.get("domain", []), by_kind.get("ip", [])
    if direction == DST and len(domains) == 1 and ips:
        objects.append(PlannedObject("domain-ip", (
            Planned("domain", domains[0], "domain", "domain"),
            *(Planned("ip", ip, "ip-dst", "ip") for ip in ips))))
        used.update([("domain", domains[0]), *(("ip", ip) for ip in ips)])
    if subcategory == "network-attack.phishing":
        for value in by_kind.get("email", []):
            objects.append(PlannedObject("email", (Planned("email", value, "email-src",
                                                           "from"),)))
            used.add(("email", value))
    plain = [Planned(k, v, attribute_type(k, direction)) for k, v in pairs
             if (k, v) not in used]
    return plain, objects


def attack_patterns(context: Iterable[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    """(ATT&CK id, name, cluster uuid) of the STIX attack patterns kept with an item."""
    out: dict[str, tuple[str, str, str | None]] = {}
    for obj in context:
        if obj.get("type") != "attack-pattern":
            continue
        for ref in obj.get("external_references") or ():
            if (isinstance(ref, dict) and ref.get("source_name") == "mitre-attack"
                    and ref.get("external_id")):
                stix_id = str(obj.get("id") or "")
                uuid = stix_id.split("--", 1)[1] if "--" in stix_id else None
                out.setdefault(str(ref["external_id"]),
                               (str(ref["external_id"]), str(obj.get("name") or ""), uuid))
    return list(out.values())


def attack_cluster(technique: str, name: str, uuid: str | None) -> dict[str, Any]:
    """A ``mitre-attack-pattern`` galaxy cluster, as MISP writes one in an event."""
    value = f"{name} - {technique}" if name else technique
    cluster = {"type": "mitre-attack-pattern", "value": value,
               "tag_name": f'misp-galaxy:mitre-attack-pattern="{value}"',
               "description": "", "meta": {"external_id": [technique]}}
    return cluster | ({"uuid": uuid} if uuid else {})


def attack_galaxy(techniques: Iterable[tuple[str, str, str | None]]) -> dict[str, Any] | None:
    clusters = [attack_cluster(*t) for t in techniques]
    return {**ATTACK_GALAXY, "GalaxyCluster": clusters} if clusters else None
