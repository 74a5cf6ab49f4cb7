"""MISP export and import through the service, on SQLite and PostgreSQL (issue 8 item 5, issue 20
item 3): only what scope (Law art. 30) AND TLP 2.0 allow is exported, tags are the MISP
taxonomies' (one RSIT tag), an export is a list PyMISP loads whole with stable UUIDs, a scanning
source is ``ip-src``, an exported event imports as monitoring information (Plan §3.2) once, and
a PyMISP-made event round-trips with nothing dropped."""

from __future__ import annotations

import copy
import json

from pymisp import MISPEvent
from sqlalchemy import func, select

from fenghuo.audit.models import AuditPending
from fenghuo.incident.models import Incident
from fenghuo.org.models import Body
from fenghuo.sharing import misp
from fenghuo.sharing.models import ExchangeId, ImportedObject, IntelObject
from fenghuo.sharing.tlp import Tlp
from fenghuo.warning import monitoring
from fenghuo.warning.models import MonitoringItem
from tests.fixtures import misp_event
from tests.integration.test_reporting_chain import file
from tests.integration.test_warnings import monitoring_in


def export(rt, principal, user, **kw) -> misp.MispExport:
    return misp.export_events(rt.uow, principal=principal(user), **kw)


def by_ref(result: misp.MispExport) -> dict[str, dict]:
    out = {}
    for doc in result.events:
        [ref] = [a["value"] for a in doc["Event"]["Attribute"]
                 if a["category"] == misp.REF_CATEGORY]
        out[ref] = doc["Event"]
    return out


def tags(event: dict) -> list[str]:
    return [t["name"] for t in event["Tag"]]


def count(rt, model) -> int:
    with rt.uow() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_an_amber_strict_incident_exports_tlp_amber_strict_and_its_rsit_tags(
        rt, principal, clock):
    """TLP 2.0 tag verbatim (misp-tlp-machinetag: ``tlp:amber+strict``); network-attack.dos maps
    to one RSIT tag, availability dos (mapping-rsit-gbt20986-cn2017); the reporting body is the
    originating organisation; a reported incident is not published yet."""
    inc = file(rt, principal, clock, tlp=Tlp.AMBER_STRICT)
    event = by_ref(export(rt, principal, "bj_reporter", kind="incident"))[inc.ref]
    assert [t for t in tags(event) if t.startswith("tlp:")] == ["tlp:amber+strict"]
    assert [t for t in tags(event) if t.startswith("rsit:")] == ['rsit:availability="dos"']
    with rt.uow() as s:
        row = s.scalar(select(Incident).where(Incident.ref == inc.ref))
        body = s.get(Body, row.reporting_body_id or row.subject_body_id)
        org = s.scalar(select(ExchangeId.uuid).where(ExchangeId.kind == "misp-org",
                                                     ExchangeId.local_key == body.key))
    assert event["Orgc"] == {"name": f"{body.name_en} {body.name_zh}", "uuid": org}
    assert event["Org"] == event["Orgc"] and event["published"] is False
    assert int(event["timestamp"]) > 0 and int(event["publish_timestamp"]) == 0
    assert int(event["distribution"]) == 0
    assert int(event["threat_level_id"]) == misp.THREAT_LEVEL[inc.grade]
    assert int(event["analysis"]) == 0  # reported: initial
    assert inc.title in event["info"] and event["uuid"] == misp.event_uuid(inc.ref)


def test_a_red_incident_is_not_exported_to_a_caller_it_does_not_name(rt, principal, clock):
    """TLP:RED goes to named recipients only: the Emergency Office reads the Beijing incident
    by scope but was not routed a general one, so the export withholds it with the TLP reason;
    the reporting unit and the routed Beijing office get it."""
    red = file(rt, principal, clock, tlp=Tlp.RED)
    amber = file(rt, principal, clock, title="另一起 another one")
    national = export(rt, principal, "nat_admin", kind="incident")
    assert amber.ref in by_ref(national) and red.ref not in by_ref(national)
    [withheld] = [w for w in national.withheld if w.ref == red.ref]
    assert withheld.tlp == "red" and withheld.reasons[0]["code"] == "tlp.beyond_reach"
    assert "cn.emergency-office" not in {r.body for r in red.routes}
    for named in ("bj_reporter", "bj_admin"):
        assert red.ref in by_ref(export(rt, principal, named, kind="incident")), named


def test_scope_limits_the_export_whatever_the_tlp(rt, principal, clock):
    """Law art. 30: Shanghai's office gets no Beijing incident, not even a TLP:CLEAR one, and is
    not told about them either."""
    clear = file(rt, principal, clock, tlp=Tlp.CLEAR)
    shanghai = export(rt, principal, "sh_admin")
    assert clear.ref not in by_ref(shanghai)
    assert not any(w.ref == clear.ref for w in shanghai.withheld)
    assert clear.ref in by_ref(export(rt, principal, "nat_admin", refs=[clear.ref]))


def test_a_red_monitoring_item_reaches_the_office_only_once_shared_with_it(rt, principal,
                                                                            clock):
    """TLP:RED monitoring information: the Emergency Office (in scope) gets it only when it is
    named, i.e. when the important item was reported up to it (Plan §3.2: the bank's office
    reports it on)."""
    quiet = monitoring.submit(rt.uow, rt.clock, principal=principal("bj_reporter"),
                              data=monitoring_in(clock, tlp=Tlp.RED))
    loud = monitoring.submit(rt.uow, rt.clock, principal=principal("bj_reporter"),
                             data=monitoring_in(clock, tlp=Tlp.RED, important=True))
    assert loud.ref not in by_ref(export(rt, principal, "nat_admin", kind="monitoring"))
    monitoring.report_up(rt.uow, rt.clock, principal=principal("bj_duty"), ref=loud.ref)
    got = export(rt, principal, "nat_admin", kind="monitoring")
    assert loud.ref in by_ref(got) and quiet.ref not in by_ref(got)
    assert {w.ref for w in got.withheld} >= {quiet.ref}
    event = by_ref(got)[loud.ref]
    assert {(a["type"], a["value"]) for a in event["Attribute"]} >= {
        ("ip-src", "203.0.113.7"), ("vulnerability", "CVE-2026-0001")}
    assert int(event["threat_level_id"]) == 2  # important


def test_export_and_import_round_trip_once(rt, principal, clock):
    """A GREEN item exported by the Beijing office imports into Shanghai's office as monitoring
    information with its indicators, TLP and category; a second import creates nothing."""
    item = monitoring.submit(rt.uow, rt.clock, principal=principal("bj_reporter"),
                             data=monitoring_in(clock, tlp=Tlp.GREEN,
                                                category="harmful-program"))
    exported = export(rt, principal, "bj_admin", kind="monitoring", refs=[item.ref])
    document = json.loads(json.dumps(exported.document()))  # as written to a file
    assert 'fenghuo:category="harmful-program"' in tags(document[0]["Event"])
    [row] = misp.import_events(rt.uow, rt.clock, principal=principal("sh_admin"),
                               document=document)
    assert row.created and row.tlp == "green" and row.indicators == 2
    got = monitoring.get_item(rt.uow, principal=principal("sh_admin"), ref=row.ref)
    assert got.body == "310000.office" and got.tlp == Tlp.GREEN
    assert got.category == "harmful-program"
    assert {(i.type, i.value) for i in got.indicators} == {
        ("ip", "203.0.113.7"), ("cve", "CVE-2026-0001")}
    assert item.ref in got.observed
    items = count(rt, MonitoringItem)
    [again] = misp.import_events(rt.uow, rt.clock, principal=principal("sh_admin"),
                                 document=document[0])
    assert not again.created and again.ref == row.ref
    assert count(rt, MonitoringItem) == items and count(rt, ImportedObject) == 1
    assert not row.dropped
    with rt.uow() as s:
        assert s.scalar(select(func.count()).select_from(AuditPending).where(
            AuditPending.action == "misp.import")) == 1


def test_each_body_that_imports_an_event_gets_its_own_item(rt, principal, clock):
    """Law art. 30: Shanghai's import of an event is Shanghai's; Beijing importing the same
    event gets its own monitoring item (and Shanghai's stays out of its sight), and a second
    import by Beijing creates nothing."""
    doc = misp.event_document(misp.build_event(misp.EventData(
        ref="EXT-1", kind="monitoring", info="外部 external", day=clock.now().date(),
        tlp=Tlp.GREEN, threat_level_id=4, analysis=0)))
    [first] = misp.import_events(rt.uow, rt.clock, principal=principal("sh_admin"),
                                 document=doc)
    [second] = misp.import_events(rt.uow, rt.clock, principal=principal("bj_admin"),
                                  document=doc)
    assert first.created and second.created and first.ref != second.ref
    [again] = misp.import_events(rt.uow, rt.clock, principal=principal("bj_admin"),
                                 document=doc)
    assert not again.created and again.ref == second.ref


def all_attributes(event: dict) -> list[dict]:
    return [*event.get("Attribute", []), *(a for o in event.get("Object", [])
                                           for a in o["Attribute"])]


def test_a_three_event_export_is_a_list_pymisp_loads_whole(rt, principal, clock, tmp_path):
    """Issue 20 item 3: the export file is a JSON list of ``{"Event": …}`` (what PyMISP's
    ``search()`` returns and loads one by one with ``MISPEvent().load``), so all three events
    load, each with all its attributes and objects; UUIDs are the same in a second export."""
    made = [monitoring.submit(rt.uow, rt.clock, principal=principal("bj_reporter"),
                              data=monitoring_in(clock, title=f"第{n}条 item {n}",
                                                 tlp=Tlp.GREEN)) for n in range(3)]
    first = export(rt, principal, "bj_reporter", kind="monitoring",
                   refs=[m.ref for m in made], now=clock.now())
    path = tmp_path / "misp.json"
    path.write_text(json.dumps(first.document(), ensure_ascii=False), encoding="utf-8")
    document = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(document, list) and len(document) == 3
    assert all(set(entry) == {"Event"} for entry in document)
    loaded = []
    for entry in document:
        event = MISPEvent()
        event.load(copy.deepcopy(entry))  # PyMISP empties the dict it loads
        loaded.append(event)
        assert len(event.attributes) + sum(len(o.attributes) for o in event.objects) == \
            len(all_attributes(entry["Event"]))
    assert {e.info for e in loaded} == {f"{m.ref} 第{n}条 item {n}" for n, m in enumerate(made)}
    assert all(e.Orgc.uuid and e.published for e in loaded)
    again = export(rt, principal, "bj_reporter", kind="monitoring", refs=[m.ref for m in made])
    uuids = [(e["Event"]["uuid"], e["Event"]["Orgc"]["uuid"],
              sorted(a["uuid"] for a in all_attributes(e["Event"])),
              sorted(o["uuid"] for o in e["Event"].get("Object", []))) for e in document]
    assert uuids == [(e["Event"]["uuid"], e["Event"]["Orgc"]["uuid"],
                      sorted(a["uuid"] for a in all_attributes(e["Event"])),
                      sorted(o["uuid"] for o in e["Event"].get("Object", [])))
                     for e in again.document()]
    with rt.uow() as s:
        stored = set(s.scalars(select(ExchangeId.uuid).where(
            ExchangeId.kind == "misp-attribute")))
    assert {a for _, _, attrs, _ in uuids for a in attrs} <= stored


def test_a_scanning_source_is_ip_src_with_one_rsit_tag(rt, principal, clock):
    """The VPN-scan item (examples/monitoring.yaml): a network attack's address is the
    attacker's, ``ip-src``; one RSIT tag, not the 12 of all network-attack subcategories (the
    item carries no subcategory: ``rsit:other="undetermined"``), and our category tag."""
    item = monitoring.submit(rt.uow, rt.clock, principal=principal("bj_reporter"), data=(
        monitoring_in(clock, title="VPN网关遭扫描 VPN gateway scanned", tlp=Tlp.GREEN,
                      indicators=[{"type": "ip", "value": "203.0.113.7"},
                                  {"type": "domain", "value": "vpn-update.example.net"}])))
    event = by_ref(export(rt, principal, "bj_reporter", refs=[item.ref]))[item.ref]
    assert ("ip-src", "203.0.113.7") in {(a["type"], a["value"]) for a in event["Attribute"]}
    assert [t for t in tags(event) if t.startswith("rsit:")] == ['rsit:other="undetermined"']
    assert 'fenghuo:category="network-attack"' in tags(event)
    assert "Object" not in event  # a scanning source is not the domain's address (domain-ip)


def test_a_pymisp_event_round_trips_with_nothing_dropped(rt, principal, clock):
    """A PyMISP-made event of 17 values with objects, tags and a galaxy imports with nothing
    dropped (indicators become the item's, the rest is kept as context) and exports back with
    the same uuid, attributes (uuid, type, value, to_ids), tags, objects and galaxy."""
    original = misp_event.document()
    [row] = misp.import_events(rt.uow, rt.clock, principal=principal("sh_admin"),
                               document=copy.deepcopy(original))
    assert row.created and row.dropped == [] and row.tlp == "green"
    got = monitoring.get_item(rt.uow, principal=principal("sh_admin"), ref=row.ref)
    assert got.category == "network-attack"  # back from rsit:intrusion-attempts="exploit"
    assert ("ip", "198.51.100.10") in {(i.type, i.value) for i in got.indicators}
    assert row.indicators == len(got.indicators) == 13  # not the note, AS, name, size
    with rt.uow() as s:
        assert s.scalar(select(func.count()).select_from(IntelObject).where(
            IntelObject.origin == "misp")) == row.kept == 1 + 10 + 2
    [back] = export(rt, principal, "sh_admin", kind="monitoring", refs=[row.ref]).document()
    event = back["Event"]
    assert event["uuid"] == misp_event.UUID and event["Orgc"]["name"] == "Example CERT"
    mine = {u: v for u, v in misp_event.values(back).items()
            if v[1] != row.ref}  # less our own Internal reference
    assert mine == misp_event.values(original)
    assert set(misp_event.TAGS) <= set(tags(event))
    assert [t for t in tags(event) if t.startswith("rsit:")] == [misp_event.TAGS[1]]
    assert sorted(o["name"] for o in event["Object"]) == ["domain-ip", "file"]
    [scanner] = [a for a in event["Attribute"] if a["value"] == "198.51.100.10"]
    assert [t["name"] for t in scanner["Tag"]] == ["kill-chain:reconnaissance"]
    [galaxy] = event["Galaxy"]
    assert galaxy["type"] == "mitre-attack-pattern"
    assert [c["value"] for c in galaxy["GalaxyCluster"]] == [misp_event.T1190]
    assert f'misp-galaxy:mitre-attack-pattern="{misp_event.T1190}"' in tags(event)
