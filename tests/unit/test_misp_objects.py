"""Indicators → MISP attributes and objects, offline (issue 20 item 3): the direction from the
category, objects only where they fit, ATT&CK galaxies from STIX attack patterns."""

from __future__ import annotations

from fenghuo.sharing import misp_objects as mo


def test_a_network_attack_s_address_is_its_source_and_a_contacted_host_a_destination():
    assert mo.ip_direction("network-attack") == mo.SRC
    assert mo.ip_direction("network-attack", "network-attack.scanning-eavesdropping") == mo.SRC
    assert mo.ip_direction("network-attack", "network-attack.phishing") == mo.DST
    assert mo.ip_direction("harmful-program", "harmful-program.botnet") == mo.DST
    assert mo.ip_direction(None) == mo.DST


def test_objects_group_one_item_s_indicators_where_they_fit():
    sha, md5 = "a" * 64, "b" * 32
    plain, objects = mo.plan([("ip", "198.51.100.1"), ("domain", "c2.example"),
                              ("sha256", sha), ("md5", md5), ("url", "http://c2.example/x"),
                              ("cve", "CVE-2026-0001")], "harmful-program")
    assert [(o.name, [(a.relation, a.misp_type) for a in o.attributes]) for o in objects] == [
        ("file", [("sha256", "sha256"), ("md5", "md5")]), ("url", [("url", "url")]),
        ("domain-ip", [("domain", "domain"), ("ip", "ip-dst")])]
    assert [(p.misp_type, p.to_ids) for p in plain] == [("vulnerability", False)]
    # a scanning source is not the domain's address; two sha256 are two files
    plain, objects = mo.plan([("ip", "198.51.100.1"), ("domain", "x.example"), ("sha256", sha),
                              ("sha256", "c" * 64)], "network-attack")
    assert [p.misp_type for p in plain] == ["ip-src", "domain"]
    assert [o.name for o in objects] == ["file", "file"]


def test_long_values_have_short_stable_keys():
    key = mo.local_key("MI-1", "url", "http://x.example/" + "a" * 400)
    assert len(key) <= 300 and key == mo.local_key("MI-1", "url", "http://x.example/" + "a" * 400)


def test_attack_patterns_become_mitre_attack_pattern_clusters():
    context = [{"type": "attack-pattern", "id": "attack-pattern--3f886f2a-874f-4333-b794-"
                "aa6075009b1c", "name": "Exploit Public-Facing Application",
                "external_references": [{"source_name": "mitre-attack", "external_id": "T1190"}]},
               {"type": "malware", "id": "malware--1", "name": "x"}]
    galaxy = mo.attack_galaxy(mo.attack_patterns(context))
    assert galaxy["type"] == "mitre-attack-pattern"
    [cluster] = galaxy["GalaxyCluster"]
    assert cluster["value"] == "Exploit Public-Facing Application - T1190"
    assert cluster["uuid"] == "3f886f2a-874f-4333-b794-aa6075009b1c"
    assert cluster["tag_name"] == \
        'misp-galaxy:mitre-attack-pattern="Exploit Public-Facing Application - T1190"'
    assert mo.attack_galaxy([]) is None
