"""Issue 20 "Done when": the field's own tools against a live server (``tests.browser.conftest.
start_server``: migrated, seeded, the embedded worker beside it, as ``fenghuo serve`` runs),
once per backend. ``stix2_validator --strict`` (its command line) passes every STIX export and
every TAXII collection; a ``stix2``-made bundle and a PyMISP-made event with objects import with
nothing dropped and come back in the exports; PyMISP loads the MISP export whole and the MISP
feed layout is served; ``taxii2-client`` pushes an envelope and reads it back in the caller's
scope; the CAP message validates against the OASIS CAP 1.2 schema; a webhook verifies with
``standardwebhooks``; ``prometheus_client``'s parser reads ``/metrics`` with the domain gauges.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import stix2
from lxml import etree
from prometheus_client.parser import text_string_to_metric_families
from pymisp import MISPEvent
from standardwebhooks import Webhook
from taxii2client.v21 import Collection, Server, as_pages

from fenghuo.api.routers.taxii import COLLECTIONS
from fenghuo.incident import casework
from fenghuo.org import accounts
from fenghuo.org.schemas import TokenIn
from tests.browser.conftest import start_server
from tests.e2e.test_web_public import public_warning
from tests.fixtures import misp_event
from tests.fixtures.stix_bundle import IDS, bundle
from tests.integration.test_delivery import SECRET, major, wire
from tests.integration.test_stix import submit
from tests.peers import WebhookPeer
from tests.waits import scaled, wait_until

CAP_XSD = Path(__file__).parents[1] / "fixtures" / "cap" / "CAP-v1.2.xsd"
VALIDATOR = Path(sys.executable).with_name("stix2_validator")


@pytest.fixture(scope="module")
def hook() -> Iterator[WebhookPeer]:
    with WebhookPeer() as peer:
        yield peer


@pytest.fixture(scope="module")
def world(module_rt, hook):
    rt, clock = module_rt, module_rt.clock

    def principal(user: str):  # noqa: ANN202
        return accounts.principal_for(rt.uow, username=user)

    wire(rt, principal, hook.url)  # the Emergency Office's webhook, signed with SECRET
    inc = major(rt, principal, clock)
    for value in ("198.51.100.23", "c2.evil.example", "CVE-2026-4242"):
        casework.add_observable(rt.uow, rt.clock, principal=principal("bj_duty"),
                                ref=inc.ref, value=value)
    item = submit(rt, principal, clock, jurisdictions=["110000"], sectors=["finance"])
    warning = public_warning(rt, principal, clock, title="公开预警 Public warning")

    def token(user: str) -> str:
        return accounts.issue_token(rt.uow, rt.clock, principal=principal(user),
                                    data=TokenIn(name="interop")).token

    return {"incident": inc.ref, "item": item.ref, "warning": warning.ref,
            "bj": token("bj_admin"), "sh": token("sh_admin")}


@pytest.fixture(scope="module")
def server(module_db_url, world) -> Iterator[str]:
    with start_server(module_db_url, worker=True) as base:
        yield base


def get(server: str, path: str, token: str, **params) -> requests.Response:
    r = requests.get(f"{server}{path}", params=params, timeout=scaled(60),
                     headers={"Authorization": f"Bearer {token}"})
    r.raise_for_status()
    return r


def strictly_valid(tmp_path: Path, docs: dict[str, dict]) -> None:
    """``stix2_validator --strict`` on the documents, in one run of the command: exit 0, no
    error, no warning."""
    paths = [tmp_path / f"{name}.json" for name in docs]
    for path, doc in zip(paths, docs.values(), strict=True):
        path.write_text(json.dumps(doc), encoding="utf-8")
    run = subprocess.run([str(VALIDATOR), "--strict", "--version", "2.1", *map(str, paths)],
                         capture_output=True, text=True, timeout=scaled(120), check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "[X]" not in run.stdout and "[!]" not in run.stdout, run.stdout


def test_every_stix_export_passes_the_strict_validator(server, world, tmp_path):
    docs = {}
    for name, params in {"everything": {}, "incident": {"incident": world["incident"]},
                         "item": {"monitoring": world["item"]},
                         "warning": {"warning": world["warning"]}}.items():
        docs[name] = get(server, "/api/v1/stix/bundle", world["bj"], **params).json()
        assert len(docs[name]["objects"]) > 5, name
    for cid, col in COLLECTIONS.items():  # what a TAXII client reads, as one bundle
        objects = [o for page in as_pages(_collection(server, cid, world["bj"]).get_objects,
                                          per_request=500) for o in page.get("objects", [])]
        assert objects, col["kind"]
        docs[col["kind"]] = {"type": "bundle", "objects": objects,
                             "id": "bundle--6f0e8a8c-3c1d-4d55-9c7e-4a5b6c7d8e9f"}
    strictly_valid(tmp_path, docs)


class _Bearer(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, r):  # noqa: ANN001, ANN204
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


def _collection(server: str, cid: str, token: str) -> Collection:
    return Collection(f"{server}/taxii2/api/collections/{cid}/", auth=_Bearer(token))


def test_a_stix2_bundle_imports_whole_and_comes_back(server, world, tmp_path):
    """The fixture bundle made with ``stix2`` (22 objects of 13 types): nothing dropped; the
    export of the items it became carries its malware, threat actor, ATT&CK technique,
    relationships, sighting and observed data again, and passes the strict validator."""
    r = requests.post(f"{server}/api/v1/stix/import", json=bundle(), timeout=scaled(60),
                      headers={"Authorization": f"Bearer {world['bj']}"})
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["dropped"] == [] and len(result["created"]) == 2
    back = get(server, "/api/v1/stix/bundle", world["bj"],
               monitoring=result["created"]).json()
    ids = {o["id"] for o in back["objects"]}
    assert {IDS[k] for k in ("malware", "actor", "technique", "indicates", "uses_technique",
                             "attributed", "sighting", "observed", "report")} <= ids
    strictly_valid(tmp_path, {"round-trip": back})


def test_taxii2_client_pushes_and_reads_back_in_scope(server, world):
    monitoring = next(cid for cid, c in COLLECTIONS.items() if c["kind"] == "monitoring")
    malware = stix2.v21.Malware(name="InteropBot", is_family=True)
    indicator = stix2.v21.Indicator(pattern="[domain-name:value = 'interop.example']",
                                    pattern_type="stix", valid_from=malware.created)
    rel = stix2.v21.Relationship(indicator, "indicates", malware)
    envelope = {"objects": [json.loads(o.serialize()) for o in (malware, indicator, rel)]}
    root = Server(f"{server}/taxii2/", auth=_Bearer(world["sh"])).api_roots[0]
    col = next(c for c in root.collections if c.id == monitoring)
    assert col.can_write
    status = col.add_objects(envelope)
    assert status.status == "complete" and status.success_count == 3 and not status.failures
    mine = {o["id"] for page in as_pages(col.get_objects, per_request=200)
            for o in page.get("objects", [])}
    assert {malware.id, rel.id} <= mine
    theirs = {o["id"] for page in as_pages(
        _collection(server, monitoring, world["bj"]).get_objects, per_request=500)
        for o in page.get("objects", [])}
    assert malware.id not in theirs  # Shanghai's monitoring information, not Beijing's


def test_the_cap_message_validates_against_cap_1_2(server, world):
    r = requests.get(f"{server}/public/warnings/{world['warning']}.cap.xml", timeout=scaled(30))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/cap+xml")
    schema = etree.XMLSchema(etree.parse(str(CAP_XSD)))
    doc = etree.fromstring(r.content)
    assert schema.validate(doc), schema.error_log
    ns = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
    assert doc.findtext("cap:msgType", namespaces=ns) == "Alert"
    assert "公开预警" in r.content.decode("utf-8")


def test_the_webhook_verifies_with_standardwebhooks(server, world, hook):
    """The worker beside the server delivers the major incident's notification to the
    Emergency Office's webhook; ``standardwebhooks`` verifies it with the contact's secret."""
    def reported() -> dict | None:
        return next((r for r in hook.requests if json.loads(r["body"]).get("event")
                     == "incident.reported" and world["incident"] in r["body"].decode()), None)

    req = wait_until(reported, "the report's webhook arrives", seconds=scaled(60), interval=0.1)
    payload = Webhook(SECRET.encode()).verify(req["body"], dict(req["headers"].items()))
    assert payload["ref"] == world["incident"] and payload["tlp"]
    assert payload["unit"]["key"] == "bj-bank"


def test_prometheus_reads_the_metrics_with_the_domain_gauges(server, world):
    """``prometheus_client``'s parser reads ``/metrics``: the request histogram in seconds,
    the build info and the domain gauges, with the worker beside the server beating (true
    counts under two processes: ``test_cli_reporting.test_several_server_processes_…``)."""
    def families() -> dict:
        r = requests.get(f"{server}/metrics", timeout=scaled(30))
        r.raise_for_status()
        return {f.name: f for f in text_string_to_metric_families(r.text)}

    got = wait_until(lambda: (f := families()) and any(
        s.value > 0 for s in f["fenghuo_worker_heartbeat_timestamp_seconds"].samples) and f,
        "the worker's heartbeat is scraped", seconds=scaled(30), interval=0.5)
    assert got["fenghuo_http_request_duration_seconds"].type == "histogram"
    assert got["fenghuo_build_info"].samples[0].value == 1
    for name in ("fenghuo_outbox_backlog_messages", "fenghuo_outbox_dead_letters",
                 "fenghuo_incidents_open", "fenghuo_clocks_overdue", "fenghuo_feeds_silent"):
        assert name in got, name  # (the ingest lag appears once a feed has delivered)
    assert got["fenghuo_domain_scrape_success"].samples[0].value == 1
    opened = {s.labels["grade"]: s.value for s in got["fenghuo_incidents_open"].samples}
    assert sum(opened.values()) >= 1


def test_a_pymisp_event_round_trips_and_the_feed_is_served(server, world, tmp_path):
    """A PyMISP-made event with objects, tags and an ATT&CK galaxy imports with nothing
    dropped; the MISP export is a file PyMISP loads whole and gives the event back with every
    attribute (type, value, to_ids), its objects, tags and galaxy; the item's STIX export still
    passes the strict validator; the feed's manifest, hashes.csv and event file are served."""
    auth = {"Authorization": f"Bearer {world['bj']}"}
    sent = misp_event.document()  # PyMISP draws the attributes' uuids: keep this one
    r = requests.post(f"{server}/api/v1/misp/import", json=sent, headers=auth,
                      timeout=scaled(60))
    assert r.status_code == 200, r.text
    [row] = r.json()["events"]
    assert row["created"] and row["dropped"] == []
    exported = get(server, "/api/v1/misp/events", world["bj"], kind="all").json()
    path = tmp_path / "misp.json"
    path.write_text(json.dumps(exported), encoding="utf-8")
    loaded = []
    for doc in json.loads(path.read_text(encoding="utf-8")):
        e = MISPEvent()
        e.load(doc)
        loaded.append(e)
    assert len(loaded) == len(exported) >= 3  # the incident, the items, the imported event
    [back] = [e for e in loaded if e.uuid == misp_event.UUID]
    again = {"Event": json.loads(back.to_json())}
    got, original = misp_event.values(again), misp_event.values(sent)
    assert original.items() <= got.items()  # every attribute as sent, uuid and all
    assert [v for k, v in got.items() if k not in original] == [("text", row["ref"], False)]
    assert {o.name for o in back.objects} >= {"file", "domain-ip"}
    assert set(misp_event.TAGS) <= {t.name for t in back.tags}
    assert misp_event.T1190 in json.dumps(again, ensure_ascii=False)
    strictly_valid(tmp_path, {"misp-item": get(server, "/api/v1/stix/bundle", world["bj"],
                                               monitoring=row["ref"]).json()})
    manifest = get(server, "/api/v1/misp/feed/manifest.json", world["bj"]).json()
    assert misp_event.UUID in manifest and manifest[misp_event.UUID]["info"] == back.info
    hashes = get(server, "/api/v1/misp/feed/hashes.csv", world["bj"]).text.split()
    assert any(line.endswith("," + misp_event.UUID) for line in hashes)
    one = get(server, f"/api/v1/misp/feed/{misp_event.UUID}.json", world["bj"]).json()
    assert one["Event"]["uuid"] == misp_event.UUID
