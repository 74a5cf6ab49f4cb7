"""A body's preparedness page in the console (Plan §6.2, §8.1; Law arts. 25, 34): its recurring
duties with their status and the rules behind them, its emergency plans and the exercises it
organizes, and the forms of the common work — register a plan, record its yearly evaluation,
plan an exercise, record it held and report it to the Central Cyberspace Office.

Every form posts with the session's CSRF token and calls ONE use case of
:mod:`fenghuo.preparedness.service`, which checks the permission, the caller's scope (Law art.
30) and the rules. A form that fails validation comes back with its errors beside the fields and
what was typed; a refusal is shown at the form with each rule and its clause; nothing is stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from fenghuo.api.deps import ObjectId
from fenghuo.bootstrap import Runtime
from fenghuo.common.errors import DomainError, FieldError, Refused, ValidationFailed
from fenghuo.common.scope import Principal
from fenghuo.org.rules import BODY_KIND_LABELS, Permission, has_permission
from fenghuo.preparedness import access, rules
from fenghuo.preparedness import service as preparedness
from fenghuo.preparedness.schemas import EvaluationIn, ExerciseIn, HeldIn, PlanIn

from . import i18n, session
from .pages import Posted, error_page, errors_by_field, page_params, posted, render, to_login, user

router = APIRouter()

#: ?done=plan, evaluate-12, held-EX-…: what was just done, for the flash message
DONE = re.compile(r"[a-z]+(-[A-Za-z0-9-]+)?")
#: plans and exercises shown on the page (the project's choice: a body keeps a handful)
PLANS_SHOWN = 100
EXERCISES_SHOWN = 50
#: the domain's bilingual labels, by what they label (templates: ``L.duty[d.duty] | label``)
LABELS = {"duty": rules.DUTY_LABELS, "status": rules.STATUS_LABELS, "kind": BODY_KIND_LABELS,
          "outcome": rules.OUTCOME_LABELS, "form": rules.FORM_LABELS,
          "state": rules.EXERCISE_STATE_LABELS}
OUTCOMES = tuple(o.value for o in rules.EvaluationOutcome)
FORMS = tuple(f.value for f in rules.ExerciseForm)


# --- form errors (shared with the support unit's work log form) -------------------------------


def _message(e: dict) -> str:
    """A pydantic error as a message the catalogs translate, where one fits."""
    if e["type"] == "missing" or e.get("input") in (None, "") or e["type"] in (
            "string_too_short", "too_short"):
        return "This field is required."
    if e["type"] == "string_too_long":
        return "This is too long."
    if e["type"].startswith("date"):
        return "Enter a valid date."
    if e["type"] == "string_pattern_mismatch":
        return "Use lowercase letters, digits, dots, dashes or underscores (2–80)."
    if e["type"] in ("int_parsing", "int_type"):
        return "Enter a whole number."
    return e["msg"]


def form_errors(request: Request, exc: ValidationError | ValidationFailed) -> dict[str, str]:
    """Field → its messages in the page's language where the catalogs know them (a message may
    quote what was typed: the templates escape it). A pydantic error is named by the form field
    it came from (``participants.2`` → ``participants``)."""
    if isinstance(exc, ValidationFailed):
        errors = exc.errors
    else:
        errors = [FieldError(str(e["loc"][0]) if e["loc"] else "form", _message(e))
                  for e in exc.errors()]
    catalog = i18n.translations(i18n.negotiate(request))
    return errors_by_field([FieldError(e.field, catalog.gettext(e.message), source=e.source)
                            for e in errors])


def blank(value: object) -> str | None:
    """A form field as typed, None when left empty (an optional value not given)."""
    text = str(value or "").strip()
    return text or None


# --- the page ---------------------------------------------------------------------------------


def _body_page(request: Request, me: Principal, key: str, *, action: str = "",
               form: dict | None = None, fe: dict | None = None, reasons: list | None = None,
               status: int = 200, done: str = "") -> Response:
    rt = session.runtime(request)
    try:
        row = preparedness.body_compliance(rt.uow, rt.clock, principal=me, body=key)
        plans = preparedness.list_plans(rt.uow, rt.clock, principal=me,
                                        page=page_params(1, PLANS_SHOWN), body=key)
        exercises = preparedness.list_exercises(rt.uow, rt.clock, principal=me,
                                                page=page_params(1, EXERCISES_SHOWN),
                                                organizer=key)
    except DomainError as exc:
        return error_page(request, me, exc)
    return render(request, "console_preparedness_body.html", {
        "me": user(rt, me), "nav": "preparedness", "sub": "compliance", "row": row,
        "plans": plans, "exercises": exercises,
        "may_write": has_permission(me.roles, Permission.PREPAREDNESS_WRITE),
        "action": action, "form": form or {}, "fe": fe or {}, "reasons": reasons or [],
        "done": done, "today": access.today(rt.clock), "outcomes": OUTCOMES,
        "forms": FORMS, "L": LABELS}, status)


@router.get("/preparedness/body/{key}")
def body_page(request: Request, key: str, done: str = "") -> Response:
    """A body's duties with status and reasons (Plan §6.2, §8.1; Law arts. 25, 34, 38), its
    plans with their evaluation status, the exercises it organizes, and the forms of the
    caller's preparedness:write permission."""
    me = session.principal(request)
    if me is None:
        return to_login(request)
    return _body_page(request, me, key, done=done if DONE.fullmatch(done) else "")


async def _act(request: Request, key: str, action: str,
               call: Callable[[Runtime, Principal, dict], object]) -> Response:
    """One POST form of the body page: CSRF, one use case, then back to the page; an invalid
    form or a refusal is shown at the form (``action`` names it) and nothing is stored."""
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, form = got.me, {k: v for k, v in got.form.items() if isinstance(v, str)}
    rt = session.runtime(request)
    retry = {"request": request, "me": me, "key": key, "action": action, "form": form}
    try:
        call(rt, me, form)
    except (ValidationError, ValidationFailed) as exc:
        return _body_page(**retry, fe=form_errors(request, exc), status=422)
    except Refused as exc:
        return _body_page(**retry, reasons=exc.reasons, status=exc.status)
    except DomainError as exc:  # not found, a permission the caller lacks: no form to show
        return error_page(request, me, exc)
    return RedirectResponse(f"/web/preparedness/body/{quote(key)}?done={action}#{action}",
                            status_code=303)


# --- emergency plans (Plan §8.1, Law art. 25) -------------------------------------------------


@router.post("/preparedness/body/{key}/plans")
async def add_plan(request: Request, key: str) -> Response:
    """Register a plan the body keeps (Plan §8.1; Law art. 25)."""
    return await _act(request, key, "plan", lambda rt, me, f: preparedness.add_plan(
        rt.uow, rt.clock, principal=me, data=PlanIn(
            body=key, key=f.get("key", "").strip(), title=f.get("title", "").strip(),
            version=f.get("version", "").strip(), owner=f.get("owner", "").strip(),
            document=f.get("document", "").strip(), adopted_on=f.get("adopted_on", ""))))


@router.post("/preparedness/body/{key}/plans/{plan_id}/evaluation")
async def evaluate_plan(request: Request, key: str, plan_id: ObjectId) -> Response:
    """Record a plan's yearly evaluation (Plan §8.1 原则上每年评估一次，根据实际情况适时修订)."""
    return await _act(request, key, f"evaluate-{plan_id}", lambda rt, me, f: (
        preparedness.evaluate_plan(rt.uow, rt.clock, principal=me, plan_id=plan_id,
                                   data=EvaluationIn(
                                       evaluated_on=f.get("evaluated_on", ""),
                                       outcome=f.get("outcome", ""),
                                       new_version=blank(f.get("new_version")),
                                       findings=f.get("findings", "")))))


# --- exercises (Plan §6.2; Law arts. 34(4), 39(2)) --------------------------------------------


def _participants(text: str) -> list[str]:
    """Body keys typed one per line or separated by commas or spaces."""
    return [k for k in re.split(r"[\s,，、;；]+", text) if k]


@router.post("/preparedness/body/{key}/exercises")
async def plan_exercise(request: Request, key: str) -> Response:
    """Plan an exercise the body organizes (Plan §6.2 检验和完善预案，提高实战能力)."""
    return await _act(request, key, "exercise", lambda rt, me, f: preparedness.plan_exercise(
        rt.uow, rt.clock, principal=me, data=ExerciseIn(
            organizer=key, title=f.get("title", "").strip(), scope=f.get("scope", "").strip(),
            scenario=f.get("scenario", "").strip(), form=f.get("form", ""),
            participants=_participants(f.get("participants", "")),
            planned_for=f.get("planned_for", ""))))


@router.post("/preparedness/body/{key}/exercises/{ref}/held")
async def record_held(request: Request, key: str, ref: str) -> Response:
    """The exercise was held, with its findings (Plan §6.2)."""
    return await _act(request, key, f"held-{ref}", lambda rt, me, f: preparedness.record_held(
        rt.uow, rt.clock, principal=me, ref=ref, data=HeldIn(
            held_on=f.get("held_on", ""), findings=f.get("findings", ""))))


@router.post("/preparedness/body/{key}/exercises/{ref}/report")
async def report_exercise(request: Request, key: str, ref: str) -> Response:
    """Report a held exercise to the Central Cyberspace Office (Plan §6.2
    并将演练情况报中央网信办)."""
    return await _act(request, key, f"report-{ref}", lambda rt, me, f: preparedness.report(
        rt.uow, rt.clock, principal=me, ref=ref))
