"""Pure rules of record retention (issue 18 item 8).

Law art. 21(3) (网络安全法第二十一条第（三）项): network operators take technical measures to
monitor and record the network's running state and security incidents, and keep the network
logs concerned **not less than six months** (留存相关的网络日志不少于六个月).

The audit trail, the HTTP access log (who read what) and the raw monitoring events are network
logs in that sense; delivered notifications are not, and are a project rule (kept a year by
default). A period is a number of days, or 0 to keep for ever.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from fenghuo.common.periods import day_of, start_of

CLAUSE = "Cybersecurity Law art. 21(3)"
CLAUSE_TEXT_ZH = "网络安全法第二十一条第（三）项：留存相关的网络日志不少于六个月"
CLAUSE_TEXT_EN = ("Cybersecurity Law art. 21(3): network logs are kept not less than six "
                  "months")
#: six months are at most 184 days (July to December, or a span over 31-day months): a period
#: of 184 days keeps any record for six calendar months, whichever month it was written in
#: (Law art. 21(3) 不少于六个月); 183 days would fall one day short from 1 July.
MIN_DAYS = 184
FOREVER = 0


class Kind(StrEnum):
    AUDIT = "audit_log"
    ACCESS = "access_log"
    EVENTS = "monitoring_events"
    NOTIFICATIONS = "notifications"


#: the kinds that are network logs under Law art. 21(3)
COVERED: frozenset[Kind] = frozenset({Kind.AUDIT, Kind.ACCESS, Kind.EVENTS})

LABELS: dict[Kind, str] = {
    Kind.AUDIT: "审计日志 audit log",
    Kind.ACCESS: "访问日志 HTTP access log",
    Kind.EVENTS: "监测事件 raw monitoring events",
    Kind.NOTIFICATIONS: "已完成通知 delivered notifications",
}

#: the ``Session.info`` key under which the monitoring events' period reaches housekeeping
EVENTS_INFO_KEY = "retention.monitoring_events_days"


class PolicyRefused(ValueError):
    """A period shorter than Law art. 21(3) allows for a network log."""


def refusal(kind: Kind, days: int) -> str | None:
    """Why ``days`` is not an acceptable period for ``kind``, or None when it is.

    Law art. 21(3): a network log (``COVERED``) is kept not less than six months, so its
    period is 0 (for ever) or at least ``MIN_DAYS``; any kind's period is 0 or positive."""
    if days < 0:
        return f"{kind.value}: {days} days is negative (0 keeps for ever)"
    if days == FOREVER:
        return None
    if kind in COVERED and days < MIN_DAYS:
        return (f"{kind.value}: {days} days is shorter than six months — {CLAUSE_TEXT_EN} "
                f"({CLAUSE_TEXT_ZH}); use at least {MIN_DAYS} days, or 0 to keep for ever")
    return None


@dataclass(frozen=True)
class Policy:
    """Days each kind is kept (0 for ever)."""

    days: Mapping[Kind, int]

    def __post_init__(self) -> None:
        problems = [r for k, d in self.days.items() if (r := refusal(k, d))]
        if problems:
            raise PolicyRefused("; ".join(problems))

    def of(self, kind: Kind) -> int:
        return self.days.get(kind, FOREVER)


def cutoff(now: datetime, days: int) -> datetime | None:
    """The instant before which a record of a ``days`` policy may go: the start (China
    Standard Time) of the day ``days`` days before today's, so that a record is kept for at
    least ``days`` whole days (Law art. 21(3)); None when kept for ever."""
    if days == FOREVER:
        return None
    return start_of(day_of(now) - timedelta(days=days))


# --- legal holds --------------------------------------------------------------------------------

RESPONSE_ENDED = "ended"
INVESTIGATION_DONE = "approved"


def is_held(*, response_states: Iterable[str], investigation_states: Iterable[str],
            explicit_hold: bool) -> bool:
    """An incident's records are never purged while it is under handling or investigation: a
    response not ended (Plan §4.2–§4.3), an investigation report not yet approved (Plan §5),
    or a hold an office placed on it explicitly (evidence preserved, Plan §4.1 保护证据)."""
    return (explicit_hold
            or any(s != RESPONSE_ENDED for s in response_states)
            or any(s != INVESTIGATION_DONE for s in investigation_states))


# --- the audit chain -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditRow:
    seq: int
    at: datetime
    held: bool


def audit_prefix(rows: Iterable[AuditRow], before: datetime) -> int:
    """The last sequence number of the oldest run of audit rows that may go: all written
    before ``before`` and none held. Only a prefix of the chain is ever purged, so what
    remains is one unbroken chain that starts after the purge point (the hash chain stays
    verifiable from there); 0 when nothing may go. ``rows`` in sequence order."""
    last = 0
    for r in rows:
        if r.at >= before or r.held:
            break
        last = r.seq
    return last


# --- access log files ----------------------------------------------------------------------------

_DAY = re.compile(r"^(?P<stem>.+)-(?P<day>\d{4}-\d{2}-\d{2})(?P<suffix>\.[^.]*)?$")


def access_file_name(stem: str, suffix: str, day: date) -> str:
    """The day's file of the access log (rotated daily, China Standard Time):
    ``access.jsonl`` → ``access-2026-12-02.jsonl``."""
    return f"{stem}-{day.isoformat()}{suffix}"


def access_file_day(name: str, stem: str, suffix: str) -> date | None:
    """The day of an access log file named by :func:`access_file_name`, or None for any
    other file."""
    m = _DAY.match(name)
    if not m or m["stem"] != stem or (m["suffix"] or "") != suffix:
        return None
    try:
        return date.fromisoformat(m["day"])
    except ValueError:
        return None


def expired_access_days(days_present: Iterable[date], before: datetime | None) -> list[date]:
    """The access log days whose whole file is older than the policy's cutoff ``before``
    (:func:`cutoff`): the day ended by then; none when kept for ever."""
    if before is None:
        return []
    return sorted(d for d in days_present if start_of(d + timedelta(days=1)) <= before)


#: query parameters whose values are never written to the access log (they may carry secrets)
SECRET_WORDS = ("token", "password", "passwd", "secret", "key", "code", "session", "auth")


def is_secret_param(name: str) -> bool:
    low = name.lower()
    return any(w in low for w in SECRET_WORDS)
