"""The notification of a support unit whose status ended (Support obligation 9; 五 授权约定),
Chinese first (``notify.compose``), to its first-rank contacts through the outbox: by the
six-monthly evaluation or by CNCERT's decision at any time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from fenghuo.notify import outbox
from fenghuo.notify.compose import Notice, Words, compose
from fenghuo.org.directory import contacts_of
from fenghuo.org.models import Body
from fenghuo.org.rules import contact_tier

TAG = Words("取消资格", "STATUS ENDED")
#: what the unit is told it may no longer do
ASKED = Words("自即日起停止以应急服务支撑单位名义开展投标、商务宣传和服务，并停止下一届申请资格",
              "from today stop bidding, publicity and services in the name of a support unit; "
              "the unit may not apply for the next round")


def page(body: Body) -> str:
    return f"/web/preparedness/support/{body.key}"


def status_ended(s: Session, body: Body, round_number: int, now: datetime, *, ground: Words,
                 reason: str) -> int:
    """Tell the unit's first-rank contacts (``org.rules.contact_tier``) that its status ended,
    on which ground (with its clause) and why; returns how many messages were enqueued."""
    to = contact_tier(list(contacts_of(s, [body.id]).get(body.id, ())), 0)
    subject, text = compose(Notice(
        what=Words(f"CNCERT取消贵单位第{round_number}届应急服务支撑单位资格",
                   f"CNCERT has ended your unit's status as a support unit (round "
                   f"{round_number})"),
        tag=TAG, ref=f"{round_number}/{body.key}", unit=Words(body.name_zh, body.name_en),
        category=ground, asked=ASKED, link=page(body)))
    text += f"理由 Reason: {reason}\n"
    payload = {"event": "support.status_ended", "unit": body.key, "round": round_number,
               "path": page(body)}
    outbox.enqueue(s, now=now, messages=[outbox.Message(c, subject, text, payload, priority=50)
                                         for c in to])
    return len(to)
