"""Pure rules of the console's notice bell (issue 19 item 7): what each kind of notice is
called (zh, en), when an open clock counts as "about to expire", which notices are unread and
their order (newest first).

A notice is unread when it arrived after the user last opened the bell (``users.notices_seen_at``;
never opened: everything is unread). Incidents routed to the body (Plan §4.1), warnings the body
received (Plan §3.3), owner notices sent to it (Law art. 25) and directives or interviews
addressed to it (Law art. 55–56) arrive at the moment they were routed, notified, sent or issued.
An open clock of the body (CAC 2025 art. 4 and 8) "arrives" when it enters the last
:data:`EXPIRY_WINDOW` before its deadline, i.e. at ``due_at − EXPIRY_WINDOW`` (or when it
started, ``starts_at``, if that is later): it is listed
while open and due within the window (overdue included) and counted as unread only when that
moment came after the user last looked — the same clock does not ring twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from types import MappingProxyType

#: an open clock is about to expire in its last quarter hour (and stays listed once overdue)
EXPIRY_WINDOW = timedelta(minutes=15)
#: the unread count stops at this number (the badge says "99+"): counting is bounded (LIMIT)
UNREAD_CAP = 99

KIND_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "incident_routed": ("新路由事件", "new incident routed"),
    "warning_received": ("收到预警", "warning received"),
    "clock_expiring": ("时限即将到期", "clock about to expire"),
    "clock_overdue": ("时限已逾期", "clock overdue"),
    "owner_notice": ("收到监测通报", "monitoring notice received"),
    "supervision": ("收到责令或约谈", "directive or interview received"),
})

#: the clause each kind of notice rests on
KIND_SOURCES: Mapping[str, str] = MappingProxyType({
    "incident_routed": "Plan §4.1",
    "warning_received": "Plan §3.3",
    "clock_expiring": "CAC 2025 art. 4",
    "clock_overdue": "CAC 2025 art. 4",
    "owner_notice": "Law art. 25",
    "supervision": "Law art. 55",
})


def kind_label(kind: str) -> tuple[str, str]:
    """(zh, en) name of a kind of notice; an unknown kind is shown as it is."""
    return KIND_LABELS.get(kind, (kind, kind))


def clock_arrives(due_at: datetime, starts_at: datetime | None = None) -> datetime:
    """When an open clock becomes a notice: as it enters the last :data:`EXPIRY_WINDOW`, or
    when it started, for a clock that started already inside it."""
    entered = due_at - EXPIRY_WINDOW
    return max(entered, starts_at) if starts_at is not None else entered


def clock_horizon(now: datetime) -> datetime:
    """Open clocks due up to this moment are listed (overdue ones included)."""
    return now + EXPIRY_WINDOW


def clock_kind(due_at: datetime, now: datetime) -> str:
    return "clock_overdue" if due_at < now else "clock_expiring"


def is_unread(arrived_at: datetime, seen_at: datetime | None) -> bool:
    """Newer than the user's last look at the bell; everything when they never looked."""
    return seen_at is None or arrived_at > seen_at


def order_key(arrived_at: datetime, kind: str, row_id: int) -> tuple:
    """Newest first; ties broken by kind and row so the order is stable."""
    return (-arrived_at.timestamp(), kind, -row_id)


def badge(unread: int) -> str:
    """The badge's text: empty for none, "99+" past the cap."""
    if unread <= 0:
        return ""
    return f"{UNREAD_CAP}+" if unread > UNREAD_CAP else str(unread)
