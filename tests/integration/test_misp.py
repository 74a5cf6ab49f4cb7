"""MISP export and import through the service, on SQLite and PostgreSQL (issue 8 item 5): only
what scope (Law art. 30) AND TLP 2.0 allow is exported, tags are the MISP taxonomies', an
exported event imports as monitoring information (Plan §3.2) once."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from fenghuo.audit.models import AuditPending
from fenghuo.sharing import misp
from fenghuo.sharing.models import ImportedObject
from fenghuo.sharing.tlp import Tlp
from fenghuo.warning import monitoring
from fenghuo.warning.models import MonitoringItem
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
    to RSIT availability dos/ddos (mapping-rsit-gbt20986-cn2017); the reporter is named."""
    inc = file(rt, principal, clock, tlp=Tlp.AMBER_STRICT)
    event = by_ref(export(rt, principal, "bj_reporter", kind="incident"))[inc.ref]
    assert [t for t in tags(event) if t.startswith("tlp:")] == ["tlp:amber+strict"]
    assert {'rsit:availability="dos"', 'rsit:availability="ddos"'} <= set(tags(event))
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
        ("ip-dst", "203.0.113.7"), ("vulnerability", "CVE-2026-0001")}
    assert int(event["threat_level_id"]) == 2  # important


def test_export_and_import_round_trip_once(rt, principal, clock):
    """A GREEN item exported by the Beijing office imports into Shanghai's office as monitoring
    information with its indicators, TLP and category; a second import creates nothing."""
    item = monitoring.submit(rt.uow, rt.clock, principal=principal("bj_reporter"),
                             data=monitoring_in(clock, tlp=Tlp.GREEN,
                                                category="harmful-program"))
    exported = export(rt, principal, "bj_admin", kind="monitoring", refs=[item.ref])
    document = json.loads(json.dumps(exported.document()))  # as written to a file
    assert 'rsit:malicious-code="infected-system"' in tags(document["response"][0]["Event"])
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
                                 document=document["response"][0])
    assert not again.created and again.ref == row.ref
    assert count(rt, MonitoringItem) == items and count(rt, ImportedObject) == 1
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
