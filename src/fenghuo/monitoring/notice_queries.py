"""What other views ask of owner notices, kept light (no ingest machinery imported): the
accountability view's count of unremediated notices per unit (Plan §7.10)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fenghuo.monitoring.notice_models import OwnerNotice
from fenghuo.monitoring.notice_rules import AWAITING_FEEDBACK

IN_CHUNK = 2_000  # ids per query (SQLite binds at most 32,766 parameters)


def unremediated_counts(s: Session, *, body_ids: list[int], since: datetime, until: datetime,
                        now: datetime) -> dict[int, int]:
    """Per unit, the notices whose deadline fell in [since, until) and passed with no handling
    feedback (处置反馈) reported: still sent or acknowledged (Plan §7.10; Law art. 25)."""
    out: dict[int, int] = {}
    for i in range(0, len(body_ids), IN_CHUNK):
        out.update({b: int(n) for b, n in s.execute(
            select(OwnerNotice.body_id, func.count())
            .where(OwnerNotice.body_id.in_(body_ids[i:i + IN_CHUNK]),
                   OwnerNotice.state.in_([x.value for x in AWAITING_FEEDBACK]),
                   OwnerNotice.deadline_at >= since, OwnerNotice.deadline_at < min(until, now))
            .group_by(OwnerNotice.body_id))})
    return out
