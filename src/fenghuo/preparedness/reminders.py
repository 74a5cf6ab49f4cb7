"""Reminders of the yearly, six-monthly and monthly duties (issue 7, item 7), sent once per duty
and period through the same outbox and channels as every notification.

Each domain says which reminders are due (``support.service.reminders_due``,
``preparedness.service.reminders_due``); :func:`send_due` here dedupes them against
``reminders_sent`` and enqueues one message per 7×24 contact of the body."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reminder:
    """One reminder due: ``key`` names the duty and period, e.g.
    ``plan_evaluation:12:2027-01`` or ``support_hours:7:2026-11``; it is sent once."""

    key: str
    body_id: int
    subject: str  # bilingual, Chinese first: "应急预案年度评估到期 / plan evaluation due"
    text: str  # bilingual body with the clause
