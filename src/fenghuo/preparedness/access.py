"""What every preparedness use case shares: the body a caller writes for, the day, audit rows
and bilingual labels (Law art. 30: reads and writes stay inside the caller's scope)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import FieldError, NotFound, ValidationFailed
from fenghuo.common.periods import day_of
from fenghuo.common.reasons import Decision, Reason
from fenghuo.common.scope import Principal
from fenghuo.org.models import Body
from fenghuo.org.rules import LEVEL_ORDER, BodyFunction, path_ids
from fenghuo.org.schemas import Label
from fenghuo.org.service import visible_body
from fenghuo.preparedness import rules
from fenghuo.preparedness.schemas import ReasonOut


def today(clock: Clock) -> date:
    """The day duties are judged on: the clock's day in China Standard Time
    (``common.periods.day_of``), as the support network and the reminder sweep read it."""
    return day_of(clock.now())


def body_in_scope(s: Session, principal: Principal, key: str, field: str = "body") -> Body:
    """The body a record is kept for: inside the caller's scope (an operator's reporters: only
    their own unit, Law art. 30), else a 422 on ``field`` that does not tell an unknown body from
    one outside scope."""
    try:
        return visible_body(s, principal.scope, key)
    except NotFound:
        raise ValidationFailed([FieldError(field, f"no body {key!r} in your scope")]) from None


def not_future(field: str, day: date, now: date) -> None:
    """What has happened (adopted, evaluated, held, assessed, checked) did not happen tomorrow."""
    if day > now:
        raise ValidationFailed([FieldError(field, f"{day} is in the future")])


def holder(body: Body) -> rules.Holder:
    return rules.Holder(body.kind, LEVEL_ORDER[len(path_ids(body.jurisdiction.path)) - 1],
                        body.cii,
                        central=body.function == BodyFunction.CENTRAL_CYBERSPACE_OFFICE.value)


def central_exercise_months(s: Session) -> int:
    """The Central Cyberspace Office's exercise interval (Plan §6.2 ¶1 定期): the setting
    FENGHUO_CENTRAL_EXERCISE_INTERVAL_MONTHS, carried in the session info."""
    return int(s.info.get(rules.CENTRAL_EXERCISE_INFO_KEY, rules.CENTRAL_EXERCISE_MONTHS))


def record(s: Session, principal: Principal | None, body: Body, *, action: str,
           entity_type: str, entity_key: str, now: datetime, detail: dict) -> None:
    audit.record(s, at=now, actor=audit.Actor.of(principal), action=action,
                 entity_type=entity_type, entity_key=entity_key,
                 scope_path=body.jurisdiction.path, detail=detail)


def label(labels: Mapping, key: str) -> Label:
    zh, en = labels.get(key, (key, key))
    return Label(zh=zh, en=en)


def reason_out(r: Reason) -> ReasonOut:
    return ReasonOut(**r.as_dict())


def refused_as_422(decision: Decision, field: str) -> None:
    """A rule refusing an input value is a field error (422) naming the rule and its clause."""
    if not decision.allowed:
        raise ValidationFailed([FieldError(field, f"{r.text_en} / {r.text_zh}", source=r.source)
                                for r in decision.refusals])
