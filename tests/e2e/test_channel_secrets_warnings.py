"""Channel secrets in warning notifications and contact checks (issue 18 item 5; Law art. 30),
on both databases.

A published warning is sent to the receiving bodies' robots (Plan §3.3 ¶1). A notification's
address — the robot or webhook URL whose query or path holds its ``access_token``/``key`` — and
the error texts that echo it are shown in full only to a reader who may manage that body's
channels (``org:write`` over it: an administrator of the body or of an office above it);
everyone else, the office's duty officer included, sees the channel, the body and the host."""

from __future__ import annotations

import pytest

from fenghuo.common.pagination import PageParams
from fenghuo.notify import outbox
from fenghuo.org import registers
from fenghuo.org.schemas import ContactIn
from fenghuo.support import service as support
from fenghuo.support.schemas import CheckIn
from fenghuo.warning import service as warnings
from tests.e2e.test_api_warnings import publish
from tests.e2e.test_web_form import login
from tests.integration.test_support import member

BANK_TOKEN = "bankrobot5e6f7a8b9c0d1e2f3a4b5c"
BANK_ROBOT = f"https://oapi.dingtalk.com/robot/send?access_token={BANK_TOKEN}"
REG_KEY = "regkey-0c1d2e3f-4a5b-6c7d-8e9f"
REG_HOOK = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={REG_KEY}"
NAT_HOOK_ID = "natfeishu-7b8c9d0e-1f2a-3b4c-5d6e"
NAT_HOOK = f"https://open.feishu.cn/open-apis/bot/v2/hook/{NAT_HOOK_ID}"
SECRETS = (BANK_TOKEN, REG_KEY, NAT_HOOK_ID)
MASKED = {"bj-bank": "https://oapi.dingtalk.com/…", "bj-finance-reg": "https://qyapi.weixin.qq.com/…",
          "cn.emergency-office": "https://open.feishu.cn/…"}


def robots(rt, principal) -> None:
    """Robots of three bodies a Beijing warning reaches: two in Beijing (the bank and the
    finance regulator), one national (the Emergency Office)."""
    me = principal("nat_admin")
    for body, channel, value in (("bj-bank", "dingtalk", BANK_ROBOT),
                                 ("bj-finance-reg", "wecom", REG_HOOK),
                                 ("cn.emergency-office", "feishu", NAT_HOOK)):
        registers.add_contact(rt.uow, rt.clock, principal=me, body=body,
                              data=ContactIn(name="Robot", channel=channel, value=value))


def robot_addresses(warning: dict) -> dict[str, str]:
    """body → the address shown for its robot (email contacts left aside)."""
    return {d["body"]: d["address"] for d in warning["deliveries"]
            if d["channel"] in ("dingtalk", "wecom", "feishu")}


@pytest.fixture
def published(rt, principal, client, headers, clock) -> dict:
    """Beijing's duty officer publishes an orange warning (bj_admin approves it)."""
    robots(rt, principal)
    return publish(client, headers, clock)


def test_the_duty_officer_sees_no_token_in_the_api(published, client, headers):
    """bj_duty (no org:write) reads its own publication answer and the warning back."""
    again = client.get(f"/api/v1/warnings/{published['ref']}", headers=headers("bj_duty"))
    assert again.status_code == 200
    for text in (str(published), again.text):
        assert not any(secret in text for secret in SECRETS)
        assert "/robot/send" not in text and "/webhook/send" not in text
    assert robot_addresses(published) == MASKED
    assert robot_addresses(again.json()) == MASKED
    assert all(d["address_masked"] for d in again.json()["deliveries"])


def test_the_duty_officer_sees_no_token_in_the_console(published, client):
    login(client, "bj_duty")
    page = client.get(f"/web/warnings/{published['ref']}")
    assert page.status_code == 200
    assert 'id="notifications"' in page.text
    assert "https://oapi.dingtalk.com/…" in page.text and "dingtalk" in page.text
    assert not any(secret in page.text for secret in SECRETS)
    assert "access_token" not in page.text and "/robot/send" not in page.text


def test_the_beijing_administrator_sees_beijings_channels_in_full(published, client, headers):
    """bj_admin manages the bank's and the regulator's channels, not the national office's;
    nat_admin manages them all."""
    ref = published["ref"]
    bj = client.get(f"/api/v1/warnings/{ref}", headers=headers("bj_admin")).json()
    assert robot_addresses(bj) == {"bj-bank": BANK_ROBOT, "bj-finance-reg": REG_HOOK,
                                   "cn.emergency-office": MASKED["cn.emergency-office"]}
    assert NAT_HOOK_ID not in str(bj)
    masked = {d["body"] for d in bj["deliveries"] if d["address_masked"]}
    assert masked == {"cn.emergency-office"}
    nat = client.get(f"/api/v1/warnings/{ref}", headers=headers("nat_admin")).json()
    assert robot_addresses(nat)["cn.emergency-office"] == NAT_HOOK
    assert not any(d["address_masked"] for d in nat["deliveries"])
    login(client, "bj_admin")
    page = client.get(f"/web/warnings/{ref}")
    assert page.status_code == 200
    assert BANK_ROBOT.replace("&", "&amp;") in page.text and NAT_HOOK_ID not in page.text


def test_error_texts_echoing_the_url_are_masked(published, rt, principal, clock):
    """A dead letter's error names the URL it was posted to (as httpx does)."""
    for claimed in outbox.claim(rt.uow, now=clock.now(), limit=50):
        outbox.complete(rt.uow, now=clock.now(), claimed=claimed, retryable=False,
                        error=f"Client error '404 Not Found' for url '{claimed.address}'")
    ref = published["ref"]
    duty = warnings.get_warning(rt.uow, rt.clock, principal=principal("bj_duty"), ref=ref)
    dead = [d for d in duty.deliveries if d.state == "dead"]
    assert len(dead) >= 3  # the three robots at least
    assert not any(s in (d.last_error or "") + d.address for d in dead for s in SECRETS)
    assert "https://oapi.dingtalk.com/…" in {d.last_error.rsplit("'", 2)[1] for d in dead}
    admin = {d.channel: d for d in warnings.get_warning(
        rt.uow, rt.clock, principal=principal("bj_admin"), ref=ref).deliveries}
    assert BANK_ROBOT in admin["dingtalk"].last_error  # for troubleshooting
    assert NAT_HOOK_ID not in admin["feishu"].last_error and admin["feishu"].address_masked


def test_a_contact_check_shows_the_robot_only_to_its_managers(rt, principal):
    """Support obligation 6: CNCERT's Beijing branch tests bj-support's 7×24 robot; the branch
    may not manage the unit's channels and sees the host, Beijing's administrator the URL."""
    member(rt, principal)
    registers.add_contact(rt.uow, rt.clock, principal=principal("bj_admin"), body="bj-support",
                          data=ContactIn(name="值班 Duty", channel="dingtalk", value=BANK_ROBOT,
                                         is_24x7=True))
    check = support.start_check(rt.uow, rt.clock, principal=principal("bj_cert"),
                                data=CheckIn(unit="bj-support"))
    assert check.value == "https://oapi.dingtalk.com/…"
    listed = support.list_checks(rt.uow, rt.clock, principal=principal("bj_admin"),
                                 unit="bj-support", page=PageParams())
    assert [c.value for c in listed.items] == [BANK_ROBOT]
    listed = support.list_checks(rt.uow, rt.clock, principal=principal("bj_ro"),
                                 unit="bj-support", page=PageParams())
    assert [c.value for c in listed.items] == ["https://oapi.dingtalk.com/…"]
