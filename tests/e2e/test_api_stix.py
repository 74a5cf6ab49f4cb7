"""STIX 2.1 bundles over plain HTTP (issue 20): ``GET /api/v1/stix/bundle`` exports what the
caller's scope and TLP 2.0 allow (Law art. 30), ``POST /api/v1/stix/import`` imports a bundle
as monitoring information of the caller's body, once; a reader may not import."""

from __future__ import annotations

from tests.integration.test_reporting_chain import file
from tests.integration.test_stix import submit


def test_export_then_import_over_http(rt, principal, clock, client, headers):
    inc = file(rt, principal, clock)
    item = submit(rt, principal, clock, title="扫描 scan over HTTP")
    r = client.get("/api/v1/stix/bundle", params={"incident": inc.ref},
                   headers=headers("bj_admin"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/stix+json")
    types = [o["type"] for o in r.json()["objects"]]
    assert "incident" in types and "grouping" not in types  # only the incident named
    everything = client.get("/api/v1/stix/bundle", headers=headers("bj_admin")).json()
    assert item.ref in str(everything)  # the monitoring item is there when nothing is named
    outside = client.get("/api/v1/stix/bundle", headers=headers("sh_admin")).json()
    assert inc.ref not in str(outside)  # Shanghai's scope does not read Beijing's incident
    assert client.post("/api/v1/stix/import", json=everything,
                       headers=headers("bj_ro")).status_code == 403
    first = client.post("/api/v1/stix/import", json=everything, headers=headers("sh_admin"))
    assert first.status_code == 200, first.text
    assert first.json()["created"]
    again = client.post("/api/v1/stix/import", json=everything,
                        headers=headers("sh_admin")).json()
    assert again["created"] == [] and again["duplicates"] >= 1
    bad = client.post("/api/v1/stix/import", json={"type": "nonsense"},
                      headers=headers("sh_admin"))
    assert bad.status_code == 422
