"""The organization tree: sectors, jurisdictions, bodies, contacts, systems, experts; import and
export."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile

from fenghuo.api.deps import CurrentUser, ObjectId, Paging, RuntimeDep
from fenghuo.common.errors import FieldError, ValidationFailed
from fenghuo.common.pagination import Page
from fenghuo.common.schemas import QueryBool
from fenghuo.org import bodies, interchange, registers, service
from fenghuo.org.rules import BodyKind, JurisdictionLevel
from fenghuo.org.schemas import (
    BodyIn,
    BodyOut,
    BodyPatch,
    ContactIn,
    ContactOut,
    ExpertIn,
    ExpertOut,
    JurisdictionIn,
    JurisdictionOut,
    JurisdictionPatch,
    SectorOut,
    SystemIn,
    SystemOut,
    SystemPatch,
    TreeNode,
)

router = APIRouter(tags=["organization"])

MAX_IMPORT_BYTES = 5 * 1024 * 1024


@router.get("/sectors", response_model=list[SectorOut])
def list_sectors(*, rt: RuntimeDep, me: CurrentUser) -> list[SectorOut]:
    """Key sectors (Law art. 31)."""
    return service.list_sectors(rt.uow)


@router.get("/org/tree", response_model=TreeNode)
def org_tree(*, rt: RuntimeDep, me: CurrentUser, bodies_too: QueryBool = True) -> TreeNode:
    """The part of the tree you can see; jurisdictions above yours appear by name only."""
    return bodies.org_tree(rt.uow, principal=me, include_bodies=bodies_too)


@router.get("/jurisdictions", response_model=Page[JurisdictionOut])
def list_jurisdictions(*, rt: RuntimeDep, me: CurrentUser, page: Paging,
                       parent: str | None = None, level: JurisdictionLevel | None = None,
                       q: str | None = None):
    return service.list_jurisdictions(rt.uow, principal=me, page=page, parent=parent,
                                      level=level, q=q)


@router.post("/jurisdictions", response_model=JurisdictionOut, status_code=201)
def create_jurisdiction(*, rt: RuntimeDep, me: CurrentUser, data: JurisdictionIn):
    return service.create_jurisdiction(rt.uow, rt.clock, principal=me, data=data)


@router.get("/jurisdictions/{code}", response_model=JurisdictionOut)
def get_jurisdiction(*, rt: RuntimeDep, me: CurrentUser, code: str):
    return service.get_jurisdiction(rt.uow, principal=me, code=code)


@router.patch("/jurisdictions/{code}", response_model=JurisdictionOut)
def update_jurisdiction(*, rt: RuntimeDep, me: CurrentUser, code: str, patch: JurisdictionPatch):
    return service.update_jurisdiction(rt.uow, rt.clock, principal=me, code=code, patch=patch)


@router.get("/bodies", response_model=Page[BodyOut])
def list_bodies(*, rt: RuntimeDep, me: CurrentUser, page: Paging, kind: BodyKind | None = None,
                jurisdiction: str | None = None, sector: str | None = None, q: str | None = None,
                include_inactive: QueryBool = False):
    """Bodies in your scope; ``jurisdiction`` narrows to that jurisdiction's subtree."""
    return bodies.list_bodies(rt.uow, principal=me, page=page, kind=kind,
                              jurisdiction=jurisdiction, sector=sector, q=q,
                              include_inactive=include_inactive)


@router.post("/bodies", response_model=BodyOut, status_code=201)
def create_body(*, rt: RuntimeDep, me: CurrentUser, data: BodyIn):
    return bodies.create_body(rt.uow, rt.clock, principal=me, data=data)


@router.get("/bodies/{key}", response_model=BodyOut)
def get_body(*, rt: RuntimeDep, me: CurrentUser, key: str):
    return bodies.get_body(rt.uow, principal=me, key=key)


@router.patch("/bodies/{key}", response_model=BodyOut)
def update_body(*, rt: RuntimeDep, me: CurrentUser, key: str, patch: BodyPatch):
    return bodies.update_body(rt.uow, rt.clock, principal=me, key=key, patch=patch)


@router.get("/bodies/{key}/contacts", response_model=list[ContactOut])
def list_contacts(*, rt: RuntimeDep, me: CurrentUser, key: str):
    return registers.list_contacts(rt.uow, principal=me, body=key)


@router.post("/bodies/{key}/contacts", response_model=ContactOut, status_code=201)
def add_contact(*, rt: RuntimeDep, me: CurrentUser, key: str, data: ContactIn):
    return registers.add_contact(rt.uow, rt.clock, principal=me, body=key, data=data)


@router.delete("/bodies/{key}/contacts/{contact_id}", status_code=204)
def delete_contact(*, rt: RuntimeDep, me: CurrentUser, key: str, contact_id: ObjectId) -> Response:
    registers.delete_contact(rt.uow, rt.clock, principal=me, body=key, contact_id=contact_id)
    return Response(status_code=204)


@router.get("/bodies/{key}/systems", response_model=list[SystemOut])
def list_systems(*, rt: RuntimeDep, me: CurrentUser, key: str):
    """The operator's register of networks and information systems (Plan annex 2)."""
    return registers.list_systems(rt.uow, principal=me, body=key)


@router.post("/bodies/{key}/systems", response_model=SystemOut, status_code=201)
def add_system(*, rt: RuntimeDep, me: CurrentUser, key: str, data: SystemIn):
    return registers.add_system(rt.uow, rt.clock, principal=me, body=key, data=data)


@router.patch("/bodies/{key}/systems/{system_key}", response_model=SystemOut)
def update_system(*, rt: RuntimeDep, me: CurrentUser, key: str, system_key: str,
                  patch: SystemPatch):
    return registers.update_system(rt.uow, rt.clock, principal=me, body=key, key=system_key,
                                   patch=patch)


@router.get("/experts", response_model=Page[ExpertOut])
def list_experts(*, rt: RuntimeDep, me: CurrentUser, page: Paging, specialty: str | None = None):
    return registers.list_experts(rt.uow, principal=me, page=page, specialty=specialty)


@router.post("/experts", response_model=ExpertOut, status_code=201)
def create_expert(*, rt: RuntimeDep, me: CurrentUser, data: ExpertIn):
    return registers.create_expert(rt.uow, rt.clock, principal=me, data=data)


@router.post("/org/import")
async def import_org(*, rt: RuntimeDep, me: CurrentUser,
                     file: Annotated[UploadFile, File(description="YAML or CSV file")]) -> dict:
    """Import a YAML or CSV org file; a bad file is rejected whole, naming row and field."""
    raw = await file.read(MAX_IMPORT_BYTES + 1)
    name = file.filename or "upload.yaml"
    if len(raw) > MAX_IMPORT_BYTES:
        raise ValidationFailed([FieldError("file", "larger than 5 MiB")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed([FieldError("file", "not UTF-8 text")]) from None
    doc = (interchange.parse_csv(name, text) if name.lower().endswith(".csv")
           else interchange.parse_yaml(text, source=name))
    summary = interchange.import_document(rt.uow, rt.clock, principal=me, doc=doc)
    return {"created": summary.created, "updated": summary.updated}


@router.get("/org/export", response_class=Response,
            responses={200: {"content": {"application/yaml": {}, "application/json": {}}}})
def export_org(*, rt: RuntimeDep, me: CurrentUser,
               format: Annotated[str, Query(pattern="^(yaml|json)$")] = "yaml") -> Response:
    """Everything you can see, in the import format."""
    tables = interchange.export_tables(rt.uow, principal=me)
    if format == "json":
        return Response(json.dumps(tables, ensure_ascii=False), media_type="application/json")
    return Response(interchange.to_yaml(tables), media_type="application/yaml")
