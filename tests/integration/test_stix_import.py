"""STIX 2.1 import keeps what it reads (issue 20 item 2), on SQLite and PostgreSQL: every object
of a bundle becomes monitoring information or context linked to it, or is listed as dropped
with its reason; the category comes from the objects; Fenghuo → Fenghuo keeps category,
regions, sectors, importance, observation time, originating unit and warnings (Plan §3.2)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from fenghuo.audit.models import AuditPending
from fenghuo.common.errors import ValidationFailed
from fenghuo.incident.models import Incident
from fenghuo.org.models import Body
from fenghuo.sharing import intel, stix, stix_fenghuo, stix_import
from fenghuo.sharing.models import IntelObject
from fenghuo.warning.models import EarlyWarning, MonitoringItem
from tests.fixtures.stix_bundle import IDS, bundle
from tests.integration.test_reporting_chain import file
from tests.integration.test_stix import submit
from tests.integration.test_warnings import published


def _import(rt, principal, raw, user="bj_duty"):
    return stix_import.import_bundle(rt.uow, rt.clock, principal=principal(user), raw=raw)


def _items(rt, refs) -> dict[str, MonitoringItem]:
    with rt.uow() as s:
        rows = s.scalars(select(MonitoringItem).where(MonitoringItem.ref.in_(refs)))
        return {i.title: i for i in rows}


def _kept(rt) -> dict[str, IntelObject]:
    with rt.uow() as s:
        return {o.stix_id: o for o in s.scalars(select(IntelObject))}


def test_a_realistic_bundle_is_kept_whole_and_once(rt, principal):
    """The 23 objects: 2 items (the grouping, the incident) taking the indicators of their 3
    members (2 indicators, a vulnerability), 17 objects kept as context linked to them, the TLP
    marking understood, nothing dropped; categories from the malware type and
    the incident type; a second import adds nothing."""
    result = _import(rt, principal, bundle())
    assert result.dropped == [] and result.understood == 1
    assert len(result.created) == 2 and result.kept_context == 17
    items = _items(rt, result.created)
    campaign, incident = items["钓鱼活动 Phishing campaign"], items["Ransomware at a hospital"]
    assert campaign.category == "harmful-program"  # ransomware (MPRANS) under harmful-program
    assert "harmful-program.other" in campaign.observed
    assert incident.category == "harmful-program"  # incident_types: ransomware
    assert campaign.tlp == incident.tlp == "green"
    got = {(x["type"], x["value"]) for x in json.loads(campaign.indicators)}
    assert got == {("domain", "login-verify.example"), ("cve", "CVE-2026-0001"),
                   ("ip", "198.51.100.23"), ("domain", "c2.evil.example")}
    assert json.loads(incident.indicators) == [{"type": "sha256", "value": "b" * 64}]
    kept = _kept(rt)
    for key in ("malware", "actor", "technique", "report", "indicates", "uses_malware",
                "attributed", "located", "sighting", "observed", "ip", "location", "operator",
                "cert"):
        assert kept[IDS[key]].monitoring_item_id == campaign.id, key
    assert kept[IDS["detected"]].monitoring_item_id == incident.id
    assert kept[IDS["technique"]].external_id == "T1566"
    assert kept[IDS["indicates"]].source_ref == IDS["indicator"]
    assert kept[IDS["sighting"]].target_ref == IDS["cert"] and kept[IDS["malware"]].tlp == "green"
    with rt.uow() as s:
        linked = intel.linked(s, [campaign.id])[campaign.id]
    assert {o["type"] for o in linked} >= {"malware", "threat-actor", "attack-pattern", "report",
                                          "relationship", "sighting", "observed-data",
                                          "location", "identity", "ipv4-addr", "domain-name"}
    again = _import(rt, principal, json.dumps(bundle()))
    assert again.created == [] and again.kept_context == 0 and again.dropped == []
    assert again.duplicates == 22
    assert len(_kept(rt)) == len(kept)
    with rt.uow() as s:
        assert s.scalar(select(func.count()).select_from(AuditPending).where(
            AuditPending.action == "stix.import")) == 2


def test_what_cannot_be_kept_is_listed_and_loose_context_gets_an_item(rt, principal):
    """An invalid object is dropped with its reason; a custom object and an identity no item
    reaches are kept under one item for the bundle's loose context, once."""
    raw = {"type": "bundle", "id": "bundle--00000000-0000-4000-8000-0000000000aa", "objects": [
        {"type": "malware", "spec_version": "2.1", "id": "malware--00000000-0000-4000-8000-"
         "0000000000a1", "created": "2026-03-01T08:00:00Z", "modified": "2026-03-01T08:00:00Z",
         "name": "no is_family"},
        {"type": "x-acme-widget", "spec_version": "2.1", "name": "widget",
         "id": "x-acme-widget--00000000-0000-4000-8000-0000000000a2"},
        {"type": "identity", "spec_version": "2.1", "name": "Lonely Org",
         "id": "identity--00000000-0000-4000-8000-0000000000a3",
         "created": "2026-03-01T08:00:00Z", "modified": "2026-03-01T08:00:00Z"}]}
    result = _import(rt, principal, raw)
    [dropped] = result.dropped
    assert dropped["id"].endswith("a1") and dropped["type"] == "malware"
    assert "is_family" in dropped["reason"]
    assert len(result.created) == 1 and result.kept_context == 2
    [loose] = _items(rt, result.created).values()
    assert "Lonely Org" in loose.observed and "widget" in loose.observed
    assert {o.monitoring_item_id for o in _kept(rt).values()} == {loose.id}
    again = _import(rt, principal, raw)
    assert again.created == [] and again.duplicates == 2 and len(again.dropped) == 1


@pytest.mark.parametrize("raw", ["not json", '{"type": "report"}',
                                 '{"type": "bundle", "id": "bundle--x", "objects": [1]}'])
def test_a_malformed_bundle_is_still_a_422(rt, principal, raw):
    with pytest.raises(ValidationFailed):
        _import(rt, principal, raw)


# --- Fenghuo → Fenghuo --------------------------------------------------------------------------


def test_fenghuo_to_fenghuo_keeps_the_fields_and_the_warning(rt, principal, clock):
    """Exported by Beijing, imported by Shanghai: the item's category, regions, sectors,
    importance and observation time equal the original's; the incident's category; the
    originating unit and original ref are in the text; the warning becomes monitoring
    information of Shanghai with its level, and its report is kept to be exported again."""
    inc = file(rt, principal, clock)
    item = submit(rt, principal, clock, title="重要扫描 important scan", category="network-attack",
                  jurisdictions=["110000"], sectors=["finance"], important=True)
    w = published(rt, principal, clock)
    exported = stix.export_bundle(rt.uow, rt.clock, principal=principal("bj_admin"),
                                  incidents=[inc.ref], warnings=[w.ref],
                                  monitoring=[item.ref]).bundle
    result = _import(rt, principal, exported, user="sh_admin")
    assert result.dropped == [] and len(result.created) == 3
    with rt.uow() as s:
        new = {i.title: i for i in s.scalars(select(MonitoringItem).where(
            MonitoringItem.ref.in_(result.created)))}
        original = s.scalar(select(MonitoringItem).where(MonitoringItem.ref == item.ref))
        incident = s.scalar(select(Incident).where(Incident.ref == inc.ref))
        shanghai = s.scalar(select(Body).where(Body.key == "310000.office"))
        got, from_incident, warning = new[original.title], new[incident.title], new[w.title]
        assert {i.body_id for i in new.values()} == {shanghai.id}
        for field in ("category", "jurisdictions", "sectors", "important", "observed_at",
                      "tlp"):
            assert getattr(got, field) == getattr(original, field), field
        assert "bj-bank" in got.observed and item.ref in got.observed
        assert from_incident.category == incident.category
        assert from_incident.observed_at == incident.found_at
        assert inc.ref in from_incident.observed and "bj-bank" in from_incident.observed
        assert warning.category == "harmful-program"
        assert json.loads(warning.jurisdictions) == ["110000"]
        assert json.loads(warning.sectors) == ["finance"]
        assert "orange" in warning.observed and "Plan §3.2" in warning.observed
        [report] = [o for o in intel.linked(s, [warning.id])[warning.id]
                    if o["type"] == "report"]
        assert stix_fenghuo.properties_of(report)["warning_level"] == "orange"
        assert s.scalar(select(func.count()).select_from(EarlyWarning).where(
            EarlyWarning.issuer_body_id == shanghai.id)) == 0  # no warning of Shanghai's
