"""What a reader sees of a receiving body's channels and of a bulletin's recipients (issue 18
item 5; Law art. 30): the masking rules of ``fenghuo.notify.masking``."""

from __future__ import annotations

from urllib.parse import urlencode

from hypothesis import assume, given
from hypothesis import strategies as st

from fenghuo.common.scope import Scope
from fenghuo.notify import masking
from fenghuo.org.rules import BodyFacts, BodyKind

DINGTALK = "https://oapi.dingtalk.com/robot/send?access_token=0a1b2c3d4e5f60718293a4b5c6d7e8f9"
WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
FEISHU = "https://open.feishu.cn/open-apis/bot/v2/hook/2f1c6a0e-0f5e-4c3b-9d3f-7c1e5b7a9d10"


def test_robot_urls_keep_only_scheme_and_host():
    assert masking.mask_address("dingtalk", DINGTALK) == "https://oapi.dingtalk.com/…"
    assert masking.mask_address("wecom", WECOM) == "https://qyapi.weixin.qq.com/…"
    # Feishu keeps its token in the path
    assert masking.mask_address("feishu", FEISHU) == "https://open.feishu.cn/…"
    assert masking.mask_address("webhook", "https://user:pw@hooks.example.cn:8443/a?sig=x#f") \
        == "https://hooks.example.cn:8443/…"
    assert masking.mask_address("webhook", "not a url") == "…"


def test_email_keeps_first_letter_and_domain():
    assert masking.mask_address("email", "zhang.san@example.cn") == "z***@example.cn"
    assert masking.mask_address("email", "@example.cn") == "***@example.cn"
    assert masking.mask_address("email", "nobody") == "…"


def test_numbers_keep_the_last_four_digits():
    assert masking.mask_address("sms", "+8613800001111") == "*********1111"
    assert masking.mask_address("phone", "010-1234") == "***1234"
    assert masking.mask_address("sms", "1234") == "****"


def test_error_texts_lose_urls_emails_and_token_pairs():
    error = f"Client error '404 Not Found' for url '{DINGTALK}'"
    masked = masking.mask_text(error, (DINGTALK,), "dingtalk")
    assert "access_token" not in masked and "0a1b2c3d" not in masked
    assert "https://oapi.dingtalk.com/…" in masked
    assert masking.mask_text("SMTP 550 for zhang@example.cn") == "SMTP 550 for z***@example.cn"
    assert masking.mask_text("errcode 300005 token=abcdef123 invalid") == \
        "errcode 300005 token=… invalid"
    assert masking.mask_text("gateway said password: hunter2") == "gateway said password: …"
    assert masking.mask_text(None) is None and masking.mask_text("") == ""
    # an address that is echoed percent-encoded is masked too
    encoded = "POST https%3A%2F%2Foapi.dingtalk.com%2Frobot%2Fsend%3Faccess_token%3Dsecret99 failed"
    assert "secret99" not in masking.mask_text(
        encoded, ("https://oapi.dingtalk.com/robot/send?access_token=secret99",), "dingtalk")


def test_managers_see_everything_others_the_mask():
    assert masking.shown_address("dingtalk", DINGTALK, manager=True) == DINGTALK
    assert masking.shown_address("dingtalk", DINGTALK, manager=False) == \
        "https://oapi.dingtalk.com/…"
    error = f"timeout posting to {DINGTALK}"
    assert masking.shown_error(error, "dingtalk", DINGTALK, manager=True) == error
    assert DINGTALK not in masking.shown_error(error, "dingtalk", DINGTALK, manager=False)


BEIJING = Scope(body_id=10, jurisdiction_path="/1/2/", ancestor_jurisdiction_ids=frozenset({1}),
                sectors=None, own_body_only=False)
BANK = Scope(body_id=20, jurisdiction_path="/1/2/", ancestor_jurisdiction_ids=frozenset({1}),
             sectors=None, own_body_only=True)
OFFICE = BodyFacts(id=10, kind=BodyKind.OFFICE, jurisdiction_path="/1/2/", sectors=frozenset())
BANK_BODY = BodyFacts(id=20, kind=BodyKind.OPERATOR, jurisdiction_path="/1/2/",
                      sectors=frozenset({"finance"}))
SHANGHAI = BodyFacts(id=30, kind=BodyKind.OFFICE, jurisdiction_path="/1/3/",
                     sectors=frozenset())


def test_who_may_manage_a_channel():
    """The check of adding a contact: org:write over a body in the reader's scope."""
    admin, reporter = frozenset({"administrator"}), frozenset({"operator_reporter"})
    assert masking.may_manage_channel(admin, BEIJING, OFFICE)
    assert masking.may_manage_channel(admin, BEIJING, BANK_BODY)  # an office above the unit
    assert not masking.may_manage_channel(admin, BEIJING, SHANGHAI)  # another province
    assert not masking.may_manage_channel(frozenset({"duty_officer"}), BEIJING, OFFICE)
    assert not masking.may_manage_channel(reporter, BANK, BANK_BODY)
    assert masking.may_manage_channel(admin, BANK, BANK_BODY)  # the unit's own administrator
    assert not masking.may_manage_channel(admin, BANK, OFFICE)  # not the office above it


def test_bulletin_recipients_outside_the_scope_are_counted():
    recipients = [("110000.office", False), ("310000.office", True), ("sh-bank", True),
                  ("bj-support", False)]
    assert masking.shown_recipients(recipients, issuer=False) == (
        ["310000.office", "sh-bank"], 2)
    assert masking.shown_recipients(recipients, issuer=True) == (
        [k for k, _ in recipients], 0)


_TEXT = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~",
                min_size=6, max_size=40)
_LABEL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
_HOST = st.lists(_LABEL, min_size=2, max_size=4).map(".".join)
_CHANNEL = st.sampled_from(sorted(masking.URL_CHANNELS))


@st.composite
def urls(draw):
    host = draw(_HOST)
    path = "/".join(draw(st.lists(_LABEL, max_size=4)))
    query = draw(st.dictionaries(st.sampled_from(
        ["access_token", "key", "sign", "timestamp", "secret", "signature", "password", "x"]),
        _TEXT, min_size=1, max_size=4))
    scheme = draw(st.sampled_from(["https", "http"]))
    port = draw(st.one_of(st.none(), st.integers(1, 65535)))
    netloc = f"{host}:{port}" if port else host
    return f"{scheme}://{netloc}/{path}?{urlencode(query)}", host, query


@given(urls(), _CHANNEL)
def test_no_query_value_survives_masking(url, channel):
    address, host, query = url
    masked = masking.mask_address(channel, address)
    assert "?" not in masked and "=" not in masked
    assert masked.split("://", 1)[1].split(":")[0].split("/")[0] == host
    for value in query.values():
        assume(value not in host)
        assert value not in masked


@given(urls(), _CHANNEL, st.sampled_from(["timeout posting to {}", "HTTP 403 for url '{}'",
                                          "{} answered errcode 310000", "({})"]))
def test_no_query_value_survives_in_an_error_text(url, channel, template):
    address, host, query = url
    masked = masking.mask_text(template.format(address), (address,), channel)
    for value in query.values():
        assume(value not in host and value not in template)
        assert value not in masked


@given(urls())
def test_no_query_value_survives_in_a_text_that_does_not_know_the_address(url):
    address, host, query = url
    masked = masking.mask_text(f"error at {address}: refused")
    for value in query.values():
        assume(value not in host)
        assert value not in masked


@given(st.emails())
def test_an_email_keeps_at_most_its_first_letter(address):
    local, _, domain = address.rpartition("@")
    masked = masking.mask_address("email", address)
    assert masked == f"{local[:1]}***@{domain}"
