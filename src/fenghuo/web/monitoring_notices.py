"""Owner notices (通报) in the console (issue 16 item 2; Law arts. 51–52, Plan §3.2): the list of
notices in the caller's view, and each notice's page — why it went out at once or in the daily
digest, its events counted per kind and indicator, the unit's own events (n6-like: only those
attributed to the unit), its TLP and deadline — with the actions open to the caller: the unit
acknowledges, reports its handling (处置反馈) or contests an attribution; the office resolves a
contest, closes the notice, or sends a pending digest now.

Who sees and who may do what is :mod:`fenghuo.monitoring.notices` and
:mod:`fenghuo.monitoring.notice_handling`'s; the pages hold no rules of their own.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from fenghuo.common.errors import DomainError, FieldError, ValidationFailed
from fenghuo.common.scope import Principal
from fenghuo.monitoring import notice_handling, notices
from fenghuo.monitoring.notice_rules import STATE_LABELS as NOTICE_STATE_LABELS
from fenghuo.monitoring.notice_rules import NoticeState
from fenghuo.monitoring.notice_schemas import (
    CloseIn,
    ContestIn,
    FeedbackIn,
    NoticeOut,
    ResolveIn,
)
from fenghuo.org.rules import Permission

from . import session
from .monitoring_common import field_errors, form_text, gettext_of, may
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

router = APIRouter(include_in_schema=False)
STATES = tuple(s.value for s in NoticeState)
STATE_LABELS = {s.value: pair for s, pair in NOTICE_STATE_LABELS.items()}
EVENTS_PAGE = 25


@router.get("/monitoring/notices")
def notices_page(request: Request, state: str = "", overdue: bool = False,
                 page: int = 1) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    chosen = state if state in STATES else ""
    try:
        found = notices.list_notices(rt.uow, rt.clock, principal=me, page=page_params(page),
                                     state=NoticeState(chosen) if chosen else None,
                                     overdue=overdue)
    except DomainError as exc:
        return error_page(request, me, exc)
    return render(request, "monitoring_notices.html", {
        "me": user(rt, me), "nav": "monitoring_notices", "found": found,
        "page": max(page, 1), "pages": page_count(found.total), "states": STATES,
        "state": chosen, "overdue": overdue, "state_labels": STATE_LABELS,
        "query": f"state={quote(chosen)}&" + ("overdue=true&" if overdue else "")})


def _actions(me: Principal, account, n: NoticeOut) -> dict[str, bool]:  # noqa: ANN001
    """Which forms to show (the service decides; a refused action shows its rule)."""
    own = account.body.key == n.unit and may(me, Permission.WARNING_RESPOND)
    decides = account.body.key != n.unit and may(me, Permission.INCIDENT_HANDLE)
    s = n.state
    return {"may_ack": own and s == NoticeState.SENT,
            "may_feedback": own and s in (NoticeState.SENT, NoticeState.ACKNOWLEDGED,
                                          NoticeState.FEEDBACK_REPORTED),
            "may_contest": own and s in (NoticeState.SENT, NoticeState.ACKNOWLEDGED),
            "may_resolve": decides and s == NoticeState.CONTESTED,
            "may_close": decides and s == NoticeState.FEEDBACK_REPORTED,
            "may_send": account.body.key != n.unit and s == NoticeState.PENDING
            and may(me, Permission.MONITORING_SUBMIT)}


def _page(request: Request, me: Principal, ref: str, *, done: str = "", page: int = 1,
          form: dict | None = None, errors: list[FieldError] | None = None,
          status: int = 200) -> Response:
    rt = session.runtime(request)
    try:
        n = notices.get_notice(rt.uow, rt.clock, principal=me, ref=ref)
        shown = notices.notice_events(rt.uow, principal=me, ref=ref,
                                      page=page_params(page, EVENTS_PAGE))
    except DomainError as exc:
        return error_page(request, me, exc)
    account = user(rt, me)
    return render(request, "monitoring_notice.html", {
        "me": account, "nav": "monitoring_notices", "n": n, "found": shown,
        "page": max(page, 1), "pages": page_count(shown.total, EVENTS_PAGE), "query": "",
        "done": done, "form": form or {}, "errors": errors or [],
        "fe": errors_by_field(errors or []), **_actions(me, account, n)}, status)


@router.get("/monitoring/notices/{ref}")
def notice_page(request: Request, ref: str, done: str = "", page: int = 1) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    return _page(request, me, ref, done=done, page=page)


def _back(ref: str, done: str) -> Response:
    return RedirectResponse(f"/web/monitoring/notices/{quote(ref, safe='')}?done={done}",
                            status_code=303)


async def _act(request: Request, ref: str, done: str, fields: tuple[str, ...], run) -> Response:  # noqa: ANN001
    """Run ``run(rt, me, form)``; a refusal shows its error page, invalid input the form again
    with its errors inline."""
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    rt, form = session.runtime(request), form_text(got.form, *fields)
    try:
        try:
            run(rt, got.me, form)
        except ValidationError as exc:
            raise ValidationFailed(field_errors(exc, gettext_of(request))) from None
    except ValidationFailed as exc:
        return _page(request, got.me, ref, form=form, errors=exc.errors, status=422)
    except DomainError as exc:
        return error_page(request, got.me, exc)
    rt.wake_worker()
    return _back(ref, done)


@router.post("/monitoring/notices/{ref}/ack")
async def ack(request: Request, ref: str) -> Response:
    return await _act(request, ref, "acknowledged", (), lambda rt, me, f: (
        notice_handling.acknowledge(rt.uow, rt.clock, principal=me, ref=ref)))


@router.post("/monitoring/notices/{ref}/feedback")
async def feedback(request: Request, ref: str) -> Response:
    return await _act(request, ref, "feedback", ("text",), lambda rt, me, f: (
        notice_handling.feedback(rt.uow, rt.clock, principal=me, ref=ref,
                                 data=FeedbackIn(text=f["text"]))))


@router.post("/monitoring/notices/{ref}/contest")
async def contest(request: Request, ref: str) -> Response:
    return await _act(request, ref, "contested", ("address", "indicator", "reason"),
                      lambda rt, me, f: notice_handling.contest(
                          rt.uow, rt.clock, principal=me, ref=ref,
                          data=ContestIn(address=f["address"], reason=f["reason"],
                                         indicator=f["indicator"] or None)))


@router.post("/monitoring/notices/{ref}/resolve")
async def resolve(request: Request, ref: str) -> Response:
    return await _act(request, ref, "resolved", ("outcome", "note"), lambda rt, me, f: (
        notice_handling.resolve(rt.uow, rt.clock, principal=me, ref=ref,
                                data=ResolveIn(outcome=f["outcome"], note=f["note"]),
                                settings=notices.settings_of(rt.settings))))


@router.post("/monitoring/notices/{ref}/close")
async def close(request: Request, ref: str) -> Response:
    return await _act(request, ref, "closed", ("note",), lambda rt, me, f: (
        notice_handling.close(rt.uow, rt.clock, principal=me, ref=ref,
                              data=CloseIn(note=f["note"] or None))))


@router.post("/monitoring/notices/{ref}/send")
async def send(request: Request, ref: str) -> Response:
    def run(rt, me, f) -> None:  # noqa: ANN001
        n = notices.get_notice(rt.uow, rt.clock, principal=me, ref=ref)
        notice_handling.send_now(rt.uow, rt.clock, principal=me, unit=n.unit,
                                 settings=notices.settings_of(rt.settings))
    return await _act(request, ref, "sent", (), run)
