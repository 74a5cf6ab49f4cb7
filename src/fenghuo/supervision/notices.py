"""The notifications of supervision, Chinese first (``notify.compose``): down to the unit when a
directive is issued, an interview recorded, a rectification reopened or closed, and when its
deadline nears or passes; up to the issuer when the unit reports and when the deadline passes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from fenghuo.notify import outbox
from fenghuo.notify.compose import Notice, Words, compose
from fenghuo.org.directory import contacts_of
from fenghuo.org.models import Body
from fenghuo.org.rules import contact_tier
from fenghuo.supervision import rules as r
from fenghuo.supervision.models import SupervisionItem

#: what the unit is asked while it owes the measures
ASK_UNIT = Words("按要求采取措施、进行整改，并在期限前报告整改情况及证明材料",
                 "take the measures required, rectify, and report it with evidence by the "
                 "deadline")
#: the outbox's subject column
SUBJECT_MAX = 300
ASK_ISSUER = Words("核验整改情况，办结或退回重新整改",
                   "verify the rectification, then close it or reopen it")


def page(item: SupervisionItem) -> str:
    return f"/web/supervision/{item.ref}"


def tell(s: Session, item: SupervisionItem, body_id: int, now: datetime, *, event: str,
         headline: Words, asked: Words | None = None, step: int = 0,
         extra: tuple[str, ...] = ()) -> int:
    """Tell the contacts of rank ``step`` of ``body_id`` (``org.rules.contact_tier``) what
    happened to ``item``: the unit, the kind with its clause, what is asked and by when, the
    link; returns how many messages were enqueued."""
    kind = r.Kind(item.kind)
    zh, en = r.KIND_LABELS[kind]
    unit = s.get(Body, item.unit_body_id)
    to = contact_tier(list(contacts_of(s, [body_id]).get(body_id, ())), step)
    subject, text = compose(Notice(
        what=Words(f"{headline.zh}：{item.title}", f"{headline.en}: {item.title}"),
        tag=Words(zh, en), ref=item.ref, unit=Words(unit.name_zh, unit.name_en),
        category=Words(f"{zh}（{r.KIND_SOURCES[kind]}）", f"{en} ({r.KIND_SOURCES[kind]})"),
        asked=asked, due=item.due_at if asked is ASK_UNIT else None, link=page(item)))
    text += "".join(f"{line}\n" for line in extra)
    if len(subject) > SUBJECT_MAX:
        subject = subject[:SUBJECT_MAX - 1] + "…"
    payload = {"event": f"supervision.{event}", "ref": item.ref, "state": item.state,
               "path": page(item), "due_at": item.due_at.isoformat()}
    outbox.enqueue(s, now=now, messages=[outbox.Message(c, subject, text, payload, priority=80)
                                         for c in to])
    return len(to)


def requirements_line(item: SupervisionItem) -> str:
    return f"要求 Requirements: {item.requirements}"


def issued(s: Session, item: SupervisionItem, issuer: Body, now: datetime) -> int:
    if item.kind == r.Kind.INTERVIEW.value:
        headline = Words(f"{issuer.name_zh}约谈记录，请按整改要求限期整改",
                            f"{issuer.name_en} recorded an interview; rectify as required")
    else:
        headline = Words(f"{issuer.name_zh}责令贵单位限期采取措施",
                            f"{issuer.name_en} directs your unit to take measures")
    return tell(s, item, item.unit_body_id, now, event="issued", headline=headline,
                asked=ASK_UNIT, extra=(requirements_line(item),))


def reported(s: Session, item: SupervisionItem, unit: Body, now: datetime) -> int:
    return tell(s, item, item.issuer_body_id, now, event="reported", asked=ASK_ISSUER,
                headline=Words(f"{unit.name_zh}报告了整改情况", f"{unit.name_en} reported "
                                  "its rectification"))


def closed(s: Session, item: SupervisionItem, now: datetime) -> int:
    return tell(s, item, item.unit_body_id, now, event="closed",
                headline=Words("整改已核验办结", "the rectification was verified; closed"))


def reopened(s: Session, item: SupervisionItem, reason: str, now: datetime) -> int:
    return tell(s, item, item.unit_body_id, now, event="reopened", asked=ASK_UNIT,
                headline=Words("整改未通过核验，退回重新整改",
                                  "the rectification was found wanting; reopened"),
                extra=(f"退回理由 Reason: {reason}", requirements_line(item)))


def reminder(s: Session, item: SupervisionItem, which: r.Reminder, now: datetime) -> int:
    """Before the deadline, the unit's first contacts; after it, the unit's next rank (the
    escalation of ``contact_tier``) and the issuer."""
    if which is r.Reminder.DUE_SOON:
        return tell(s, item, item.unit_body_id, now, event="due_soon", asked=ASK_UNIT,
                    headline=Words("整改期限将至", "the deadline nears"))
    headline = Words("已逾期，未报告整改情况", "overdue: no rectification reported")
    return (tell(s, item, item.unit_body_id, now, event="overdue", asked=ASK_UNIT, step=1,
                 headline=headline)
            + tell(s, item, item.issuer_body_id, now, event="overdue", headline=headline))
