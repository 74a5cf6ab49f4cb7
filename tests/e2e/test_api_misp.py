"""MISP export and import over HTTP and from the command line (issue 8 item 5), on both
databases: scope (Law art. 30) and TLP 2.0 limit the export; an exported file imports once."""

from __future__ import annotations

import json

from fenghuo.sharing import misp
from fenghuo.sharing.tlp import Tlp
from fenghuo.warning import monitoring
from tests.cli import clean_env, fenghuo
from tests.integration.test_reporting_chain import file
from tests.integration.test_warnings import monitoring_in


def refs(doc: dict) -> set[str]:
    return {a["value"] for e in doc["response"] for a in e["Event"]["Attribute"]
            if a["category"] == misp.REF_CATEGORY}


def test_http_export_honours_tlp_and_scope_and_imports_once(rt, principal, clock, client,
                                                            headers):
    """TLP:RED goes to named recipients only: the Emergency Office is told one was withheld;
    Shanghai sees nothing of Beijing; an exported event imports once."""
    red = file(rt, principal, clock, tlp=Tlp.RED)
    green = file(rt, principal, clock, tlp=Tlp.GREEN, title="绿 green")
    r = client.get("/api/v1/misp/events", params={"kind": "incident"},
                   headers=headers("nat_admin"))
    assert r.status_code == 200, r.text
    assert green.ref in refs(r.json()) and red.ref not in refs(r.json())
    assert int(r.headers["X-Fenghuo-Withheld"]) >= 1
    r = client.get("/api/v1/misp/events", headers=headers("bj_reporter"))
    assert {red.ref, green.ref} <= refs(r.json())
    [event] = [e for e in r.json()["response"] if e["Event"]["uuid"] == misp.event_uuid(red.ref)]
    assert "tlp:red" in [t["name"] for t in event["Event"]["Tag"]]
    r = client.get("/api/v1/misp/events", headers=headers("sh_admin"))
    assert r.status_code == 200 and not {red.ref, green.ref} & refs(r.json())

    doc = client.get("/api/v1/misp/events", params={"ref": green.ref},
                     headers=headers("bj_admin")).json()
    r = client.post("/api/v1/misp/import", json=doc, headers=headers("sh_admin"))
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 1 and r.json()["events"][0]["tlp"] == "green"
    item = client.get(f"/api/v1/monitoring/{r.json()['events'][0]['ref']}",
                      headers=headers("sh_admin")).json()
    # RSIT availability dos/ddos lead back to the category (a subcategory is not kept here)
    assert item["category"] == "network-attack" and item["body"] == "310000.office"
    again = client.post("/api/v1/misp/import", json=doc, headers=headers("sh_admin")).json()
    assert again["created"] == 0 and again["duplicates"] == 1


def test_http_import_refuses_an_unknown_tlp_tag_and_readers(client, headers):
    doc = {"Event": {"uuid": "9b0b9f8e-0000-4000-8000-0000000000aa", "info": "x",
                     "Tag": [{"name": "tlp:unclear"}]}}
    r = client.post("/api/v1/misp/import", json=doc, headers=headers("bj_admin"))
    assert r.status_code == 422 and "tlp:unclear" in r.text
    assert client.post("/api/v1/misp/import", json=doc,
                       headers=headers("bj_ro")).status_code == 403
    assert client.post("/api/v1/misp/import", json={"nope": 1},
                       headers=headers("bj_admin")).status_code == 422
    assert client.get("/api/v1/misp/events", params={"kind": "warning"},
                      headers=headers("bj_admin")).status_code == 422


def test_cli_export_then_import(rt, principal, clock, db_url, tmp_path):
    item = monitoring.submit(rt.uow, rt.clock, principal=principal("bj_reporter"),
                             data=monitoring_in(clock, tlp=Tlp.AMBER_STRICT))
    env = clean_env(FENGHUO_DATABASE_URL=db_url)
    out = tmp_path / "misp.json"
    r = fenghuo("misp", "export", "--kind", "monitoring", "--as", "bj_reporter", "--out",
                str(out), env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert item.ref in refs(doc)
    assert "tlp:amber+strict" in [t["name"] for t in doc["response"][0]["Event"]["Tag"]]
    # the Beijing office reads it by scope, but AMBER+STRICT stops at the named bodies
    r = fenghuo("misp", "export", "--kind", "monitoring", "--as", "bj_admin", env=env,
                cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert item.ref not in refs(json.loads(r.stdout)) and "withheld" in r.stderr
    r = fenghuo("misp", "import", str(out), "--as", "bj_support", env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "1 imported" in r.stdout and "AMBER+STRICT" in r.stdout
    r = fenghuo("misp", "import", str(out), "--as", "bj_support", env=env, cwd=tmp_path)
    assert "0 imported, 1 already there" in r.stdout
