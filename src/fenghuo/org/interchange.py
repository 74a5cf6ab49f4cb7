"""Import and export of the organization tree as YAML or CSV.

A file is checked whole before anything is kept: every problem is reported with its section or
file, row and field, and if there is any, the transaction is rolled back and nothing is written.
The seed reference data (``rules/seed_org.yaml``) goes through the same path.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from fenghuo.common.clock import Clock
from fenghuo.common.errors import DomainError, FieldError, ValidationFailed
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.org import rules, scoping
from fenghuo.org.bodies import put_body
from fenghuo.org.models import Body, Contact, Expert, InfoSystem, Jurisdiction, Sector
from fenghuo.org.registers import put_contact, put_expert, put_system
from fenghuo.org.rules import LEVEL_ORDER, Permission
from fenghuo.org.schemas import BodyIn, ContactIn, ExpertIn, JurisdictionIn, SectorOut, SystemIn
from fenghuo.org.service import put_jurisdiction, require

SECTIONS = ("sectors", "jurisdictions", "bodies", "contacts", "systems", "experts")
CSV_COLUMNS = {
    "sectors": ["code", "name_zh", "name_en", "source"],
    "jurisdictions": ["code", "parent", "level", "name_zh", "name_en", "division_code"],
    "bodies": ["key", "kind", "jurisdiction", "parent", "name_zh", "name_en", "sectors", "cii",
               "function", "active", "notes"],
    "contacts": ["body", "name", "title", "channel", "value", "is_24x7", "priority"],
    "systems": ["body", "key", "name_zh", "name_en", "important", "description"],
    "experts": ["key", "body", "name", "specialties", "phone", "email", "active"],
}
LIST_COLUMNS = {"sectors", "specialties"}
#: yes/no columns: a CSV cell is text, the schemas take only true booleans (issue 18)
BOOL_COLUMNS = {"cii", "active", "is_24x7", "important"}
BOOL_CELLS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
SCHEMAS: dict[str, type[BaseModel]] = {
    "sectors": SectorOut, "jurisdictions": JurisdictionIn, "bodies": BodyIn,
    "contacts": ContactIn, "systems": SystemIn, "experts": ExpertIn,
}


@dataclass
class Row:
    source: str
    row: int
    data: BaseModel
    body: str | None = None  # owning body key, for contacts and systems


@dataclass
class OrgDocument:
    rows: dict[str, list[Row]] = field(default_factory=lambda: {s: [] for s in SECTIONS})
    errors: list[FieldError] = field(default_factory=list)

    def add(self, section: str, source: str, row: int, raw: Any, body: str | None = None) -> None:
        if not isinstance(raw, dict):
            self.errors.append(FieldError("-", "expected a mapping of fields", row, source))
            return
        try:
            data = SCHEMAS[section].model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                name = ".".join(str(p) for p in err["loc"]) or "-"
                self.errors.append(FieldError(name, err["msg"], row, source))
            return
        self.rows[section].append(Row(source, row, data, body))


# --- parsing ----------------------------------------------------------------------------------


def parse_yaml(text: str, source: str = "yaml") -> OrgDocument:
    doc = OrgDocument()
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        doc.errors.append(FieldError("-", f"not valid YAML: {getattr(exc, 'problem', exc)}",
                                     mark.line + 1 if mark else None, source))
        return doc
    if not isinstance(loaded, dict):
        doc.errors.append(FieldError("-", f"expected a mapping with sections {SECTIONS}",
                                     None, source))
        return doc
    for name in loaded:
        if name not in SECTIONS:
            doc.errors.append(FieldError(str(name), f"unknown section; expected one of {SECTIONS}",
                                         None, source))
    for section in SECTIONS:
        items = loaded.get(section) or []
        if not isinstance(items, list):
            doc.errors.append(FieldError(section, "expected a list", None, source))
            continue
        for i, raw in enumerate(items, start=1):
            _add_yaml_item(doc, section, i, raw)
    return doc


def _add_yaml_item(doc: OrgDocument, section: str, i: int, raw: Any) -> None:
    if section == "bodies" and isinstance(raw, dict):
        raw = dict(raw)
        for sub in ("contacts", "systems"):
            for j, item in enumerate(raw.pop(sub, None) or [], start=1):
                doc.add(sub, f"bodies[{i}].{sub}", j, item, body=raw.get("key"))
    if section in ("contacts", "systems") and isinstance(raw, dict):
        raw = dict(raw)
        body = raw.pop("body", None)
        if body is None:
            doc.errors.append(FieldError("body", "required", i, section))
        doc.add(section, section, i, raw, body=body)
        return
    doc.add(section, section, i, raw)


def parse_csv(path_or_name: str, text: str) -> OrgDocument:
    """One CSV file holds one table, named by the file's stem or recognised by its header."""
    doc = OrgDocument()
    source = Path(path_or_name).name
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = reader.fieldnames or []
    table = _table_of(Path(path_or_name).stem, header)
    if table is None:
        doc.errors.append(FieldError("header", "cannot tell which table this is: name the file "
                                     f"after one of {SECTIONS} or use their columns", 1, source))
        return doc
    unknown = [h for h in header if h not in CSV_COLUMNS[table]]
    if unknown:
        doc.errors.append(FieldError(",".join(unknown), f"unknown column(s) for {table}",
                                     1, source))
        return doc
    for raw in reader:
        line = reader.line_num
        data = {k: _csv_value(k, v) for k, v in raw.items() if _csv_value(k, v) is not None}
        body = data.pop("body", None) if table in ("contacts", "systems") else None
        doc.add(table, source, line, data, body=body)
        if table in ("contacts", "systems") and body is None:
            doc.errors.append(FieldError("body", "required", line, source))
    return doc


def _table_of(stem: str, header: list[str]) -> str | None:
    if stem in CSV_COLUMNS:
        return stem
    for table, cols in CSV_COLUMNS.items():
        if set(header) == set(cols):
            return table
    return None


def _csv_value(column: str, value: str | None) -> Any:
    if value is None or value.strip() == "":
        return None
    if column in LIST_COLUMNS:
        return [v.strip() for v in value.split(";") if v.strip()]
    if column in BOOL_COLUMNS:
        return BOOL_CELLS.get(value.strip().lower(), value.strip())
    return value.strip()


def merge(docs: list[OrgDocument]) -> OrgDocument:
    out = OrgDocument()
    for d in docs:
        out.errors += d.errors
        for section in SECTIONS:
            out.rows[section] += d.rows[section]
    return out


# --- applying ---------------------------------------------------------------------------------


@dataclass
class ImportSummary:
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))


def import_document(
    uow: UnitOfWork, clock: Clock, *, principal: Principal | None, doc: OrgDocument,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Apply a parsed document in one transaction; any error rolls the whole file back.

    ``principal=None`` is the system itself (seeding, or the CLI without ``--as``).
    """
    if principal is not None:
        require(principal, Permission.ORG_WRITE)
    if doc.errors:
        raise ValidationFailed(doc.errors, "the file was rejected; nothing was written")
    if not any(doc.rows.values()):
        raise ValidationFailed([FieldError("file", "the file holds nothing to import; expected "
                                           f"sections: {', '.join(SECTIONS)}")])
    summary, errors = ImportSummary(), []
    now = clock.now()
    with uow() as s:
        for section, row in _ordered(doc):
            try:
                created = APPLY[section](s, principal, row, now)
            except ValidationFailed as exc:
                errors += [FieldError(e.field, e.message, row.row, row.source) for e in exc.errors]
                continue
            except DomainError as exc:
                errors.append(FieldError("-", exc.detail, row.row, row.source))
                continue
            (summary.created if created else summary.updated)[section] += 1
            if progress:
                progress(1)
        if errors:
            raise ValidationFailed(errors, "the file was rejected; nothing was written")
    return summary


def _ordered(doc: OrgDocument) -> list[tuple[str, Row]]:
    """Parents before children, so a file can list a tree in any order."""
    level = {lv.value: i for i, lv in enumerate(LEVEL_ORDER)}
    juris = sorted(doc.rows["jurisdictions"], key=lambda r: level[r.data.level.value])
    out = [("sectors", r) for r in doc.rows["sectors"]]
    out += [("jurisdictions", r) for r in juris]
    out += [("bodies", r) for r in _parents_first(doc.rows["bodies"])]
    out += [(sec, r) for sec in ("contacts", "systems", "experts") for r in doc.rows[sec]]
    return out


def _parents_first(rows: list[Row]) -> list[Row]:
    by_key = {r.data.key: r for r in rows}
    done: set[str] = set()
    out: list[Row] = []

    def visit(r: Row, trail: set[str]) -> None:
        if r.data.key in done or r.data.key in trail:
            return  # a cycle is reported when the parent is looked up
        parent = by_key.get(r.data.parent or "")
        if parent is not None:
            visit(parent, trail | {r.data.key})
        done.add(r.data.key)
        out.append(r)

    for r in rows:
        visit(r, set())
    return out


def _apply_sector(s: Session, principal: Principal | None, row: Row, now: datetime) -> bool:
    if principal is not None and not principal.scope.is_national:
        raise ValidationFailed([FieldError("code", "only a national administrator adds sectors")])
    data: SectorOut = row.data  # type: ignore[assignment]
    sector = s.get(Sector, data.code)
    created = sector is None
    if sector is None:
        sector = Sector(code=data.code)
        s.add(sector)
    sector.name_zh, sector.name_en, sector.source = data.name_zh, data.name_en, data.source
    s.flush()
    return created


def _apply_jurisdiction(s: Session, principal: Principal | None, row: Row, now: datetime) -> bool:
    return put_jurisdiction(s, principal=principal, data=row.data, now=now)[1]


def _apply_body(s: Session, principal: Principal | None, row: Row, now: datetime) -> bool:
    created = put_body(s, principal=principal, data=row.data, now=now)[1]
    s.flush()
    return created


def _owner(s: Session, principal: Principal | None, key: str | None) -> Body:
    stmt = select(Body).where(Body.key == (key or ""))
    if principal is not None:
        stmt = stmt.where(scoping.visible_bodies(principal.scope))
    body = s.scalar(stmt)
    if body is None:
        raise ValidationFailed([FieldError("body", f"no body {key!r}")])
    return body


def _apply_contact(s: Session, principal: Principal | None, row: Row, now: datetime) -> bool:
    body = _owner(s, principal, row.body)
    return put_contact(s, principal=principal, body=body, data=row.data, now=now)[1]


def _apply_system(s: Session, principal: Principal | None, row: Row, now: datetime) -> bool:
    body = _owner(s, principal, row.body)
    if rules.BodyKind(body.kind) not in rules.SYSTEM_OWNER_KINDS:
        raise ValidationFailed([FieldError("body", "only operator units register systems")])
    return put_system(s, principal=principal, body=body, data=row.data, now=now)[1]


def _apply_expert(s: Session, principal: Principal | None, row: Row, now: datetime) -> bool:
    return put_expert(s, principal=principal, data=row.data, now=now)[1]


APPLY = {
    "sectors": _apply_sector, "jurisdictions": _apply_jurisdiction, "bodies": _apply_body,
    "contacts": _apply_contact, "systems": _apply_system, "experts": _apply_expert,
}


# --- exporting --------------------------------------------------------------------------------


def export_tables(uow: UnitOfWork, *, principal: Principal | None) -> dict[str, list[dict]]:
    """Everything the caller can see, as rows per table, in the import format."""
    if principal is not None:
        require(principal, Permission.ORG_READ)
    with uow() as s:
        juris_q = select(Jurisdiction).order_by(Jurisdiction.path)
        body_q = select(Body).order_by(Body.id)
        if principal is not None:
            juris_q = juris_q.where(scoping.visible_jurisdictions(principal.scope))
            body_q = body_q.where(scoping.visible_bodies(principal.scope))
        bodies = s.scalars(body_q).all()
        ids = {b.id: b.key for b in bodies}
        tables = {
            "sectors": [_clean(SectorOut.model_validate(x).model_dump())
                        for x in s.scalars(select(Sector).order_by(Sector.code))],
            "jurisdictions": [_jurisdiction_row(j) for j in s.scalars(juris_q)],
            "bodies": [_body_row(b) for b in bodies],
            "contacts": _owned_rows(s, Contact, ids, ["name", "title", "channel", "value",
                                                      "is_24x7", "priority"]),
            "systems": _owned_rows(s, InfoSystem, ids, ["key", "name_zh", "name_en", "important",
                                                        "description"]),
            "experts": [_clean({"key": e.key, "body": ids[e.body_id], "name": e.name,
                                "specialties": [x for x in e.specialties.split("\n") if x],
                                "phone": e.phone, "email": e.email, "active": e.active})
                        for e in s.scalars(select(Expert).where(Expert.body_id.in_(ids))
                                           .order_by(Expert.key))],
        }
    return tables


def _clean(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None and v != []}


def _jurisdiction_row(j: Jurisdiction) -> dict:
    return _clean({"code": j.code, "parent": j.parent.code if j.parent else None,
                   "level": j.level, "name_zh": j.name_zh, "name_en": j.name_en,
                   "division_code": j.division_code})


def _body_row(b: Body) -> dict:
    return _clean({"key": b.key, "kind": b.kind, "jurisdiction": b.jurisdiction.code,
                   "parent": b.parent_body.key if b.parent_body else None, "name_zh": b.name_zh,
                   "name_en": b.name_en, "sectors": b.sector_codes, "cii": b.cii,
                   "function": b.function, "active": b.active, "notes": b.notes})


def _owned_rows(s: Session, model: type, ids: dict[int, str], cols: list[str]) -> list[dict]:
    rows = s.scalars(select(model).where(model.body_id.in_(ids)).order_by(model.body_id,
                                                                          model.id))
    return [_clean({"body": ids[r.body_id], **{c: getattr(r, c) for c in cols}}) for r in rows]


def to_yaml(tables: dict[str, list[dict]]) -> str:
    return yaml.safe_dump({k: v for k, v in tables.items() if v}, allow_unicode=True,
                          sort_keys=False, width=100)


def to_csv(table: str, rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS[table], lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: ";".join(v) if isinstance(v, list) else v for k, v in r.items()})
    return buf.getvalue()


def load_seed(uow: UnitOfWork, clock: Clock) -> ImportSummary:
    """Load the bilingual reference data shipped in ``rules/seed_org.yaml`` (idempotent)."""
    path = Path(__file__).resolve().parent.parent / "rules" / "seed_org.yaml"
    doc = parse_yaml(path.read_text(encoding="utf-8"), source=path.name)
    return import_document(uow, clock, principal=None, doc=doc)
