"""STIX 2.1 export as a graph (issue 20 item 1), on SQLite and PostgreSQL: what leaves passes
``stix2-validator --strict`` with no error and no warning; ids are stored UUIDv4s, the same on
every export; incidents, monitoring items and warnings come with their relationships,
sightings, observed data, identities (without internal paths), province locations (ISO
3166-2:CN), Fenghuo's property extension, and the context an import kept with an item."""

from __future__ import annotations

import json
import uuid

import pytest
import stix2
from sqlalchemy import func, select
from stix2validator import ValidationOptions, validate_instance

from fenghuo.incident import casework
from fenghuo.org.accounts import principal_for
from fenghuo.org.models import Body
from fenghuo.sharing import intel, stix, stix_fenghuo
from fenghuo.sharing.models import ExchangeId
from fenghuo.warning import monitoring
from fenghuo.warning.models import MonitoringItem
from fenghuo.warning.schemas import AssessmentIn
from tests.integration.test_reporting_chain import file
from tests.integration.test_stix import by_type, submit
from tests.integration.test_warnings import published

#: the call the end-to-end test reuses: strict (every SHOULD a warning), STIX 2.1
STRICT = ValidationOptions(strict=True, version="2.1")


def problems(bundle: dict) -> list[str]:
    """Every error and warning ``stix2-validator --strict`` reports on a bundle."""
    result = validate_instance(bundle, STRICT)
    return [f"{e}" for e in result.errors] + [f"{w}" for w in result.warnings]


@pytest.fixture(scope="module")
def world(module_rt):
    rt, clock = module_rt, module_rt.clock

    def principal(user):
        return principal_for(rt.uow, username=user)

    inc = file(rt, principal, clock)
    for value in ("198.51.100.23", "c2.evil.example", "http://c2.evil.example/x?a='b'",
                  "e" * 64, "CVE-2026-4242"):
        casework.add_observable(rt.uow, rt.clock, principal=principal("bj_duty"),
                                ref=inc.ref, value=value)
    item = submit(rt, principal, clock, jurisdictions=["110000"], sectors=["finance"])
    ra = monitoring.assess(rt.uow, rt.clock, principal=principal("bj_analyst"),
                           data=AssessmentIn(items=[item.ref], likelihood="high",
                                             extent="region_or_sector", harm="major"),
                           profile="cac2025")
    warning = published(rt, principal, clock, assessment=ra.ref)
    # an item an import brought context with (sharing.intel): malware and what it uses
    imported = submit(rt, principal, clock, user="bj_admin", title="导入 imported")
    malware = stix2.v21.Malware(name="TrickyBot", is_family=True, created=clock.now(),
                                modified=clock.now())
    technique = stix2.v21.AttackPattern(name="Phishing", created=clock.now(),
                                        modified=clock.now(), external_references=[
                                            {"source_name": "mitre-attack",
                                             "external_id": "T1566"}])
    uses = stix2.v21.Relationship(malware, "uses", technique, created=clock.now(),
                                  modified=clock.now())
    context = [json.loads(o.serialize()) for o in (malware, technique, uses)]
    with rt.uow() as s:
        row = s.scalar(select(MonitoringItem).where(MonitoringItem.ref == imported.ref))
        for obj in context:
            intel.keep(s, body_id=row.body_id, origin="stix", obj=obj, item_id=row.id,
                       tlp=row.tlp, imported_by="bj_admin", now=clock.now())
    return {"rt": rt, "principal": principal, "incident": inc.ref, "item": item.ref,
            "warning": warning.ref, "imported": imported.ref, "context": context}


def export(world, user="bj_admin", **kw) -> dict:
    return stix.export_bundle(world["rt"].uow, world["rt"].clock,
                              principal=world["principal"](user), **kw).bundle


def fenghuo_ref(obj: dict) -> str | None:
    return stix_fenghuo.properties_of(obj).get("ref")


@pytest.mark.parametrize("selection", [
    {"warnings": [], "monitoring": []},  # incidents with observables
    {"incidents": [], "warnings": []},  # monitoring items, with imported context
    {"incidents": [], "monitoring": []},  # warnings
    {},  # everything the caller may receive
], ids=["incidents", "monitoring", "warnings", "mixed"])
def test_exports_pass_the_strict_validator(world, selection):
    """``stix2-validator --strict``: no error and no warning (before: 28 UUIDv5 warnings)."""
    bundle = export(world, **selection)
    assert len(bundle["objects"]) > 5
    assert problems(bundle) == []


def test_ids_are_stored_uuid4s_the_same_on_every_export(world):
    """STIX 2.1 §2.9: UUIDv4 for SDOs, SROs and the bundle (UUIDv5 for SCOs), stored on first
    export (``exchange_ids``), so a second export is identical; a read-only caller of
    ``collect`` (TAXII) commits the ids it drew too."""
    first, second = export(world), export(world)
    assert first == second
    for obj in first["objects"] + [first]:
        version = uuid.UUID(obj["id"].split("--")[1]).version
        sco = obj["type"] in ("ipv4-addr", "domain-name", "url", "file")
        if obj["type"] != "marking-definition":  # the OASIS TLP 2.0 ids are fixed
            assert version == (5 if sco else 4), obj["id"]
    [grouping] = [o for o in by_type(first, "grouping") if fenghuo_ref(o) == world["item"]]
    rt = world["rt"]
    with rt.uow() as s:
        stored = s.scalar(select(ExchangeId.uuid).where(ExchangeId.kind == "stix:grouping",
                                                        ExchangeId.local_key == world["item"]))
        assert grouping["id"] == f"grouping--{stored}"
    fresh = submit(rt, world["principal"], rt.clock, title="新 fresh")
    with rt.uow() as s:  # as the TAXII router reads
        entries, _ = stix.collect(s, world["principal"]("bj_admin"), kinds=["monitoring"])
    with rt.uow() as s:
        assert s.scalar(select(func.count()).select_from(ExchangeId).where(
            ExchangeId.kind == "stix:grouping", ExchangeId.local_key == fresh.ref)) == 1


def test_the_export_is_a_graph(world):
    """Relationships of STIX 2.1's summary (related-to, located-at, indicates), sightings of
    the item's indicators by the unit, observed data of SCOs, the warning's report naming the
    item it was based on, identities without paths, provinces as ISO 3166-2:CN locations,
    Fenghuo's properties with their extension-definition, and the imported context."""
    bundle = export(world)
    objs = {o["id"]: o for o in bundle["objects"]}
    rels = {(objs[r["source_ref"]]["type"], r["relationship_type"],
             objs[r["target_ref"]]["type"]) for r in by_type(bundle, "relationship")
            if r["source_ref"] in objs and r["target_ref"] in objs}
    assert {("incident", "related-to", "identity"), ("incident", "related-to", "location"),
            ("indicator", "related-to", "incident"), ("vulnerability", "related-to", "incident"),
            ("vulnerability", "related-to", "identity"),
            ("observed-data", "related-to", "incident"), ("identity", "located-at", "location"),
            ("grouping", "related-to", "location"), ("report", "related-to", "grouping"),
            ("indicator", "indicates", "malware"), ("malware", "uses", "attack-pattern")} <= rels
    [grouping] = [o for o in by_type(bundle, "grouping") if fenghuo_ref(o) == world["item"]]
    bank = next(o for o in by_type(bundle, "identity")
                if o.get("external_references", [{}])[0].get("external_id") == "bj-bank")
    indicators = [i for i in grouping["object_refs"] if i.startswith("indicator--")]
    sightings = {s["sighting_of_ref"]: s for s in by_type(bundle, "sighting")}
    assert indicators and set(indicators) <= set(sightings)
    seen = sightings[indicators[0]]
    assert seen["where_sighted_refs"] == [bank["id"]] and seen["count"] == 1
    observed = objs[seen["observed_data_refs"][0]]
    assert {objs[r]["type"] for r in observed["object_refs"]} == {
        "ipv4-addr", "domain-name", "file"}
    incident_scos = {objs[r]["type"] for o in by_type(bundle, "observed-data")
                     for r in o["object_refs"]}
    assert {"ipv4-addr", "domain-name", "url", "file"} <= incident_scos
    [report] = by_type(bundle, "report")
    assert grouping["id"] in report["object_refs"]
    assert stix_fenghuo.properties_of(report).items() >= {
        "kind": "warning", "ref": world["warning"], "warning_level": "orange",
        "warning_state": "published", "regions": ["110000"]}.items()
    [incident] = by_type(bundle, "incident")
    assert stix_fenghuo.properties_of(incident)["originating_unit"] == "bj-bank"
    assert stix_fenghuo.properties_of(grouping)["sectors"] == ["finance"]
    assert stix_fenghuo.EXTENSION_ID in objs
    beijing = {o["administrative_area"] for o in by_type(bundle, "location")
               if "administrative_area" in o}
    assert beijing == {"CN-BJ"}
    assert bank["sectors"] == ["financial-services"]
    with world["rt"].uow() as s:
        paths = {b.jurisdiction.path for b in s.scalars(select(Body))}
    for ident in by_type(bundle, "identity"):
        assert not any(p in ident.get("description", "") for p in paths), ident
    for obj in world["context"]:  # as received
        assert objs[obj["id"]] == obj
