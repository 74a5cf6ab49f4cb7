"""SQL translation of ``incident.rules.incident_visible`` — the one place incidents are filtered
by scope (Law art. 30). ``shared=True`` (reads only) also lets through the incidents the
Emergency Office shared with the caller's body (Plan §3.2; ``sharing.service``)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, or_, select

from fenghuo.common.scope import Scope
from fenghuo.incident.models import Incident, IncidentRoute
from fenghuo.sharing.models import IncidentShare


def visible_incidents(scope: Scope, *, shared: bool = False) -> ColumnElement[bool]:
    """Incidents in ``scope``; with ``shared`` also those shared with the caller's body, which
    it may read but not handle (the share names it, it does not make it a handler)."""
    named = [
        Incident.subject_body_id == scope.body_id,
        Incident.reporting_body_id == scope.body_id,
        exists(select(IncidentRoute.id).where(IncidentRoute.incident_id == Incident.id,
                                              IncidentRoute.body_id == scope.body_id)),
    ]
    if shared:
        named.append(exists(select(IncidentShare.id).where(
            IncidentShare.incident_id == Incident.id, IncidentShare.body_id == scope.body_id)))
    concerned = or_(*named)
    if scope.own_body_only:
        return concerned
    in_tree: ColumnElement[bool] = Incident.jurisdiction_path.startswith(scope.jurisdiction_path)
    if scope.sectors is not None:
        in_tree = and_(in_tree, Incident.sector_code.in_(sorted(scope.sectors)))
    return or_(in_tree, concerned)
