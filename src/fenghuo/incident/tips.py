"""The public tip channel (Law art. 14: anyone may report; the whistleblower's information is kept
confidential). A tip needs no account; it goes to the office of the jurisdiction named (or the
National Emergency Office), and only that office's incident handlers see who sent it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import FieldError, Forbidden, NotFound, ValidationFailed
from fenghuo.common.pagination import Page, PageParams, fetch_page
from fenghuo.common.refs import new_ref
from fenghuo.common.scope import Principal
from fenghuo.common.types import Timestamp
from fenghuo.db.session import UnitOfWork
from fenghuo.incident import service
from fenghuo.incident.models import Incident, Tip
from fenghuo.incident.queries import incident_out
from fenghuo.incident.schemas import IncidentOut, ReportIn
from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.org import rules as org_rules
from fenghuo.org.models import Body, Jurisdiction
from fenghuo.org.rules import BodyKind, Permission
from fenghuo.org.service import emergency_office, require


class TipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    jurisdiction: str | None = Field(default=None, description="Code of the province or city "
                                     "where it happened; the national office when omitted")
    unit_name: str = Field(min_length=1, max_length=300, description="Who is affected")
    category: str | None = None
    description: str = Field(min_length=10, max_length=10000)
    found_at: Timestamp | None = None
    reporter_name: str | None = Field(default=None, max_length=200)
    reporter_contact: str | None = Field(default=None, max_length=300)


class TipReceipt(BaseModel):
    ref: str
    received_by_zh: str
    received_by_en: str


class TipOut(BaseModel):
    ref: str
    jurisdiction_path: str
    unit_name: str
    category: str | None
    description: str
    found_at: datetime | None
    state: str
    created_at: datetime
    #: only for the receiving office's incident handlers (Law art. 14)
    reporter_name: str | None = None
    reporter_contact: str | None = None


def _receiver(s, code: str | None) -> Body:  # noqa: ANN001
    j = None
    if code:
        j = s.scalar(select(Jurisdiction).where(Jurisdiction.code == code))
        if j is None:
            raise ValidationFailed([FieldError("jurisdiction", f"no jurisdiction {code!r}")])
        for jid in reversed(org_rules.path_ids(j.path)[1:]):
            office = s.scalar(select(Body).where(Body.jurisdiction_id == jid,
                                                 Body.kind == BodyKind.OFFICE.value,
                                                 Body.active.is_(True)).order_by(Body.id))
            if office is not None:
                return office
    return emergency_office(s)


def submit(uow: UnitOfWork, clock: Clock, *, data: TipIn) -> TipReceipt:
    if data.category and get_taxonomy().problem(data.category, None):
        raise ValidationFailed([FieldError("category", get_taxonomy().problem(data.category,
                                                                              None))])
    now = clock.now()
    with uow() as s:
        office = _receiver(s, data.jurisdiction)
        tip = Tip(ref=new_ref("TIP", now),
                  receiving_body_id=office.id, jurisdiction_path=office.jurisdiction.path,
                  category=data.category, unit_name=data.unit_name, description=data.description,
                  found_at=data.found_at, reporter_name=data.reporter_name,
                  reporter_contact=data.reporter_contact, state="new", created_at=now)
        s.add(tip)
        audit.record(s, at=now, actor=audit.Actor("public"), action="tip.submit",
                     entity_type="tip", entity_key=tip.ref, scope_path=tip.jurisdiction_path)
        return TipReceipt(ref=tip.ref, received_by_zh=office.name_zh,
                          received_by_en=office.name_en)


def _out(tip: Tip, principal: Principal) -> TipOut:
    out = TipOut(ref=tip.ref, jurisdiction_path=tip.jurisdiction_path, unit_name=tip.unit_name,
                 category=tip.category, description=tip.description, found_at=tip.found_at,
                 state=tip.state, created_at=tip.created_at)
    if tip.receiving_body_id == principal.body_id and org_rules.has_permission(
            principal.roles, Permission.INCIDENT_HANDLE):
        out.reporter_name, out.reporter_contact = tip.reporter_name, tip.reporter_contact
    return out


def _visible(principal: Principal):  # noqa: ANN202
    scope = principal.scope
    if scope.own_body_only or scope.sectors is not None:
        return Tip.receiving_body_id == principal.body_id
    return Tip.jurisdiction_path.startswith(scope.jurisdiction_path)


def list_tips(uow: UnitOfWork, *, principal: Principal, page: PageParams) -> Page[TipOut]:
    require(principal, Permission.INCIDENT_READ)
    stmt = select(Tip).where(_visible(principal))
    with uow() as s:
        return fetch_page(s, stmt, page, order_by=Tip.id.desc(),
                          convert=lambda t: _out(t, principal))


def get_tip(uow: UnitOfWork, *, principal: Principal, ref: str) -> TipOut:
    require(principal, Permission.INCIDENT_READ)
    with uow() as s:
        tip = s.scalar(select(Tip).where(Tip.ref == ref, _visible(principal)))
        if tip is None:
            raise NotFound(f"no tip {ref!r}")
        return _out(tip, principal)


def _own_tip(s, principal: Principal, ref: str) -> Tip:  # noqa: ANN001
    require(principal, Permission.INCIDENT_HANDLE)
    tip = s.scalar(select(Tip).where(Tip.ref == ref, _visible(principal)))
    if tip is None:
        raise NotFound(f"no tip {ref!r}")
    if tip.receiving_body_id != principal.body_id:
        raise Forbidden("only the receiving office handles a tip")
    if tip.state != "new":
        raise ValidationFailed([FieldError("ref", f"the tip is already {tip.state}")])
    return tip


def convert(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str, data: ReportIn,
            profile: str) -> IncidentOut:
    """The receiving office verifies a tip and files it as an incident (source "public"); the
    incident enters the reporting chain like any other, without the tipster's identity."""
    now = clock.now()
    with uow() as s:
        tip = _own_tip(s, principal, ref)
        filed = service.file_report(s, now, principal, data, profile, None, source="public")
        incident = s.get(Incident, filed.id)
        service.event(s, incident, at=now, kind="from_tip", actor=principal.username,
                      detail={"tip": tip.ref})
        tip.state, tip.incident_id = "converted", incident.id
        audit.record(s, at=now, actor=audit.Actor.of(principal), action="tip.convert",
                     entity_type="tip", entity_key=tip.ref, scope_path=tip.jurisdiction_path,
                     detail={"incident": incident.ref})
        return incident_out(s, incident, now)


def dismiss(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str, reason: str
            ) -> TipOut:
    now = clock.now()
    with uow() as s:
        tip = _own_tip(s, principal, ref)
        tip.state = "dismissed"
        audit.record(s, at=now, actor=audit.Actor.of(principal), action="tip.dismiss",
                     entity_type="tip", entity_key=tip.ref, scope_path=tip.jurisdiction_path,
                     detail={"reason": reason})
        return _out(tip, principal)
