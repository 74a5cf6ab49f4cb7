"""The accountability and commendation page of the console (Plan §7.10): per body in scope and
period, the reporting record (each omitted report with its ground), preparedness, support-unit
obligations, the commendations given with the persons they name, and the decisions about
responsible persons (处分); its CSV export; and, for users with preparedness:write, the forms
to commend a body and its persons and to record a decision about a person.

Every form posts with the session's CSRF token and calls ONE use case
(:mod:`fenghuo.preparedness.accountability`, :mod:`fenghuo.preparedness.persons`), which checks
the permission, the caller's authority over the bodies (Law art. 30) and the rules. A form that
fails comes back with its errors beside the fields and what was typed; a refusal is shown at
the form with each rule and its clause; nothing is stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
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
from fenghuo.preparedness import accountability as acc
from fenghuo.preparedness import persons, rules
from fenghuo.preparedness.schemas import DecisionIn, PersonIn

from . import session
from .pages import Posted, error_page, errors_by_field, posted, render, to_login, user
from .preparedness_body import blank, form_errors

router = APIRouter()

PAGE = "console_preparedness_accountability.html"
#: the domain's bilingual labels, by what they label (templates: ``L.kind[r.kind] | label``)
LABELS = {"kind": BODY_KIND_LABELS, "conduct": rules.CONDUCT_LABELS,
          "sanction": rules.SANCTION_LABELS}
CONDUCTS = tuple(c.value for c in rules.Conduct)
SANCTIONS = tuple(x.value for x in rules.Sanction)
ACTIONS = ("commend", "decision")
#: one person a line: name | position, or name | position | body key
_SPLIT = re.compile(r"\s*[|｜]\s*")


def _local_today(rt: Runtime) -> date:
    return rt.clock.now().astimezone(ZoneInfo(rt.settings.timezone)).date()


def _period(rt: Runtime, text: str) -> periods.Month | periods.Half | periods.Year:
    """The period asked for; the current half-year when none is given."""
    if not text.strip():
        return periods.Half.of(_local_today(rt))
    try:
        return periods.parse_period(text)
    except ValueError as exc:
        raise ValidationFailed([FieldError("period", str(exc))]) from None


def _choices(today: date) -> list[str]:
    """The periods offered by the picker: this and last month, half-year and year."""
    month, half = periods.Month.of(today), periods.Half.of(today)
    return [str(month), str(month.previous()), str(half), str(half.previous()),
            str(today.year), str(today.year - 1)]


def _accountability(rt: Runtime, me: Principal, text: str) -> tuple[str, acc.AccountabilityOut]:
    period = _period(rt, text)
    since, until = periods.window(period, ZoneInfo(rt.settings.timezone))
    return str(period), acc.accountability(rt.uow, rt.clock, principal=me, since=since,
                                           until=until)


def _page(request: Request, me: Principal, period: str, *, action: str = "",
          form: dict | None = None, fe: dict | None = None, reasons: list | None = None,
          status: int = 200, done: str = "") -> Response:
    rt = session.runtime(request)
    today = _local_today(rt)
    ctx = {"me": user(rt, me), "nav": "preparedness", "sub": "accountability",
           "choices": _choices(today), "L": LABELS, "today": today.isoformat(),
           "may_write": has_permission(me.roles, Permission.PREPAREDNESS_WRITE),
           "action": action, "form": form or {}, "fe": fe or {}, "reasons": reasons or [],
           "done": done, "conducts": CONDUCTS, "sanctions": SANCTIONS}
    try:
        shown, view = _accountability(rt, me, period)
    except ValidationFailed as exc:
        return render(request, PAGE, {**ctx, "period": period, "view": None,
                                      "fe": errors_by_field(exc.errors)}, 422)
    except DomainError as exc:
        return error_page(request, me, exc)
    return render(request, PAGE, {**ctx, "period": shown, "view": view}, status)


@router.get("/preparedness/accountability")
def accountability_page(request: Request, period: str = "", done: str = "") -> Response:
    """Per body in scope and period: late, omitted (with the ground of each), false and
    concealed reports, overdue clocks and investigations, missed exercises, overdue plans,
    unmet support-unit obligations, the commendations given and the decisions about persons
    (Plan §7.10)."""
    me = session.principal(request)
    if me is None:
        return to_login(request)
    return _page(request, me, period, done=done if done in ACTIONS else "")


@router.get("/preparedness/accountability.csv")
def accountability_csv(request: Request, period: str = "") -> Response:
    """The accountability view as CSV (the API's export needs a bearer token; the console's
    session cookie is not one)."""
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    try:
        shown, view = _accountability(rt, me, period)
    except DomainError as exc:
        return error_page(request, me, exc)
    return Response(acc.as_csv(view), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="accountability-{shown}.csv"'})


# --- the forms --------------------------------------------------------------------------------


async def _act(request: Request, action: str,
               call: Callable[[Runtime, Principal, dict], object]) -> Response:
    """One POST form of the page: CSRF, one use case, then back to the page of the period; an
    invalid form or a refusal is shown at the form and nothing is stored."""
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, form = got.me, {k: v for k, v in got.form.items() if isinstance(v, str)}
    rt = session.runtime(request)
    period = form.get("period", "")
    retry = {"request": request, "me": me, "period": period, "action": action, "form": form}
    try:
        call(rt, me, form)
    except (ValidationError, ValidationFailed) as exc:
        return _page(**retry, fe=form_errors(request, exc), status=422)
    except Refused as exc:
        return _page(**retry, reasons=exc.reasons, status=exc.status)
    except DomainError as exc:  # not found, a permission the caller lacks: no form to show
        return error_page(request, me, exc)
    return RedirectResponse(f"/web/preparedness/accountability?period={quote(period)}"
                            f"&done={action}#{action}", status_code=303)


def _persons(text: str) -> list[PersonIn]:
    """One person a line, ``name | position`` or ``name | position | body key``."""
    out = []
    for line in (x.strip() for x in text.splitlines()):
        if not line:
            continue
        parts = _SPLIT.split(line)
        if len(parts) not in (2, 3) or not all(parts):
            raise ValidationFailed([FieldError(
                "persons", "Write one person a line: name | position, or name | position | "
                           "body key.")])
        out.append(PersonIn(name=parts[0], position=parts[1],
                            body=parts[2] if len(parts) == 3 else None))
    return out


@router.post("/preparedness/accountability/commendations")
async def commend(request: Request) -> Response:
    """Commend a body in scope and the persons named with it (Plan §7.10 先进集体和个人)."""
    return await _act(request, "commend", lambda rt, me, f: acc.commend(
        rt.uow, rt.clock, principal=me, data=acc.CommendationIn(
            body=f.get("body", "").strip(), reason=f.get("reason", "").strip(),
            given_on=blank(f.get("given_on")), persons=_persons(f.get("persons", "")))))


@router.post("/preparedness/accountability/decisions")
async def record_decision(request: Request) -> Response:
    """Record the caller's body's decision about a responsible person (处分, Plan §7.10)."""
    return await _act(request, "decision", lambda rt, me, f: persons.record_decision(
        rt.uow, rt.clock, principal=me, data=DecisionIn(
            name=f.get("name", "").strip(), position=f.get("position", "").strip(),
            body=f.get("body", "").strip(), incident=blank(f.get("incident")),
            matter=blank(f.get("matter")), conduct=f.get("conduct", ""),
            sanction=f.get("sanction", ""), sanction_text=blank(f.get("sanction_text")),
            decided_on=blank(f.get("decided_on")), reason=f.get("reason", "").strip())))
