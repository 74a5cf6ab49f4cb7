"""The MISP mapping, offline (issue 8 item 5): TLP 2.0 and RSIT machine tags exactly as in the
MISP taxonomies (``shared/standards/misp-tlp-machinetag.json``, ``misp-rsit-machinetag.json``),
distribution consistent with TLP, threat level from the grade (Plan §1.4), indicators as
attributes, and reading events back."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from fenghuo.common.errors import ValidationFailed
from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.sharing import misp
from fenghuo.sharing.tlp import Tlp

STANDARDS = Path(__file__).parents[3] / "shared" / "standards"
needs_standards = pytest.mark.skipif(
    not STANDARDS.is_dir(),
    reason=f"reference standards folder {STANDARDS} is absent (shared/ sits next to the repo)")
TZ = ZoneInfo("Asia/Shanghai")


def _machinetags(name: str) -> set[str]:
    data = json.loads((STANDARDS / name).read_text(encoding="utf-8"))
    ns = data["namespace"]
    if not data.get("values"):
        return {f"{ns}:{p['value']}" for p in data["predicates"]}
    return {f'{ns}:{v["predicate"]}="{e["value"]}"' for v in data["values"] for e in v["entry"]}


def event(tlp=Tlp.AMBER, **kw) -> misp.EventData:
    base = dict(ref="INC-20261101-0001", kind="incident", info="DoS 拒绝服务",
                day=date(2026, 11, 1), tlp=tlp, threat_level_id=1, analysis=1,
                category="harmful-program", subcategory="harmful-program.botnet",
                indicators=(("ip", "203.0.113.7"), ("cve", "CVE-2026-0001"),
                            ("sha256", "a" * 64), ("domain", "evil.example")))
    return misp.EventData(**{**base, **kw})


@needs_standards
def test_every_tlp_label_is_a_tag_of_the_misp_tlp_taxonomy():
    """TLP 2.0: the five labels are written as the taxonomy's predicates, verbatim."""
    known = _machinetags("misp-tlp-machinetag.json")
    assert {misp.tlp_tag(t) for t in Tlp} <= known
    assert misp.tlp_tag(Tlp.AMBER_STRICT) == "tlp:amber+strict"
    assert misp.tlp_tag("TLP:CLEAR") == "tlp:clear"


@needs_standards
def test_every_rsit_tag_of_the_taxonomy_exists_in_misp_rsit():
    """Every RSIT tag a category can export is an entry of MISP's rsit taxonomy."""
    known = _machinetags("misp-rsit-machinetag.json")
    taxonomy = get_taxonomy()
    for c in taxonomy.categories:
        assert set(misp.rsit_tags(c.code)) <= known, c.code
        for sub in c.subcategories:
            assert set(misp.rsit_tags(c.code, sub.code)) <= known, sub.code


def test_an_event_gets_one_rsit_tag_its_own_code_s():
    """Issue 20 item 3: one RSIT tag, the subcategory's first mapping (rules/taxonomy.yaml,
    mapping-rsit-gbt20986-cn2017: a botnet is first a C2 server; phishing is fraud), never
    all the subcategories' of a category; Chinese 信息内容安全 is RSIT abusive-content."""
    assert misp.rsit_tags("harmful-program", "harmful-program.botnet") == (
        'rsit:malicious-code="c2-server"',)
    assert misp.rsit_tags("network-attack", "network-attack.phishing") == (
        'rsit:fraud="phishing"',)
    [content] = misp.rsit_tags("information-content-security")
    assert content.startswith("rsit:abusive-content=")
    # a category spanning several RSIT classes, without a (mapped) subcategory: undetermined
    assert misp.rsit_tags("network-attack") == ('rsit:other="undetermined"',)
    assert misp.rsit_tags("network-attack", "network-attack.interference") == (
        'rsit:other="undetermined"',)
    assert len(get_taxonomy().rsit_tags("network-attack")) > 1  # what a category can reach
    assert misp.rsit_tags(None) == () and misp.rsit_tags("no-such-code") == ()


def test_rsit_tags_lead_back_to_the_category():
    assert misp.category_from_rsit(['rsit:fraud="phishing"']) == "network-attack.phishing"
    assert misp.category_from_rsit(misp.rsit_tags("harmful-program", "harmful-program.botnet")
                                   ) == "harmful-program.botnet"
    # infected systems are viruses, worms, trojans…: only the category is certain
    assert misp.category_from_rsit(['rsit:malicious-code="infected-system"']) == \
        "harmful-program"
    assert misp.category_from_rsit(['rsit:abusive-content="spam"']) == \
        "information-content-security"
    # tags of two categories, or none: unknown
    assert misp.category_from_rsit(['rsit:fraud="phishing"', 'rsit:availability="outage"']
                                   ) is None
    assert misp.category_from_rsit(["tlp:green"]) is None


def test_an_amber_strict_event_carries_tlp_amber_strict_and_stays_in_the_organization():
    """TLP:AMBER+STRICT: organization only, so MISP distribution 0 (your organisation only)."""
    doc = misp.event_document(misp.build_event(event(Tlp.AMBER_STRICT)))["Event"]
    tags = [t["name"] for t in doc["Tag"]]
    assert tags[0] == "tlp:amber+strict"
    assert 'rsit:malicious-code="c2-server"' in tags
    assert int(doc["distribution"]) == 0
    assert [t for t in tags if t.startswith("tlp:")] == ["tlp:amber+strict"]


@pytest.mark.parametrize(("tlp", "distribution"), [
    (Tlp.CLEAR, 3), (Tlp.GREEN, 1), (Tlp.AMBER, 0), (Tlp.AMBER_STRICT, 0), (Tlp.RED, 0)])
def test_distribution_is_consistent_with_tlp(tlp, distribution):
    """CLEAR: all communities; GREEN: this community; AMBER and stricter: the organisation."""
    doc = misp.event_document(misp.build_event(event(tlp)))["Event"]
    assert int(doc["distribution"]) == distribution


def test_event_fields_attributes_and_ref():
    doc = misp.event_document(misp.build_event(event()))["Event"]
    assert doc["info"] == "DoS 拒绝服务" and doc["date"] == "2026-11-01"
    assert int(doc["threat_level_id"]) == 1 and int(doc["analysis"]) == 1
    attrs = {(a["type"], a["value"]) for a in doc["Attribute"]} | {
        (a["type"], a["value"]) for o in doc["Object"] for a in o["Attribute"]}
    assert {("ip-dst", "203.0.113.7"), ("vulnerability", "CVE-2026-0001"),
            ("sha256", "a" * 64), ("domain", "evil.example")} <= attrs
    # a botnet's address is its C2 server, with the domain: one domain-ip object; the hash a file
    assert sorted(o["name"] for o in doc["Object"]) == ["domain-ip", "file"]
    ref = [a for a in doc["Attribute"] if a["category"] == "Internal reference"]
    assert ref and ref[0]["value"] == "INC-20261101-0001"
    # the same item is always the same event (MISP updates it instead of duplicating)
    again = misp.event_document(misp.build_event(event()))["Event"]
    assert again["uuid"] == doc["uuid"] == misp.event_uuid("INC-20261101-0001")


def test_grades_and_states_map_to_misp_levels():
    """Plan §1.4 grades → MISP threat levels (1 high … 3 low); states → analysis."""
    assert [misp.THREAT_LEVEL[g] for g in ("especially_major", "major", "relatively_major",
                                           "general")] == [1, 1, 2, 3]
    assert misp.ANALYSIS["reported"] == 0 and misp.ANALYSIS["handling"] == 1
    assert misp.ANALYSIS["closed"] == 2


def test_tlp_from_tags():
    """Default AMBER (sharing.tlp.DEFAULT); TLP 1.0 white is CLEAR; the strictest wins."""
    assert misp.tlp_from_tags([]) == Tlp.AMBER
    assert misp.tlp_from_tags(['rsit:fraud="phishing"']) == Tlp.AMBER
    assert misp.tlp_from_tags(["tlp:white"]) == Tlp.CLEAR
    assert misp.tlp_from_tags(["TLP:GREEN"]) == Tlp.GREEN
    assert misp.tlp_from_tags(["tlp:green", "tlp:red"]) == Tlp.RED


def test_an_unknown_tlp_tag_is_refused_by_name():
    with pytest.raises(ValidationFailed) as exc:
        misp.tlp_from_tags(["tlp:unclear"], "events[0].Tag")
    assert "tlp:unclear" in str(exc.value.errors[0])
    assert exc.value.errors[0].field == "events[0].Tag"


def test_an_exported_event_reads_back_as_monitoring_information():
    doc = misp.event_document(misp.build_event(event(Tlp.GREEN)))
    [(raw, ev)] = misp.parse_events(doc)
    data, left_out = misp.monitoring_in(ev, TZ, datetime(2026, 11, 2, tzinfo=ZoneInfo("UTC")))
    # monitoring information carries the category (places.check_category)
    assert data.tlp == Tlp.GREEN and data.category == "harmful-program"
    assert {(i.type, i.value) for i in data.indicators} == {
        ("ip", "203.0.113.7"), ("cve", "CVE-2026-0001"), ("sha256", "a" * 64),
        ("domain", "evil.example")}
    assert left_out == 0 and "INC-20261101-0001" in data.observed
    assert data.observed_at == datetime(2026, 10, 31, 16, tzinfo=ZoneInfo("UTC"))


@pytest.mark.parametrize("shape", ["wrapped", "bare", "list", "response"])
def test_documents_of_one_or_many_events(shape):
    one = misp.event_document(misp.build_event(event()))
    doc = {"wrapped": one, "bare": one["Event"], "list": [one, one["Event"]],
           "response": {"response": [one]}}[shape]
    events = misp.parse_events(doc)
    assert events and all(e.info == "DoS 拒绝服务" for _, e in events)


@pytest.mark.parametrize("doc", [[], {}, {"Event": {"uuid": "x", "info": "no uuid"}},
                                 {"Event": {"info": "no uuid"}}, [1], "text",
                                 {"response": []}])
def test_what_is_not_a_misp_event_is_a_422(doc):
    with pytest.raises(ValidationFailed):
        misp.parse_events(doc)


def test_attributes_of_objects_and_composite_types_become_indicators():
    """MISP objects' attributes count; ``ip-dst|port`` keeps the address; a type with no
    indicator here (filename) is counted as left out; duplicates collapse."""
    doc = {"Event": {
        "uuid": "9b0b9f8e-0000-4000-8000-0000000000bb", "info": "composite", "date": "2026-10-30",
        "Tag": [{"name": "tlp:clear"}],
        "Attribute": [{"type": "ip-dst|port", "value": "198.51.100.9|443"},
                      {"type": "ip-src", "value": "198.51.100.9"},
                      {"type": "filename", "value": "a.exe"}],
        "Object": [{"name": "file", "meta-category": "file", "template_uuid":
                    "688c46fb-5edb-40a3-8273-1af7923e2215", "template_version": "22",
                    "Attribute": [{"type": "md5", "value": "b" * 32,
                                   "object_relation": "md5"}]}]}}
    [(_, ev)] = misp.parse_events(doc)
    data, left_out = misp.monitoring_in(ev, TZ, datetime(2026, 11, 2, tzinfo=ZoneInfo("UTC")))
    assert [(i.type, i.value) for i in data.indicators] == [("ip", "198.51.100.9"),
                                                             ("md5", "b" * 32)]
    assert left_out == 1 and data.tlp == Tlp.CLEAR and data.category is None
