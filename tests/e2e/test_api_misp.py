"""MISP export and import over HTTP and from the command line (issue 8 item 5, issue 20 item 3),
on both databases: scope (Law art. 30) and TLP 2.0 limit the export; an exported file imports
once; the MISP feed (manifest, hashes, events) is what PyMISP's own feed generator makes of the
events served."""

from __future__ import annotations

import copy
import hashlib
import json

from pymisp import MISPEvent
from pymisp.tools.feed import feed_meta_generator

from fenghuo.sharing import misp
from fenghuo.sharing.tlp import Tlp
from fenghuo.warning import monitoring
from tests.cli import clean_env, fenghuo
from tests.fixtures import misp_event
from tests.integration.test_reporting_chain import file
from tests.integration.test_warnings import monitoring_in


def refs(doc: list | dict) -> set[str]:
    events = doc["response"] if isinstance(doc, dict) else doc
    return {a["value"] for e in events for a in e["Event"]["Attribute"]
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
    [event] = [e for e in r.json() if e["Event"]["uuid"] == misp.event_uuid(red.ref)]
    assert "tlp:red" in [t["name"] for t in event["Event"]["Tag"]]
    r = client.get("/api/v1/misp/events", headers=headers("sh_admin"))
    assert r.status_code == 200 and not {red.ref, green.ref} & refs(r.json())

    doc = client.get("/api/v1/misp/events", params={"ref": green.ref},
                     headers=headers("bj_admin")).json()
    older = client.get("/api/v1/misp/events", params={"ref": green.ref, "format": "response"},
                       headers=headers("bj_admin")).json()
    assert older == {"response": doc}  # the older wrapper, on request
    r = client.post("/api/v1/misp/import", json=doc, headers=headers("sh_admin"))
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 1 and r.json()["events"][0]["tlp"] == "green"
    assert r.json()["events"][0]["dropped"] == [] and r.json()["events"][0]["kept"] >= 1
    item = client.get(f"/api/v1/monitoring/{r.json()['events'][0]['ref']}",
                      headers=headers("sh_admin")).json()
    # the category comes back (a subcategory is not kept by monitoring information)
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
    assert "tlp:amber+strict" in [t["name"] for t in doc[0]["Event"]["Tag"]]
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


def test_the_misp_feed_is_what_pymisp_makes_of_its_events(rt, principal, clock, client,
                                                          headers, tmp_path):
    """``/misp/feed/<uuid>.json`` for each event of the manifest; PyMISP's own
    ``feed_meta_generator`` run over those files gives the manifest and hashes.csv served; the
    feed is the caller's (Shanghai sees no Beijing item; no token, no feed)."""
    item = monitoring.submit(rt.uow, rt.clock, principal=principal("bj_reporter"),
                             data=monitoring_in(clock, tlp=Tlp.GREEN))
    me = headers("bj_reporter")
    r = client.get("/api/v1/misp/feed/manifest.json", headers=me)
    assert r.status_code == 200, r.text
    manifest = r.json()
    uuid = misp.event_uuid(item.ref)
    assert manifest[uuid]["info"].startswith(item.ref) and manifest[uuid]["Orgc"]["uuid"]
    for event_uuid in manifest:
        r = client.get(f"/api/v1/misp/feed/{event_uuid}.json", headers=me)
        assert r.status_code == 200 and set(r.json()) == {"Event"}
        (tmp_path / f"{event_uuid}.json").write_text(r.text, encoding="utf-8")
    loaded = MISPEvent()
    loaded.load(copy.deepcopy(json.loads((tmp_path / f"{uuid}.json").read_text())))
    assert ("ip-src", "203.0.113.7") in {(a.type, a.value) for a in loaded.attributes}
    feed_meta_generator(tmp_path)
    assert json.loads((tmp_path / "manifest.json").read_text()) == manifest
    r = client.get("/api/v1/misp/feed/hashes.csv", headers=me)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert sorted(r.text.splitlines()) == sorted(
        (tmp_path / "hashes.csv").read_text().splitlines())
    assert f"{hashlib.md5(b'203.0.113.7').hexdigest()},{uuid}" in r.text.splitlines()
    # scope, authentication, an unknown event
    assert uuid not in client.get("/api/v1/misp/feed/manifest.json",
                                  headers=headers("sh_admin")).json()
    assert client.get(f"/api/v1/misp/feed/{uuid}.json",
                      headers=headers("sh_admin")).status_code == 404
    assert client.get("/api/v1/misp/feed/manifest.json").status_code == 401
    # an imported event is served under its own uuid, with its objects and galaxy tag
    r = client.post("/api/v1/misp/import", json=misp_event.document(),
                    headers=headers("sh_admin"))
    assert r.status_code == 200 and r.json()["events"][0]["dropped"] == []
    r = client.get(f"/api/v1/misp/feed/{misp_event.UUID}.json", headers=headers("sh_admin"))
    assert r.status_code == 200, r.text
    assert sorted(o["name"] for o in r.json()["Event"]["Object"]) == ["domain-ip", "file"]
    assert f'misp-galaxy:mitre-attack-pattern="{misp_event.T1190}"' in {
        t["name"] for t in r.json()["Event"]["Tag"]}
