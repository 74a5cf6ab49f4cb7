"""Channel secrets and recipient lists (issue 18 item 5; Law art. 30), on both databases.

A notification's address is the receiving body's robot or webhook URL, whose query holds the
robot's ``access_token``/``key``: it is shown in full only to a reader who may manage that
body's channels (an administrator of the body or of an office above it); everyone else sees
the channel, the body and the host. A bulletin's recipients are shown to a reader only within
its scope, with a count of the others; the issuing body sees them all."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from fenghuo.common.refs import new_ref
from fenghuo.incident import handling, queries
from fenghuo.notify import outbox
from fenghuo.org import registers
from fenghuo.org.models import Body
from fenghuo.org.schemas import ContactIn
from fenghuo.sharing import bulletins
from fenghuo.sharing.models import Bulletin, BulletinDelivery
from tests.cli import clean_env, fenghuo
from tests.e2e.test_api_incidents import report
from tests.e2e.test_web_form import login

BJ_TOKEN = "bjrobot0a1b2c3d4e5f60718293a4b5"
BJ_ROBOT = f"https://oapi.dingtalk.com/robot/send?access_token={BJ_TOKEN}"
MPS_KEY = "mpskey-693a91f6-7aaa-4bc4-97a0"
MPS_HOOK = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={MPS_KEY}"
BJ_INBOX = "duty@bj-office.example.cn"
SECRETS = (BJ_TOKEN, MPS_KEY)


def channels(rt, principal) -> None:
    """The Beijing office's DingTalk robot and inbox, the Ministry of Public Security's WeCom
    robot."""
    me = principal("nat_admin")
    for body, channel, value in (("110000.office", "dingtalk", BJ_ROBOT),
                                 ("110000.office", "email", BJ_INBOX),
                                 ("cn.mps", "wecom", MPS_HOOK)):
        registers.add_contact(rt.uow, rt.clock, principal=me, body=body,
                              data=ContactIn(name="Robot", channel=channel, value=value))


def addresses(incident: dict) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for d in incident["deliveries"]:
        out.setdefault(d["body"], set()).add(d["address"])
    return out


@pytest.fixture
def filed(rt, principal, client, headers):
    """bj-bank's reporter files an incident; its notifications reach the robots."""
    channels(rt, principal)
    r = client.post("/api/v1/incidents", json=report(), headers=headers("bj_reporter"))
    assert r.status_code == 201, r.text
    return r


def test_the_reporter_sees_no_token_in_the_api(filed, client, headers):
    """The filer's own answer and the incident read back: channel kind, body and host only."""
    for text in (filed.text, client.get(f"/api/v1/incidents/{filed.json()['ref']}",
                                        headers=headers("bj_reporter")).text):
        assert not any(secret in text for secret in SECRETS)
        assert BJ_ROBOT not in text and "/robot/send" not in text
    seen = addresses(filed.json())
    assert seen["110000.office"] == {"https://oapi.dingtalk.com/…", "d***@bj-office.example.cn"}
    assert seen["cn.mps"] == {"https://qyapi.weixin.qq.com/…"}
    assert BJ_INBOX not in filed.text
    assert {d["channel"] for d in filed.json()["deliveries"]} >= {"dingtalk", "wecom", "email"}
    assert all(d["address_masked"] for d in filed.json()["deliveries"])


def test_the_reporter_sees_no_token_in_the_console(filed, client):
    login(client, "bj_reporter")
    page = client.get(f"/web/incidents/{filed.json()['ref']}")
    assert page.status_code == 200
    assert "https://oapi.dingtalk.com/…" in page.text and "dingtalk" in page.text
    assert not any(secret in page.text for secret in SECRETS)
    assert "access_token" not in page.text and "/robot/send" not in page.text


def test_the_beijing_administrator_sees_beijings_channels_in_full(filed, client, headers):
    """Beijing's administrator manages the office's and the bank's channels, not the
    ministry's; the national administrator manages them all."""
    ref = filed.json()["ref"]
    bj = client.get(f"/api/v1/incidents/{ref}", headers=headers("bj_admin")).json()
    seen = addresses(bj)
    assert seen["110000.office"] == {BJ_ROBOT, BJ_INBOX}
    assert seen["cn.mps"] == {"https://qyapi.weixin.qq.com/…"}
    assert MPS_KEY not in str(bj)
    nat = client.get(f"/api/v1/incidents/{ref}", headers=headers("nat_admin")).json()
    assert addresses(nat)["cn.mps"] == {MPS_HOOK}
    assert not any(d["address_masked"] for d in nat["deliveries"])
    # the duty officer of the same office may not edit contacts: masked
    duty = client.get(f"/api/v1/incidents/{ref}", headers=headers("bj_duty")).json()
    assert addresses(duty)["110000.office"] == {"https://oapi.dingtalk.com/…",
                                                "d***@bj-office.example.cn"}


def test_error_texts_echoing_the_url_are_masked(filed, rt, principal, clock):
    """A dead letter's error names the URL it was posted to (as httpx does)."""
    for claimed in outbox.claim(rt.uow, now=clock.now(), limit=20):
        outbox.complete(rt.uow, now=clock.now(), claimed=claimed, retryable=False,
                        error=f"Client error '404 Not Found' for url '{claimed.address}'")
    ref = filed.json()["ref"]
    for user in ("bj_reporter", "bj_duty"):
        out = queries.get_incident(rt.uow, principal=principal(user), ref=ref, now=clock.now())
        assert not any(s in (d.last_error or "") for d in out.deliveries for s in SECRETS)
    dead = handling.list_deliveries(rt.uow, principal=principal("bj_duty"))
    assert dead and not any(s in d.address + (d.last_error or "")
                            for d in dead for s in SECRETS)
    dead = {d.channel: d for d in handling.list_deliveries(rt.uow,
                                                            principal=principal("bj_admin"))}
    assert dead["dingtalk"].address == BJ_ROBOT
    assert BJ_ROBOT in dead["dingtalk"].last_error  # for troubleshooting
    assert MPS_KEY not in dead["wecom"].last_error and dead["wecom"].address_masked


# --- bulletins --------------------------------------------------------------------------------

RECIPIENTS = ["310000.office", "sh-bank", "bj-support", "bj-bank"]


@pytest.fixture
def bulletin(rt) -> str:
    """A monthly bulletin of the Beijing office sent to Shanghai's office and bank and to two
    Beijing bodies (rows written directly: generating a PDF is not what is tested here)."""
    at = datetime(2026, 12, 1, 1, tzinfo=UTC)
    with rt.uow() as s:
        body = {b.key: b for b in s.scalars(select(Body))}
        b = Bulletin(ref=new_ref("BL", at), kind="monthly", period="2026-11",
                     issuer_body_id=body["110000.office"].id, tlp="green",
                     title="网络安全月报 Monthly bulletin", data="{}", html="<p></p>",
                     generated_by="bj_duty", generated_at=at)
        s.add(b)
        s.flush()
        for key in RECIPIENTS:
            s.add(BulletinDelivery(bulletin_id=b.id, body_id=body[key].id,
                                   reason="recipient_list", sent_at=at))
        return b.ref


def test_a_recipient_sees_only_the_recipients_in_its_scope(rt, principal, bulletin):
    """Law art. 30: Shanghai sees Shanghai's recipients and a count of the others."""
    sh = bulletins.get_bulletin(rt.uow, principal=principal("sh_admin"), ref=bulletin)
    assert (sh.delivered_to, sh.delivered_others) == (["310000.office", "sh-bank"], 2)
    [listed] = bulletins.list_bulletins(rt.uow, principal=principal("sh_admin"))
    assert (listed.delivered_to, listed.delivered_others) == (["310000.office", "sh-bank"], 2)
    unit = bulletins.get_bulletin(rt.uow, principal=principal("bj_support"), ref=bulletin)
    assert (unit.delivered_to, unit.delivered_others) == (["bj-support"], 3)


def test_the_issuer_sees_every_recipient(rt, principal, bulletin):
    for user in ("bj_admin", "bj_duty", "nat_admin"):
        b = bulletins.get_bulletin(rt.uow, principal=principal(user), ref=bulletin)
        assert (sorted(b.delivered_to), b.delivered_others) == (sorted(RECIPIENTS), 0), user


def test_bulletin_recipients_over_http_and_the_command_line(rt, bulletin, client, headers,
                                                              db_url, tmp_path):
    r = client.get(f"/api/v1/bulletins/{bulletin}", headers=headers("sh_admin"))
    assert r.status_code == 200
    assert "bj-support" not in r.text and "bj-bank" not in r.text
    assert r.json()["delivered_others"] == 2
    listed = client.get("/api/v1/bulletins", headers=headers("bj_admin")).json()
    assert sorted(listed[0]["delivered_to"]) == sorted(RECIPIENTS)
    env = clean_env(FENGHUO_DATABASE_URL=db_url)
    ran = fenghuo("bulletin", "list", "--as", "sh_admin", env=env, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert "310000.office, sh-bank (+2 other bodies)" in ran.stdout
    assert "bj-support" not in ran.stdout and "bj-bank" not in ran.stdout
