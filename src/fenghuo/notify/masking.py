"""What a reader sees of a receiving body's channels and of a bulletin's recipient list (issue 18
item 5). Pure: no I/O.

A notification's address is the receiving body's channel: a robot or webhook URL whose query or
path holds the robot's ``access_token``/``key`` (DingTalk, WeCom, Feishu), an inbox, a mobile
number. Law art. 30 keeps what is obtained for the work to the work: the address is shown in
full only to a reader who may manage that channel — the same check as adding or deleting a
contact (``org.registers.add_contact``: the permission ``org:write`` and the body inside the
reader's scope, i.e. an administrator of the body or of an office above it in the jurisdiction
tree). Everyone else sees the channel kind, the receiving body and a masked address: a URL by
its scheme and host (never a path, query, fragment or user information), an email address by
its first letter and domain (``z***@example.cn``), a number by its last four digits. Error
texts may echo the address, so they are masked the same way.

A bulletin (Plan §3.2; Support rights 2) lists the bodies it was sent to; Law art. 30 again:
a reader sees the recipients within its own scope and a count of the others, the issuing body
sees them all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, urlsplit

from fenghuo.common.scope import Principal, Scope
from fenghuo.org.rules import BodyFacts, Permission, body_visible, has_permission

ELLIPSIS = "…"
#: channels whose address is a URL that often carries the robot's access token or key
URL_CHANNELS = frozenset({"webhook", "dingtalk", "wecom", "feishu"})
#: channels whose address is a telephone number
NUMBER_CHANNELS = frozenset({"sms", "phone"})

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>]+")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
#: ``name=value`` or ``name: value`` pairs that carry credentials, outside a URL too
_SECRET_PAIR = re.compile(
    r"(?i)\b(access_token|access-token|token|key|apikey|api_key|secret|sign|signature|"
    r"password|passwd|pwd|auth|authorization)(\s*[=:]\s*)(?:bearer\s+)?[^\s&'\",;)]+")


# --- who may see a channel in full ----------------------------------------------------------


def may_manage_channels(roles: frozenset[str] | set[str]) -> bool:
    """Whether the roles include managing contacts at all (``org:write``): without it no
    channel is shown in full and no body need be looked up."""
    return has_permission(roles, Permission.ORG_WRITE)


def may_manage_channel(roles: frozenset[str] | set[str], scope: Scope, body: BodyFacts) -> bool:
    """Whether a reader may manage ``body``'s channels, and so see their addresses in full: the
    check of ``org.registers.add_contact`` — ``org:write`` and ``body`` inside the reader's
    scope (its own body, or one in its jurisdiction subtree and sectors; Law art. 30)."""
    return may_manage_channels(roles) and body_visible(scope, body)


def reader_manages(reader: Principal | None, body: BodyFacts | None) -> bool:
    """:func:`may_manage_channel` for a reader that may be absent (then nothing is shown in
    full) and a delivery that may have no receiving body (an address given by hand)."""
    if reader is None or body is None:
        return False
    return may_manage_channel(reader.roles, reader.scope, body)


# --- masking ----------------------------------------------------------------------------------


def mask_url(url: str) -> str:
    """``https://oapi.dingtalk.com/…``: the scheme, host and port only — no user information,
    path, query or fragment, where robots keep their tokens and keys."""
    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return ELLIPSIS
    if not parts.scheme or not host:
        return ELLIPSIS
    netloc = f"[{host}]" if ":" in host else host
    if port:
        netloc = f"{netloc}:{port}"
    return f"{parts.scheme.lower()}://{netloc}/{ELLIPSIS}"


def mask_email(address: str) -> str:
    """``z***@example.cn``: the first letter of the mailbox and the domain."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not domain:
        return mask_other(address)
    return f"{local[:1]}***@{domain}"


def mask_number(number: str) -> str:
    """A telephone number by its last four digits: ``*******1111``."""
    digits = re.sub(r"\D", "", number)
    if len(digits) <= 4:
        return "****"
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_other(value: str) -> str:
    """An address of no known form: nothing of it."""
    return ELLIPSIS if value else value


def mask_address(channel: str, address: str) -> str:
    """A delivery's address as a reader who may not manage the channel sees it."""
    if channel in URL_CHANNELS or _URL.fullmatch(address.strip()):
        return mask_url(address)
    if channel == "email" or _EMAIL.fullmatch(address.strip()):
        return mask_email(address)
    if channel in NUMBER_CHANNELS:
        return mask_number(address)
    return mask_other(address)


def mask_text(text: str | None, addresses: Iterable[str] = (), channel: str = "") -> str | None:
    """An error text (a delivery's ``last_error``) without the secrets it may echo: each of
    ``addresses`` (also percent-encoded), every URL, email address and ``token=…``-style
    pair masked."""
    if not text:
        return text
    for address in sorted({a for a in addresses if a}, key=len, reverse=True):
        for form in {address, quote(address, safe=""), quote(address, safe=":/")}:
            text = text.replace(form, mask_address(channel, address))
    text = _URL.sub(lambda m: mask_url(m.group(0)), text)
    text = _EMAIL.sub(lambda m: mask_email(m.group(0)), text)
    return _SECRET_PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}{ELLIPSIS}", text)


def shown_address(channel: str, address: str, *, manager: bool) -> str:
    """The address in full for a manager of the channel, masked for anyone else."""
    return address if manager else mask_address(channel, address)


def shown_error(text: str | None, channel: str, address: str, *, manager: bool) -> str | None:
    """A delivery's error text in full for a manager of the channel, masked for anyone else."""
    return text if manager else mask_text(text, (address,), channel)


# --- a bulletin's recipients ------------------------------------------------------------------


def shown_recipients(recipients: Iterable[tuple[str, bool]], *, issuer: bool
                     ) -> tuple[list[str], int]:
    """(the recipient keys a reader sees, how many others there are): ``recipients`` are
    (key, within the reader's scope); the issuing body sees every one (Law art. 30)."""
    shown, others = [], 0
    for key, in_scope in recipients:
        if issuer or in_scope:
            shown.append(key)
        else:
            others += 1
    return shown, others
