"""SQL translation of ``incident.rules.incident_visible`` — the one place incidents are filtered
by scope (Law art. 30)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, or_, select

from fenghuo.common.scope import Scope
from fenghuo.incident.models import Incident, IncidentRoute


def visible_incidents(scope: Scope) -> ColumnElement[bool]:
    concerned = or_(
        Incident.subject_body_id == scope.body_id,
        Incident.reporting_body_id == scope.body_id,
        exists(select(IncidentRoute.id).where(IncidentRoute.incident_id == Incident.id,
                                              IncidentRoute.body_id == scope.body_id)),
    )
    if scope.own_body_only:
        return concerned
    in_tree: ColumnElement[bool] = Incident.jurisdiction_path.startswith(scope.jurisdiction_path)
    if scope.sectors is not None:
        in_tree = and_(in_tree, Incident.sector_code.in_(sorted(scope.sectors)))
    return or_(in_tree, concerned)
