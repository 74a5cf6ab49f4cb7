"""Owner notices (通报) over HTTP (issue 16 item 2; Law arts. 51–52, Plan §3.2): what monitoring
attributed to a unit, sent to it at once or in its daily digest; the unit acknowledges, reports
its handling (处置反馈) and may contest an attribution; the office resolves and closes. A unit's
own events (n6-like) at ``/monitoring/my-events``. Registered before the warnings router, whose
``/monitoring/{ref}`` would otherwise take these paths.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from fenghuo.api.deps import CurrentUser, Paging, RuntimeDep
from fenghuo.common.pagination import Page
from fenghuo.common.schemas import QueryBool
from fenghuo.common.types import Timestamp
from fenghuo.monitoring import notice_handling, notices
from fenghuo.monitoring.notice_rules import NoticeState
from fenghuo.monitoring.notice_schemas import (
    CloseIn,
    ContestIn,
    FeedbackIn,
    GenerateOut,
    NoticeOut,
    ResolveIn,
    SendIn,
)
from fenghuo.monitoring.schemas import EventOut

router = APIRouter(prefix="/monitoring", tags=["monitoring"])


@router.get("/notices", response_model=Page[NoticeOut])
def list_notices(*, rt: RuntimeDep, me: CurrentUser, page: Paging,
                 state: NoticeState | None = None,
                 unit: Annotated[str | None, Query(max_length=80)] = None,
                 overdue: QueryBool = False) -> Page[NoticeOut]:
    """Notices in your view, newest first: a unit its own, an office or department those of
    the units in its scope (Law art. 30). ``overdue``: past the deadline with no feedback."""
    return notices.list_notices(rt.uow, rt.clock, principal=me, page=page, state=state,
                                unit=unit, overdue=overdue)


@router.post("/notices/generate", response_model=GenerateOut)
def generate(*, rt: RuntimeDep, me: CurrentUser, data: SendIn | None = None) -> GenerateOut:
    """Run the notice job now (the worker runs it every minute; idempotent). With ``unit``,
    that unit's pending digest is also sent now — refused with the rule for a unit outside
    your scope."""
    out = notices.generate(rt.uow, rt.clock, settings=notices.settings_of(rt.settings),
                           principal=me)
    if data is not None:
        sent = notice_handling.send_now(rt.uow, rt.clock, principal=me, unit=data.unit,
                                        settings=notices.settings_of(rt.settings))
        out.digests_sent.append(sent.ref)
    rt.wake_worker()
    return out


@router.get("/notices/{ref}", response_model=NoticeOut)
def get_notice(*, rt: RuntimeDep, me: CurrentUser, ref: str) -> NoticeOut:
    """One notice with its events counted per day, kind and indicator, its TLP, deadline and
    answers."""
    return notices.get_notice(rt.uow, rt.clock, principal=me, ref=ref)


@router.get("/notices/{ref}/events", response_model=Page[EventOut])
def notice_events(*, rt: RuntimeDep, me: CurrentUser, ref: str,
                  page: Paging) -> Page[EventOut]:
    """The events of a notice, each with its raw line: only those attributed to its unit."""
    return notices.notice_events(rt.uow, principal=me, ref=ref, page=page)


@router.get("/my-events", response_model=Page[EventOut])
def my_events(*, rt: RuntimeDep, me: CurrentUser, page: Paging,
              since: Timestamp | None = None, until: Timestamp | None = None,
              kind: Annotated[str | None, Query(max_length=30)] = None) -> Page[EventOut]:
    """The events attributed to your own body, newest first (default: the last seven days) —
    never another body's."""
    return notices.my_events(rt.uow, rt.clock, principal=me, page=page, since=since,
                             until=until, kind=kind)


@router.post("/notices/{ref}/acknowledge", response_model=NoticeOut)
def acknowledge(*, rt: RuntimeDep, me: CurrentUser, ref: str) -> NoticeOut:
    """签收 (the unit notified); 409 when the state does not allow it."""
    return notice_handling.acknowledge(rt.uow, rt.clock, principal=me, ref=ref)


@router.post("/notices/{ref}/feedback", response_model=NoticeOut)
def feedback(*, rt: RuntimeDep, me: CurrentUser, ref: str, data: FeedbackIn) -> NoticeOut:
    """处置反馈: what the unit did; 409 on a closed or withdrawn notice."""
    out = notice_handling.feedback(rt.uow, rt.clock, principal=me, ref=ref, data=data)
    rt.wake_worker()
    return out


@router.post("/notices/{ref}/contest", response_model=NoticeOut)
def contest(*, rt: RuntimeDep, me: CurrentUser, ref: str, data: ContestIn) -> NoticeOut:
    """Contest an attribution: the register entry's owner and the office are told."""
    out = notice_handling.contest(rt.uow, rt.clock, principal=me, ref=ref, data=data)
    rt.wake_worker()
    return out


@router.post("/notices/{ref}/resolve", response_model=NoticeOut)
def resolve(*, rt: RuntimeDep, me: CurrentUser, ref: str, data: ResolveIn) -> NoticeOut:
    """The office decides a contest: ``withdrawn`` or ``kept``."""
    out = notice_handling.resolve(rt.uow, rt.clock, principal=me, ref=ref, data=data,
                                  settings=notices.settings_of(rt.settings))
    rt.wake_worker()
    return out


@router.post("/notices/{ref}/close", response_model=NoticeOut)
def close(*, rt: RuntimeDep, me: CurrentUser, ref: str,
          data: CloseIn | None = None) -> NoticeOut:
    """办结 after the unit's feedback (the office, CERT or department whose scope holds it)."""
    return notice_handling.close(rt.uow, rt.clock, principal=me, ref=ref, data=data)
