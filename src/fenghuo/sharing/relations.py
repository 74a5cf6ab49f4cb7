"""How a body stands to an item (``sharing.tlp.Relation``): the relation TLP's reach is measured
against whenever an item is shared or exported (TLP 2.0, on top of scope, Law art. 30).

* an **incident**: NAMED for its unit (subject), the body that reported it, a body it was routed
  to (IncidentRoute) or shared with (IncidentShare); IN_SCOPE for a body whose subtree and
  sectors hold it (``incident.rules.incident_visible``); COMMUNITY for any other body;
* a **warning**: NAMED for its issuer and its recipients (WarningRecipient); IN_SCOPE for a body
  whose scope holds the issuer (as ``warning.views.visible_warnings``);
* a **monitoring item**: NAMED for its submitter and the bodies it was shared with
  (MonitoringShare); IN_SCOPE for a body whose scope holds the submitter (as
  ``warning.monitoring.visible_items``).

No account (``body_id is None``) is PUBLIC. The batch functions answer for many items with a
fixed number of queries (the body, then one per kind of naming, per chunk of 1,000 items), for
exports, bulletins and feeds; the single ones call them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from fenghuo.common.scope import Scope
from fenghuo.incident.models import Incident, IncidentRoute
from fenghuo.org import rules as org_rules
from fenghuo.org.models import Body, BodySector, Jurisdiction
from fenghuo.sharing.models import IncidentShare
from fenghuo.sharing.tlp import Relation
from fenghuo.warning.models import EarlyWarning, MonitoringItem, MonitoringShare, WarningRecipient

CHUNK = 1000


class IncidentLike(Protocol):
    """The columns of an incident the relation needs (an ORM Incident has them)."""

    id: int
    subject_body_id: int
    reporting_body_id: int | None
    jurisdiction_path: str
    sector_code: str | None


def scope_of(s: Session, body_id: int) -> Scope:
    """The scope of a body's users (``org.rules.scope_for``), read from the register."""
    body = s.get(Body, body_id)
    if body is None:
        raise LookupError(f"no body {body_id}")
    return org_rules.scope_for(org_rules.BodyFacts(
        id=body.id, kind=org_rules.BodyKind(body.kind),
        jurisdiction_path=body.jurisdiction.path, sectors=frozenset(body.sector_codes)))


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield list(ids[i:i + CHUNK])


def _named_ids(s: Session, table_item, table_body, body_id: int,  # noqa: ANN001 - columns
               ids: Sequence[int]) -> set[int]:
    out: set[int] = set()
    for chunk in _chunks(sorted(set(ids))):
        out.update(s.scalars(select(table_item).where(table_body == body_id,
                                                      table_item.in_(chunk))))
    return out


def _path_in_scope(scope: Scope, path: str, sectors: Iterable[str | None]) -> bool:
    """The pure scope rule (``org.rules.body_visible`` / ``incident.rules.incident_visible``)
    for something located at ``path`` in ``sectors``."""
    if scope.own_body_only or not path.startswith(scope.jurisdiction_path):
        return False
    return scope.sectors is None or any(x in scope.sectors for x in sectors)


# --- incidents --------------------------------------------------------------------------------


def relations_to_incidents(s: Session, body_id: int | None, incidents: Sequence[IncidentLike],
                           *, scope: Scope | None = None) -> dict[int, Relation]:
    """Incident id → how ``body_id`` stands to it. ``scope`` (the body's own, e.g. a
    principal's) saves reading the body."""
    if body_id is None:
        return {x.id: Relation.PUBLIC for x in incidents}
    if not incidents:
        return {}
    scope = scope or scope_of(s, body_id)
    ids = [x.id for x in incidents]
    named = _named_ids(s, IncidentRoute.incident_id, IncidentRoute.body_id, body_id, ids)
    named |= _named_ids(s, IncidentShare.incident_id, IncidentShare.body_id, body_id, ids)
    out = {}
    for x in incidents:
        if x.id in named or body_id in (x.subject_body_id, x.reporting_body_id):
            out[x.id] = Relation.NAMED
        elif _path_in_scope(scope, x.jurisdiction_path, [x.sector_code]):
            out[x.id] = Relation.IN_SCOPE
        else:
            out[x.id] = Relation.COMMUNITY
    return out


def relation_to_incident(s: Session, body_id: int | None, incident: IncidentLike, *,
                         scope: Scope | None = None) -> Relation:
    return relations_to_incidents(s, body_id, [incident], scope=scope)[incident.id]


def bodies_to_incident(s: Session, body_ids: Sequence[int], incident: Incident
                       ) -> dict[int, Relation]:
    """Body id → how each of several bodies stands to one incident (the recipients of a
    share): three queries whatever their number."""
    ids = sorted(set(body_ids))
    if not ids:
        return {}
    named = {incident.subject_body_id, incident.reporting_body_id}
    named |= set(s.scalars(select(IncidentRoute.body_id).where(
        IncidentRoute.incident_id == incident.id, IncidentRoute.body_id.in_(ids))))
    named |= set(s.scalars(select(IncidentShare.body_id).where(
        IncidentShare.incident_id == incident.id, IncidentShare.body_id.in_(ids))))
    scopes = _scopes(s, ids)
    return {b: Relation.NAMED if b in named else (
        Relation.IN_SCOPE if _path_in_scope(scopes[b], incident.jurisdiction_path,
                                            [incident.sector_code])
        else Relation.COMMUNITY) for b in ids}


def _scopes(s: Session, body_ids: Sequence[int]) -> dict[int, Scope]:
    rows = s.execute(select(Body.id, Body.kind, Jurisdiction.path)
                     .join(Jurisdiction, Jurisdiction.id == Body.jurisdiction_id)
                     .where(Body.id.in_(body_ids))).all()
    sectors: dict[int, set[str]] = {}
    for bid, code in s.execute(select(BodySector.body_id, BodySector.sector_code)
                               .where(BodySector.body_id.in_(body_ids))):
        sectors.setdefault(bid, set()).add(code)
    return {r.id: org_rules.scope_for(org_rules.BodyFacts(
        id=r.id, kind=org_rules.BodyKind(r.kind), jurisdiction_path=r.path,
        sectors=frozenset(sectors.get(r.id, ())))) for r in rows}


# --- warnings and monitoring items: located at their issuer or submitter ----------------------


def _holders(s: Session, body_ids: Iterable[int]) -> dict[int, tuple[str, frozenset[str]]]:
    """Body id → (jurisdiction path, sectors) of the issuers or submitters."""
    ids = sorted(set(body_ids))
    out: dict[int, tuple[str, set[str]]] = {}
    for chunk in _chunks(ids):
        for bid, path, code in s.execute(
                select(Body.id, Jurisdiction.path, BodySector.sector_code)
                .join(Jurisdiction, Jurisdiction.id == Body.jurisdiction_id)
                .outerjoin(BodySector, BodySector.body_id == Body.id)
                .where(Body.id.in_(chunk))):
            entry = out.setdefault(bid, (path, set()))
            if code:
                entry[1].add(code)
    return {k: (p, frozenset(c)) for k, (p, c) in out.items()}


def _holder_in_scope(scope: Scope, holder: int, places: dict[int, tuple[str, frozenset[str]]]
                     ) -> bool:
    if holder == scope.body_id:
        return True
    path, sectors = places.get(holder, ("", frozenset()))
    return bool(path) and not scope.own_body_only and path.startswith(
        scope.jurisdiction_path) and (scope.sectors is None or bool(sectors & scope.sectors))


def _relations(s: Session, body_id: int | None, items: Sequence, holder_attr: str,
               item_col, body_col, *, scope: Scope | None) -> dict[int, Relation]:  # noqa: ANN001
    if body_id is None:
        return {x.id: Relation.PUBLIC for x in items}
    if not items:
        return {}
    scope = scope or scope_of(s, body_id)
    named = _named_ids(s, item_col, body_col, body_id, [x.id for x in items])
    places = _holders(s, [getattr(x, holder_attr) for x in items])
    out = {}
    for x in items:
        holder = getattr(x, holder_attr)
        if x.id in named or holder == body_id:
            out[x.id] = Relation.NAMED
        elif _holder_in_scope(scope, holder, places):
            out[x.id] = Relation.IN_SCOPE
        else:
            out[x.id] = Relation.COMMUNITY
    return out


def relations_to_warnings(s: Session, body_id: int | None, warnings: Sequence[EarlyWarning],
                          *, scope: Scope | None = None) -> dict[int, Relation]:
    """Warning id → how ``body_id`` stands to it: NAMED for the issuer and the recipients."""
    return _relations(s, body_id, warnings, "issuer_body_id", WarningRecipient.warning_id,
                      WarningRecipient.body_id, scope=scope)


def relation_to_warning(s: Session, body_id: int | None, warning: EarlyWarning, *,
                        scope: Scope | None = None) -> Relation:
    return relations_to_warnings(s, body_id, [warning], scope=scope)[warning.id]


def relations_to_monitoring_items(s: Session, body_id: int | None,
                                  items: Sequence[MonitoringItem], *, scope: Scope | None = None
                                  ) -> dict[int, Relation]:
    """Item id → how ``body_id`` stands to it: NAMED for the submitter and share recipients."""
    return _relations(s, body_id, items, "body_id", MonitoringShare.item_id,
                      MonitoringShare.body_id, scope=scope)


def relation_to_monitoring_item(s: Session, body_id: int | None, item: MonitoringItem, *,
                                scope: Scope | None = None) -> Relation:
    return relations_to_monitoring_items(s, body_id, [item], scope=scope)[item.id]
