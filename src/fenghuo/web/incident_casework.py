"""The incident page's casework (issue 19): observables, tasks, internal notes and evidence
uploaded by drag and drop (``static/casework.js``; the plain form works without it).

What is shown and allowed comes from :mod:`fenghuo.incident.casework` and
:mod:`fenghuo.incident.evidence`; the page is ``web.incidents``' own (``_detail``), with
``_console_incident_casework.html`` included in it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from fenghuo.common.errors import DomainError, FieldError, NotFound, ValidationFailed
from fenghuo.incident import casework, evidence
from fenghuo.incident.casework_rules import KIND_LABELS
from fenghuo.org.rules import Permission

from . import session
from .pages import Posted, error_page, errors_by_field, local_time, posted

router = APIRouter()
KINDS = ("ip", "domain", "url", "hash", "cve", "email")


def context(rt, me, me_out, out) -> dict:  # noqa: ANN001 - Runtime, Principal, Me, IncidentOut
    """What the casework part of the page needs."""
    perms = set(me_out.permissions)
    try:
        observables = casework.list_observables(rt.uow, principal=me, ref=out.ref)
        tasks = casework.list_tasks(rt.uow, rt.clock, principal=me, ref=out.ref)
        comments = casework.list_comments(rt.uow, principal=me, ref=out.ref)
        candidates = casework.owner_candidates(rt.uow, principal=me, ref=out.ref)
        in_scope = True
    except NotFound:  # shared with the caller, not in its scope: no casework (Law art. 30)
        observables, tasks, comments, candidates, in_scope = [], [], [], [], False
    return {"casework": {
        "in_scope": in_scope, "observables": observables, "tasks": tasks,
        "comments": comments, "candidates": candidates,
        "kinds": [(k, KIND_LABELS["ipv4" if k == "ip" else "sha256" if k == "hash" else k])
                  for k in KINDS],
        "may_handle": Permission.INCIDENT_HANDLE.value in perms,
        "may_upload": Permission.INCIDENT_REPORT.value in perms,
        "may_comment": Permission.INCIDENT_READ.value in perms}}


def _again(request: Request, me, ref: str, key: str, exc: ValidationFailed,  # noqa: ANN001
           form: dict) -> Response:
    from .incidents import _detail  # the page of web.incidents (which includes this router)

    return _detail(request, me, ref, errors={key: errors_by_field(exc.errors)},
                   form=form, status=422)


def back_to(ref: str, anchor: str) -> Response:
    """Back to a section of the incident's page once a form there has done its work."""
    return RedirectResponse(f"/web/incidents/{ref}#{anchor}", status_code=303)


_back = back_to


@router.post("/incidents/{ref}/observables")
async def add_observable(request: Request, ref: str) -> Response:
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, form, rt = got.me, dict(got.form), session.runtime(request)
    try:
        casework.add_observable(rt.uow, rt.clock, principal=me, ref=ref,
                                value=str(form.get("value", "")),
                                kind=str(form.get("kind") or "") or None,
                                note=str(form.get("note", "")))
    except ValidationFailed as exc:
        return _again(request, me, ref, "observable", exc, form)
    except DomainError as exc:
        return error_page(request, me, exc)
    return _back(ref, "observables")


@router.post("/incidents/{ref}/observables/{observable_id}/remove")
async def remove_observable(request: Request, ref: str, observable_id: int) -> Response:
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    rt = session.runtime(request)
    try:
        casework.remove_observable(rt.uow, rt.clock, principal=got.me, ref=ref,
                                   observable_id=observable_id)
    except DomainError as exc:
        return error_page(request, got.me, exc)
    return _back(ref, "observables")


@router.post("/incidents/{ref}/tasks")
async def add_task(request: Request, ref: str) -> Response:
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, form, rt = got.me, dict(got.form), session.runtime(request)
    due = local_time(str(form.get("due_at") or ""), ZoneInfo(rt.settings.timezone))
    try:
        if isinstance(due, str):
            raise ValidationFailed([FieldError("due_at", "not a date and time")])
        casework.add_task(rt.uow, rt.clock, principal=me, ref=ref,
                          title=str(form.get("title", "")),
                          owner=str(form.get("owner") or "") or None, due_at=due)
    except ValidationFailed as exc:
        return _again(request, me, ref, "task", exc, form)
    except DomainError as exc:
        return error_page(request, me, exc)
    return _back(ref, "tasks")


@router.post("/incidents/{ref}/tasks/{task_id}/done")
async def task_done(request: Request, ref: str, task_id: int) -> Response:
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    rt = session.runtime(request)
    try:
        casework.set_task_done(rt.uow, rt.clock, principal=got.me, ref=ref, task_id=task_id,
                               done=str(got.form.get("done", "1")) != "0")
    except DomainError as exc:
        return error_page(request, got.me, exc)
    return _back(ref, "tasks")


@router.post("/incidents/{ref}/comments")
async def add_comment(request: Request, ref: str) -> Response:
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, form, rt = got.me, dict(got.form), session.runtime(request)
    try:
        casework.add_comment(rt.uow, rt.clock, principal=me, ref=ref,
                             text=str(form.get("text", "")))
    except ValidationFailed as exc:
        return _again(request, me, ref, "comment", exc, form)
    except DomainError as exc:
        return error_page(request, me, exc)
    return _back(ref, "comments")


@router.post("/incidents/{ref}/evidence")
async def upload_evidence(request: Request, ref: str) -> Response:
    """Preserve a file as evidence (``incident.evidence.add``, Plan §4.1). The drop zone's
    script asks for JSON (the server's SHA-256, to compare with the browser's); the plain
    form is sent back to the page."""
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, rt, upload = got.me, session.runtime(request), got.form.get("file")
    wants_json = "application/json" in request.headers.get("accept", "")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ValidationFailed([FieldError("file", "choose a file")])
        content = await upload.read(evidence.MAX_BYTES + 1)
        out = evidence.add(rt.uow, rt.clock, principal=me, ref=ref, filename=upload.filename,
                           content_type=upload.content_type or "application/octet-stream",
                           content=content)
    except ValidationFailed as exc:
        if wants_json:
            return JSONResponse({"errors": errors_by_field(exc.errors)}, status_code=422)
        return _again(request, me, ref, "evidence", exc, {})
    except DomainError as exc:
        if wants_json:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        return error_page(request, me, exc)
    if wants_json:
        return JSONResponse({"id": out.id, "filename": out.filename, "sha256": out.sha256,
                             "size": out.size}, status_code=201)
    return _back(ref, "evidence")
