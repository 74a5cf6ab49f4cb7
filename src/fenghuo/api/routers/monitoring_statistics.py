"""Monitoring statistics over HTTP (issue 15 item 7; Plan §3.2): infected hosts by province,
sector, family and unit, C2 servers and phishing pages hosted in the country, defaced and
backdoored websites, vulnerable services and vulnerabilities by severity, for an ISO week or a
month in your scope, each against the previous period, with an eight-week trend."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from fenghuo.api.deps import CurrentUser, RuntimeDep
from fenghuo.common.errors import FieldError, ValidationFailed
from fenghuo.common.periods import Month, Week
from fenghuo.monitoring import statistics
from fenghuo.monitoring.schemas import MonitoringStatistics

router = APIRouter(tags=["monitoring"])


def parse_period(text: str) -> Week | Month:
    """An ISO week (``2026-W45``) or a month (``2026-11``); ValidationFailed otherwise."""
    for cls in (Week, Month):
        try:
            return cls.parse(text)
        except ValueError:
            continue
    raise ValidationFailed([FieldError("period", f"{text!r} is not a week like 2026-W45 "
                                                 "or a month like 2026-11")])


@router.get("/monitoring/statistics", response_model=MonitoringStatistics)
def get_statistics(*, rt: RuntimeDep, me: CurrentUser,
                   period: Annotated[str, Query(
                       min_length=6, max_length=10, description="2026-W45 or 2026-11",
                       pattern=r"^[0-9]{4}-([Ww](0[1-9]|[1-4][0-9]|5[0-3])|0[1-9]|1[0-2])$")]):
    """The monitoring statistics of a week or month in your scope (Law art. 30): a unit sees
    its own, an office its jurisdiction's, the national level also the national queue."""
    return statistics.statistics(rt.uow, principal=me, period=parse_period(period))
