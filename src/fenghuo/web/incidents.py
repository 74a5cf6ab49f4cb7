"""Incident pages of the console: the list (filters, full-text search, paging), an incident's
page (grading explained, routing, clocks, notifications, evidence, timeline, linked response,
and the actions the caller may take) and the report form with inline errors.

Everything shown comes from the services, which apply the caller's scope (Law art. 30) and
decide what the caller may do: :mod:`fenghuo.incident.queries`, ``handling``, ``service`` and
``evidence``, and :mod:`fenghuo.response` for the linked response. This module only reads
their answers and renders them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from fenghuo.api.deps import ObjectId
from fenghuo.bootstrap import Runtime
from fenghuo.common.errors import DomainError, Forbidden, NotFound, ValidationFailed
from fenghuo.common.pagination import PageParams
from fenghuo.common.scope import Principal
from fenghuo.incident import evidence, handling, queries, rules, service
from fenghuo.incident.grading import DEGREE_LABELS, GRADE_LABELS, Degree, Grade
from fenghuo.incident.rules import STATE_LABELS, State
from fenghuo.incident.schemas import FactsIn, RegradeIn, ReportIn, SupplementIn
from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.org import bodies, registers
from fenghuo.org import service as org
from fenghuo.org.rules import BodyKind, Permission
from fenghuo.response import console as response_console
from fenghuo.response import views as response_views
from fenghuo.response.rules import LEVEL_LABELS as RESPONSE_LEVELS
from fenghuo.response.rules import RESPONSE_STATE_LABELS, level_for_grade
from fenghuo.sharing.tlp import TLP_LABELS
from fenghuo.warning import service as warning_service

from . import (
    i18n,
    incident_casework,
    incident_handling,
    incident_owners,
    list_sort,
    report_form,
    session,
)
from . import sharing as incident_sharing
from .pages import (
    Posted,
    error_page,
    idempotency_key,
    local_time,
    page_count,
    page_params,
    posted,
    render,
    to_login,
    user,
)

router = APIRouter()
router.include_router(incident_owners.router)  # a parent's units, personal information
router.include_router(incident_casework.router)  # observables, tasks, notes, uploads
router.include_router(incident_handling.router)  # assignee, state with resolution, TLP
router.include_router(report_form.router)  # /web/report/grade, the provisional grade
#: the three criteria of Plan §1.4 a reporter states a degree for (annex 3 degrees)
CRITERIA = report_form.CRITERIA
#: the form's own fields, in order; a validation error on anything else shows at the top
REPORT_FIELDS = ("unit", "system", "category", "title", "found_at", "impact", "measures",
                 "description", "tlp", *CRITERIA, *report_form.QUANTITIES,
                 *report_form.STATED_FLAGS)


def _labels() -> dict:
    return {"grades": {g.value: GRADE_LABELS[g] for g in Grade},
            "states": {s.value: STATE_LABELS[s] for s in State},
            "degrees": [(d.value, DEGREE_LABELS[d]) for d in Degree],
            "response_levels": {k.value: v for k, v in RESPONSE_LEVELS.items()},
            "response_states": dict(RESPONSE_STATE_LABELS),
            "criteria": CRITERIA, "tlp_labels": dict(TLP_LABELS)}


def _translated(request: Request, errors: dict) -> dict:
    """Error messages in the page's language where the catalogs know them (plain text, escaped
    when shown: a message may quote what the user typed)."""
    catalog = i18n.translations(i18n.negotiate(request))
    return {k: _translated(request, v) if isinstance(v, dict) else catalog.gettext(v)
            for k, v in errors.items()}


# --- the list ---------------------------------------------------------------------------------


def _day(value: str, tz: ZoneInfo, plus: int = 0) -> datetime | None:
    """Midnight of a ``YYYY-MM-DD`` day in the configured time zone (``plus`` days later)."""
    try:
        return datetime.combine(date.fromisoformat(value) + timedelta(days=plus), time(), tz)
    except ValueError:
        return None


def _category_filter(value: str) -> tuple[str | None, str | None]:
    """A category code, or a subcategory code with its category (Plan annex 1)."""
    tax = get_taxonomy()
    if tax.category(value):
        return value, None
    sub = tax.subcategory(value)
    return (sub.category, sub.code) if sub else (None, None)


def _filter_choices(rt: Runtime, me: Principal) -> dict:
    places = org.list_jurisdictions(rt.uow, principal=me, page=PageParams(limit=500))
    return {"jurisdictions": places.items, "sectors": org.list_sectors(rt.uow),
            "taxonomy": get_taxonomy().as_dicts()}


@router.get("/incidents")
def incidents_page(request: Request, grade: str = "", state: str = "", q: str = "",
                   unit: str = "", category: str = "", jurisdiction: str = "", sector: str = "",
                   reported_from: str = "", reported_to: str = "", assignee: str = "",
                   sort: str = "", desc: str = "", page: int = 1) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    tz = ZoneInfo(rt.settings.timezone)
    f = {"q": q.strip(), "grade": grade if grade in set(Grade) else "",
         "category": category if any(_category_filter(category)) else "",
         "jurisdiction": jurisdiction.strip(), "sector": sector.strip(),
         "state": state if state in set(State) else "", "unit": unit.strip(),
         "reported_from": reported_from if _day(reported_from, tz) else "",
         "reported_to": reported_to if _day(reported_to, tz) else "",
         "assignee": "me" if assignee == "me" else ""}  # "mine": assigned to the caller
    cat, sub = _category_filter(f["category"])
    order = list_sort.context(f, sort, desc, queries.SORTS)
    found = queries.list_incidents(
        rt.uow, principal=me, page=page_params(page), grade=f["grade"] or None, category=cat,
        subcategory=sub, jurisdiction=f["jurisdiction"] or None, sector=f["sector"] or None,
        state=f["state"] or None, unit=f["unit"] or None, q=f["q"] or None,
        since=_day(f["reported_from"], tz), until=_day(f["reported_to"], tz, plus=1),
        assignee=me.username if f["assignee"] else None, sort=order["sort"] or None,
        desc=order["desc"])
    return render(request, "console_incidents.html", {
        "me": user(rt, me), "nav": "incidents", "found": found, "page": max(page, 1),
        "pages": page_count(found.total), "f": f, **_labels(), **_filter_choices(rt, me),
        **order})


# --- an incident's page -----------------------------------------------------------------------


def _span(delta: timedelta) -> dict:
    minutes = int(abs(delta).total_seconds() // 60)
    return {"h": minutes // 60, "m": minutes % 60, "delta": delta}


def _clocks(out, now: datetime) -> list[dict]:  # noqa: ANN001 - an IncidentOut
    """Each clock with whose it is and, honestly, how far from its deadline it stands."""
    names = {r.body: {"zh": r.body_name_zh, "en": r.body_name_en} for r in out.routes}
    names[out.unit] = {"zh": out.unit_name_zh, "en": out.unit_name_en}
    rows = []
    for d in out.duties:
        end = d.done_at or now
        rows.append({"d": d, "name": names.get(d.body, {"zh": d.body, "en": d.body}),
                     "span": _span(end - d.due_at)})
    return rows


def _response_context(rt: Runtime, me: Principal, me_out, ref: str) -> dict:  # noqa: ANN001
    """The responses to this incident and, for whoever may command one, the decision on the
    level its grade calls for (Plan §4.2; ``response.console.activation_options``)."""
    try:
        linked = response_views.responses_of_incident(rt.uow, rt.clock, principal=me,
                                                      incident_ref=ref)
        options = response_console.activation_options(rt.uow, principal=me, incident_ref=ref)
    except (Forbidden, NotFound):  # a share lets its recipient read the incident, no more
        return {"linked_responses": [], "activation": None, "activation_refusals": []}
    decision = None
    if options.running is None and Permission.RESPONSE_COMMAND.value in me_out.permissions:
        level = level_for_grade(options.grade)
        decision = next(o.decision for o in options.levels if o.level == level)
    return {"linked_responses": linked, "activation": decision, "activation_refusals": [
        r.as_dict() for r in decision.refusals] if decision else []}


def _warnings_in_force(rt: Runtime, me: Principal, out) -> list:  # noqa: ANN001 - IncidentOut
    """The published warnings that concerned the incident's place and sector when it was
    reported (Plan §3.1), as far as the caller may see the unit and the warnings."""
    try:
        unit = bodies.get_body(rt.uow, principal=me, key=out.unit)
        return warning_service.warnings_concerning(
            rt.uow, principal=me, jurisdiction=unit.jurisdiction.code, sector=out.sector,
            at=out.reported_at)
    except (Forbidden, NotFound):
        return []


def _actions(me_out, out) -> dict:  # noqa: ANN001 - the caller's Me and the IncidentOut
    """What the caller may do here, as the services decide it: the permissions of the caller's
    roles and, for acknowledgement, whether the report was routed to the caller's body."""
    perms = set(me_out.permissions)
    handle = Permission.INCIDENT_HANDLE.value in perms
    own = next((r for r in out.routes if r.body == me_out.body.key), None)
    ack = rules.may_acknowledge(routed_to_caller=own is not None) if handle else None
    return {"own_route": own, "acknowledge": ack, "regrade": handle,
            "acknowledge_refusals": [r.as_dict() for r in ack.refusals] if ack else [],
            "supplement": Permission.INCIDENT_REPORT.value in perms}


def _detail(request: Request, me: Principal, ref: str, *, errors: dict | None = None,
            form: dict | None = None, status: int = 200) -> Response:
    rt = session.runtime(request)
    now = rt.clock.now()
    try:
        out = queries.get_incident(rt.uow, principal=me, ref=ref, now=now)
    except DomainError as exc:
        return error_page(request, me, exc)
    try:  # evidence is not passed on with a share (Plan §3.2): its recipient reads none
        files = evidence.list_evidence(rt.uow, rt.clock, principal=me, ref=ref)
    except NotFound:
        files = []
    me_out = user(rt, me)
    tax = get_taxonomy()
    return render(request, "console_incident.html", {
        "me": me_out, "nav": "incidents", "i": out, "evidence": files,
        "sub_label": tax.label(out.subcategory) if out.subcategory else None,
        "clocks": _clocks(out, now), "supplements": [
            e for e in out.timeline if e.kind == "supplementary"],
        "actions": _actions(me_out, out), **_response_context(rt, me, me_out, ref), **_labels(),
        "warnings_in_force": _warnings_in_force(rt, me, out),
        "fact_rows": report_form.fact_rows(out.facts, i18n.negotiate(request)),
        **incident_owners.context(rt, me, me_out, out),
        **incident_casework.context(rt, me, me_out, out),
        **incident_handling.context(rt, me, me_out, out),
        **incident_sharing.context(rt, me, me_out, out),
        "errors": _translated(request, errors or {}), "form": form or {}}, status)


@router.get("/incidents/{ref}")
def incident_page(request: Request, ref: str) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    return _detail(request, me, ref)


def _field_errors(exc: ValidationError | ValidationFailed, known: tuple[str, ...]) -> dict:
    """Field → message; errors on fields outside ``known`` are gathered under ``_``."""
    if isinstance(exc, ValidationFailed):
        pairs = [(e.field, e.message) for e in exc.errors]
    else:
        pairs = [(_loc(e["loc"]), _message(e)) for e in exc.errors()]
    out: dict[str, str] = {}
    for name, message in pairs:
        name = "category" if name == "subcategory" else name
        key = name if name in known else "_"
        out[key] = f"{out[key]} {message}" if key in out else message
    return out


def _loc(loc: tuple) -> str:
    return str(loc[-1]) if loc and loc[0] == "facts" else ".".join(str(p) for p in loc)


def _message(e: dict) -> str:
    """A pydantic error as one of the messages the catalogs translate."""
    if e["type"] == "missing" or e.get("input") in (None, "") or e["type"] == "string_too_short":
        return "This field is required."
    if e["type"] == "string_too_long":
        return "This is too long."
    if e["type"].startswith("datetime"):
        return "Enter a valid date and time."
    return report_form.message(e) or e["msg"]


@router.post("/incidents/{ref}/acknowledge")
async def acknowledge(request: Request, ref: str) -> Response:
    """The caller's body confirms receipt (Plan §4.1; CAC 2025 art. 4): its clock stops."""
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me = got.me
    rt = session.runtime(request)
    try:
        handling.acknowledge(rt.uow, rt.clock, principal=me, ref=ref)
    except DomainError as exc:
        return error_page(request, me, exc)
    return RedirectResponse(f"/web/incidents/{ref}#timeline", status_code=303)


@router.post("/incidents/{ref}/regrade")
async def regrade(request: Request, ref: str) -> Response:
    """Grade again from corrected degrees, with a reason; the history stays on the timeline."""
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, form = got.me, dict(got.form)
    rt = session.runtime(request)
    try:
        current = queries.get_incident(rt.uow, principal=me, ref=ref, now=rt.clock.now()).facts
        facts = {**current, **{k: form.get(k) or None for k in CRITERIA}}
        data = RegradeIn(facts=FactsIn(**facts), reason=str(form.get("reason", "")))
        handling.regrade(rt.uow, rt.clock, principal=me, ref=ref, data=data)
    except (ValidationError, ValidationFailed) as exc:
        errors = {"regrade": _field_errors(exc, (*CRITERIA, "reason"))}
        return _detail(request, me, ref, errors=errors, form=form, status=422)
    except DomainError as exc:
        return error_page(request, me, exc)
    rt.wake_worker()
    return RedirectResponse(f"/web/incidents/{ref}#grading", status_code=303)


@router.post("/incidents/{ref}/supplement")
async def supplement(request: Request, ref: str) -> Response:
    """A supplementary report (补报, CAC 2025 art. 7(2))."""
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, form = got.me, dict(got.form)
    rt = session.runtime(request)
    try:
        data = SupplementIn(text=str(form.get("text", "")),
                            impact=str(form.get("impact") or "") or None,
                            measures=str(form.get("measures") or "") or None)
        handling.supplement(rt.uow, rt.clock, principal=me, ref=ref, data=data)
    except (ValidationError, ValidationFailed) as exc:
        errors = {"supplement": _field_errors(exc, ("text", "impact", "measures"))}
        return _detail(request, me, ref, errors=errors, form=form, status=422)
    except DomainError as exc:
        return error_page(request, me, exc)
    rt.wake_worker()
    return RedirectResponse(f"/web/incidents/{ref}#supplements", status_code=303)


# --- the report form --------------------------------------------------------------------------


def _form_page(request: Request, me: Principal, form: dict, errors: dict,
               status: int = 200) -> HTMLResponse:
    rt = session.runtime(request)
    me_out = user(rt, me)
    operator = me_out.body.kind == BodyKind.OPERATOR
    units = [] if operator else bodies.list_bodies(
        rt.uow, principal=me, page=PageParams(limit=500), kind=BodyKind.OPERATOR).items
    systems = registers.list_systems(rt.uow, principal=me, body=me_out.body.key) if (
        operator) else []
    return render(request, "console_report.html", {
        "me": me_out, "nav": "report", "operator": operator, "units": units,
        "systems": systems, "form": form, "errors": _translated(request, errors), **_labels(),
        "taxonomy": get_taxonomy().as_dicts(),
        **report_form.context(rt.settings.grading_profile, i18n.negotiate(request)),
        "idempotency_key": form.get("idempotency_key") or uuid.uuid4().hex}, status)


@router.get("/report")
def report_page(request: Request) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    try:
        org.require(me, Permission.INCIDENT_REPORT)
    except Forbidden as exc:
        return error_page(request, me, exc)
    return _form_page(request, me, {}, {})


def _report_in(form: dict, tz: ZoneInfo) -> ReportIn:
    category, _, sub = str(form.get("category") or "").partition("|")
    found_at = local_time(str(form.get("found_at") or ""), tz)
    return ReportIn(unit=form.get("unit") or None, system=form.get("system") or None,
                    category=category, subcategory=sub or None,
                    title=str(form.get("title", "")), description=str(form.get("description", "")),
                    found_at=found_at, impact=str(form.get("impact", "")),
                    measures=str(form.get("measures", "")),
                    facts=report_form.form_facts(form), tlp=report_form.form_tlp(form))


@router.post("/report")
async def submit_report(request: Request) -> Response:
    """File a first report (CAC 2025 art. 7); a double submit with the same idempotency key is
    one report. Lands on the incident's page, which shows how it was graded and routed."""
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, form = got.me, dict(got.form)
    rt = session.runtime(request)
    try:
        data = _report_in(form, ZoneInfo(rt.settings.timezone))
        out = service.report(rt.uow, rt.clock, principal=me, data=data,
                             idempotency_key=idempotency_key(form),
                             profile=rt.settings.grading_profile)
    except (ValidationError, ValidationFailed) as exc:
        return _form_page(request, me, form, _field_errors(exc, REPORT_FIELDS), status=422)
    except DomainError as exc:
        return error_page(request, me, exc)
    rt.wake_worker()
    return RedirectResponse(f"/web/incidents/{out.ref}", status_code=303)


@router.get("/incidents/{ref}/evidence/{evidence_id}")
def download_evidence(request: Request, ref: str, evidence_id: ObjectId) -> Response:
    """A piece of evidence, with its SHA-256 in a header (recorded in its chain of custody)."""
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    try:
        meta, content = evidence.download(rt.uow, rt.clock, principal=me, ref=ref,
                                          evidence_id=evidence_id)
    except DomainError as exc:
        return error_page(request, me, exc)
    return Response(content, media_type=meta.content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(meta.filename)}",
        "X-Content-SHA256": meta.sha256})

