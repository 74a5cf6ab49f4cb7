"""Preparedness pages of the console (Plan §6–§8, §7.10; Law arts. 25, 34, 38; the CNCERT
support-unit plan): the compliance of every body in scope with its recurring duties, the support
units with their monthly and six-monthly obligations; the support unit's work log form (Support
obligations 4–5). A body's own page with its plan and exercise forms is
:mod:`.preparedness_body`; the accountability and commendation view of a period, with its CSV
export and forms, is :mod:`.preparedness_accountability`.

Every page reads the services (:mod:`fenghuo.preparedness.service`,
:mod:`fenghuo.support.service`, :mod:`fenghuo.preparedness.accountability`), which apply the
caller's scope (Law art. 30) and the rules; nothing is decided here.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from fenghuo.bootstrap import Runtime
from fenghuo.common import periods
from fenghuo.common.errors import DomainError, FieldError, Refused, ValidationFailed
from fenghuo.common.scope import Principal
from fenghuo.org.rules import BODY_KIND_LABELS, Permission, has_permission
from fenghuo.preparedness import rules
from fenghuo.preparedness import service as preparedness
from fenghuo.support import rules as support_rules
from fenghuo.support import service as support
from fenghuo.support.schemas import WorkIn

from . import preparedness_accountability, preparedness_body, session
from .pages import (
    Posted,
    error_page,
    errors_by_field,
    page_count,
    page_params,
    posted,
    render,
    to_login,
    user,
)
from .preparedness_body import blank, form_errors

router = APIRouter()
router.include_router(preparedness_body.router)  # /web/preparedness/body/{key} and its forms
router.include_router(preparedness_accountability.router)  # /web/preparedness/accountability

#: the domain's bilingual labels, by what they label (templates: ``L.duty[d.duty] | label``)
LABELS = {"duty": rules.DUTY_LABELS, "status": rules.STATUS_LABELS, "kind": BODY_KIND_LABELS}
DUTIES = tuple(d.value for d in rules.Duty)
STATUSES = tuple(s.value for s in rules.Status)


def _local_today(rt: Runtime) -> date:
    return rt.clock.now().astimezone(ZoneInfo(rt.settings.timezone)).date()


# --- compliance (Plan §6.2, §6.4, §7.8, §8.1; Law arts. 25, 34, 38) ----------------------------


@router.get("/preparedness")
def compliance_page(request: Request, duty: str = "", status: str = "",
                    page: int = 1) -> Response:
    """One row per body in scope with each recurring duty, its status and the rule behind it;
    filtered by duty and status (the service judges, the page shows)."""
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    duty = duty if duty in DUTIES else ""
    status = status if status in STATUSES else ""
    try:
        found = preparedness.compliance(
            rt.uow, rt.clock, principal=me, page=page_params(page),
            duty=rules.Duty(duty) if duty else None,
            status=rules.Status(status) if status else None)
    except DomainError as exc:
        return error_page(request, me, exc)
    return render(request, "console_preparedness.html", {
        "me": user(rt, me), "nav": "preparedness", "sub": "compliance", "found": found,
        "page": max(page, 1), "pages": page_count(found.total), "f": {"duty": duty,
                                                                        "status": status},
        "duties": DUTIES, "statuses": STATUSES, "today": rt.clock.now().date(), "L": LABELS})


# --- support units (Support obligations 4–9) ---------------------------------------------------

#: the monthly obligations shown per unit, in the Support plan's order (4, 5, 6, 7)
MONTHLY = (support_rules.Code.RESPONSES, support_rules.Code.HOURS, support_rules.Code.CONTACT,
           support_rules.Code.DISCOVERED)


@router.get("/preparedness/support")
def support_page(request: Request, round: str = "", page: int = 1) -> Response:  # noqa: A002
    """The members of a selection round (the latest by default) in scope, each with its
    membership and this month's obligations 4–7 (4–5 as the half's progress toward the
    average)."""
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    try:
        rounds = sorted(support.list_rounds(rt.uow, principal=me), key=lambda r: -r.number)
        asked = int(round) if round.isdigit() else None
        number = asked if asked in {r.number for r in rounds} else (
            rounds[0].number if rounds else None)
        found = None if number is None else support.round_status(
            rt.uow, rt.clock, principal=me, number=number, page=page_params(page))
    except DomainError as exc:
        return error_page(request, me, exc)
    return render(request, "console_preparedness_support.html", {
        "me": user(rt, me), "nav": "preparedness", "sub": "support", "rounds": rounds,
        "number": number, "found": found, "page": max(page, 1),
        "pages": page_count(found.total if found else 0), "monthly": MONTHLY,
        "obligations": support_rules.OBLIGATIONS,
        "month": str(periods.Month.of(support_rules.day_of(rt.clock.now())))})


def _halves(today: date) -> list[str]:
    """This half-year and the three before it, for the picker."""
    h, out = periods.Half.of(today), []
    for _ in range(4):
        out.append(str(h))
        h = h.previous()
    return out


#: the kinds of work a support unit logs (Support obligations 4–5), and how many entries shown
WORK_KINDS = tuple(k.value for k in support_rules.WorkKind)
WORK_SHOWN = 20


def _unit_page(request: Request, me: Principal, key: str, half: str = "", *,
               action: str = "", form: dict | None = None, fe: dict | None = None,
               reasons: list | None = None, status: int = 200, done: str = "") -> Response:
    rt = session.runtime(request)
    today = support_rules.day_of(rt.clock.now())
    half = half.strip().upper() or str(periods.Half.of(today))
    ctx = {"me": user(rt, me), "nav": "preparedness", "sub": "support", "half": half,
           "halves": _halves(today), "monthly": MONTHLY, "obligations": support_rules.OBLIGATIONS,
           "today": today, "work_kinds": WORK_KINDS, "L": {"work": support_rules.WORK_KIND_LABELS},
           "may_log": has_permission(me.roles, Permission.SUPPORT_LOG), "action": action,
           "form": form or {}, "fe": fe or {}, "hfe": {}, "reasons": reasons or [],
           "done": done}
    try:
        view = support.obligations(rt.uow, rt.clock, principal=me, unit=key, half=half)
    except ValidationFailed as exc:
        return render(request, "console_preparedness_unit.html", {
            **ctx, "view": None, "hfe": errors_by_field(exc.errors), "unit": key}, 422)
    except DomainError as exc:
        return error_page(request, me, exc)
    try:
        memberships = support.list_memberships(rt.uow, principal=me, unit=key,
                                               page=page_params(1, 50)).items
        reports = support.list_reports(rt.uow, principal=me, unit=key)
        evaluations = support.list_evaluations(rt.uow, principal=me, unit=key,
                                               page=page_params(1, 50)).items
        work = support.list_work(rt.uow, principal=me, unit=key,
                                 page=page_params(1, WORK_SHOWN))
        rubric = None
        if periods.Half.parse(half).end <= today and not any(e.half == half
                                                              for e in evaluations):
            rubric = support.preview_evaluation(rt.uow, rt.clock, principal=me, unit=key,
                                                half=half)
    except DomainError as exc:
        return error_page(request, me, exc)
    return render(request, "console_preparedness_unit.html", {
        **ctx, "view": view, "unit": key, "memberships": memberships,
        "report": next((r for r in reports if r.half == half), None),
        "evaluations": evaluations, "rubric": rubric, "work": work}, status)


@router.get("/preparedness/support/{key}")
def unit_page(request: Request, key: str, half: str = "", done: str = "") -> Response:
    """A support unit's half-year: each month's obligations 4–7, the half's average of 4–5
    (平均每月, the verdict or what the remaining months must bring), the work report (obligation
    8), the rubric of the comprehensive evaluation, the evaluations recorded and CNCERT's
    decision ending the status, if any (obligation 9, 五); the latest work logged, and the form
    to log more for users with support:log."""
    me = session.principal(request)
    if me is None:
        return to_login(request)
    return _unit_page(request, me, key, half, done=done if done == "work" else "")


def _minutes(form: dict) -> int | str:
    """The time typed as hours (decimals allowed) and minutes, in minutes; what was typed when
    it is empty (the schema says it is required) and a field error when it is no number."""
    hours, minutes = (str(form.get(k, "")).strip() for k in ("hours", "minutes"))
    if not hours and not minutes:
        return ""
    errors, total = [], Decimal(0)
    for name, text, per in (("hours", hours, 60), ("minutes", minutes, 1)):
        try:
            value = Decimal(text or "0")
            if not value.is_finite() or (name == "minutes" and value != value.to_integral()):
                raise InvalidOperation
            total += value * per
        except InvalidOperation:
            errors.append(FieldError(name, "Enter a number."))
    if errors:
        raise ValidationFailed(errors)
    return int(total.to_integral_value())


@router.post("/preparedness/support/{key}/work")
async def log_work(request: Request, key: str) -> Response:
    """Log time of the unit (Support obligations 4–5: 平均每月参与不少于1次事件应急服务, 平均每月
    提供不少于5×8工时的技术支持): its own users for it, CNCERT's center or a branch for units in
    scope."""
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, form = got.me, {k: v for k, v in got.form.items() if isinstance(v, str)}
    rt = session.runtime(request)
    half = str(form.get("half", ""))
    retry = {"request": request, "me": me, "key": key, "half": half, "action": "work",
             "form": form}
    try:
        out = support.log_work(rt.uow, rt.clock, principal=me, unit=key, data=WorkIn(
            kind=form.get("kind", ""), worked_on=form.get("worked_on", ""),
            minutes=_minutes(form), with_body=blank(form.get("with_body")),
            incident=blank(form.get("incident")), response=blank(form.get("response")),
            task=blank(form.get("task"))))
    except (ValidationError, ValidationFailed) as exc:
        return _unit_page(**retry, fe=form_errors(request, exc), status=422)
    except Refused as exc:
        return _unit_page(**retry, reasons=exc.reasons, status=exc.status)
    except DomainError as exc:  # not found, a permission the caller lacks: no form to show
        return error_page(request, me, exc)
    shown = periods.Half.of(out.worked_on)
    return RedirectResponse(f"/web/preparedness/support/{quote(key)}?half={shown}&done=work"
                            "#work", status_code=303)
