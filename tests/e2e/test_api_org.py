"""The organization API end to end: tree, creation with validation, import, export."""

from __future__ import annotations

from pathlib import Path

import yaml

EXAMPLE = Path(__file__).parents[2] / "examples" / "jincheng.yaml"


def test_tree_is_scoped(client, headers):
    tree = client.get("/api/v1/org/tree", headers=headers("bj_admin")).json()
    assert tree["code"] == "CN" and tree["bodies"] == []  # the nation, by name only
    assert [c["code"] for c in tree["children"]] == ["110000"]
    keys = {b["key"] for b in tree["children"][0]["bodies"]}
    assert "bj-bank" in keys and "sh-bank" not in keys
    national = client.get("/api/v1/org/tree", headers=headers("nat_admin")).json()
    assert len(national["children"]) == 32
    codes = [c["code"] for c in national["children"]]  # issue 17 item 17: GB/T 2260 order
    assert codes[:3] == ["110000", "120000", "130000"] and codes[-1] == "XPCC"
    assert codes[:-1] == sorted(codes[:-1], key=int)
    assert any(b["key"] == "cn.emergency-office" for b in national["bodies"])


def test_lists_and_counts_exclude_what_is_out_of_scope(client, headers):
    r = client.get("/api/v1/bodies", params={"sector": "finance", "kind": "operator"},
                   headers=headers("bj_admin")).json()
    assert r["total"] == 1 and [b["key"] for b in r["items"]] == ["bj-bank"]
    r = client.get("/api/v1/bodies", params={"q": "Shanghai"}, headers=headers("bj_admin")).json()
    assert r["total"] == 0 and r["items"] == []
    r = client.get("/api/v1/bodies", params={"q": "Shanghai"}, headers=headers("sh_admin")).json()
    assert r["total"] >= 1
    r = client.get("/api/v1/jurisdictions", params={"level": "province"},
                   headers=headers("bj_admin")).json()
    assert [j["code"] for j in r["items"]] == ["110000"]


def test_creating_a_body_with_bad_fields_names_them_and_stores_nothing(client, headers):
    h = headers("bj_admin")
    bad = {"key": "Bad Key", "kind": "operator", "jurisdiction": "110000", "name_zh": "",
           "name_en": "x"}
    r = client.post("/api/v1/bodies", json=bad, headers=h)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in r.json()["errors"]} == {"key", "name_zh"}
    bad = {"key": "new-op", "kind": "operator", "jurisdiction": "110000", "name_zh": "新",
           "name_en": "New", "sectors": ["finance", "telecom"], "cii": True}
    r = client.post("/api/v1/bodies", json=bad, headers=h)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["sectors"]
    assert client.get("/api/v1/bodies/new-op", headers=h).status_code == 404
    good = dict(bad, sectors=["finance"])
    r = client.post("/api/v1/bodies", json=good, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["jurisdiction"]["code"] == "110000" and r.json()["kind_label"]["zh"]
    r = client.post("/api/v1/bodies", json=good, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "key"


def test_systems_register_by_operator_reporter(client, headers):
    h = headers("bj_reporter")
    system = {"key": "mobile-app", "name_zh": "手机银行", "name_en": "Mobile banking",
              "important": True}
    r = client.post("/api/v1/bodies/bj-bank/systems", json=system, headers=h)
    assert r.status_code == 201, r.text
    listed = client.get("/api/v1/bodies/bj-bank/systems", headers=h).json()
    assert {s["key"] for s in listed} == {"core", "www", "mobile-app"}
    r = client.patch("/api/v1/bodies/bj-bank/systems/mobile-app", json={"important": False},
                     headers=h)
    assert r.status_code == 200 and r.json()["important"] is False
    r = client.post("/api/v1/bodies/110000.office/systems", json=system,
                    headers=headers("bj_admin"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body"


def test_import_through_the_api_then_export(client, headers):
    h = headers("bj_admin")
    r = client.post("/api/v1/org/import", files={"file": ("jc.yaml", EXAMPLE.read_bytes())},
                    headers=headers("nat_admin"))
    assert r.status_code == 200, r.text
    assert r.json()["created"]["bodies"] == 5
    r = client.post("/api/v1/org/import", files={"file": ("jc.yaml", EXAMPLE.read_bytes())},
                    headers=h)
    assert r.status_code == 422  # Jincheng is in Shanxi, not in Beijing's scope
    assert {e["field"] for e in r.json()["errors"]} >= {"parent", "jurisdiction"}
    exported = yaml.safe_load(client.get("/api/v1/org/export", headers=h).text)
    assert {b["key"] for b in exported["bodies"]} == {
        "110000.office", "110000.cncert", "bj-bank", "bj-telco", "bj-support", "bj-finance-reg"}
    as_json = client.get("/api/v1/org/export?format=json", headers=h).json()
    assert as_json["bodies"] == exported["bodies"]


def test_jurisdictions_below_ones_own(client, headers):
    h = headers("bj_admin")
    city = {"code": "110100", "division_code": "110100", "parent": "110000", "level": "city",
            "name_zh": "北京市市辖区", "name_en": "Beijing municipal districts"}
    assert client.post("/api/v1/jurisdictions", json=city, headers=h).status_code == 201
    county = {"code": "110105", "parent": "110100", "level": "province", "name_zh": "朝阳区",
              "name_en": "Chaoyang"}
    r = client.post("/api/v1/jurisdictions", json=county, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "level"
    r = client.post("/api/v1/jurisdictions", json=dict(county, level="county"), headers=h)
    assert r.status_code == 201
    r = client.post("/api/v1/jurisdictions", json=dict(county, code="310101", parent="310000",
                                                       level="city"), headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "parent"
    r = client.patch("/api/v1/jurisdictions/CN", json={"name_en": "Mine"}, headers=h)
    assert r.status_code == 403
