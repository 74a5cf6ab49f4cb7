"""What owner notices say to people, Chinese first (issue 16 item 7): the notice to the unit, the
reminders, the word to the local office when the deadline passed, a contest to the register's
owner; each with what happened, which unit, the categories in words, what is asked and by when,
the TLP, and the link to the notice's page. Enqueued in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from fenghuo.monitoring.notice_models import OwnerNotice
from fenghuo.monitoring.notice_rules import MODE_LABELS, Mode
from fenghuo.monitoring.rules import KINDS
from fenghuo.notify import outbox
from fenghuo.notify.compose import Notice, Words, compose
from fenghuo.org import directory
from fenghuo.org.models import Body
from fenghuo.org.rules import contact_tier
from fenghuo.sharing.tlp import TLP_LABELS, Tlp

PRIORITY = 60


def page_of(ref: str) -> str:
    return f"/web/monitoring/notices/{ref}"


def kinds_in_words(kinds: Iterable[str]) -> Words:
    known = [KINDS[k] for k in sorted(set(kinds)) if k in KINDS]
    return Words("、".join(k.name_zh for k in known) or "—",
                 ", ".join(k.name_en for k in known) or "—")


def _send(s: Session, n: OwnerNotice, body_id: int, step: int, now: datetime, event: str,
          notice: Notice, extra: tuple[str, ...] = ()) -> list[str]:
    """Tell ``body_id``'s contacts of rank ``step``; returns their addresses."""
    to = contact_tier(directory.contacts_of(s, [body_id]).get(body_id, ()), step)
    subject, text = compose(notice)
    zh, en = TLP_LABELS[Tlp(n.tlp)]
    text += "\n".join((*extra, f"信息分级 TLP: {zh} / {en}",
                       f"fenghuo notice show {n.ref}")) + "\n"
    payload = {"event": event, "ref": n.ref, "path": page_of(n.ref), "state": n.state,
               "tlp": n.tlp, "due_at": n.deadline_at.isoformat() if n.deadline_at else None}
    outbox.enqueue(s, now=now, messages=[outbox.Message(c, subject, text, payload,
                                                       priority=PRIORITY)
                                         for c in to])
    return [c.value for c in to]


def _unit_words(unit: Body) -> Words:
    return Words(unit.name_zh, unit.name_en)


def _counts(n: OwnerNotice, kinds: dict[str, int]) -> tuple[str, ...]:
    rows = [f"  {KINDS[k].name_zh} {KINDS[k].name_en}: {c}" if k in KINDS else f"  {k}: {c}"
            for k, c in sorted(kinds.items(), key=lambda kv: -kv[1])]
    return (f"事件数 Events: {n.events_total}", *rows)


def notice_sent(s: Session, n: OwnerNotice, unit: Body, kinds: dict[str, int],
                now: datetime) -> list[str]:
    """The notice itself, to the unit's most urgent contacts."""
    mode = MODE_LABELS[Mode(n.mode)]
    return _send(s, n, unit.id, 0, now, "notice.sent", Notice(
        what=Words(f"监测发现贵单位网络中的网络安全事件 {n.events_total} 起",
                   f"monitoring saw {n.events_total} security events on your networks"),
        tag=Words(mode[0], mode[1].upper()), ref=n.ref, unit=_unit_words(unit),
        category=kinds_in_words(kinds),
        asked=Words("请签收，核查处置，并在期限前反馈处置情况（处置反馈）；如归属有误可提出异议",
                    "acknowledge, handle them and report what you did by the deadline; "
                    "contest an attribution that is wrong"),
        due=n.deadline_at, link=page_of(n.ref)), _counts(n, kinds))


def reminder(s: Session, n: OwnerNotice, unit: Body, step: int, now: datetime) -> list[str]:
    """A reminder to the unit: near the deadline (``step`` 0) or past it (1, the next
    contacts, ``org.rules.contact_tier``)."""
    overdue = step > 0
    return _send(s, n, unit.id, step, now, "notice.overdue" if overdue else "notice.reminder",
                 Notice(what=Words("通报的处置反馈已逾期" if overdue else "通报的处置反馈即将到期",
                                   "the handling feedback of a notice is overdue" if overdue
                                   else "the handling feedback of a notice is due soon"),
                        tag=Words("催办", "REMINDER"), ref=n.ref, unit=_unit_words(unit),
                        asked=Words("请尽快反馈处置情况", "report your handling now"),
                        due=n.deadline_at, link=page_of(n.ref)))


def office_told(s: Session, n: OwnerNotice, unit: Body, office_id: int,
                now: datetime) -> list[str]:
    """The local office learns that the unit let the deadline pass (Plan §7.10)."""
    return _send(s, n, office_id, 0, now, "notice.unanswered", Notice(
        what=Words(f"{unit.name_zh}逾期未反馈通报的处置情况",
                   f"{unit.name_en} did not report its handling of a notice in time"),
        tag=Words("逾期未反馈", "UNANSWERED"), ref=n.ref, unit=_unit_words(unit),
        asked=Words("请督促该单位处置并反馈（问责见预案7.10）",
                    "please press the unit to handle it and report (accountability, Plan "
                    "§7.10)"), due=n.deadline_at, link=page_of(n.ref)))


def feedback_reported(s: Session, n: OwnerNotice, unit: Body, to: int,
                      now: datetime) -> list[str]:
    return _send(s, n, to, 0, now, "notice.feedback", Notice(
        what=Words(f"{unit.name_zh}反馈了通报的处置情况",
                   f"{unit.name_en} reported its handling of a notice"),
        tag=Words("处置反馈", "FEEDBACK"), ref=n.ref, unit=_unit_words(unit),
        asked=Words("请审阅并办结", "review it and close the notice"), link=page_of(n.ref)),
        (f"反馈 Feedback: {n.feedback or ''}",))


def contested(s: Session, n: OwnerNotice, unit: Body, to: int, now: datetime) -> list[str]:
    """A contest of an attribution: to whoever registered the entry, and to the office."""
    return _send(s, n, to, 0, now, "notice.contested", Notice(
        what=Words(f"{unit.name_zh}对通报中的网络归属提出异议",
                   f"{unit.name_en} contests an attribution in a notice"),
        tag=Words("归属异议", "CONTESTED"), ref=n.ref, unit=_unit_words(unit),
        asked=Words("请核查网络归属登记并处理异议",
                    "check the constituency register entry and resolve the contest"),
        link=page_of(n.ref)),
        (f"地址 Address: {n.contest_address}", f"登记条目 Register entry: {n.contest_entry}",
         f"理由 Reason: {n.contest_reason}"))


def resolved(s: Session, n: OwnerNotice, unit: Body, now: datetime) -> list[str]:
    withdrawn = n.resolution == "withdrawn"
    return _send(s, n, unit.id, 0, now, "notice.resolved", Notice(
        what=Words("异议成立，通报已撤回" if withdrawn else "异议不成立，归属维持",
                   "the contest was upheld: the notice is withdrawn" if withdrawn
                   else "the contest was rejected: the attribution stands"),
        tag=Words("异议处理", "CONTEST DECIDED"), ref=n.ref, unit=_unit_words(unit),
        asked=None if withdrawn else Words("请在期限前反馈处置情况",
                                           "report your handling by the deadline"),
        due=None if withdrawn else n.deadline_at, link=page_of(n.ref)),
        (f"说明 Note: {n.resolution_note}",))
