"""SQL translation of the scope rules in ``org.rules`` (Law art. 30) — the one place that turns a
``Scope`` into WHERE clauses. ``tests/integration/test_scoping.py`` checks it agrees with the
pure rules on generated trees."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, select

from fenghuo.common.scope import Scope
from fenghuo.org.models import Body, BodySector, Jurisdiction


def visible_jurisdictions(scope: Scope) -> ColumnElement[bool]:
    ancestors = Jurisdiction.id.in_(sorted(scope.ancestor_jurisdiction_ids)) if (
        scope.ancestor_jurisdiction_ids
    ) else false()
    if scope.own_body_only:
        return or_(Jurisdiction.path == scope.jurisdiction_path, ancestors)
    return or_(Jurisdiction.path.startswith(scope.jurisdiction_path), ancestors)


def jurisdictions_in_subtree(scope: Scope):  # noqa: ANN201 - a Select
    return select(Jurisdiction.id).where(Jurisdiction.path.startswith(scope.jurisdiction_path))


def visible_bodies(scope: Scope) -> ColumnElement[bool]:
    own = Body.id == scope.body_id
    if scope.own_body_only:
        return own
    in_tree: ColumnElement[bool] = Body.jurisdiction_id.in_(jurisdictions_in_subtree(scope))
    if scope.sectors is not None:
        in_sector = Body.id.in_(
            select(BodySector.body_id).where(BodySector.sector_code.in_(sorted(scope.sectors)))
        )
        in_tree = and_(in_tree, in_sector)
    return or_(own, in_tree)
