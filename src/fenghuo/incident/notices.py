"""Telling a unit that someone else reported an incident at it (issue 16: "an incident filed by
CNCERT about an operator routed to offices only, and the operator's own webhook got nothing").

Routing (``service.route_incident``) reaches the offices and departments of the unit's chain;
the unit itself — the one that must handle it ("谁运行谁负责", Plan §1.5; Plan §4.1: 事发单位
立即启动预案，开展处置并报告) — hears of it here, through its own contacts, Chinese first, in
the words of ``notify.compose``: what happened, which unit and system, category and grade in
words, what is asked (and by when, when a clock of the unit runs), and the link to the page.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import insert
from sqlalchemy.orm import Session

from fenghuo.incident import grading
from fenghuo.incident.models import IncidentEvent
from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.notify import outbox
from fenghuo.notify.compose import Notice, Words, compose, page_path
from fenghuo.org import directory
from fenghuo.org import rules as org_rules

EVENT = "incident.concerns_you"


class IncidentLike(Protocol):
    id: int
    ref: str
    title: str
    grade: str
    category: str
    subcategory: str | None


@dataclass(frozen=True)
class Concerned:
    """An incident and the unit it happened at, which did not report it itself."""

    incident: IncidentLike
    body_id: int
    name_zh: str
    name_en: str
    system: str | None = None
    #: the unit's own clock, when one runs (the clock to tell users, Law art. 42 ¶2)
    due_at: datetime | None = None


@dataclass
class Told:
    deliveries: list[tuple[int, directory.ContactRef]] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)


def _category(code: str, sub: str | None) -> Words:
    tax = get_taxonomy()
    zh, en = tax.label(code)
    if sub:
        szh, sen = tax.label(sub)
        return Words(f"{zh} · {szh}", f"{en} · {sen}")
    return Words(zh, en)


def notice(c: Concerned, reporter: tuple[str, str]) -> tuple[str, str, dict]:
    """Subject, text and payload of the notice to the unit ``c``."""
    i = c.incident
    grade = Words(*grading.GRADE_LABELS[grading.Grade(i.grade)])
    ask_zh = (f"{reporter[0]}报告了贵单位发生的网络安全事件。请立即核实、启动预案处置，"
              "并通过烽火补报进展（《国家网络安全事件报告管理办法》第七条）")
    ask_en = (f"{reporter[1]} reported an incident at your unit. Verify it, handle it under your "
              "plan at once and add what you learn as a supplementary report (CAC 2025 art. 7)")
    if c.due_at is not None:
        ask_zh += "；个人信息泄露，须在期限前告知受影响用户（《网络安全法》第四十二条）"
        ask_en += "; personal information leaked: inform the affected users by the deadline " \
                  "(Law art. 42)"
    payload = {"event": EVENT, "ref": i.ref, "title": i.title, "grade": i.grade,
               "category": i.category, "subcategory": i.subcategory,
               "due_at": c.due_at.isoformat() if c.due_at else None}
    subject, text = compose(Notice(
        what=Words(i.title, i.title), tag=Words(f"事件通报 {grade.zh}", f"INCIDENT {grade.en}"),
        ref=i.ref, unit=Words(c.name_zh, c.name_en),
        system=Words(c.system, c.system) if c.system else None,
        category=_category(i.category, i.subcategory), grade=grade,
        asked=Words(ask_zh, ask_en), due=c.due_at, link=page_path(payload)))
    return subject, text, payload


def tell_units(s: Session, concerned: Sequence[Concerned], *, reporter: tuple[str, str],
               now: datetime, ids: bool = True) -> Told:
    """Notify each unit's first rank of contacts (one read and one write for all of them) and
    note it on each timeline (written here); a unit without a channel is noted too. Without
    ``ids`` the messages' ids are not read back (for hundreds of units)."""
    contacts = directory.contacts_of(s, [c.body_id for c in concerned])
    messages, told = [], Told()
    for c in concerned:
        to = org_rules.contact_tier(contacts.get(c.body_id, ()), 0)
        subject, text, payload = notice(c, reporter)
        messages += [outbox.Message(x, subject, text, payload, incident_id=c.incident.id,
                                    priority=50) for x in to]
        told.events.append(_event(c.incident.id, now, "unit_notified" if to else "no_channel",
                                  {"bodies": [c.body_id], "contacts": len(to)}))
    if ids:
        written = outbox.enqueue(s, now=now, messages=messages)
        told.deliveries = [(i, m.contact) for i, m in zip(written, messages, strict=True)]
    else:
        outbox.enqueue_many(s, now=now, messages=messages)
    if told.events:
        s.connection().execute(insert(IncidentEvent.__table__), told.events)
    return told


def _event(incident_id: int, at: datetime, kind: str, detail: dict) -> dict:
    return {"incident_id": incident_id, "at": at, "kind": kind, "actor": "system",
            "detail": json.dumps(detail, ensure_ascii=False)}
