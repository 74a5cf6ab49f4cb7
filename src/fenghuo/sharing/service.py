"""Cross-region and cross-department sharing of incidents (Plan §3.2: 国家网络安全应急办公室…
组织跨省（区、市）、跨部门通报; Law art. 29) and the TLP 2.0 label of incidents.

* The national Emergency Office shares an incident with chosen provincial offices and
  departments. TLP decides per recipient (``sharing.tlp``): TLP:RED is never passed on, and
  each recipient must stand close enough to the incident (``sharing.relations``) for its label —
  AMBER reaches the bodies whose scope holds it, AMBER+STRICT only the bodies it already names.
  Each share is recorded (IncidentShare), put on the timeline, audited and notified through
  the outbox; a share names the recipient and lets it read (not handle) the incident.
* The recipient acknowledges; the share list says who has and who has not.
* An office handling the incident relabels it, with a reason (timeline + audit); a regrade
  leaves the label as it is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import FieldError, NotFound, ValidationFailed
from fenghuo.common.pagination import Page, PageParams, fetch_page
from fenghuo.common.reasons import Decision, Reason, decide
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.incident.grading import GRADE_LABELS, Grade
from fenghuo.incident.models import Incident
from fenghuo.incident.queries import incident_out, visible_incident
from fenghuo.incident.schemas import IncidentOut
from fenghuo.incident.service import event
from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.notify import outbox
from fenghuo.notify.compose import Notice, Words, compose, unit_field
from fenghuo.org import directory
from fenghuo.org import rules as org_rules
from fenghuo.org.models import Body, Jurisdiction
from fenghuo.org.rules import BodyFunction, BodyKind, JurisdictionLevel, Permission
from fenghuo.org.service import require
from fenghuo.sharing import relations, tlp
from fenghuo.sharing.models import IncidentShare
from fenghuo.sharing.schemas import IncidentShareIn, IncidentShareOut, TlpIn

SHARE_SOURCE = "Plan §3.2; Law art. 29"

# --- pure rules -------------------------------------------------------------------------------


def may_share_incident(*, national_emergency_office: bool) -> Decision:
    """Only the national Emergency Office organizes cross-region and cross-department
    notification of incidents (Plan §3.2; Law art. 29)."""
    if national_emergency_office:
        return decide((), Reason("share.emergency_office", SHARE_SOURCE,
                                 "国家网络安全应急办公室组织跨省（区、市）、跨部门通报",
                                 "the national Emergency Office organizes notification across "
                                 "provinces and departments"))
    return decide([Reason("share.not_emergency_office", SHARE_SOURCE,
                          "只有国家网络安全应急办公室组织跨省（区、市）、跨部门通报事件",
                          "only the national Emergency Office shares incidents across provinces "
                          "and departments")])


def recipient_problem(*, kind: BodyKind, level: JurisdictionLevel, active: bool,
                      is_sharer: bool) -> str | None:
    """Why a body cannot be chosen as a recipient: shares go to provinces (their provincial
    office) and to departments (Plan §3.2), not to the sharer itself."""
    if is_sharer:
        return "is your own body"
    if not active:
        return "is not active"
    if kind == BodyKind.DEPARTMENT:
        return None
    if kind == BodyKind.OFFICE and level == JurisdictionLevel.PROVINCE:
        return None
    return "is neither a provincial office nor a department (Plan §3.2)"


def share_decision(label: tlp.Tlp | str, recipients: dict[str, tlp.Relation]) -> Decision:
    """TLP 2.0 on a share: a RED incident is not passed on at all; otherwise each recipient
    (body key → its relation to the incident) must be within the label's reach."""
    onward = tlp.may_reshare(label)
    if not onward.allowed:
        return onward
    refusals = []
    for key, relation in sorted(recipients.items()):
        d = tlp.may_receive(label, relation)
        refusals += [Reason(r.code, r.source, f"{key}：{r.text_zh}", f"{key}: {r.text_en}")
                     for r in d.refusals]
    label = tlp.Tlp(label)
    return decide(refusals, Reason("share.tlp", "TLP 2.0",
                                   f"{label.marking}：每个接收者都在其范围内",
                                   f"{label.marking}: every recipient is within its reach"))


def may_relabel(*, office: bool) -> Decision:
    """An office handling the incident (Plan §2.2, §4.1) sets its TLP label; the reporter chose
    it at intake."""
    if office:
        return decide((), Reason("tlp.office_relabels", "TLP 2.0; Plan §4.1",
                                 "处置事件的应急办可调整其TLP标识",
                                 "an office handling the incident may change its TLP label"))
    return decide([Reason("tlp.office_only", "TLP 2.0; Plan §4.1",
                          "只有处置事件的应急办可调整其TLP标识",
                          "only an office handling the incident changes its TLP label")])


# --- views ------------------------------------------------------------------------------------


_Sharer = aliased(Body)


def _shares_stmt():  # noqa: ANN202 - a Select
    return (select(IncidentShare, Incident, Body, _Sharer.key)
            .join(Incident, Incident.id == IncidentShare.incident_id)
            .join(Body, Body.id == IncidentShare.body_id)
            .join(_Sharer, _Sharer.id == IncidentShare.shared_by_body_id))


def _out(row) -> IncidentShareOut:  # noqa: ANN001 - a Row
    sh, incident, body, sharer = row
    return IncidentShareOut(
        id=sh.id, incident=incident.ref, incident_title=incident.title, grade=incident.grade,
        tlp=tlp.Tlp(incident.tlp), body=body.key, body_name_zh=body.name_zh,
        body_name_en=body.name_en, shared_by_body=sharer, shared_by=sh.shared_by,
        shared_at=sh.shared_at, note=sh.note,
        state="unacknowledged" if sh.acknowledged_at is None else "acknowledged",
        acknowledged_at=sh.acknowledged_at, acknowledged_by=sh.acknowledged_by)


def _share_list(s: Session, incident: Incident) -> list[IncidentShareOut]:
    s.flush()
    rows = s.execute(_shares_stmt().where(IncidentShare.incident_id == incident.id)
                     .order_by(IncidentShare.id)).all()
    return [_out(r) for r in rows]


def list_incident_shares(uow: UnitOfWork, *, principal: Principal, ref: str
                         ) -> list[IncidentShareOut]:
    """Who the incident was shared with, and who has and has not acknowledged; for anyone who
    may read the incident."""
    require(principal, Permission.INCIDENT_READ)
    with uow() as s:
        return _share_list(s, visible_incident(s, principal.scope, ref, shared=True))


def list_received(uow: UnitOfWork, *, principal: Principal, page: PageParams,
                  state: Literal["acknowledged", "unacknowledged"] | None = None
                  ) -> Page[IncidentShareOut]:
    """Incidents shared with the caller's body, newest first; ``state`` keeps those it has or
    has not acknowledged."""
    require(principal, Permission.INCIDENT_READ)
    stmt = _shares_stmt().where(IncidentShare.body_id == principal.body_id)
    if state == "acknowledged":
        stmt = stmt.where(IncidentShare.acknowledged_at.is_not(None))
    elif state == "unacknowledged":
        stmt = stmt.where(IncidentShare.acknowledged_at.is_(None))
    with uow() as s:
        return fetch_page(s, stmt, page, order_by=IncidentShare.id.desc(), convert=_out)


def list_sent(uow: UnitOfWork, *, principal: Principal, page: PageParams
              ) -> Page[IncidentShareOut]:
    """Shares the caller's body made (the Emergency Office's cross-region notifications), newest
    first, with each recipient's acknowledgement."""
    require(principal, Permission.INCIDENT_READ)
    stmt = _shares_stmt().where(IncidentShare.shared_by_body_id == principal.body_id)
    with uow() as s:
        return fetch_page(s, stmt, page, order_by=IncidentShare.id.desc(), convert=_out)


# --- use cases --------------------------------------------------------------------------------


def _recipients(s: Session, keys: list[str], sharer_id: int) -> list[Body]:
    rows = s.execute(select(Body, Jurisdiction.path)
                     .join(Jurisdiction, Jurisdiction.id == Body.jurisdiction_id)
                     .where(Body.key.in_(sorted(set(keys))))).all()
    found = {b.key: (b, path) for b, path in rows}
    errors = [FieldError("bodies", f"no body {k!r}") for k in dict.fromkeys(keys)
              if k not in found]
    for key, (b, path) in sorted(found.items()):
        level = org_rules.LEVEL_ORDER[len(org_rules.path_ids(path)) - 1]
        problem = recipient_problem(kind=BodyKind(b.kind), level=level, active=b.active,
                                    is_sharer=b.id == sharer_id)
        if problem:
            errors.append(FieldError("bodies", f"{key!r} {problem}"))
    if errors:
        raise ValidationFailed(errors)
    return [found[k][0] for k in dict.fromkeys(keys)]


def _notify(s: Session, incident: Incident, bodies: list[Body], note: str, now: datetime
            ) -> None:
    label = tlp.Tlp(incident.tlp)
    category = get_taxonomy().words(incident.category)
    # in words, Chinese first (issue 16 item 7)
    subject, text = compose(Notice(
        what=Words(incident.title, incident.title), tag=Words("通报", f"SHARED {label.marking}"),
        ref=incident.ref, category=Words(*category),
        grade=Words(*GRADE_LABELS[Grade(incident.grade)]),
        asked=Words("请确认接收，并按信息分级要求使用和传递",
                    "acknowledge it, and use and pass it on as its TLP allows")))
    text += (f"信息分级 TLP: {label.marking} {tlp.TLP_LABELS[label][0]}\n说明 Note: {note}\n"
             "确认接收 Acknowledge: POST /api/v1/shares/{id}/ack\n")
    contacts = directory.current(s).contacts
    messages = []
    unit = s.get(Body, incident.subject_body_id)
    for b in bodies:
        payload = {"event": "incident.shared", "ref": incident.ref, "title": incident.title,
                   "grade": incident.grade, "tlp": label.value, "note": note, "body": b.key,
                   "unit": unit_field(unit.key, unit.name_zh, unit.name_en)}
        messages += [outbox.Message(c, subject, text, payload, incident_id=incident.id,
                                    priority=50)
                     for c in org_rules.contact_tier(contacts.get(b.id, ()), 0)]
    outbox.enqueue(s, now=now, messages=messages)


def share_incident(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
                   bodies: list[str], note: str = "") -> list[IncidentShareOut]:
    """The Emergency Office shares incident ``ref`` with provincial offices and departments
    (keys in ``bodies``); returns every share of the incident. A body it was already shared
    with is not shared with or notified twice. Refused (403, with reasons) for any other body,
    for a TLP:RED incident, and when a recipient is beyond the label's reach."""
    data = IncidentShareIn(bodies=bodies, note=note)
    require(principal, Permission.INCIDENT_HANDLE)
    now = clock.now()
    with uow() as s:
        me = s.get(Body, principal.body_id)
        office = me.function == BodyFunction.NATIONAL_EMERGENCY_OFFICE.value and (
            len(org_rules.path_ids(me.jurisdiction.path)) == 1)
        may_share_incident(national_emergency_office=office).enforce()
        incident = visible_incident(s, principal.scope, ref)
        targets = _recipients(s, data.bodies, me.id)
        standing = relations.bodies_to_incident(s, [b.id for b in targets], incident)
        share_decision(incident.tlp, {b.key: standing[b.id] for b in targets}).enforce()
        already = set(s.scalars(select(IncidentShare.body_id).where(
            IncidentShare.incident_id == incident.id)))
        new = [b for b in targets if b.id not in already]
        if new:
            s.add_all([IncidentShare(incident_id=incident.id, body_id=b.id,
                                     shared_by_body_id=me.id, shared_by=principal.username,
                                     shared_at=now, note=data.note) for b in new])
            keys = [b.key for b in new]
            event(s, incident, at=now, kind="shared", actor=principal.username,
                  detail={"bodies": keys, "tlp": incident.tlp, "note": data.note})
            _notify(s, incident, new, data.note, now)
            audit.record(s, at=now, actor=audit.Actor.of(principal), action="incident.share",
                         entity_type="incident", entity_key=incident.ref,
                         scope_path=incident.jurisdiction_path,
                         detail={"bodies": keys, "tlp": incident.tlp})
        return _share_list(s, incident)


def acknowledge_share(uow: UnitOfWork, clock: Clock, *, principal: Principal, share_id: int
                      ) -> IncidentShareOut:
    """The recipient confirms it received a shared incident; a second acknowledgement changes
    nothing. A share made to another body is not found (Law art. 30)."""
    require(principal, Permission.INCIDENT_HANDLE)
    now = clock.now()
    with uow() as s:
        row = s.execute(_shares_stmt().where(IncidentShare.id == share_id,
                                             IncidentShare.body_id == principal.body_id)
                        ).first()
        if row is None:
            raise NotFound(f"no share {share_id} to your body")
        sh, incident = row[0], row[1]
        if sh.acknowledged_at is None:
            sh.acknowledged_at, sh.acknowledged_by = now, principal.username
            event(s, incident, at=now, kind="share_acknowledged", actor=principal.username,
                  detail={"share": sh.id, "body": row[2].key})
            audit.record(s, at=now, actor=audit.Actor.of(principal),
                         action="incident.share.acknowledge", entity_type="incident",
                         entity_key=incident.ref, scope_path=incident.jurisdiction_path,
                         detail={"share": sh.id})
            s.flush()
        return _out(row)


def set_incident_tlp(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
                     data: TlpIn) -> IncidentOut:
    """An office handling the incident (in its scope or routed to it; a share does not make one
    a handler) changes its TLP label with a reason; timeline and audit keep both labels."""
    require(principal, Permission.INCIDENT_HANDLE)
    now = clock.now()
    with uow() as s:
        incident = visible_incident(s, principal.scope, ref)
        kind = s.scalar(select(Body.kind).where(Body.id == principal.body_id))
        may_relabel(office=kind == BodyKind.OFFICE.value).enforce()
        before = incident.tlp
        if before != data.tlp.value:
            incident.tlp, incident.updated_at = data.tlp.value, now
            event(s, incident, at=now, kind="tlp_changed", actor=principal.username,
                  detail={"from": before, "to": data.tlp.value, "reason": data.reason})
            audit.record(s, at=now, actor=audit.Actor.of(principal), action="incident.tlp",
                         entity_type="incident", entity_key=incident.ref,
                         scope_path=incident.jurisdiction_path,
                         detail={"from": before, "to": data.tlp.value, "reason": data.reason})
        return incident_out(s, incident, now, reader=principal)

