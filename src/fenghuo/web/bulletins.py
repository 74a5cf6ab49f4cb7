"""Bulletins in the console (issue 19 item 5; Plan §3.2; Support rights 2): the weekly
《网络安全信息与动态周报》 and monthly 《网络安全月报》 the caller's body issued, received or that a
body in its scope issued; generating one; its own HTML and PDF; whom it was sent to.

Generation is :func:`fenghuo.sharing.bulletins.generate`, the service the API and the CLI call,
with its progress callback. It can take seconds (WeasyPrint), so the POST starts it in a thread
and redirects to a progress page, whose script (``static/bulletins.js``) polls a small status
JSON and goes on to the bulletin once it is stored. A job is its starter's: anyone else asking
for it gets a 404, as for a missing one.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field, replace

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError

from fenghuo.api.security_headers import DOCUMENT_CSP
from fenghuo.bootstrap import Runtime
from fenghuo.common.errors import DomainError, FieldError, NotFound, ValidationFailed
from fenghuo.common.periods import day_of
from fenghuo.common.scope import Principal
from fenghuo.org.rules import Permission
from fenghuo.org.service import require
from fenghuo.sharing import bulletin_data, bulletins
from fenghuo.sharing.bulletins import BulletinIn, SendIn
from fenghuo.sharing.tlp import TLP_LABELS, Tlp

from . import i18n, session
from .pages import Posted, error_page, posted, render, to_login, user

router = APIRouter()
KINDS = ("weekly", "monthly")
#: finished jobs kept for their pages to read; older ones are forgotten first
KEEP_JOBS = 200


@dataclass
class Job:
    """A generation running in a thread: its starter, its progress and, once done, the ref."""

    id: str
    username: str
    kind: str
    period: str
    state: str = "running"  # running, done, failed
    step: int = 0
    total: int = len(bulletins.STEPS)
    what: str = "start"
    ref: str | None = None
    error: str | None = None
    reasons: list[dict] = field(default_factory=list)


_JOBS: dict[str, Job] = {}
_LOCK = threading.Lock()


def _remember(job: Job) -> None:
    with _LOCK:
        _JOBS[job.id] = job
        done = [k for k, j in _JOBS.items() if j.state != "running"]
        for k in done[:max(0, len(_JOBS) - KEEP_JOBS)]:
            _JOBS.pop(k, None)


def _job(rt: Runtime, me: Principal, job_id: str) -> Job:
    """The job, from this process's memory or, when another server process (``--processes N``)
    runs it, from the database: its id names the kind and period, and the bulletin of the
    caller's body for them is there once it is stored (until then it reads as running; a
    failure is seen only by the process that ran it, and the page stops waiting after a while)."""
    with _LOCK:
        job = _JOBS.get(job_id)
    if job is not None:
        if job.username != me.username:
            raise NotFound(f"no bulletin generation {job_id!r}")
        return job
    kind, _, rest = job_id.partition("~")
    period, _, token = rest.partition("~")
    if kind not in KINDS or not period or len(token) != 32:
        raise NotFound(f"no bulletin generation {job_id!r}")
    ref = bulletins.own_ref(rt.uow, principal=me, kind=kind, period=period)
    return Job(id=job_id, username=me.username, kind=kind, period=period,
               state="done" if ref else "running", ref=ref, what="elsewhere")


def _run(rt: Runtime, me: Principal, job: Job) -> None:
    def step(done: int, total: int, what: str) -> None:
        job.step, job.total, job.what = done, total, what

    try:
        out = bulletins.generate(rt.uow, rt.clock, principal=me,
                                 data=BulletinIn(kind=job.kind, period=job.period),
                                 timezone=rt.settings.timezone, progress=step)
        job.ref, job.state = out.ref, "done"
    except DomainError as exc:
        job.error = exc.detail
        job.reasons = list(getattr(exc, "reasons", None) or [])
        job.state = "failed"
    except Exception as exc:  # noqa: BLE001 - the page says it failed, the log says why
        job.error, job.state = type(exc).__name__, "failed"
        raise


# --- labels -----------------------------------------------------------------------------------


def _labels() -> dict:
    return {"kind_labels": {k.value: v for k, v in bulletin_data.TITLES.items()},
            "tlp_labels": {t.value: TLP_LABELS[t] for t in Tlp},
            "reason_labels": {"support_unit_right": ("应急服务支撑单位（依权利接收）",
                                                     "support unit (by right)"),
                              "recipient_list": ("通报名单", "distribution list")}}


def _defaults(rt: Runtime) -> dict[str, str]:
    today = day_of(rt.clock.now())
    return {k: str(bulletin_data.last_complete(k, today)) for k in KINDS}


def _may_generate(me_out) -> bool:  # noqa: ANN001 - accounts.Me
    return (Permission.WARNING_ISSUE.value in me_out.permissions
            and bulletin_data.may_issue(me_out.body.kind.value).allowed)


def _list_page(request: Request, me: Principal, *, form: dict | None = None,
               errors: dict | None = None, status: int = 200) -> Response:
    rt = session.runtime(request)
    try:
        items = bulletins.list_bulletins(rt.uow, principal=me, limit=200)
    except DomainError as exc:
        return error_page(request, me, exc)
    me_out = user(rt, me)
    defaults = _defaults(rt)
    return render(request, "console_bulletins.html", {
        "me": me_out, "nav": "bulletins", "items": items, "defaults": defaults,
        "may_generate": _may_generate(me_out), "errors": errors or {},
        "form": form or {"kind": "weekly", "period": defaults["weekly"]}, **_labels()}, status)


@router.get("/bulletins")
def bulletins_page(request: Request) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    return _list_page(request, me)


@router.post("/bulletins")
async def generate(request: Request) -> Response:
    """Check the form, then generate in a thread and show its progress."""
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, form = got.me, {k: str(v).strip() for k, v in got.form.items() if k != "csrf"}
    rt = session.runtime(request)
    catalog = i18n.translations(i18n.negotiate(request))
    kind = form.get("kind", "")
    period = form.get(f"period_{kind}") or form.get("period", "")
    form = {"kind": kind, "period": period}
    try:
        require(me, Permission.WARNING_ISSUE)
        data = BulletinIn(kind=kind, period=period)
        parsed = bulletin_data.parse_period(data.kind, data.period)
        if parsed.start > day_of(rt.clock.now()):
            raise ValidationFailed([FieldError("period", "has not started yet")])
    except ValidationError:
        return _list_page(request, me, form=form, status=422, errors={
            "period": catalog.gettext("Choose weekly or monthly and a period such as 2026-W47 "
                                      "or 2026-11.")})
    except ValueError as exc:
        return _list_page(request, me, form=form, status=422, errors={"period": str(exc)})
    except ValidationFailed:
        return _list_page(request, me, form=form, status=422, errors={
            "period": catalog.gettext("That period has not started yet.")})
    except DomainError as exc:
        return error_page(request, me, exc)
    job = Job(id=f"{data.kind}~{data.period}~{uuid.uuid4().hex}", username=me.username,
              kind=data.kind, period=data.period)
    _remember(job)
    threading.Thread(target=_run, args=(rt, me, job), name=f"bulletin-{job.id[:8]}",
                     daemon=True).start()
    return RedirectResponse(f"/web/bulletins/jobs/{job.id}", status_code=303)


def _status(job: Job) -> dict:
    return {"state": job.state, "step": job.step, "total": job.total, "what": job.what,
            "ref": job.ref, "url": f"/web/bulletins/{job.ref}" if job.ref else None,
            "error": job.error}


@router.get("/bulletins/jobs/{job_id}.json")
def job_status(request: Request, job_id: str) -> Response:
    me = session.principal(request)
    if me is None:
        return JSONResponse({"state": "login"}, status_code=401)
    try:
        job = _job(session.runtime(request), me, job_id)
    except NotFound:
        return JSONResponse({"state": "missing"}, status_code=404)
    return JSONResponse(_status(job), headers={"Cache-Control": "no-store"})


@router.get("/bulletins/jobs/{job_id}")
def job_page(request: Request, job_id: str) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    try:
        # a snapshot: the thread may finish while the page renders, and the page must show
        # one state (a page rendered "done" with a progress bar would wait for ever)
        job = replace(_job(session.runtime(request), me, job_id))
    except NotFound as exc:
        return error_page(request, me, exc)
    if job.state == "done":
        return RedirectResponse(f"/web/bulletins/{job.ref}", status_code=303)
    rt = session.runtime(request)
    return render(request, "console_bulletin_job.html", {
        "me": user(rt, me), "nav": "bulletins", "job": job, **_labels()})


def _document(request: Request, ref: str, fmt: str) -> tuple[Principal, str, bytes] | Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    try:
        name, content = bulletins.get_document(rt.uow, principal=me, ref=ref, fmt=fmt)
    except DomainError as exc:
        return error_page(request, me, exc)
    return me, name, content


@router.get("/bulletins/{ref}.html")
def bulletin_html(request: Request, ref: str) -> Response:
    """The bulletin's own HTML, as stored (inline styles only, no script)."""
    got = _document(request, ref, "html")
    if isinstance(got, Response):
        return got
    _, name, content = got
    return Response(content, media_type="text/html; charset=utf-8",
                    headers={"Content-Disposition": f'inline; filename="{name}"',
                             "Content-Security-Policy": DOCUMENT_CSP})


@router.get("/bulletins/{ref}.pdf")
def bulletin_pdf(request: Request, ref: str) -> Response:
    got = _document(request, ref, "pdf")
    if isinstance(got, Response):
        return got
    _, name, content = got
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _detail(request: Request, me: Principal, ref: str, *, errors: dict | None = None,
            status: int = 200) -> Response:
    rt = session.runtime(request)
    try:
        b = bulletins.get_bulletin(rt.uow, principal=me, ref=ref)
        rows, others = bulletins.deliveries(rt.uow, principal=me, ref=ref)
    except DomainError as exc:
        return error_page(request, me, exc)
    me_out = user(rt, me)
    return render(request, "console_bulletin.html", {
        "me": me_out, "nav": "bulletins", "b": b, "d": b.data, "deliveries": rows,
        "others": others, "errors": errors or {},
        "sent": request.query_params.get("sent"),
        "may_send": b.issuer == me_out.body.key
        and Permission.WARNING_ISSUE.value in me_out.permissions,
        **_labels()}, status)


@router.get("/bulletins/{ref}")
def bulletin_page(request: Request, ref: str) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    return _detail(request, me, ref)


@router.post("/bulletins/{ref}/send")
async def send(request: Request, ref: str) -> Response:
    """Send it to the support units (by right) and the bodies listed, once each."""
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me = got.me
    rt = session.runtime(request)
    keys = [k for k in str(got.form.get("recipients", "")).replace(",", " ").split() if k]
    try:
        out = bulletins.send(rt.uow, rt.clock, principal=me, ref=ref,
                             data=SendIn(recipients=keys))
    except ValidationFailed as exc:
        return _detail(request, me, ref, status=422,
                       errors={"recipients": "; ".join(e.message for e in exc.errors)})
    except ValidationError:
        return _detail(request, me, ref, status=422, errors={"recipients": "too many"})
    except DomainError as exc:
        return error_page(request, me, exc)
    rt.wake_worker()
    return RedirectResponse(f"/web/bulletins/{ref}?sent={len(out.sent_to)}#recipients",
                            status_code=303)
