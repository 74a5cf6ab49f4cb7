"""Reminders of the yearly, six-monthly and monthly duties (issue 7, item 7), sent once per duty
and period through the same outbox and channels as every notification.

Each domain says which reminders are due (``support.service.reminders_due``,
``preparedness.service.reminders_due``); :func:`send_due` here dedupes them against
``reminders_sent`` and enqueues a message to each first-rank contact of the body."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from fenghuo.common.clock import Clock
from fenghuo.common.periods import day_of
from fenghuo.db.session import UnitOfWork
from fenghuo.notify import outbox
from fenghuo.notify.compose import Notice, Words, compose
from fenghuo.org import directory
from fenghuo.org.models import Body
from fenghuo.org.rules import contact_tier
from fenghuo.preparedness.models import ReminderSent


@dataclass(frozen=True)
class Reminder:
    """One reminder due: ``key`` names the duty and period, e.g.
    ``plan_evaluation:12:2027-01`` or ``support_hours:7:2026-11``; it is sent once."""

    key: str
    body_id: int
    subject: str  # bilingual, Chinese first: "应急预案年度评估到期 / plan evaluation due"
    text: str  # bilingual body with the clause, one language per line
    asked: Words | None = None  #: what the body is asked to do
    due: date | None = None  #: by when (a day, Beijing time)
    path: str | None = None  #: the page of the duty


def message(r: Reminder, body: Body | None) -> tuple[str, str, dict]:
    """Subject, text and payload of a reminder in the layout of every notification (issue 16
    item 7): the duty, the body, what is asked and by when, the details, the page."""
    zh, _, en = r.subject.partition(" / ")
    subject, text = compose(Notice(
        what=Words(zh, en or zh), tag=Words("到期提醒", "REMINDER"), ref=r.key,
        unit=Words(body.name_zh, body.name_en) if body else None, asked=r.asked,
        due=r.due, notes=tuple(Words(x, x) for x in r.text.splitlines() if x.strip()),
        link=r.path))
    payload = {"event": "reminder", "key": r.key, **({"path": r.path} if r.path else {})}
    return subject, text, payload


#: what a domain offers: the reminders due on a day, read in the sweep's transaction
Source = Callable[[Session, date], list["Reminder"]]


def send_due(uow: UnitOfWork, clock: Clock, sources: Iterable[Source]) -> int:
    """Send every reminder the ``sources`` say is due and not yet sent, each once, to the
    body's first-rank deliverable contacts (``org.rules.contact_tier``); returns how many were
    sent. The worker passes ``preparedness.service.reminders_due`` and
    ``support.service.reminders_due``."""
    now = clock.now()
    sent = 0
    with uow() as s:
        due = [r for source in sources for r in source(s, day_of(now))]
        if not due:
            return 0
        done = set(s.scalars(select(ReminderSent.key).where(
            ReminderSent.key.in_([r.key for r in due]))))
        for r in due:
            if r.key in done:
                continue
            done.add(r.key)
            s.add(ReminderSent(key=r.key, body_id=r.body_id, sent_at=now))
            subject, text, payload = message(r, s.get(Body, r.body_id))
            outbox.enqueue(s, now=now, messages=[
                outbox.Message(c, subject, text, payload, priority=150)
                for c in contact_tier(directory.contacts_of(s, [r.body_id]).get(r.body_id, ()),
                                      0)])
            sent += 1
    return sent
