"""Candidate monitoring items in the console (issue 15 item 6; Plan §3.2, Law art. 54(2)): what
detection over the monitoring aggregates opened for the caller's office, each with its evidence
(counts, top units and provinces, sample events) and a pre-filled risk assessment; an analyst
confirms one — it becomes a monitoring item (``/web/monitoring/{ref}``), and from there a
warning through the warning form — or dismisses it with a reason.

Who sees and who decides is :mod:`fenghuo.monitoring.candidates`' (Law art. 30: a province
office its own candidates, the Emergency Office all); recording the assessment of a confirmed
candidate is :func:`fenghuo.warning.monitoring.assess`. The pages hold no rules of their own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from fenghuo.common.errors import Conflict, DomainError, FieldError, ValidationFailed
from fenghuo.common.scope import Principal
from fenghuo.incident.grading import GRADE_LABELS
from fenghuo.monitoring import candidates
from fenghuo.monitoring.candidate_schemas import CandidateOut
from fenghuo.org.rules import Permission
from fenghuo.warning import monitoring
from fenghuo.warning.rules import EXTENT_LABELS, LIKELIHOOD_LABELS
from fenghuo.warning.rules import LEVEL_LABELS as WARNING_LEVELS
from fenghuo.warning.schemas import AssessmentIn

from . import session
from .monitoring_common import field_errors, gettext_of, may, slice_page
from .pages import Posted, error_page, errors_by_field, page_count, posted, render, to_login, user

router = APIRouter(include_in_schema=False)
STATES = ("open", "confirmed", "dismissed")
#: the newest candidates the list reads (the service's bound per call)
LIST_READ = 500
LEVELS = ("owner", "jurisdiction", "national")  # attribution levels of sample events
LABELS = {"likelihood": {k.value: v for k, v in LIKELIHOOD_LABELS.items()},
          "extent": {k.value: v for k, v in EXTENT_LABELS.items()},
          "harm": {k.value: v for k, v in GRADE_LABELS.items()},
          "level": {k.value: v for k, v in WARNING_LEVELS.items()}}


@router.get("/monitoring/candidates")
def candidates_page(request: Request, state: str = "open", page: int = 1) -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    rt = session.runtime(request)
    chosen = state if state in STATES else ""
    try:
        found = candidates.list_candidates(rt.uow, principal=me, state=chosen or None,
                                           limit=LIST_READ)
    except DomainError as exc:
        return error_page(request, me, exc)
    shown = slice_page(found, page)
    return render(request, "monitoring_candidates.html", {
        "me": user(rt, me), "nav": "monitoring_candidates", "found": shown,
        "page": max(page, 1), "pages": page_count(shown.total), "states": STATES,
        "state": chosen, "query": f"state={quote(chosen)}&", "levels": LABELS["level"],
        "capped": len(found) >= LIST_READ})


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def evidence_view(c: CandidateOut) -> dict[str, Any]:
    """The evidence with its times as datetimes, for the page to show in the time zone."""
    ev = dict(c.evidence)
    ev["first_seen"], ev["last_seen"] = _when(ev.get("first_seen")), _when(ev.get("last_seen"))
    ev["samples"] = [{**x, "observed_at": _when(x["observed_at"]),
                      "level": LEVELS[x["level"]] if 0 <= x.get("level", 2) < 3 else "national"}
                     for x in ev.get("samples", [])]
    return ev


def _page(request: Request, me: Principal, ref: str, *, done: str = "",
          form: dict | None = None, errors: list[FieldError] | None = None,
          status: int = 200) -> Response:
    rt = session.runtime(request)
    try:
        c = candidates.get_candidate(rt.uow, principal=me, ref=ref)
    except DomainError as exc:
        return error_page(request, me, exc)
    return render(request, "monitoring_candidate.html", {
        "me": user(rt, me), "nav": "monitoring_candidates", "c": c, "ev": evidence_view(c),
        "a": c.assessment, "labels": LABELS, "done": done, "form": form or {},
        "errors": errors or [], "fe": errors_by_field(errors or []),
        **_decisions(rt, me, c)}, status)


def _decisions(rt, me: Principal, c) -> dict[str, bool]:  # noqa: ANN001
    """Which forms to show: only to a caller who may decide this candidate now."""
    decides = c.state == "open" and candidates.may_decide(rt.uow, principal=me, ref=c.ref)
    return {"may_confirm": decides and may(me, Permission.MONITORING_SUBMIT),
            "may_dismiss": decides, "may_draft": may(me, Permission.WARNING_DRAFT)}


@router.get("/monitoring/candidates/{ref}")
def candidate_page(request: Request, ref: str, done: str = "") -> Response:
    me = session.principal(request)
    if me is None:
        return to_login(request)
    return _page(request, me, ref, done=done)


def _back(ref: str, done: str) -> Response:
    return RedirectResponse(f"/web/monitoring/candidates/{quote(ref, safe='')}?done={done}",
                            status_code=303)


@router.post("/monitoring/candidates/{ref}/confirm")
async def confirm(request: Request, ref: str) -> Response:
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    rt, title = session.runtime(request), str(got.form.get("title") or "").strip()
    try:
        candidates.confirm(rt.uow, rt.clock, principal=got.me, ref=ref,
                           title=title[:300] or None)
    except DomainError as exc:
        return error_page(request, got.me, exc)
    rt.wake_worker()  # an important item goes up to the Emergency Office (Plan §3.2)
    return _back(ref, "confirmed")


@router.post("/monitoring/candidates/{ref}/dismiss")
async def dismiss(request: Request, ref: str) -> Response:
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    rt, reason = session.runtime(request), str(got.form.get("reason") or "")
    try:
        candidates.dismiss(rt.uow, rt.clock, principal=got.me, ref=ref, reason=reason[:4000])
    except ValidationFailed as exc:
        return _page(request, got.me, ref, form={"reason": reason}, errors=exc.errors,
                     status=422)
    except DomainError as exc:
        return error_page(request, got.me, exc)
    return _back(ref, "dismissed")


@router.post("/monitoring/candidates/{ref}/assess")
async def assess(request: Request, ref: str) -> Response:
    """Record the candidate's pre-filled risk assessment (Law art. 54(2)) of the monitoring item
    it became, and open the warning form with the level it proposes."""
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    rt = session.runtime(request)
    try:
        c = candidates.get_candidate(rt.uow, principal=got.me, ref=ref)
        if c.monitoring_item is None:
            raise Conflict(f"candidate {ref} is {c.state}: only a confirmed one has an item")
        a = c.assessment
        try:
            data = AssessmentIn(items=[c.monitoring_item], likelihood=a["likelihood"],
                                extent=a["extent"], harm=a["harm"],
                                notes=f"候选监测信息 candidate {c.ref}")
        except ValidationError as exc:
            raise ValidationFailed(field_errors(exc, gettext_of(request))) from None
        out = monitoring.assess(rt.uow, rt.clock, principal=got.me, data=data,
                                profile=rt.settings.grading_profile)
    except DomainError as exc:
        return error_page(request, got.me, exc)
    return RedirectResponse(f"/web/warnings/new?assessment={quote(out.ref, safe='')}",
                            status_code=303)
