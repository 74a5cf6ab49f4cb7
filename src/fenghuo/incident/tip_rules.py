"""Pure rules of public tips (举报): their states, who may receive a transfer (移送), the
handling clock, what the tipster may see, and the receipt code.

Law art. 14 ¶1: anyone may report acts endangering network security to the cyberspace,
telecommunications, public security and other departments; the department that receives a
report handles it in time (及时依法作出处理), and one whose duties it does not fall under
transfers it in time to the department competent to handle it (及时移送有权处理的部门).
Law art. 14 ¶2: the departments keep the whistleblower's information confidential.

The texts give no number of hours or days for "in time": the handling clock is a project rule
(settings ``tip_decide_hours`` and ``tip_close_days``, see README "Public tips").
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from fenghuo.common.reasons import Decision, Reason, decide
from fenghuo.org.rules import BodyFunction, BodyKind

# --- states -----------------------------------------------------------------------------------


class TipState(StrEnum):
    RECEIVED = "received"  # 已收到: waiting for the holder's decision
    TRANSFERRED = "transferred"  # 已移送: waiting for the competent department's decision
    ACCEPTED = "accepted"  # 已受理: the holder handles it
    CLOSED = "closed"  # 已办结, with a public outcome
    CONVERTED = "converted"  # 已转为事件: filed as an incident, handled in the reporting chain


STATE_LABELS: Mapping[TipState, tuple[str, str]] = MappingProxyType({
    TipState.RECEIVED: ("已收到", "received"),
    TipState.TRANSFERRED: ("已移送", "transferred"),
    TipState.ACCEPTED: ("已受理", "accepted"),
    TipState.CLOSED: ("已办结", "closed"),
    TipState.CONVERTED: ("已转为事件", "filed as an incident"),
})


class TipAction(StrEnum):
    ACCEPT = "accept"  # 受理
    TRANSFER = "transfer"  # 移送
    CLOSE = "close"  # 办结
    CONVERT = "convert"  # file as an incident


_OPEN = frozenset({TipAction.TRANSFER, TipAction.CLOSE, TipAction.CONVERT})
ALLOWED: Mapping[TipState, frozenset[TipAction]] = MappingProxyType({
    TipState.RECEIVED: _OPEN | {TipAction.ACCEPT},
    TipState.TRANSFERRED: _OPEN | {TipAction.ACCEPT},
    TipState.ACCEPTED: _OPEN,
    TipState.CLOSED: frozenset(),
    TipState.CONVERTED: frozenset(),
})
TERMINAL = frozenset(s for s, actions in ALLOWED.items() if not actions)


def action_conflict(state: TipState, action: TipAction) -> str | None:
    """Why ``action`` cannot be taken on a tip in ``state`` (a conflict with its state), or
    None when it can."""
    if action in ALLOWED[state]:
        return None
    if state in TERMINAL:
        return (f"the tip is already {state.value} ({STATE_LABELS[state][0]}); nothing more can "
                f"be done with it")
    allowed = ", ".join(sorted(a.value for a in ALLOWED[state]))
    return f"the tip is already {state.value}; it can only be: {allowed}"


# --- transfer (移送, Law art. 14) -------------------------------------------------------------


@dataclass(frozen=True)
class Receiver:
    """What the transfer rule needs to know of the body a tip would go to."""

    id: int
    kind: BodyKind
    function: BodyFunction | None
    active: bool
    jurisdiction_path: str


#: bodies that handle tips: the cyberspace offices (网信) and the departments (电信、公安等)
RECEIVING_KINDS = frozenset({BodyKind.OFFICE, BodyKind.DEPARTMENT})

_COMPETENT = Reason("tip_transfer.competent", "Law art. 14",
                    "不属于本部门职责的举报，移送有权处理的部门",
                    "a tip outside the holder's duties goes to the department competent to "
                    "handle it")
_SELF = Reason("tip_transfer.self", "Law art. 14", "举报已由本单位处理，不能移送给本单位",
               "the tip is already with your body; it cannot be transferred to itself")
_INACTIVE = Reason("tip_transfer.inactive", "Law art. 14", "接收单位已停用，不能接收移送",
                   "the receiving body is inactive and cannot take the tip over")
_NOT_A_DEPARTMENT = Reason(
    "tip_transfer.not_a_department", "Law art. 14",
    "举报只能移送网信、电信、公安等有权处理的部门（网络安全应急办公室或行业主管部门），"
    "不能移送运营单位、应急技术处理机构、支撑单位或其他机构",
    "a tip goes only to a department competent to handle it — a cyberspace office or a "
    "department (telecommunications, public security…) — not to an operator unit, a CERT, a "
    "support unit or another kind of body")
_OUT_OF_REGION = Reason(
    "tip_transfer.out_of_region", "Law art. 14; Plan §2.3",
    "行业主管部门只处理本地区的举报：该部门的辖区不包括举报所涉地区，请移送该地区的网信部门",
    "a department handles the tips of its own region: this department's region does not cover "
    "the place of the tip; transfer it to that region's office instead")


def may_transfer(holder_body_id: int, target: Receiver, tip_path: str) -> Decision:
    """Whether the holder of a tip concerning the place ``tip_path`` may transfer it to
    ``target``: an active office anywhere (each is competent for its region), or an active
    department whose region covers the place or lies within it (Law art. 14, Plan §2.3)."""
    refusals = []
    if target.id == holder_body_id:
        refusals.append(_SELF)
    if not target.active:
        refusals.append(_INACTIVE)
    if target.kind not in RECEIVING_KINDS:
        refusals.append(_NOT_A_DEPARTMENT)
    elif target.kind == BodyKind.DEPARTMENT and not (
            tip_path.startswith(target.jurisdiction_path)
            or target.jurisdiction_path.startswith(tip_path)):
        refusals.append(_OUT_OF_REGION)
    return decide(refusals, _COMPETENT)


class AuthorityKind(StrEnum):
    """What kind of authority holds a transferred tip: all the tipster is told of it."""

    PUBLIC_SECURITY = "public_security"
    STATE_SECRECY = "state_secrecy"
    CYBERSPACE = "cyberspace"
    TELECOM = "telecom"
    SECTOR = "sector"


AUTHORITY_LABELS: Mapping[AuthorityKind, tuple[str, str]] = MappingProxyType({
    AuthorityKind.PUBLIC_SECURITY: ("公安机关", "the public security organ"),
    AuthorityKind.STATE_SECRECY: ("保密行政管理部门", "the state secrecy administration"),
    AuthorityKind.CYBERSPACE: ("网信部门", "a cyberspace administration office"),
    AuthorityKind.TELECOM: ("电信主管部门", "the telecommunications regulator"),
    AuthorityKind.SECTOR: ("行业主管部门", "the competent sector regulator"),
})


def authority_kind(kind: BodyKind, function: BodyFunction | None,
                   sectors: frozenset[str]) -> AuthorityKind:
    """The kind of a receiving body, as Law art. 14 names them (网信、电信、公安等部门)."""
    if function == BodyFunction.PUBLIC_SECURITY:
        return AuthorityKind.PUBLIC_SECURITY
    if function == BodyFunction.STATE_SECRECY:
        return AuthorityKind.STATE_SECRECY
    if kind == BodyKind.OFFICE:
        return AuthorityKind.CYBERSPACE
    if sectors == frozenset({"telecom"}):
        return AuthorityKind.TELECOM
    return AuthorityKind.SECTOR


# --- the handling clock (a project rule: Law art. 14 says "in time", no figure) ---------------


class ClockKind(StrEnum):
    DECIDE = "decide"  # accept, transfer, file as an incident or close it
    CLOSE = "close"  # close an accepted tip


CLOCK_LABELS: Mapping[ClockKind, tuple[str, str]] = MappingProxyType({
    ClockKind.DECIDE: ("受理、移送或办结", "accept, transfer or close"),
    ClockKind.CLOSE: ("办结", "close"),
})


@dataclass(frozen=True)
class TipClocks:
    decide_hours: float = 72
    close_days: float = 30


@dataclass(frozen=True)
class ClockSpec:
    kind: ClockKind
    source: str
    starts_at: datetime
    due_at: datetime


def decide_clock(now: datetime, clocks: TipClocks) -> ClockSpec:
    """On receipt and on each transfer the holder has ``decide_hours`` to decide."""
    return ClockSpec(ClockKind.DECIDE, f"Law art. 14 (in time); project rule: "
                     f"{clocks.decide_hours:g} h (tip_decide_hours)", now,
                     now + timedelta(hours=clocks.decide_hours))


def close_clock(now: datetime, clocks: TipClocks) -> ClockSpec:
    """An accepted tip is closed within ``close_days``."""
    return ClockSpec(ClockKind.CLOSE, f"Law art. 14 (in time); project rule: "
                     f"{clocks.close_days:g} days (tip_close_days)", now,
                     now + timedelta(days=clocks.close_days))


# --- what the tipster sees ---------------------------------------------------------------------


class PublicStatus(StrEnum):
    RECEIVED = "received"
    HANDLING = "handling"
    TRANSFERRED = "transferred"
    CLOSED = "closed"


PUBLIC_LABELS: Mapping[PublicStatus, tuple[str, str]] = MappingProxyType({
    PublicStatus.RECEIVED: ("已收到，等待处理", "received, awaiting handling"),
    PublicStatus.HANDLING: ("正在处理", "being handled"),
    PublicStatus.TRANSFERRED: ("已移送有权处理的部门", "transferred to the competent authority"),
    PublicStatus.CLOSED: ("已办结", "closed"),
})

_PUBLIC = MappingProxyType({
    TipState.RECEIVED: PublicStatus.RECEIVED, TipState.TRANSFERRED: PublicStatus.TRANSFERRED,
    TipState.ACCEPTED: PublicStatus.HANDLING, TipState.CONVERTED: PublicStatus.HANDLING,
    TipState.CLOSED: PublicStatus.CLOSED})


def public_status(state: TipState) -> PublicStatus:
    """The status the tipster sees: filing a tip as an incident is "being handled" to them."""
    return _PUBLIC[state]


# --- the receipt code -------------------------------------------------------------------------

#: Crockford-like: no 0/O, 1/I/L, so a code read aloud or copied by hand survives
RECEIPT_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
RECEIPT_GROUPS, RECEIPT_GROUP_SIZE = 4, 5  # 20 symbols ≈ 99 bits


def new_receipt_code() -> str:
    """A random, unguessable code, e.g. ``K7M2Q-XW9RT-…``, shown to the tipster once."""
    return "-".join("".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_GROUP_SIZE))
                    for _ in range(RECEIPT_GROUPS))


def receipt_hash(code: str) -> str:
    """What is stored of a receipt code: SHA-256 of its symbols, case, spaces and dashes
    ignored (the code has ~99 bits, so a fast hash suffices, as for API tokens)."""
    symbols = "".join(ch for ch in code.upper() if ch not in " -\t\r\n")
    return hashlib.sha256(symbols.encode()).hexdigest()
