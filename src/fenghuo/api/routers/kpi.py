"""KPIs over HTTP (issue 19 item 10): per body and period, the time to report, to acknowledge
(MTTA), to contain (MTTR) and to close incidents, the duration of responses, warnings'
acknowledgement times (median, 90th percentile, mean) and support-unit hours, as JSON or CSV.
Definitions and clauses in :mod:`fenghuo.kpi.rules`.

Mounted under ``/api/v1`` by ``fenghuo.api.app`` (one ``include_router`` line)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from fenghuo.api.deps import CurrentUser, RuntimeDep
from fenghuo.common.errors import FieldError, ValidationFailed
from fenghuo.kpi import export, rules, service

router = APIRouter(tags=["kpi"])

PeriodQuery = Annotated[str, Query(
    min_length=6, max_length=8, pattern=r"^\d{4}-([Ww]\d{2}|\d{2}|[Qq][1-4])$",
    description="2026-W47, 2026-11 or 2026-Q4 (China Standard Time)")]


@router.get("/kpi", response_model=service.KpiReport,
            responses={200: {"content": {"text/csv": {}}}})
def get_kpi(*, rt: RuntimeDep, me: CurrentUser, period: PeriodQuery,
            body: Annotated[str | None, Query(max_length=80)] = None,
            format: Literal["json", "csv"] = "json"):  # noqa: A002
    """The KPIs of a week, month or quarter in your scope (Law art. 30), per body and for all
    of them together, with the seven periods before for the trend; ``body`` limits them to one
    body of your scope. An interval counts in the period in which it ended; ``open`` counts
    those started in it and still running at its end. ``format=csv`` exports the figures
    (UTF-8 with BOM)."""
    try:
        chosen = rules.parse_period(period)
    except ValueError as exc:
        raise ValidationFailed([FieldError("period", str(exc))]) from None
    out = service.report(rt.uow, principal=me, period=chosen, body=body)
    if format == "csv":
        return Response(export.to_csv(out), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{export.filename(out)}"'})
    return out
