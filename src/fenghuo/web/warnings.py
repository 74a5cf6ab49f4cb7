"""Warning pages of the console (Plan §3.1, §3.3–§3.5): the list, the issuance form, and a
warning's page with its content, recipients, checklist progress and the actions open to the
caller (approve, publish, acknowledge, complete tasks, adjust the level, lift).

Everything shown and every decision comes from :mod:`fenghuo.warning.service`, which applies the
caller's scope and the rules of :mod:`fenghuo.warning.authority` and
:mod:`fenghuo.warning.distribution`: the form states the body's powers from
``service.issuing_powers`` before anything is typed, and a warning's page offers the actions of
``service.available_actions``. The pages hold no rules of their own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from fenghuo.api.deps import ObjectId
from fenghuo.bootstrap import Runtime
from fenghuo.common.errors import DomainError, FieldError, NotFound, Refused, ValidationFailed
from fenghuo.common.pagination import PageParams
from fenghuo.common.scope import Principal
from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.org import bodies
from fenghuo.org import service as org
from fenghuo.org.rules import Permission, has_permission
from fenghuo.warning import monitoring
from fenghuo.warning import service as warnings
from fenghuo.warning.rules import LEVEL_LABELS as WARNING_LEVELS
from fenghuo.warning.rules import LEVELS_DESC, STATE_LABELS, Tlp, WarningState
from fenghuo.warning.schemas import LiftIn, ReviseIn, TaskDoneIn, WarningIn, WarningOut

from . import list_sort, session, tilemap
from .pages import (
    Posted,
    error_page,
    errors_by_field,
    local_time,
    page_count,
    page_params,
    posted,
    render,
    to_login,
    user,
)

router = APIRouter()

#: the form's fields in page order (errors are listed in this order)
FIELDS = ["title", "category", "level", "starts_at", "jurisdictions", "sectors", "items",
          "measures", "tlp", "public", "assessment"]
MEASURE_ROWS, MAX_MEASURES = 3, 20
_CODES = re.compile(r"[\s,，、;；]+")
_MEASURE = re.compile(r"^measures\[(\d+)\](.*)$")
LEVELS = [(v.value, WARNING_LEVELS[v]) for v in LEVELS_DESC]
STATES = [(s.value, STATE_LABELS[s]) for s in WarningState]
#: at most this many bodies answer a body search (/web/directory/search.json)
SEARCH_LIMIT = 20
#: drafts shown under "waiting for my approval" on the list
AWAITING_LIMIT = 20
#: actions asking for confirmation, each with the names of who it notifies
CONFIRMED = ("publish", "lift")


# --- the list ---------------------------------------------------------------------------------


@router.get("/warnings")
def warnings_page(request: Request, state: str = "published", level: str = "",
                  region: str = "", sort: str = "", desc: str = "", page: int = 1) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    state = state if state in {s.value for s in WarningState} else ""
    level = level if level in {v.value for v in LEVELS_DESC} else ""
    regions = {d.code: d for d in tilemap.divisions()}
    region = region if region in regions else ""
    order = list_sort.context({"level": level, "state": state, "region": region}, sort, desc,
                              warnings.SORTS, always=("state",))  # state="": every state
    found = warnings.list_warnings(rt.uow, principal=me, page=page_params(page),
                                   state=state or None, level=level or None,
                                   region=region or None, sort=order["sort"] or None,
                                   desc=order["desc"])
    places = warnings.scope_places(rt.uow, principal=me, refs=[w.ref for w in found.items])
    return render(request, "console_warnings.html", {
        "me": user(rt, me), "nav": "warnings", "found": found, "page": max(page, 1),
        "pages": page_count(found.total), "places": places,
        "f": {"state": state, "level": level, "region": region}, "levels": LEVELS,
        "states": STATES, "regions": [(c, (d.name_zh, d.name_en)) for c, d in regions.items()],
        "state_labels": dict(STATES),
        "awaiting": warnings.awaiting_approval(rt.uow, me, AWAITING_LIMIT), **order,
        "may_draft": has_permission(me.roles, Permission.WARNING_DRAFT)})


# --- the issuance form (Plan §3.3) ------------------------------------------------------------


def _form_page(request: Request, me: Principal, form: dict, errors: list[FieldError] = (),
               reasons: list[dict] = (), status: int = 200, assessment=None) -> HTMLResponse:
    """The form with the body's powers (levels, scope and public release, each with its
    clause), what was typed, inline errors and, after a refusal, the rules that refused; from
    a risk assessment, its proposal and its report to the Emergency Office (Plan §3.3 ¶1)."""
    rt = session.runtime(request)
    powers = warnings.issuing_powers(rt.uow, principal=me)
    order = {f: i for i, f in enumerate(FIELDS)}
    errors = sorted(errors, key=lambda e: order.get(e.field.split("[")[0], len(order)))
    rows = form.get("measures") or []
    rows = rows + [{"text": "", "deadline": ""}] * max(MEASURE_ROWS - len(rows), 1)
    return render(request, "console_warning_form.html", {
        "me": user(rt, me), "nav": "warnings", "powers": powers, "form": form,
        "measures": rows[:MAX_MEASURES], "errors": errors, "fe": errors_by_field(errors),
        "reasons": list(reasons), "assessment": assessment,
        "proposal": assessment.proposal if assessment else None, "levels": LEVELS,
        "anchor": anchor, "now": rt.clock.now(),
        "level_labels": dict(LEVELS),
        "allowed": {p.level.value for p in powers.levels if p.allowed},
        "categories": get_taxonomy().as_dicts(), "sectors": org.list_sectors(rt.uow),
        "regions": warnings.warnable_jurisdictions(rt.uow, principal=me),
        "picked": {c for c in _CODES.split(form.get("jurisdictions") or "") if c},
        "tlps": [t.value for t in Tlp], "timezone_name": rt.settings.timezone}, status)


def anchor(field: str) -> str:
    """The id of the input an error belongs to (the error summary links to it)."""
    m = _MEASURE.match(field)
    if m:
        part = "deadline" if m.group(2) == ".deadline" else "text"
        return f"measure_{part}_{m.group(1)}"
    return "measure_text_0" if field == "measures" else field


def _typed(form: FormData) -> dict:
    """What the user typed, as the form shows it again."""
    rows = []
    for i in range(MAX_MEASURES):
        text, deadline = form.get(f"measure_text_{i}"), form.get(f"measure_deadline_{i}")
        if text is None and deadline is None:
            continue
        rows.append({"text": str(text or ""), "deadline": str(deadline or "")})
    return {k: str(form.get(k) or "") for k in ("title", "category", "level", "starts_at",
                                                  "items", "tlp", "assessment")
            } | {"jurisdictions": " ".join(str(v) for v in form.getlist("jurisdictions")),
                 "public": bool(form.get("public")), "sectors": form.getlist("sectors"),
                 "measures": rows}


def _warning_in(typed: dict, tz: ZoneInfo) -> tuple[WarningIn, list[int]]:
    """The typed form as the API's draft schema, and for each measure sent the form row it came
    from (blank rows are left out). Schema errors are raised as ValidationFailed by row."""
    kept = [i for i, m in enumerate(typed["measures"]) if m["text"].strip() or m["deadline"]]
    raw = {"title": typed["title"].strip(), "category": typed["category"] or None,
           "level": typed["level"] or None, "starts_at": local_time(typed["starts_at"], tz),
           "jurisdictions": [c for c in _CODES.split(typed["jurisdictions"]) if c],
           "sectors": typed["sectors"],
           "items": [line.strip() for line in typed["items"].splitlines() if line.strip()],
           "measures": [{"text": typed["measures"][i]["text"].strip(),
                         "deadline": local_time(typed["measures"][i]["deadline"], tz)}
                        for i in kept],
           "tlp": typed["tlp"] or Tlp.AMBER.value, "public": typed["public"],
           "assessment": typed["assessment"].strip() or None}
    try:
        return WarningIn.model_validate(raw), kept
    except ValidationError as exc:
        raise ValidationFailed([FieldError(_loc(e["loc"]), _message(e)) for e in exc.errors()]
                               ) from None


def _message(error: dict) -> str:
    if error["type"] in ("missing", "string_too_short"):
        return "required / 必填"
    return error["msg"]


def _loc(loc: tuple) -> str:
    if len(loc) > 1 and loc[0] == "measures" and isinstance(loc[1], int):
        return f"measures[{loc[1]}]" + "".join(f".{p}" for p in loc[2:])
    return str(loc[0])


def _by_row(errors: list[FieldError], kept: list[int]) -> list[FieldError]:
    """Errors on ``measures[i]`` renamed after the form row the measure came from."""
    out = []
    for e in errors:
        m = _MEASURE.match(e.field)
        if m and int(m.group(1)) < len(kept):
            e = FieldError(f"measures[{kept[int(m.group(1))]}]{m.group(2)}", e.message,
                           e.row, e.source)
        out.append(e)
    return out


@router.get("/warnings/new")
def new_warning_page(request: Request, assessment: str = "") -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    tz = ZoneInfo(rt.settings.timezone)
    body = user(rt, me).body
    form = {"title": "", "category": "", "level": "", "items": "", "assessment": assessment,
            "starts_at": rt.clock.now().astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
            "jurisdictions": body.jurisdiction.code, "sectors": list(body.sectors),
            "tlp": Tlp.AMBER.value, "public": False, "measures": []}
    try:
        found = None
        if assessment:  # a draft from a risk assessment (Law art. 54(2)): its proposed level
            found = monitoring.get_assessment(rt.uow, rt.clock, principal=me, ref=assessment)
            form["level"] = found.proposal.level.value if found.proposal.level else ""
        return _form_page(request, me, form, assessment=found)
    except DomainError as exc:
        return error_page(request, me, exc)


@router.post("/assessments/{ref}/acknowledge")
async def acknowledge_assessment(request: Request, ref: str) -> Response:
    """The Emergency Office confirms it received an assessment reported to it as a possible
    major incident (Plan §3.3 ¶1), from the form that shows the assessment."""
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    rt = session.runtime(request)
    try:
        monitoring.acknowledge_assessment(rt.uow, rt.clock, principal=got.me, ref=ref)
    except DomainError as exc:
        return error_page(request, got.me, exc)
    return RedirectResponse(f"/web/warnings/new?assessment={quote(ref, safe='')}",
                            status_code=303)


@router.post("/warnings")
async def draft_warning(request: Request) -> Response:
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, form = got.me, got.form
    rt = session.runtime(request)
    typed, kept = _typed(form), []
    try:  # the form shown again needs the right to draft: without it, the error page
        try:
            data, kept = _warning_in(typed, ZoneInfo(rt.settings.timezone))
            out = warnings.draft(rt.uow, rt.clock, principal=me, data=data)
        except ValidationFailed as exc:
            return _form_page(request, me, typed, errors=_by_row(exc.errors, kept), status=422)
        except Refused as exc:
            return _form_page(request, me, typed, reasons=exc.reasons, status=exc.status)
    except DomainError as exc:
        return error_page(request, me, exc)
    return RedirectResponse(f"/web/warnings/{quote(out.ref, safe='')}?done=drafted",
                            status_code=303)


# --- a warning's page -------------------------------------------------------------------------


def _progress(w: WarningOut, now: datetime) -> list[dict]:
    """Checklist tasks (Plan §3.4) per body: done of total, and how many open ones are past
    their due time. Superseded tasks (of a former level) are left out."""
    names = {r.body: (r.body_name_zh, r.body_name_en) for r in w.recipients}
    names[w.issuer] = (w.issuer_name_zh, w.issuer_name_en)
    out: dict[str, dict] = {}
    for t in w.tasks:
        if t.state == "superseded":
            continue
        row = out.setdefault(t.body, {"body": t.body, "name": names.get(t.body, (t.body,) * 2),
                                      "done": 0, "total": 0, "overdue": 0})
        row["total"] += 1
        row["done"] += t.state == "done"
        row["overdue"] += t.state == "open" and t.due_at < now
    return list(out.values())


def _detail(request: Request, me: Principal, ref: str, *, done: str = "",
            problem: dict | None = None, status: int = 200) -> HTMLResponse:
    rt = session.runtime(request)
    w = warnings.get_warning(rt.uow, rt.clock, principal=me, ref=ref)
    acts = warnings.available_actions(rt.uow, principal=me, ref=ref)
    now = rt.clock.now()
    confirm = {name: warnings.notify_preview(rt.uow, principal=me, ref=ref, action=name)
               for name in CONFIRMED if getattr(acts, name) and getattr(acts, name).allowed}
    return render(request, "console_warning.html", {
        "confirm": confirm,
        "me": user(rt, me), "nav": "warnings", "w": w, "acts": acts, "now": now,
        "state_label": STATE_LABELS[WarningState(w.state)], "levels": dict(LEVELS),
        "progress": _progress(w, now), "done": done, "problem": problem or {},
        "my_tasks": [t for t in w.tasks if t.id in acts.task_ids]}, status)


@router.get("/warnings/{ref}")
def warning_page(request: Request, ref: str, done: str = "") -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    try:
        return _detail(request, me, ref, done=done)
    except DomainError as exc:
        return error_page(request, me, exc)


@router.get("/warnings/{ref}/confirm")
def confirm_page(request: Request, ref: str, action: str = "", reason: str = "") -> Response:
    """The confirmation step of publish and lift without JavaScript: who the action will notify
    (``service.notify_preview``, the distribution the action uses) and the form that does it."""
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    try:
        if action not in CONFIRMED:
            raise NotFound(f"no confirmation for {action!r}")
        w = warnings.get_warning(rt.uow, rt.clock, principal=me, ref=ref)
        preview = warnings.notify_preview(rt.uow, principal=me, ref=ref, action=action)
    except DomainError as exc:
        return error_page(request, me, exc)
    return render(request, "console_warning_confirm.html", {
        "me": user(rt, me), "nav": "warnings", "w": w, "p": preview, "reason": reason,
        "levels": dict(LEVELS)})


@router.get("/directory/search.json")
def search_bodies(request: Request, q: str = "") -> Response:
    """Bodies the caller may see (``org.bodies.list_bodies``: the caller's scope, Law art. 30)
    whose key or zh/en name contains ``q``, at most :data:`SEARCH_LIMIT`, for the console's
    body search boxes (``static/warnings.js``)."""
    me = session.principal(request)
    if me is None:
        return JSONResponse({"detail": "login required"}, status_code=401)
    rt = session.runtime(request)
    q = q.strip()[:100]
    if not q:
        return JSONResponse([])
    try:
        found = bodies.list_bodies(rt.uow, principal=me, q=q,
                                   page=PageParams(limit=SEARCH_LIMIT, offset=0))
    except DomainError as exc:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status)
    return JSONResponse([{"key": b.key, "name_zh": b.name_zh, "name_en": b.name_en}
                         for b in found.items])


def resolve_body(rt: Runtime, me: Principal, typed: str) -> str:
    """The key of the body the caller typed into a body search box without JavaScript: a key,
    or an exact zh/en name; unknown, out of scope or ambiguous is a clear error."""
    typed = typed.strip()
    if not typed:
        raise ValidationFailed([FieldError("body", "required / 必填")])
    found = bodies.list_bodies(rt.uow, principal=me, q=typed,
                               page=PageParams(limit=SEARCH_LIMIT, offset=0)).items
    exact = [b for b in found if typed in (b.key, b.name_zh) or
             typed.casefold() == b.name_en.casefold()]
    keys = [b.key for b in exact if b.key == typed] or [b.key for b in exact]
    if len(keys) == 1:
        return keys[0]
    if not keys:
        raise ValidationFailed([FieldError("body", f"no body {typed!r} in your scope / "
                                                   f"您的范围内没有机构“{typed}”")])
    raise ValidationFailed([FieldError("body", f"{typed!r} names several bodies: "
                                               f"{', '.join(keys)} / 名称对应多个机构")])


Action = Callable[[Runtime, Principal, FormData], object]


async def _act(request: Request, ref: str, name: str, run: Action, *,
               notifies: bool = False) -> Response:
    """One action form: check the CSRF token, call the service, and go back to the warning's
    page; a refusal or invalid input is shown on that page (with what was typed)."""
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, form = got.me, got.form
    rt = session.runtime(request)
    try:
        run(rt, me, form)
    except (DomainError, ValidationError) as exc:
        problem = _problem(name, form, exc)
        try:
            return _detail(request, me, ref, problem=problem, status=problem["status"])
        except DomainError as shown:
            return error_page(request, me, shown)
    if notifies:
        rt.wake_worker()
    return RedirectResponse(f"/web/warnings/{quote(ref, safe='')}?done={name}",
                            status_code=303)


def _problem(name: str, form: FormData, exc: Exception) -> dict:
    values = {k: str(v) for k, v in form.items() if k != "csrf"}
    if isinstance(exc, ValidationError):
        return {"action": name, "status": 422, "typed": values, "reasons": [],
                "fe": {str(e["loc"][0]): e["msg"] for e in exc.errors()}, "message": ""}
    fe = errors_by_field(exc.errors) if isinstance(exc, ValidationFailed) else {}
    return {"action": name, "status": exc.status, "typed": values, "fe": fe,
            "reasons": getattr(exc, "reasons", None) or [], "message": exc.detail}


def _model(schema: type[BaseModel], form: FormData, *fields: str) -> BaseModel:
    return schema.model_validate({f: str(form.get(f) or "").strip() for f in fields})


@router.post("/warnings/{ref}/approve")
async def approve(request: Request, ref: str) -> Response:
    return await _act(request, ref, "approve", lambda rt, me, form: warnings.approve(
        rt.uow, rt.clock, principal=me, ref=ref))


@router.post("/warnings/{ref}/publish")
async def publish(request: Request, ref: str) -> Response:
    return await _act(request, ref, "publish", lambda rt, me, form: warnings.publish(
        rt.uow, rt.clock, principal=me, ref=ref), notifies=True)


@router.post("/warnings/{ref}/acknowledge")
async def acknowledge(request: Request, ref: str) -> Response:
    return await _act(request, ref, "acknowledge", lambda rt, me, form: warnings.acknowledge(
        rt.uow, rt.clock, principal=me, ref=ref))


@router.post("/warnings/{ref}/tasks/{task_id}/done")
async def complete_task(request: Request, ref: str, task_id: ObjectId) -> Response:
    return await _act(request, ref, f"task-{task_id}", lambda rt, me, form: warnings.complete_task(
        rt.uow, rt.clock, principal=me, ref=ref, task_id=task_id,
        data=_model(TaskDoneIn, form, "evidence")))


@router.post("/warnings/{ref}/revise")
async def revise(request: Request, ref: str) -> Response:
    return await _act(request, ref, "revise", lambda rt, me, form: warnings.revise(
        rt.uow, rt.clock, principal=me, ref=ref, data=_model(ReviseIn, form, "level", "reason")),
        notifies=True)


@router.post("/warnings/{ref}/lift")
async def lift(request: Request, ref: str) -> Response:
    return await _act(request, ref, "lift", lambda rt, me, form: warnings.lift(
        rt.uow, rt.clock, principal=me, ref=ref, data=_model(LiftIn, form, "reason")),
        notifies=True)
