"""Accountability and commendation over HTTP (Plan §7.10): per body and period, late, omitted
(each with its ground), false and concealed reports, overdue clocks and investigations, missed
exercises, overdue plans, unmet support-unit obligations, the commendations given (with the
persons they name) and the decisions about responsible persons (处分); as JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response

from fenghuo.api.deps import CurrentUser, Paging, RuntimeDep
from fenghuo.common import periods
from fenghuo.common.errors import FieldError, ValidationFailed
from fenghuo.common.pagination import Page
from fenghuo.common.types import Timestamp
from fenghuo.preparedness import accountability as acc
from fenghuo.preparedness import persons
from fenghuo.preparedness.schemas import DecisionIn, DecisionOut

router = APIRouter(tags=["accountability"])

Period = Annotated[str | None, Query(max_length=10, pattern=r"^\d{4}(-(\d{2}|[Hh][12]))?$",
                                     description="2026-11, 2026-H2 or 2026 (local time); "
                                                 "or give since and until")]


def resolve(rt, period: str | None, since, until):  # noqa: ANN001, ANN201
    """``period`` in the deployment's time zone, or explicit ``since``/``until``."""
    if period:
        try:
            return periods.window(periods.parse_period(period), ZoneInfo(rt.settings.timezone))
        except ValueError as exc:
            raise ValidationFailed([FieldError("period", str(exc))]) from None
    if since is None or until is None:
        raise ValidationFailed([FieldError("period", "give a period, or since and until")])
    return since, until


@router.get("/accountability", response_model=acc.AccountabilityOut,
            responses={200: {"content": {"text/csv": {}}}})
def accountability(*, rt: RuntimeDep, me: CurrentUser, period: Period = None,
                   since: Timestamp | None = None, until: Timestamp | None = None,
                   format: Literal["json", "csv"] = "json"):  # noqa: A002
    """Every body in your scope with a failure, a commendation or a decision about one of its
    persons in the period (Plan §7.10): the reporting record (迟报、漏报 with the ground of each
    omission、谎报、瞒报, overdue clocks and investigations), preparedness
    (plans §8.1, exercises §6.2, CII risk assessments Law 38, reserves §7.8) as of the period's
    end, unmet support-unit obligations (Support 4–9) and commendations. ``format=csv`` exports
    it (UTF-8 with BOM, bilingual headers)."""
    since, until = resolve(rt, period, since, until)
    view = acc.accountability(rt.uow, rt.clock, principal=me, since=since, until=until)
    if format == "csv":
        name = f"accountability-{period or since.date().isoformat()}.csv"
        return Response(acc.as_csv(view), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return view


@router.post("/commendations", response_model=acc.CommendationOut, status_code=201)
def commend(*, rt: RuntimeDep, me: CurrentUser, data: acc.CommendationIn):
    """Commend a body in your scope for outstanding work, and the persons named with it (Plan
    §7.10 先进集体和个人). Leading groups, offices, departments and CNCERT commend; other bodies,
    and persons of bodies outside your authority, are refused with the rule."""
    return acc.commend(rt.uow, rt.clock, principal=me, data=data)


@router.get("/commendations", response_model=Page[acc.CommendationOut])
def list_commendations(*, rt: RuntimeDep, me: CurrentUser, page: Paging,
                       body: Annotated[str | None, Query(max_length=80)] = None):
    """Commendations of bodies in your scope, newest first."""
    return acc.list_commendations(rt.uow, principal=me, page=page, body=body)


@router.post("/accountability/decisions", response_model=DecisionOut, status_code=201)
def record_decision(*, rt: RuntimeDep, me: CurrentUser, data: DecisionIn):
    """Record your body's decision holding a responsible person to account (处分, Plan §7.10):
    name, post, the body they serve in, the incident or matter, the conduct, the sanction, the
    day and the reason. Leading groups, offices and departments decide, about persons of bodies
    under their authority; others are refused with the rule."""
    return persons.record_decision(rt.uow, rt.clock, principal=me, data=data)


@router.get("/accountability/decisions", response_model=Page[DecisionOut])
def list_decisions(*, rt: RuntimeDep, me: CurrentUser, page: Paging,
                   body: Annotated[str | None, Query(max_length=80)] = None):
    """Decisions about persons of bodies in your scope, newest first."""
    return persons.list_decisions(rt.uow, principal=me, page=page, body=body)
