"""STIX 2.1 export and import through their services, on SQLite and PostgreSQL (issue 8 items
3–4): scope (Law art. 30) AND TLP 2.0 decide what leaves; stable ids; a bundle exported
by one instance imports into another as monitoring information (Plan §3.2), deduplicated."""

from __future__ import annotations

import json
import shutil
import uuid
from datetime import timedelta

import pytest
import stix2
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from fenghuo.audit.models import AuditPending
from fenghuo.common.errors import Forbidden, NotFound, ValidationFailed
from fenghuo.org.accounts import principal_for
from fenghuo.sharing import stix, stix_graph, stix_import
from fenghuo.sharing.models import ImportedObject
from fenghuo.sharing.tlp import Tlp
from fenghuo.warning import monitoring
from fenghuo.warning.models import MonitoringItem
from fenghuo.warning.schemas import IndicatorIn, MonitoringIn
from tests.conftest import PG_ADMIN_URL, _pg_exec, _runtime
from tests.integration.test_reporting_chain import file
from tests.integration.test_warnings import published


def submit(rt, principal, clock, user="bj_reporter", tlp=Tlp.AMBER, **kw):
    data = MonitoringIn(**{"title": "可疑扫描 Suspicious scanning", "observed": "大量扫描 scans",
                           "observed_at": clock.now() - timedelta(hours=1), "tlp": tlp,
                           "indicators": [IndicatorIn(type="ip", value="203.0.113.7"),
                                          IndicatorIn(type="domain", value="evil.example"),
                                          IndicatorIn(type="sha256", value="a" * 64),
                                          IndicatorIn(type="cve", value="CVE-2026-12345"),
                                          IndicatorIn(type="other", value="odd's thing")],
                           **kw})
    return monitoring.submit(rt.uow, rt.clock, principal=principal(user), data=data)


def by_type(bundle: dict, kind: str) -> list[dict]:
    return [o for o in bundle.get("objects", []) if o["type"] == kind]


def refs(bundle: dict) -> set[str]:
    return {r["external_id"] for o in bundle.get("objects", [])
            if o["type"] in ("incident", "report", "grouping")
            for r in o.get("external_references", []) if r["source_name"] == "fenghuo"}


def export(rt, principal, user, **kw):
    return stix.export_bundle(rt.uow, rt.clock, principal=principal(user), **kw)


@pytest.fixture
def world(rt, principal, clock):
    inc = file(rt, principal, clock)
    red = file(rt, principal, clock, title="RED 事件 red incident", tlp=Tlp.RED)
    w = published(rt, principal, clock)
    item = submit(rt, principal, clock)
    red_item = submit(rt, principal, clock, tlp=Tlp.RED, title="红色 red item")
    return {"incident": inc.ref, "red": red.ref, "warning": w.ref, "item": item.ref,
            "red_item": red_item.ref}


def test_export_builds_valid_stix_with_the_incident_core_extension_and_tlp2(rt, principal,
                                                                           world):
    """Issue 8 item 3: incident SDO + Incident Core Extension, identity, report, indicators
    with patterns, vulnerability for the CVE, official TLP 2.0 markings on every object."""
    out = export(rt, principal, "bj_reporter")
    bundle = out.bundle
    parsed = stix2.parse(bundle, allow_custom=False)  # validates every object
    assert parsed.type == "bundle"
    [incident] = [o for o in by_type(bundle, "incident")
                  if o["external_references"][0]["external_id"] == world["incident"]]
    ext = incident["extensions"][stix.INCIDENT_CORE_EXTENSION]
    assert ext["extension_type"] == "property-extension"
    assert ext["determination"] == "suspected" and ext["investigation_status"] == "new"
    assert ext["criticality"] == stix.CRITICALITY["general"]
    assert ext["impacted_entity_counts"] == {"organizations": 1, "information-systems": 1}
    assert "category:network-attack" in incident["labels"]
    assert incident["object_marking_refs"] == [stix.TLP2_MARKINGS[Tlp.AMBER]]
    [bank] = [o for o in by_type(bundle, "identity")
              if o.get("external_references", [{}])[0].get("external_id") == "bj-bank"]
    assert incident["created_by_ref"] == bank["id"]
    patterns = {o["pattern"] for o in by_type(bundle, "indicator")}
    assert "[ipv4-addr:value = '203.0.113.7']" in patterns
    assert "[file:hashes.'SHA-256' = '" + "a" * 64 + "']" in patterns
    assert {o["name"] for o in by_type(bundle, "vulnerability")} == {"CVE-2026-12345"}
    markings = {o["id"] for o in by_type(bundle, "marking-definition")}
    assert markings <= set(stix.TLP2_MARKINGS.values())
    for o in bundle["objects"]:
        if o["type"] != "marking-definition":
            assert o["object_marking_refs"][0] in markings, o["id"]
    # the reporter's own RED items are its own (NAMED): they are exported to it
    assert {world["red"], world["red_item"]} <= refs(bundle)


def test_a_second_export_gives_the_same_ids(rt, principal, world):
    """Stable ids (UUIDv4s stored on first export, issue 20 item 1): exporting twice gives the
    same bundle."""
    first = export(rt, principal, "bj_admin").bundle
    second = export(rt, principal, "bj_admin").bundle
    assert first == second
    assert {o["id"] for o in first["objects"]} == {o["id"] for o in second["objects"]}


def test_scope_and_tlp_decide_what_an_office_exports(rt, principal, world):
    """Law art. 30 + TLP 2.0: Beijing's office sees Beijing's items; a RED monitoring item it
    is not named on (only in scope) stays out; the RED incident was routed to it (NAMED)."""
    out = export(rt, principal, "bj_admin")
    got = refs(out.bundle)
    assert {world["incident"], world["red"], world["warning"], world["item"]} <= got
    assert world["red_item"] not in got
    assert out.withheld >= 1


def test_the_national_office_gets_amber_but_not_red_it_is_not_named_on(rt, principal, world):
    """TLP:RED reaches named recipients only: the Emergency Office is in scope of the general
    incident but not routed to it."""
    got = refs(export(rt, principal, "nat_admin").bundle)
    assert world["incident"] in got
    assert world["red"] not in got and world["red_item"] not in got


def test_shanghai_exports_nothing_of_beijing(rt, principal, world):
    """Law art. 30: outside the caller's scope nothing is exported, whatever its TLP."""
    bundle = export(rt, principal, "sh_admin").bundle
    assert not refs(bundle) & set(world.values())


def test_an_explicit_ref_outside_scope_is_a_404_and_filters_narrow(rt, principal, world, clock):
    with pytest.raises(NotFound):
        export(rt, principal, "sh_admin", incidents=[world["incident"]])
    only = export(rt, principal, "bj_admin", incidents=[world["incident"]], warnings=[],
                  monitoring=[]).bundle
    assert refs(only) == {world["incident"]}
    later = export(rt, principal, "bj_admin", since=clock.now() + timedelta(days=1)).bundle
    assert not refs(later)
    # a named ref unchanged since the day is left out, not a 404
    unchanged = export(rt, principal, "bj_admin", incidents=[world["incident"]],
                       since=(clock.now() + timedelta(days=1)).date()).bundle
    assert not refs(unchanged)


def test_an_export_is_audited(rt, principal, world):
    export(rt, principal, "bj_admin")
    with rt.uow() as s:
        assert s.scalar(select(func.count()).select_from(AuditPending).where(
            AuditPending.action == "stix.export")) == 1


# --- import -----------------------------------------------------------------------------------


@pytest.fixture
def other_rt(request, db_url, tmp_path, clock):
    """A second instance: a fresh copy of the seeded world on the same backend."""
    if db_url.startswith("sqlite"):
        target = tmp_path / "other.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        url = f"sqlite:///{target}"
        name = None
    else:
        name = f"fenghuo_o_{uuid.uuid4().hex[:12]}"
        _pg_exec(f'CREATE DATABASE "{name}" TEMPLATE "{request.getfixturevalue("pg_template")}"')
        url = str(make_url(PG_ADMIN_URL).set(database=name))
    runtime = _runtime(url, clock)
    yield runtime
    runtime.engine.dispose()
    if name:
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def items(rt) -> list[MonitoringItem]:
    with rt.uow() as s:
        return list(s.scalars(select(MonitoringItem).order_by(MonitoringItem.id)))


def test_a_bundle_from_one_instance_imports_into_another_once(rt, other_rt, principal, world):
    """Issue 8 item 2: incidents and monitoring items exported here become monitoring items of
    the importing body there, TLP from the markings; a second import creates nothing new."""
    bundle = export(rt, principal, "bj_reporter").bundle
    importer = principal_for(other_rt.uow, username="bj_admin")
    before = len(items(other_rt))
    ticks = []
    result = stix_import.import_bundle(other_rt.uow, other_rt.clock, principal=importer,
                                       raw=json.dumps(bundle),
                                       progress=lambda n, t: ticks.append((n, t)))
    # issue 20 item 2: a warning's report is monitoring information of the importer too
    n_units = len(by_type(bundle, "incident")) + len(by_type(bundle, "grouping")) + len(
        [r for r in by_type(bundle, "report") if stix_graph.is_warning(r)])
    assert by_type(bundle, "report") and result.dropped == []
    assert len(result.created) == n_units and ticks[-1] == (n_units, n_units)
    new = items(other_rt)[before:]
    assert len(new) == n_units and {i.body_id for i in new} == {importer.body_id}
    titles = {i.title: i for i in new}
    scan = titles["可疑扫描 Suspicious scanning"]
    assert scan.tlp == "amber"
    got = {(x["type"], x["value"]) for x in json.loads(scan.indicators)}
    assert {("ip", "203.0.113.7"), ("domain", "evil.example"), ("sha256", "a" * 64),
            ("cve", "CVE-2026-12345")} <= got
    assert titles["红色 red item"].tlp == "red"
    assert titles["RED 事件 red incident"].tlp == "red"
    again = stix_import.import_bundle(other_rt.uow, other_rt.clock, principal=importer,
                                      raw=bundle)
    assert again.created == [] and again.duplicates >= n_units
    assert len(items(other_rt)) == before + n_units


def test_imported_objects_are_deduplicated_per_importing_body(rt, principal, world):
    """Two bodies importing the same bundle each get their own items (and each only once)."""
    bundle = export(rt, principal, "bj_reporter", incidents=[], warnings=[],
                    monitoring=[world["item"]]).bundle
    a = stix_import.import_bundle(rt.uow, rt.clock, principal=principal("sh_admin"), raw=bundle)
    b = stix_import.import_bundle(rt.uow, rt.clock, principal=principal("bj_admin"), raw=bundle)
    assert len(a.created) == len(b.created) == 1
    with rt.uow() as s:
        # the grouping and its members: indicators, vulnerabilities, observed data
        assert s.scalar(select(func.count()).select_from(ImportedObject)) == 2 * (
            1 + len(by_type(bundle, "indicator")) + len(by_type(bundle, "vulnerability"))
            + len(by_type(bundle, "observed-data")))


def test_a_foreign_bundle_takes_tlp_from_markings_and_defaults_to_amber(rt, principal, clock):
    """TLP 2.0: the strictest marking present (TLP 1.0 ids read too); AMBER when unmarked."""
    green = stix2.v21.Indicator(pattern="[url:value = 'http://x.example/a']",
                                pattern_type="stix", valid_from=clock.now(), name="bad url",
                                object_marking_refs=[stix2.TLP_GREEN])
    bare = stix2.v21.Indicator(pattern="[domain-name:value = 'y.example']",
                               pattern_type="stix", valid_from=clock.now())
    report = stix2.v21.Report(name="r", published=clock.now(), object_refs=[green.id])
    bundle = stix2.v21.Bundle(green, bare, report, stix2.TLP_GREEN).serialize()
    result = stix_import.import_bundle(rt.uow, rt.clock, principal=principal("bj_duty"),
                                       raw=bundle)
    # issue 20 item 2: the report is kept as context (of the item it names), not ignored
    assert len(result.created) == 2 and result.kept_context == 1 and result.dropped == []
    new = {i.title: i for i in items(rt)}
    assert new["bad url"].tlp == "green"
    assert json.loads(new["bad url"].indicators) == [{"type": "url",
                                                      "value": "http://x.example/a"}]
    assert new[bare.id].tlp == "amber"


@pytest.mark.parametrize("raw", ["not json", '{"type": "report"}',
                                 '{"type": "bundle", "id": "bundle--x", "objects": [1]}'])
def test_a_malformed_bundle_is_refused(rt, principal, raw):
    with pytest.raises(ValidationFailed):
        stix_import.import_bundle(rt.uow, rt.clock, principal=principal("bj_duty"), raw=raw)


def test_importing_needs_the_monitoring_submit_permission(rt, principal):
    with pytest.raises(Forbidden):
        stix_import.import_bundle(rt.uow, rt.clock, principal=principal("bj_ro"),
                                  raw='{"type": "bundle", "id": "bundle--x"}')
