"""The TAXII 2.1 server (issue 8 item 4) against ``taxii2-client`` as a real client over a real
server (``fenghuo serve`` in a subprocess), on SQLite and PostgreSQL: discovery, API root,
collections, objects with ``added_after``/``limit``/``next`` paging and the X-TAXII-Date-Added
headers, manifest, object by id; Basic and Bearer auth as the existing users; scope (Law art.
30) AND TLP 2.0 per caller."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
import requests
import stix2
from taxii2client.v21 import Collection, Server, as_pages

from fenghuo.api.routers.taxii import COLLECTIONS, TAXII
from fenghuo.org import accounts
from fenghuo.org.schemas import TokenIn
from fenghuo.sharing import stix
from fenghuo.sharing.exchange_ids import uuid_for
from fenghuo.sharing.tlp import Tlp
from tests.browser.conftest import start_server
from tests.cli import clean_env, fenghuo
from tests.conftest import PASSWORD
from tests.integration.test_reporting_chain import file
from tests.integration.test_stix import submit
from tests.integration.test_warnings import published
from tests.waits import scaled

COLS = {v["kind"]: cid for cid, v in COLLECTIONS.items()}


@pytest.fixture(scope="module")
def world(module_rt):
    """One world per backend for the module's read-only tests."""
    rt, clock = module_rt, module_rt.clock

    def principal(username: str):  # noqa: ANN202
        return accounts.principal_for(rt.uow, username=username)

    inc = file(rt, principal, clock)
    red = file(rt, principal, clock, title="RED 事件", tlp=Tlp.RED)
    w = published(rt, principal, clock)
    items = []
    for n in range(3):
        clock.advance(minutes=5)  # distinct date_added, for added_after
        items.append(submit(rt, principal, clock, title=f"扫描 scan {n}").ref)
    strict = submit(rt, principal, clock, tlp=Tlp.AMBER_STRICT, title="STRICT item").ref
    red_item = submit(rt, principal, clock, tlp=Tlp.RED, title="RED item").ref
    return {"incident": inc.ref, "red": red.ref, "warning": w.ref, "items": items,
            "strict": strict, "red_item": red_item, "rt": rt}


def stix_id(world: dict, stix_type: str, ref: str) -> str:
    """The stored STIX id of one of our objects (issue 20: UUIDv4, drawn on first export)."""
    rt = world["rt"]
    with rt.uow() as s:
        return f"{stix_type}--" + uuid_for(s, f"stix:{stix_type}", ref, now=rt.clock.now())


@pytest.fixture(scope="module")
def server(module_db_url, world) -> Iterator[str]:
    """A live server over the module's world, started once per backend: the tests only read."""
    with start_server(module_db_url, worker=False) as base:
        yield base


class Bearer(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, r):
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


@pytest.fixture(scope="module")
def tokens(module_rt):
    """``tokens("bj_admin")``: an API token of that user (Bearer: no password hash per call)."""
    def make(user: str) -> str:
        rt = module_rt
        me = accounts.principal_for(rt.uow, username=user)
        return accounts.issue_token(rt.uow, rt.clock, principal=me,
                                    data=TokenIn(name="taxii")).token
    return make


def collection(base: str, kind: str, token: str) -> Collection:
    return Collection(f"{base}/taxii2/api/collections/{COLS[kind]}/", auth=Bearer(token))


def ids(envelope: dict) -> set[str]:
    return {o["id"] for o in envelope.get("objects", [])}


def test_discovery_root_collections_auth_and_media_type(server):
    """TAXII 2.1 discovery, API root and collections with Basic auth as an existing user;
    no or wrong credentials are a 401, an Accept without the TAXII media type a 406."""
    s = Server(f"{server}/taxii2/", user="bj_admin", password=PASSWORD)
    assert s.title and s.default.url.endswith("/taxii2/api/")
    root = s.api_roots[0]
    assert TAXII in root.versions
    got = {c.id: c for c in root.collections}
    assert set(got) == set(COLLECTIONS)
    assert all(c.can_read for c in got.values())
    # issue 20 item 4: only monitoring is writable, and only by those who may submit it
    assert {c.title for c in got.values() if c.can_write} == {"监测信息 Monitoring information"}
    url = f"{server}/taxii2/"
    anonymous = requests.get(url, headers={"Accept": TAXII}, timeout=scaled(30))
    assert anonymous.status_code == 401
    # a TAXII error message (§3.6.1) in TAXII's media type; the challenge names both schemes
    assert anonymous.headers["Content-Type"] == TAXII
    assert anonymous.json()["http_status"] == "401" and anonymous.json()["title"]
    challenge = anonymous.headers["WWW-Authenticate"]
    assert challenge.startswith("Basic ") and ", Bearer " in challenge
    assert requests.get(url, auth=("bj_admin", "wrong"), timeout=scaled(30)).status_code == 401
    bad = base64.b64encode(b"\xff\xfe").decode()
    assert requests.get(url, headers={"Authorization": f"Basic {bad}"},
                        timeout=scaled(30)).status_code == 401
    assert requests.get(url, auth=("bj_admin", PASSWORD), headers={"Accept": "text/html"},
                        timeout=scaled(30)).status_code == 406
    r = requests.get(f"{server}/taxii2/api/collections/nope/objects/",
                     auth=("bj_admin", PASSWORD), timeout=scaled(30))
    assert r.status_code == 404 and r.json()["http_status"] == "404"
    assert r.headers["Content-Type"] == TAXII and "nope" in r.json()["description"]


def test_scope_and_tlp_decide_what_each_caller_sees(server, world, tokens):
    """Law art. 30 + TLP 2.0: the Beijing office sees the Beijing incidents (the RED one was
    routed to it: NAMED), its warning and monitoring items, but not the AMBER+STRICT or RED
    items it is only in scope of; the submitter is NAMED on its own; Shanghai sees none."""
    bj = tokens("bj_admin")
    incidents = ids(collection(server, "incidents", bj).get_objects())
    assert {stix_id(world, "incident", world["incident"]),
            stix_id(world, "incident", world["red"])} <= incidents
    reports = ids(collection(server, "warnings", bj).get_objects())
    assert stix_id(world, "report", world["warning"]) in reports
    groupings = ids(collection(server, "monitoring", bj).get_objects())
    assert {stix_id(world, "grouping", r) for r in world["items"]} <= groupings
    assert stix_id(world, "grouping", world["strict"]) not in groupings
    assert stix_id(world, "grouping", world["red_item"]) not in groupings
    own = ids(collection(server, "monitoring", tokens("bj_reporter")).get_objects())
    assert {stix_id(world, "grouping", world["red_item"]),
            stix_id(world, "grouping", world["strict"])} <= own
    # one object by id; out of reach it is a 404
    oid = stix_id(world, "incident", world["incident"])
    env = collection(server, "incidents", bj).get_object(oid)
    assert [o["id"] for o in env["objects"]] == [oid]
    assert env["objects"][0]["extensions"][stix.INCIDENT_CORE_EXTENSION]["determination"]
    sh = tokens("sh_admin")
    with pytest.raises(requests.HTTPError) as err:
        collection(server, "incidents", sh).get_object(oid)
    assert err.value.response.status_code == 404
    for kind in COLS:
        r = requests.get(f"{server}/taxii2/api/collections/{COLS[kind]}/objects/",
                         headers={"Authorization": f"Bearer {sh}", "Accept": TAXII},
                         timeout=scaled(30))
        assert r.status_code == 200 and r.headers["content-type"].startswith(
            "application/taxii+json")
        assert not {o["type"] for o in r.json().get("objects", [])} & {
            "incident", "report", "grouping", "indicator", "vulnerability"}, kind


def test_paging_headers_and_added_after(server, tokens):
    """TAXII 2.1 §5.3–5.4: limit/next pages return every object once, in date_added order,
    with X-TAXII-Date-Added-First/Last; added_after returns only later objects."""
    token = tokens("bj_admin")
    col = collection(server, "monitoring", token)
    whole = col.get_objects()
    assert whole["more"] is False and len(whole["objects"]) > 3
    pages = list(as_pages(col.get_objects, per_request=3))
    assert len(pages) > 1 and all(p["more"] for p in pages[:-1])
    seen = [o["id"] for p in pages for o in p.get("objects", [])]
    assert len(seen) == len(set(seen)) == len(whole["objects"])
    manifest = list(as_pages(col.get_manifest, per_request=3))
    assert [m["id"] for p in manifest for m in p["objects"]] == seen
    url = f"{server}/taxii2/api/collections/{COLS['monitoring']}/objects/"
    h = {"Authorization": f"Bearer {token}", "Accept": TAXII}
    r = requests.get(url, params={"limit": 2}, headers=h, timeout=scaled(30))
    first, last = r.headers["X-TAXII-Date-Added-First"], r.headers["X-TAXII-Date-Added-Last"]
    assert first <= last and r.json()["more"] is True and r.json()["next"]
    newest = requests.get(url, headers=h, timeout=scaled(30)).headers["X-TAXII-Date-Added-Last"]
    assert requests.get(url, params={"added_after": newest}, headers=h,
                        timeout=scaled(30)).json() == {"more": False}
    after_first = requests.get(url, params={"added_after": first}, headers=h,
                               timeout=scaled(30)).json()
    assert 0 < len(after_first["objects"]) < len(whole["objects"])
    assert requests.get(url, params={"next": "!!"}, headers=h,
                        timeout=scaled(30)).status_code == 422
    assert requests.get(url, params={"added_after": "soon"}, headers=h,
                        timeout=scaled(30)).status_code == 422


def test_stix_export_and_import_from_the_command_line(rt, principal, clock, db_url, tmp_path):
    """``fenghuo stix export|import`` (issue 8 item 3): a Beijing incident exported by the
    Beijing office, imported by Shanghai as monitoring information once; bad input exits
    non-zero with a message."""
    inc = file(rt, principal, clock)
    env = clean_env(FENGHUO_DATABASE_URL=db_url)
    bundle = tmp_path / "b.json"
    r = fenghuo("stix", "export", "--as", "bj_admin", "--incident", inc.ref, "-o", str(bundle),
                env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    objects = json.loads(bundle.read_text())["objects"]
    assert [o["external_references"][0]["external_id"] for o in objects
            if o["type"] == "incident"] == [inc.ref]
    assert not [o for o in objects if o["type"] in ("report", "grouping")]
    r = fenghuo("stix", "export", "--as", "sh_admin", "--incident", inc.ref, env=env,
                cwd=tmp_path)
    assert r.returncode == 1 and inc.ref in r.stderr
    r = fenghuo("stix", "export", "--as", "bj_admin", "--since", "2099-01-01", env=env,
                cwd=tmp_path)
    assert r.returncode == 0 and '"incident"' not in r.stdout, r.stderr
    r = fenghuo("stix", "export", "--as", "bj_admin", "--since", "soon", env=env, cwd=tmp_path)
    assert r.returncode == 2 and "--since" in r.stderr
    r = fenghuo("stix", "import", str(bundle), "--as", "sh_admin", env=env, cwd=tmp_path)
    assert r.returncode == 0 and "imported 已导入 1 " in r.stdout, r.stderr
    r = fenghuo("stix", "import", str(bundle), "--as", "sh_admin", env=env, cwd=tmp_path)
    assert r.returncode == 0 and "imported 已导入 0 " in r.stdout, r.stderr
    junk = tmp_path / "junk.json"
    junk.write_text('{"type": "bundle", "objects": "x"}')
    r = fenghuo("stix", "import", str(junk), "--as", "sh_admin", env=env, cwd=tmp_path)
    assert r.returncode == 1 and "error" in r.stderr


def test_a_peer_pushes_an_envelope_and_reads_it_back_in_its_scope(server, tokens, module_rt):
    """Issue 20 item 4 (TAXII 2.1 §5.5, §4.3): ``taxii2-client`` adds an envelope to the
    monitoring collection; the status resource counts each object (the invalid one a failure
    with its reason) and is read again by the pusher's body only; the objects come back in the
    pusher's scope and not in another body's; incidents are read-only (403), and a push that
    is not TAXII JSON is a 415."""
    sh, bj = tokens("sh_admin"), tokens("bj_admin")
    now = module_rt.clock.now()
    malware = stix2.v21.Malware(name="PushBot", is_family=True, created=now, modified=now)
    indicator = stix2.v21.Indicator(name="pushed ip", pattern="[ipv4-addr:value = '192.0.2.77']",
                                    pattern_type="stix", valid_from=now, created=now,
                                    modified=now)
    rel = stix2.v21.Relationship(indicator, "indicates", malware, created=now, modified=now)
    bad = {"type": "malware", "spec_version": "2.1", "name": "no is_family",
           "id": "malware--00000000-0000-4000-8000-0000000000b1",
           "created": "2026-03-01T08:00:00Z", "modified": "2026-03-01T08:00:00Z"}
    envelope = {"objects": [json.loads(o.serialize()) for o in (malware, indicator, rel)] + [bad]}
    col = collection(server, "monitoring", sh)
    status = col.add_objects(envelope)
    assert (status.status, status.total_count, status.success_count,
            status.failure_count, status.pending_count) == ("complete", 4, 3, 1, 0)
    [failure] = status.failures
    assert failure["id"] == bad["id"] and "is_family" in failure["message"]
    assert {x["id"] for x in status.successes} == {malware.id, indicator.id, rel.id}
    url = f"{server}/taxii2/api/status/{status.id}/"
    mine = requests.get(url, auth=Bearer(sh), headers={"Accept": TAXII}, timeout=scaled(30))
    assert mine.status_code == 200 and mine.json()["success_count"] == 3
    other = requests.get(url, auth=Bearer(bj), headers={"Accept": TAXII}, timeout=scaled(30))
    assert other.status_code == 404 and other.headers["Content-Type"] == TAXII
    got = {o["id"]: o for page in as_pages(col.get_objects, per_request=100)
           for o in page.get("objects", [])}
    assert got[malware.id]["name"] == "PushBot" and rel.id in got  # kept as received
    assert any(o["type"] == "indicator" and "192.0.2.77" in o["pattern"] for o in got.values())
    assert malware.id not in ids(collection(server, "monitoring", bj).get_objects())
    incidents = f"{server}/taxii2/api/collections/{COLS['incidents']}/objects/"
    headers = {"Accept": TAXII, "Content-Type": TAXII}
    refused = requests.post(incidents, data=json.dumps(envelope), auth=Bearer(sh),
                            headers=headers, timeout=scaled(30))
    assert refused.status_code == 403 and refused.json()["http_status"] == "403"
    plain = requests.post(f"{col.url}objects/", json=envelope, auth=Bearer(sh),
                          headers={"Accept": TAXII}, timeout=scaled(30))
    assert plain.status_code == 415 and plain.headers["Content-Type"] == TAXII
