"""Accountability and commendation (Plan §7.10): one view per body and period of what it failed
to do and what it was commended for, exportable as JSON or CSV.

It combines, for the bodies in the caller's scope (Law art. 30):
- the reporting record: late, omitted, false and concealed reports (迟报、漏报、谎报、瞒报),
  clocks past due and overdue investigation reports (``incident.accountability.reporting``);
- preparedness: plans missing or not evaluated within a year (§8.1), exercises not held or not
  reported (§6.2), CII risk assessments (Law art. 38), reserve checks (§7.8), as of the end of
  the period or today, whichever is earlier (``preparedness.service.noncompliance``);
- support units' unmet monthly and six-monthly obligations in the period (Support obligations
  4–9; ``support.service.unmet_obligations``);
- directives and interviews whose deadline in the period the unit did not meet (Law arts. 55,
  56; ``supervision.queries.overdue_counts``);
- owner notices from monitoring whose deadline in the period passed with no handling feedback
  (处置反馈, Law arts. 25, 51; ``monitoring.notice_queries.unremediated_counts``);
- the commendations given in the period, with the persons they name (§7.10; Support
  obligation 9 通报表扬), and the decisions about responsible persons of the body made in the
  period (处分, §7.10; ``preparedness.persons``).

Each omitted report (漏报) is listed with its ground (``incident.omission_rules``): told and did
not report, knew and did not report, or omitted important circumstances.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import FieldError, ValidationFailed
from fenghuo.common.pagination import Page, PageParams, fetch_page
from fenghuo.common.periods import day_of
from fenghuo.common.schemas import ReasonOut
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.incident import accountability as reporting_record
from fenghuo.monitoring import notice_queries
from fenghuo.org import scoping
from fenghuo.org.models import Body
from fenghuo.org.rules import Permission
from fenghuo.org.service import require, visible_body
from fenghuo.preparedness import persons, rules
from fenghuo.preparedness import service as preparedness
from fenghuo.preparedness.models import Commendation
from fenghuo.preparedness.schemas import DecisionOut, PersonIn, PersonOut
from fenghuo.supervision import queries as supervision
from fenghuo.support import service as support

# --- shapes ---------------------------------------------------------------------------------


class CommendationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=80, description="The body commended")
    reason: str = Field(min_length=4, max_length=4000)
    given_on: date | None = Field(None, description="Default: today")
    persons: list[PersonIn] = Field(default_factory=list, max_length=200,
                                    description="Persons commended with the body (先进个人)")


class CommendationOut(BaseModel):
    id: int
    body: str
    given_on: date
    reason: str
    source: str  # manual, support_evaluation
    given_by_body: str
    given_by: str
    persons: list[PersonOut] = []


class OmissionOut(BaseModel):
    """An omitted report (漏报) and the grounds it counts on (Plan §7.10)."""

    ref: str
    title: str
    reported_at: datetime
    #: when the unit's clock started (it found, was told of or answered the incident) and ended
    aware_at: datetime
    due_at: datetime
    grounds: list[ReasonOut]


class AccountabilityRow(BaseModel):
    """One body's record for the period."""

    body: str
    name_zh: str
    name_en: str
    kind: str
    incidents: int = 0
    late: int = 0  # 迟报
    omitted: int = 0  # 漏报
    false: int = 0  # 谎报
    concealed: int = 0  # 瞒报
    overdue_duties: int = 0
    overdue_investigations: int = 0
    overdue_directives: int = 0  # 逾期未落实责令措施 (Law art. 55)
    overdue_rectifications: int = 0  # 约谈后逾期未整改 (Law art. 56)
    unremediated_notices: int = 0  # 通报逾期未反馈处置情况 (Law arts. 25, 51)
    preparedness: list[ReasonOut] = []  # missed exercises, overdue plans… (§6.2, §8.1, Law 38)
    support: list[ReasonOut] = []  # unmet support-unit obligations (Support 4–9)
    commendations: list[CommendationOut] = []
    omissions: list[OmissionOut] = []  # each 漏报 with its ground
    decisions: list[DecisionOut] = []  # 处分 of the body's persons decided in the period

    @property
    def failures(self) -> int:
        return (self.late + self.omitted + self.false + self.concealed + self.overdue_duties
                + self.overdue_investigations + self.overdue_directives
                + self.overdue_rectifications + self.unremediated_notices
                + len(self.preparedness) + len(self.support))


class AccountabilityOut(BaseModel):
    since: datetime
    until: datetime
    #: preparedness is judged as of this day (China Standard Time): the period's last day or
    #: today, whichever is earlier
    as_of: date
    rows: list[AccountabilityRow]


# --- the view -------------------------------------------------------------------------------


def accountability(uow: UnitOfWork, clock: Clock, *, principal: Principal, since: datetime,
                   until: datetime) -> AccountabilityOut:
    """Every body in scope with a failure or a commendation in [since, until) (Plan §7.10)."""
    require(principal, Permission.INCIDENT_READ)
    require(principal, Permission.PREPAREDNESS_READ)
    if until <= since:
        raise ValidationFailed([FieldError("until", "must be after since")])
    now = clock.now()
    # duties fall on days in China Standard Time; ``until`` is the instant after the period, so
    # its day is the first day after it (``common.periods.window``)
    first, after = day_of(since), day_of(until)
    as_of = day_of(min(until - timedelta(microseconds=1), now))
    reporting = {r.unit: r for r in reporting_record.reporting(
        uow, clock, principal=principal, since=since, until=until)}
    with uow() as s:
        bodies = {b.id: b for b in s.scalars(select(Body).where(
            scoping.visible_bodies(principal.scope)))}
        ids = sorted(bodies)
        prep = preparedness.noncompliance(s, body_ids=ids, today=as_of)
        sup = support.unmet_obligations(s, body_ids=ids, since=first, until=after,
                                        today=day_of(now))
        praised = _commendations(s, ids, first, after)
        decided = persons.decisions_in(s, ids, first, after)
        supervised = supervision.overdue_counts(s, body_ids=ids, since=since, until=until,
                                                now=now)
        unanswered = notice_queries.unremediated_counts(s, body_ids=ids, since=since,
                                                        until=until, now=now)
    rows = []
    for body_id, b in sorted(bodies.items(), key=lambda kv: kv[1].key):
        rep = reporting.get(b.key)
        if not (rep or prep.get(body_id) or sup.get(body_id) or praised.get(body_id)
                or supervised.get(body_id) or unanswered.get(body_id) or decided.get(body_id)):
            continue
        counts = {} if rep is None else {k: v for k, v in rep.__dict__.items()
                                         if k not in ("unit", "name_zh", "name_en", "omissions")}
        rows.append(AccountabilityRow(
            body=b.key, name_zh=b.name_zh, name_en=b.name_en, kind=b.kind, **counts,
            **supervised.get(body_id, {}), unremediated_notices=unanswered.get(body_id, 0),
            preparedness=[ReasonOut(**r.as_dict()) for r in prep.get(body_id, [])],
            support=[ReasonOut(**r.as_dict()) for r in sup.get(body_id, [])],
            commendations=praised.get(body_id, []),
            omissions=[_omission_out(o) for o in (rep.omissions if rep else ())],
            decisions=decided.get(body_id, [])))
    return AccountabilityOut(since=since, until=until, as_of=as_of, rows=rows)


def _omission_out(o: reporting_record.Omitted) -> OmissionOut:
    return OmissionOut(ref=o.ref, title=o.title, reported_at=o.reported_at, aware_at=o.aware_at,
                       due_at=o.due_at, grounds=[ReasonOut(**g.as_dict()) for g in o.grounds])


def _commendations(s: Session, body_ids: list[int], since: date,
                   until: date) -> dict[int, list[CommendationOut]]:
    out: dict[int, list[CommendationOut]] = {}
    given = []
    for c, key, giver in s.execute(_commendation_select().where(
            Commendation.body_id.in_(body_ids), Commendation.given_on >= since,
            Commendation.given_on < until).order_by(Commendation.given_on, Commendation.id)):
        given.append(_out(c, key, giver))
        out.setdefault(c.body_id, []).append(given[-1])
    _with_persons(s, given)
    return out


def _with_persons(s: Session, given: list[CommendationOut]) -> None:
    """Fill in the persons each commendation names (one query for all)."""
    named = persons.persons_of(s, [c.id for c in given])
    for c in given:
        c.persons = named.get(c.id, [])


def _commendation_select():  # noqa: ANN202 - a Select
    giver = aliased(Body)
    return (select(Commendation, Body.key, giver.key)
            .join(Body, Body.id == Commendation.body_id)
            .join(giver, giver.id == Commendation.given_by_body_id))


def _out(c: Commendation, key: str, giver: str) -> CommendationOut:
    return CommendationOut(id=c.id, body=key, given_on=c.given_on, reason=c.reason,
                           source=c.source, given_by_body=giver, given_by=c.given_by)


# --- commendations --------------------------------------------------------------------------


def commend(uow: UnitOfWork, clock: Clock, *, principal: Principal,
            data: CommendationIn) -> CommendationOut:
    """Commend a body in scope for outstanding work, and the persons named with it, each of a
    body under the giver's authority (Plan §7.10 先进集体和个人)."""
    require(principal, Permission.PREPAREDNESS_WRITE)
    now = clock.now()
    with uow() as s:
        giver = s.get(Body, principal.body_id)
        rules.may_commend(giver.kind).enforce()
        target = visible_body(s, principal.scope, data.body)
        named = persons.named(s, principal.scope, target, data.persons)
        given_on = persons.not_after_today(data.given_on, now, "given_on")
        c = Commendation(body_id=target.id, given_on=given_on, reason=data.reason.strip(),
                         source="manual", given_by_body_id=giver.id,
                         given_by=principal.username, created_at=now)
        s.add(c)
        s.flush()
        out = _out(c, target.key, giver.key)
        out.persons = persons.add_persons(s, c.id, named)
        audit.record(s, at=now, actor=audit.Actor.of(principal), action="commendation.create",
                     entity_type="commendation", entity_key=str(c.id),
                     scope_path=target.jurisdiction.path,
                     detail={"body": target.key, "given_on": given_on.isoformat(),
                             "reason": c.reason,
                             "persons": [p.model_dump() for p in out.persons]})
        return out


def list_commendations(uow: UnitOfWork, *, principal: Principal, page: PageParams,
                       body: str | None = None) -> Page[CommendationOut]:
    require(principal, Permission.PREPAREDNESS_READ)
    stmt = _commendation_select().where(scoping.visible_bodies(principal.scope))
    if body:
        stmt = stmt.where(Body.key == body)
    with uow() as s:
        found = fetch_page(s, stmt, page, order_by=(Commendation.given_on.desc(),
                                                    Commendation.id),
                           convert=lambda row: _out(*row))
        _with_persons(s, found.items)
        return found


# --- export ---------------------------------------------------------------------------------

CSV_COLUMNS = [
    ("body", "机构 body"), ("name_zh", "名称"), ("name_en", "name"), ("kind", "类型 kind"),
    ("incidents", "事件 incidents"), ("late", "迟报 late"), ("omitted", "漏报 omitted"),
    ("false", "谎报 false"), ("concealed", "瞒报 concealed"),
    ("overdue_duties", "逾期时限 overdue clocks"),
    ("overdue_investigations", "逾期调查报告 overdue investigations"),
    ("overdue_directives", "逾期未落实责令措施 overdue directives"),
    ("overdue_rectifications", "约谈逾期未整改 overdue rectifications"),
    ("unremediated_notices", "通报逾期未反馈 unremediated notices"),
    ("preparedness", "预防与保障 preparedness"), ("support", "支撑单位义务 support obligations"),
    ("commendations", "表彰 commendations"), ("omissions", "漏报事件及认定依据 omissions"),
    ("decisions", "责任人处分 decisions on persons"),
]


def as_csv(view: AccountabilityOut) -> str:
    """The view as CSV (UTF-8 with a BOM so spreadsheet programs read the Chinese), one row per
    body, reasons joined with their clauses."""
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.writer(buf)
    w.writerow([label for _, label in CSV_COLUMNS])
    for r in view.rows:
        data = r.model_dump()
        data["preparedness"] = _joined(r.preparedness)
        data["support"] = _joined(r.support)
        data["commendations"] = "; ".join(commendation_text(c) for c in r.commendations)
        data["omissions"] = "; ".join(omission_text(o) for o in r.omissions)
        data["decisions"] = "; ".join(decision_text(d) for d in r.decisions)
        w.writerow([data[k] for k, _ in CSV_COLUMNS])
    return buf.getvalue()


def commendation_text(c: CommendationOut) -> str:
    """One commendation in a line, with the persons it names (CSV, CLI)."""
    named = "、".join(f"{p.name}（{p.position}，{p.body}）" for p in c.persons)
    return f"{c.given_on} {c.reason} ({c.given_by_body})" + (f" {named}" if named else "")


def omission_text(o: OmissionOut) -> str:
    """One omission in a line: the incident and its grounds with their clauses."""
    return f"{o.ref}: " + _joined(o.grounds)


def decision_text(d: DecisionOut) -> str:
    """One decision about a person in a line (CSV, CLI)."""
    what = d.sanction_label.zh + (f"（{d.sanction_text}）" if d.sanction_text else "")
    about = d.incident or d.matter or ""
    return (f"{d.decided_on} {d.name}（{d.position}）{d.conduct_label.zh} {about}: {what} "
            f"({d.decided_by_body})")


def _joined(reasons: list[ReasonOut]) -> str:
    return "; ".join(f"{r.text_zh} / {r.text_en} [{r.source}]" for r in reasons)
