"""The console's notice bell (issue 19 item 7): what reached the caller's body lately — incidents
routed to it, warnings it received, owner notices and directives addressed to it — and its open
clocks about to expire, with how many of them are unread (newer than ``users.notices_seen_at``).

Only the caller's own body (Law art. 30): every query filters on ``principal.body_id``. Each is
one small query bounded by LIMIT on an indexed column (``incident_routes.body_id``,
``warning_recipients.body_id``, ``ix_duties_open``, ``owner_notices.body_id``,
``supervision_items.unit_body_id``); the unread count is a count over a LIMITed subquery, so it
stops at :data:`inbox_rules.UNREAD_CAP` + 1 per kind: for the notices it is taken over the
body's latest CAP + 1 rows (newest by id, the order the rows are written in), for the clocks
over the open ones due within the window. No composite (body, time) index exists on these
tables; a body with very many rows is read through its ``body_id`` index. What is unread and
the order are :mod:`fenghuo.notify.inbox_rules`.

Opening the bell (:func:`mark_seen`) is a personal reading mark, not a change to the record: it
writes no audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from fenghuo.common.clock import Clock
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.incident.models import Duty, Incident, IncidentRoute
from fenghuo.incident.rules import DUTY_LABELS, DutyKind
from fenghuo.monitoring.notice_models import OwnerNotice
from fenghuo.monitoring.notice_rules import NoticeState
from fenghuo.notify import inbox_rules as rules
from fenghuo.org.models import User
from fenghuo.supervision.models import SupervisionItem
from fenghuo.warning.models import EarlyWarning, WarningRecipient


@dataclass(frozen=True)
class Item:
    kind: str  # inbox_rules.KIND_LABELS
    ref: str
    title: str
    at: datetime  # when it reached the body (for a clock: when it entered the last window)
    link: str
    unread: bool
    row_id: int = 0
    due_at: datetime | None = None  # a clock's deadline
    detail: tuple[str, str] | None = None  # (zh, en): a clock's duty

    @property
    def kind_label(self) -> tuple[str, str]:
        return rules.kind_label(self.kind)

    @property
    def source(self) -> str:
        return rules.KIND_SOURCES.get(self.kind, "")


@dataclass(frozen=True)
class Inbox:
    unread: int  # may exceed UNREAD_CAP only up to (cap + 1) per kind; show rules.badge()
    items: list[Item]
    seen_at: datetime | None

    @property
    def badge(self) -> str:
        return rules.badge(self.unread)


def _bounded_count(s: Session, q: Select) -> int:
    return int(s.scalar(select(func.count()).select_from(
        q.limit(rules.UNREAD_CAP + 1).subquery())) or 0)


def _unread_of_latest(s: Session, q: Select, seen: datetime | None) -> int:
    """How many of the body's latest ``UNREAD_CAP + 1`` rows (``q``: one column ``at``, newest
    first by id, as the listing reads them) arrived after ``seen``: the count reads no more
    rows than the list does, and past the cap the badge says "99+" anyway."""
    latest = q.limit(rules.UNREAD_CAP + 1).subquery()
    count = select(func.count()).select_from(latest)
    if seen is not None:
        count = count.where(latest.c.at > seen)
    return int(s.scalar(count) or 0)


def _seen_at(s: Session, principal: Principal) -> datetime | None:
    return s.scalar(select(User.notices_seen_at).where(User.id == principal.user_id).limit(1))


def inbox(uow: UnitOfWork, clock: Clock, principal: Principal, limit: int = 10) -> Inbox:
    """The unread count and the latest ``limit`` notices of the caller's body, newest first."""
    now, body = clock.now(), principal.body_id
    limit = max(1, min(limit, 100))
    horizon = rules.clock_horizon(now)
    out: list[Item] = []
    unread = 0
    with uow() as s:
        seen = _seen_at(s, principal)

        routed = (IncidentRoute.body_id == body, Incident.imported_at.is_(None))
        for r in s.execute(
                select(IncidentRoute.id, IncidentRoute.routed_at, Incident.ref, Incident.title)
                .join(Incident, Incident.id == IncidentRoute.incident_id)
                .where(*routed).order_by(IncidentRoute.id.desc()).limit(limit)):
            out.append(Item("incident_routed", r.ref, r.title, r.routed_at,
                            f"/web/incidents/{r.ref}", rules.is_unread(r.routed_at, seen), r.id))
        unread += _unread_of_latest(s, select(IncidentRoute.routed_at.label("at"))
                                    .join(Incident, Incident.id == IncidentRoute.incident_id)
                                    .where(*routed).order_by(IncidentRoute.id.desc()), seen)

        received = (WarningRecipient.body_id == body,)
        for r in s.execute(
                select(WarningRecipient.id, WarningRecipient.notified_at, EarlyWarning.ref,
                       EarlyWarning.title)
                .join(EarlyWarning, EarlyWarning.id == WarningRecipient.warning_id)
                .where(*received).order_by(WarningRecipient.id.desc()).limit(limit)):
            out.append(Item("warning_received", r.ref, r.title, r.notified_at,
                            f"/web/warnings/{r.ref}", rules.is_unread(r.notified_at, seen), r.id))
        unread += _unread_of_latest(s, select(WarningRecipient.notified_at.label("at")).where(
            *received).order_by(WarningRecipient.id.desc()), seen)

        # ix_duties_open (done_at, due_at): the open clocks due within the window or overdue
        expiring = (Duty.done_at.is_(None), Duty.due_at <= horizon, Duty.body_id == body)
        for r in s.execute(
                select(Duty.id, Duty.kind, Duty.due_at, Duty.starts_at, Incident.ref,
                       Incident.title)
                .join(Incident, Incident.id == Duty.incident_id)
                .where(*expiring).order_by(Duty.due_at.desc(), Duty.id.desc()).limit(limit)):
            arrived = rules.clock_arrives(r.due_at, r.starts_at)
            try:
                duty = DUTY_LABELS[DutyKind(r.kind)]
            except ValueError:
                duty = (r.kind, r.kind)
            out.append(Item(rules.clock_kind(r.due_at, now), r.ref, r.title, arrived,
                            f"/web/incidents/{r.ref}", rules.is_unread(arrived, seen), r.id,
                            due_at=r.due_at, detail=duty))
        unread += _bounded_count(s, select(Duty.id).where(
            *expiring, *([] if seen is None else
                         [or_(Duty.due_at > seen + rules.EXPIRY_WINDOW,
                              Duty.starts_at > seen)])))

        sent = (OwnerNotice.body_id == body, OwnerNotice.sent_at.is_not(None),
                OwnerNotice.state != NoticeState.PENDING.value)
        for r in s.execute(select(OwnerNotice.id, OwnerNotice.ref, OwnerNotice.sent_at)
                           .where(*sent).order_by(OwnerNotice.id.desc()).limit(limit)):
            out.append(Item("owner_notice", r.ref, "", r.sent_at,
                            f"/web/monitoring/notices/{r.ref}",
                            rules.is_unread(r.sent_at, seen), r.id))
        unread += _unread_of_latest(s, select(OwnerNotice.sent_at.label("at")).where(
            *sent).order_by(OwnerNotice.id.desc()), seen)

        issued = (SupervisionItem.unit_body_id == body,)
        for r in s.execute(select(SupervisionItem.id, SupervisionItem.ref, SupervisionItem.title,
                                  SupervisionItem.created_at)
                           .where(*issued).order_by(SupervisionItem.id.desc()).limit(limit)):
            out.append(Item("supervision", r.ref, r.title, r.created_at,
                            f"/web/supervision/{r.ref}", rules.is_unread(r.created_at, seen),
                            r.id))
        unread += _unread_of_latest(s, select(SupervisionItem.created_at.label("at")).where(
            *issued).order_by(SupervisionItem.id.desc()), seen)
    out.sort(key=lambda i: rules.order_key(i.at, i.kind, i.row_id))
    return Inbox(unread=unread, items=out[:limit], seen_at=seen)


def unread_count(uow: UnitOfWork, clock: Clock, principal: Principal) -> int:
    return inbox(uow, clock, principal, limit=1).unread


def mark_seen(uow: UnitOfWork, clock: Clock, principal: Principal) -> datetime:
    """Everything that reached the caller's body until now is read (for this user)."""
    now = clock.now()
    with uow() as s:
        s.execute(update(User).where(User.id == principal.user_id)
                  .values(notices_seen_at=now))
    return now
