"""Shared helpers of the warning domain: resolving jurisdiction and sector codes, references,
JSON columns and the bodies distribution looks at."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from fenghuo.common.errors import FieldError, ValidationFailed
from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.org.models import Body, BodySector, Jurisdiction, Sector
from fenghuo.org.rules import BodyFunction, BodyKind
from fenghuo.warning import distribution
from fenghuo.warning.schemas import PlaceOut


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def jurisdictions(s: Session, codes: list[str], field: str = "jurisdictions"
                  ) -> list[Jurisdiction]:
    """The jurisdictions with these codes, in order; every unknown code is named."""
    found = {j.code: j for j in s.scalars(select(Jurisdiction).where(
        Jurisdiction.code.in_(codes)))}
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise ValidationFailed([FieldError(field, f"no jurisdiction {c!r}") for c in unknown])
    return [found[c] for c in dict.fromkeys(codes)]


def sectors(s: Session, codes: list[str], field: str = "sectors") -> list[Sector]:
    found = {x.code: x for x in s.scalars(select(Sector).where(Sector.code.in_(codes)))}
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise ValidationFailed([FieldError(field, f"no sector {c!r}") for c in unknown])
    return [found[c] for c in dict.fromkeys(codes)]


def check_category(category: str | None, field: str = "category") -> None:
    if category and get_taxonomy().problem(category, None):
        raise ValidationFailed([FieldError(field, get_taxonomy().problem(category, None))])


def place_outs(s: Session, jurisdiction_codes: list[str], sector_codes: list[str]
               ) -> tuple[list[PlaceOut], list[PlaceOut]]:
    js = {j.code: j for j in s.scalars(select(Jurisdiction).where(
        Jurisdiction.code.in_(jurisdiction_codes)))}
    ss = {x.code: x for x in s.scalars(select(Sector).where(Sector.code.in_(sector_codes)))}
    return ([PlaceOut(code=c, name_zh=js[c].name_zh, name_en=js[c].name_en)
             for c in jurisdiction_codes if c in js],
            [PlaceOut(code=c, name_zh=ss[c].name_zh, name_en=ss[c].name_en)
             for c in sector_codes if c in ss])


def distribution_bodies(s: Session) -> list[distribution.Body]:
    """Every active office, department, support team and unit (operating unit, CERT, support
    unit), and the bodies with a function: the only bodies a warning can reach."""
    kinds = [BodyKind.OFFICE.value, BodyKind.DEPARTMENT.value, BodyKind.SUPPORT_TEAM.value,
             *(k.value for k in distribution.UNIT_KINDS)]
    rows = s.execute(select(Body.id, Body.kind, Jurisdiction.path, Body.function)
                     .join(Jurisdiction, Jurisdiction.id == Body.jurisdiction_id)
                     .where(Body.active.is_(True),
                            Body.kind.in_(kinds) | Body.function.is_not(None))).all()
    ids = [r.id for r in rows]
    by_body: dict[int, set[str]] = {}
    for body_id, code in s.execute(select(BodySector.body_id, BodySector.sector_code)
                                   .where(BodySector.body_id.in_(ids))):
        by_body.setdefault(body_id, set()).add(code)
    return [distribution.Body(r.id, BodyKind(r.kind), r.path, frozenset(by_body.get(r.id, ())),
                              BodyFunction(r.function) if r.function else None) for r in rows]
