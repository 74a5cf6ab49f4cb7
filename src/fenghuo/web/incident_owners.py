"""The incident page's owners and personal information (issue 16 items 5 and 6): a parent's
affected units with their roll-up, adding units, moving the parent on when its units allow it,
and recording that the users whose personal information leaked were told (Law art. 42 ¶2).

What is shown and allowed comes from :mod:`fenghuo.incident.owners`,
:mod:`fenghuo.incident.personal_info` and ``handling``; the page is ``web.incidents``' own
(``_detail``), with ``_console_incident_owners.html`` included in it.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from fenghuo.common.errors import DomainError, FieldError, ValidationFailed
from fenghuo.incident import handling, owners, personal_info
from fenghuo.incident.schemas import AffectedIn, InformedIn, StateIn
from fenghuo.org.rules import Permission

from . import session
from .pages import Posted, error_page, local_time, posted

router = APIRouter()
_KEYS = re.compile(r"[\s,，;；]+")


def context(rt, me, me_out, out) -> dict:  # noqa: ANN001 - Runtime, Principal, Me, IncidentOut
    """What the owners' part of the page needs: the parent's units and what the caller may do."""
    perms = set(me_out.permissions)
    affected = owners.list_affected(rt.uow, principal=me, ref=out.ref) if out.rollup else None
    return {"owners": {"affected": affected,
                       "may_add": Permission.INCIDENT_REPORT.value in perms,
                       "may_handle": Permission.INCIDENT_HANDLE.value in perms,
                       "may_inform": Permission.INCIDENT_REPORT.value in perms}}


def _again(request: Request, me, ref: str, errors: dict, form: dict) -> Response:  # noqa: ANN001
    from .incidents import _detail  # the page of web.incidents (which includes this router)

    return _detail(request, me, ref, errors=errors, form=form, status=422)


@router.post("/incidents/{ref}/affected")
async def add_affected(request: Request, ref: str) -> Response:
    """More units hit by the same incident; refused whole, naming the unit, if any is out of
    the caller's scope (Law art. 30)."""
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, form = got.me, dict(got.form)
    rt = session.runtime(request)
    try:
        keys = [k for k in _KEYS.split(str(form.get("units", ""))) if k]
        owners.add_affected(rt.uow, rt.clock, principal=me, ref=ref,
                            data=AffectedIn(units=keys))
    except (ValidationError, ValidationFailed) as exc:
        from .incidents import _field_errors

        return _again(request, me, ref, {"affected": _field_errors(exc, ())}, form)
    except DomainError as exc:
        return error_page(request, me, exc)
    rt.wake_worker()
    return RedirectResponse(f"/web/incidents/{ref}#affected", status_code=303)


@router.post("/incidents/{ref}/parent-state")
async def parent_state(request: Request, ref: str) -> Response:
    """The parent moves on only as its units allow (``owner_rules.parent_may_become``)."""
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, form = got.me, dict(got.form)
    rt = session.runtime(request)
    try:
        handling.set_state(rt.uow, rt.clock, principal=me, ref=ref,
                           data=StateIn(state=str(form.get("state", ""))))
    except ValidationError:
        return error_page(request, me, ValidationFailed([FieldError("state", "no such state")]))
    except DomainError as exc:
        return error_page(request, me, exc)
    return RedirectResponse(f"/web/incidents/{ref}#affected", status_code=303)


@router.post("/incidents/{ref}/informed")
async def informed(request: Request, ref: str) -> Response:
    """The users were told (Law art. 42 ¶2): when, how and how many; the clock stops."""
    got = await posted(request)
    if not isinstance(got, Posted):
        return got
    me, form = got.me, dict(got.form)
    rt = session.runtime(request)
    try:
        data = InformedIn(at=local_time(str(form.get("at") or ""),
                                        ZoneInfo(rt.settings.timezone)),
                          how=str(form.get("how", "")), count=form.get("count") or None)
        personal_info.record_informed(rt.uow, rt.clock, principal=me, ref=ref, data=data)
    except (ValidationError, ValidationFailed) as exc:
        from .incidents import _field_errors

        return _again(request, me, ref, {"informed": _field_errors(exc, ("at", "how", "count"))},
                      form)
    except DomainError as exc:
        return error_page(request, me, exc)
    return RedirectResponse(f"/web/incidents/{ref}#personal-information", status_code=303)
