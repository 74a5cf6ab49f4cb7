"""The pure parts of the STIX 2.1 mapping (issue 8 item 3): TLP 2.0 marking definitions with
their official ids, TLP read back from markings, indicators ↔ STIX patterns, the Incident Core
Extension's determination, investigation status and criticality, deterministic ids."""

from __future__ import annotations

import json

import pytest
import stix2

from fenghuo.incident.grading import Grade
from fenghuo.incident.rules import State
from fenghuo.sharing import stix
from fenghuo.sharing.tlp import Tlp


def test_tlp2_markings_are_the_official_oasis_objects():
    """TLP 2.0 (OASIS cti-stix-common-objects tlp-2.0): fixed ids, created 2022-10-01, the
    tlp_2_0 property extension; not STIX 2.1's TLP 1.0 predefines."""
    assert stix.TLP2_MARKINGS[Tlp.AMBER_STRICT] == \
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
    assert stix.TLP2_MARKINGS[Tlp.CLEAR] == \
        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
    assert not set(stix.TLP2_MARKINGS.values()) & set(stix.TLP1_MARKINGS)
    for tlp in Tlp:
        m = json.loads(stix.marking(tlp).serialize())
        assert m["id"] == stix.TLP2_MARKINGS[tlp] and m["name"] == tlp.marking
        assert m["created"] == "2022-10-01T00:00:00.000Z"
        assert m["extensions"][stix.TLP2_EXTENSION] == {
            "extension_type": "property-extension", "tlp_2_0": tlp.value}


@pytest.mark.parametrize(("refs", "tlp"), [
    ([], Tlp.AMBER),  # unmarked: AMBER (TLP 2.0 default here)
    (None, Tlp.AMBER),
    (["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"], Tlp.GREEN),
    ([stix2.TLP_WHITE.id], Tlp.CLEAR),  # TLP 1.0 WHITE is CLEAR
    ([stix2.TLP_GREEN.id, stix.TLP2_MARKINGS[Tlp.RED]], Tlp.RED),  # the strictest wins
    (["marking-definition--00000000-0000-4000-8000-000000000000"], Tlp.AMBER),
])
def test_tlp_is_read_from_markings(refs, tlp):
    assert stix.tlp_of(refs) == tlp


@pytest.mark.parametrize(("kind", "value"), [
    ("ip", "203.0.113.7"), ("ip", "2001:db8::1"), ("ip", "198.51.100.0/24"),
    ("domain", "evil.example"), ("url", "http://x.example/a?b='c'\\d"),
    ("email", "a@b.example"), ("sha256", "a" * 64), ("sha1", "b" * 40), ("md5", "c" * 32),
])
def test_indicators_round_trip_through_valid_stix_patterns(kind, value):
    pattern = stix.pattern_for(kind, value)
    # stix2 validates the pattern (stix2-patterns) and refuses an invalid one
    stix2.v21.Indicator(pattern=pattern, pattern_type="stix", valid_from="2026-11-01T00:00:00Z")
    assert stix.indicators_of(pattern) == [(kind, value)]


def test_cves_and_others_have_no_pattern_and_unknown_paths_are_skipped():
    assert stix.pattern_for("cve", "CVE-2026-1234") is None
    assert stix.pattern_for("other", "x") is None
    assert stix.indicators_of("[process:name = 'x'] OR [domain-name:value = 'y.example']") == [
        ("domain", "y.example")]


@pytest.mark.parametrize(("state", "finding", "det", "status"), [
    (State.REPORTED, None, "suspected", "new"),
    (State.ACKNOWLEDGED, None, "successful-attempt", "open"),
    (State.HANDLING, None, "successful-attempt", "open"),
    (State.RESOLVED, None, "successful-attempt", "closed"),
    (State.CLOSED, "false", "false-positive", "closed"),
])
def test_incident_core_extension_determination_and_status(state, finding, det, status):
    """Incident Core Extension enums: incident-determination-enum and
    incident-investigation-ov."""
    assert stix.determination(state.value, finding) == det
    assert stix.investigation_status(state.value) == status


def test_criticality_follows_the_four_grades():
    """Plan §1.4: especially major > major > relatively major > general, within 0–100."""
    order = [Grade.ESPECIALLY_MAJOR, Grade.MAJOR, Grade.RELATIVELY_MAJOR, Grade.GENERAL]
    values = [stix.CRITICALITY[g.value] for g in order]
    assert values == sorted(values, reverse=True) and all(0 <= v <= 100 for v in values)
    assert set(stix.CRITICALITY) == {g.value for g in Grade}


@pytest.mark.parametrize(("pattern", "found"), [
    ("NOT [ipv4-addr:value = '1.2.3.4']", []),  # no observation-level NOT in STIX 2.1
    ("[ipv4-addr:value NOT = '1.2.3.4']", []),  # a negated comparison is not an indicator
    ("[ipv4-addr:value != '1.2.3.4']", []),
    ("[ipv4-addr:value = '1.2.3.4' AND ipv4-addr:value NOT = '5.6.7.8']", [("ip", "1.2.3.4")]),
    ("[ipv4-addr:value = '1.2.3.4' OR domain-name:value = 'x.example'] AND "
     "[file:hashes.'SHA-256' = '" + "a" * 64 + "']",
     [("ip", "1.2.3.4"), ("domain", "x.example"), ("sha256", "a" * 64)]),
    ("([file:hashes.MD5 = '" + "c" * 32 + "'] FOLLOWEDBY [url:value = 'http://x/\\'q']) "
     "WITHIN 5 SECONDS", [("md5", "c" * 32), ("url", "http://x/'q")]),
    ("[file:hashes.'SHA-1' = '" + "b" * 40 + "'] REPEATS 2 TIMES", [("sha1", "b" * 40)]),
    ("[domain-name:value LIKE '%.example']", []),
    ("not a pattern", []),
])
def test_patterns_are_parsed_not_matched(pattern, found):
    """STIX 2.1 §9: patterns are parsed (stix2 / stix2-patterns), so a negation or an operator
    other than = never reads as a positive indicator (issue 20 item 1)."""
    assert stix.indicators_of(pattern) == found
