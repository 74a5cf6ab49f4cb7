"""Reading warnings: scoped visibility, the full view, the public view."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.orm import Session

from fenghuo.common.errors import NotFound
from fenghuo.common.scope import Principal, Scope
from fenghuo.incident.deliveries import managed_bodies, outbox_out
from fenghuo.incident.schemas import EventOut, ReasonOut
from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import scoping
from fenghuo.org.models import Body
from fenghuo.warning import places
from fenghuo.warning.models import (
    EarlyWarning,
    RiskAssessment,
    WarningEvent,
    WarningRecipient,
    WarningTask,
)
from fenghuo.warning.rules import (
    LEVEL_LABELS,
    PUBLIC_MAX_DEPTH,
    Tlp,
    WarningLevel,
    WarningState,
    acknowledgement_state,
)
from fenghuo.warning.schemas import (
    MeasureOut,
    PublicWarning,
    RecipientOut,
    TaskOut,
    WarningOut,
    WarningSummary,
)


def visible_warnings(scope: Scope) -> ColumnElement[bool]:
    """Warnings the caller's body issued or received, and those issued by bodies in its scope
    (Law art. 30)."""
    received = EarlyWarning.id.in_(select(WarningRecipient.warning_id).where(
        WarningRecipient.body_id == scope.body_id))
    own = EarlyWarning.issuer_body_id == scope.body_id
    if scope.own_body_only:
        return own | received
    issued_in_scope = EarlyWarning.issuer_body_id.in_(select(Body.id).where(
        scoping.visible_bodies(scope)))
    return own | received | issued_in_scope


def visible_warning(s: Session, scope: Scope, ref: str) -> EarlyWarning:
    row = s.scalar(select(EarlyWarning).where(EarlyWarning.ref == ref, visible_warnings(scope)))
    if row is None:
        raise NotFound(f"no warning {ref!r}")
    return row


def _label(pair: tuple[str, str]) -> dict:
    return {"zh": pair[0], "en": pair[1]}


def summary(w: EarlyWarning, issuer: Body) -> dict:
    return {"ref": w.ref, "title": w.title, "state": w.state, "level": w.level,
            "level_label": _label(LEVEL_LABELS[WarningLevel(w.level)]), "category": w.category,
            "issuer": issuer.key, "issuer_name_zh": issuer.name_zh,
            "issuer_name_en": issuer.name_en, "starts_at": w.starts_at,
            "published_at": w.published_at, "lifted_at": w.lifted_at, "tlp": Tlp(w.tlp),
            "public": w.public, "revision": w.revision}


def summary_out(w: EarlyWarning, issuer: Body) -> WarningSummary:
    return WarningSummary(**summary(w, issuer))


#: At most this many recipients, tasks and deliveries in one answer (a national warning has ten
#: thousand of each; the counts say how many there are in all)
LIST_LIMIT = 500


def _own(scope: Scope, column) -> ColumnElement[bool]:  # noqa: ANN001
    """A unit sees its own rows of a warning, not the other units' (Law art. 30)."""
    return column == scope.body_id if scope.own_body_only else true()


def warning_out(s: Session, w: EarlyWarning, now: datetime, reader: Principal) -> WarningOut:
    """The full view of ``w`` for ``reader``: a unit sees its own rows only; a notification's
    address and error text in full only where the reader may manage the receiving body's
    channels, masked elsewhere (issue 18 item 5; Law art. 30; ``notify.masking``)."""
    scope = reader.scope
    issuer = s.get(Body, w.issuer_body_id)
    jurisdictions, sectors = places.place_outs(s, json.loads(w.jurisdictions),
                                               json.loads(w.sectors))
    mine = _own(scope, WarningRecipient.body_id)
    recipients = s.execute(select(WarningRecipient, Body).join(
        Body, Body.id == WarningRecipient.body_id).where(WarningRecipient.warning_id == w.id,
                                                          mine)
        .order_by(WarningRecipient.id).limit(LIST_LIMIT)).all()
    tasks = s.execute(select(WarningTask, Body.key).join(Body, Body.id == WarningTask.body_id)
                      .where(WarningTask.warning_id == w.id, _own(scope, WarningTask.body_id))
                      .order_by(WarningTask.id).limit(LIST_LIMIT)).all()
    deliveries = s.execute(select(OutboxMessage, Body.key).outerjoin(
        Body, Body.id == OutboxMessage.body_id).where(
        OutboxMessage.warning_id == w.id, _own(scope, OutboxMessage.body_id))
        .order_by(OutboxMessage.id).limit(LIST_LIMIT)).all()
    managed = managed_bodies(s, reader, (m.body_id for m, _ in deliveries))
    counts = {name: s.scalar(select(func.count()).select_from(table).where(
        table.warning_id == w.id, _own(scope, table.body_id)))
        for name, table in (("recipient_count", WarningRecipient),
                            ("task_count", WarningTask), ("delivery_count", OutboxMessage))}
    events = s.scalars(select(WarningEvent).where(WarningEvent.warning_id == w.id)
                       .order_by(WarningEvent.id)).all()
    assessment = s.get(RiskAssessment, w.assessment_id) if w.assessment_id else None
    authority = json.loads(next((e.detail for e in reversed(events) if e.kind in (
        "drafted", "revised")), "{}")).get("authority", [])
    return WarningOut(
        **summary(w, issuer), **counts, support_units=w.support_units,
        category_label=_label(get_taxonomy().label(w.category)),
        jurisdictions=jurisdictions, sectors=sectors, items=json.loads(w.items),
        measures=[MeasureOut(**m) for m in json.loads(w.measures)],
        assessment=assessment.ref if assessment else None, drafted_by=w.drafted_by,
        approved_by=w.approved_by, approved_at=w.approved_at, lift_reason=w.lift_reason,
        authority=[ReasonOut(**r) for r in authority],
        recipients=[RecipientOut(body=b.key, body_name_zh=b.name_zh, body_name_en=b.name_en,
                                 notified_at=r.notified_at, ack_due_at=r.ack_due_at,
                                 acknowledged_at=r.acknowledged_at,
                                 acknowledged_by=r.acknowledged_by, reminded_at=r.reminded_at,
                                 state=acknowledgement_state(r.ack_due_at, r.acknowledged_at,
                                                             now))
                    for r, b in recipients],
        tasks=[TaskOut(id=t.id, body=key, code=t.code, owner=t.owner, source=t.source,
                       title_zh=t.title_zh, title_en=t.title_en, due_at=t.due_at, state=t.state,
                       done_at=t.done_at, done_by=t.done_by, evidence=t.evidence)
               for t, key in tasks],
        deliveries=[outbox_out(m, key, managed) for m, key in deliveries],
        timeline=[EventOut(at=e.at, kind=e.kind, actor=e.actor, detail=json.loads(e.detail))
                  for e in events])


PUBLIC_STATES = [WarningState.PUBLISHED.value, WarningState.LIFTED.value]


#: an issuer path deeper than the levels that release to the public: ``/%/%/%/`` (a city)
_BELOW_PUBLIC_LEVELS = "/" + "%/" * (PUBLIC_MAX_DEPTH + 1)


def public_filter() -> ColumnElement[bool]:
    """Only published (or lifted) TLP:CLEAR warnings marked public, issued at provincial level
    or above (Law arts. 54(3), 55; ``rules.public_feed_decision`` states the same rule for one
    warning). The issuer's path is the warning's ``jurisdiction_path``."""
    return (EarlyWarning.public.is_(True) & (EarlyWarning.tlp == Tlp.CLEAR.value)
            & EarlyWarning.state.in_(PUBLIC_STATES)
            & ~EarlyWarning.jurisdiction_path.like(_BELOW_PUBLIC_LEVELS))


def public_out(s: Session, w: EarlyWarning) -> PublicWarning:
    issuer = s.get(Body, w.issuer_body_id)
    jurisdictions, sectors = places.place_outs(s, json.loads(w.jurisdictions),
                                               json.loads(w.sectors))
    return PublicWarning(
        ref=w.ref, title=w.title, state=w.state, level=w.level,
        level_label=_label(LEVEL_LABELS[WarningLevel(w.level)]), category=w.category,
        category_label=_label(get_taxonomy().label(w.category)), issuer_name_zh=issuer.name_zh,
        issuer_name_en=issuer.name_en, starts_at=w.starts_at, published_at=w.published_at,
        lifted_at=w.lifted_at, updated_at=w.updated_at, revision=w.revision,
        jurisdictions=jurisdictions, sectors=sectors,
        items=json.loads(w.items), measures=[MeasureOut(**m) for m in json.loads(w.measures)])
