"""Pydantic schemas: what the org use cases take in and give back."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from fenghuo.common.schemas import Label, Patch  # noqa: F401 - Label re-exported
from fenghuo.org.rules import (
    KEY,
    BodyFunction,
    BodyKind,
    Channel,
    JurisdictionLevel,
    Role,
    key_problem,
)


def _check_key(value: object) -> object:
    """Before the schema's own pattern (the same rule), so that the message says it in words."""
    problem = key_problem(value) if isinstance(value, str) else None
    if problem:
        raise ValueError(problem)
    return value


class SectorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    name_zh: str
    name_en: str
    source: str | None = None


class JurisdictionRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    name_zh: str
    name_en: str
    level: JurisdictionLevel


class JurisdictionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=2, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")
    parent: str | None = Field(default=None, description="Code of the parent jurisdiction")
    level: JurisdictionLevel
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    division_code: str | None = Field(
        default=None, pattern=r"^\d{6}$", description="GB/T 2260 administrative-division code"
    )


class JurisdictionPatch(Patch):
    clearable = frozenset({"division_code"})
    name_zh: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, min_length=1, max_length=200)
    division_code: str | None = Field(default=None, pattern=r"^\d{6}$")


class JurisdictionOut(JurisdictionRef):
    division_code: str | None
    parent: str | None
    level_label: Label


class BodyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=2, max_length=80, pattern=KEY.pattern)  # as key_problem
    kind: BodyKind
    jurisdiction: str = Field(description="Code of the jurisdiction the body belongs to")
    parent: str | None = Field(default=None, description="Key of the body it reports to")
    name_zh: str = Field(min_length=1, max_length=300)
    name_en: str = Field(min_length=1, max_length=300)
    sectors: list[str] = Field(default_factory=list)
    cii: StrictBool = False
    function: BodyFunction | None = None
    active: StrictBool = True
    notes: str | None = Field(default=None, max_length=4000)

    _key = field_validator("key", mode="before")(_check_key)


class BodyPatch(Patch):
    clearable = frozenset({"parent", "function", "notes"})
    name_zh: str | None = Field(default=None, min_length=1, max_length=300)
    name_en: str | None = Field(default=None, min_length=1, max_length=300)
    parent: str | None = None
    sectors: list[str] | None = None
    cii: StrictBool | None = None
    function: BodyFunction | None = None
    active: StrictBool | None = None
    notes: str | None = Field(default=None, max_length=4000)


class BodyOut(BaseModel):
    key: str
    kind: BodyKind
    kind_label: Label
    jurisdiction: JurisdictionRef
    parent: str | None
    name_zh: str
    name_en: str
    sectors: list[str]
    cii: bool
    function: BodyFunction | None = None
    active: bool
    notes: str | None


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    channel: Channel
    value: str = Field(min_length=3, max_length=500)
    is_24x7: StrictBool = False
    priority: int = Field(default=100, ge=0, le=10000)
    secret: str | None = Field(default=None, min_length=16, max_length=200,
                               description="HMAC key for webhook/robot signing; never shown again")


class ContactOut(BaseModel):
    id: int
    body: str
    name: str
    title: str | None
    channel: Channel
    value: str
    is_24x7: bool
    priority: int
    signed: bool = Field(description="whether a signing secret is set")


class SystemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=2, max_length=80, pattern=KEY.pattern)  # as key_problem
    name_zh: str = Field(min_length=1, max_length=300)
    name_en: str = Field(min_length=1, max_length=300)
    important: StrictBool = Field(
        default=False,
        description="An important network and information system (Plan annex 2); "
        "grading criterion ① applies only to these.",
    )
    description: str | None = Field(default=None, max_length=4000)

    _key = field_validator("key", mode="before")(_check_key)


class SystemPatch(Patch):
    clearable = frozenset({"description"})
    name_zh: str | None = Field(default=None, min_length=1, max_length=300)
    name_en: str | None = Field(default=None, min_length=1, max_length=300)
    important: StrictBool | None = None
    description: str | None = Field(default=None, max_length=4000)


class SystemOut(SystemIn):
    model_config = ConfigDict(extra="ignore")
    id: int
    body: str


class ExpertIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=2, max_length=80, pattern=KEY.pattern)  # as key_problem
    body: str = Field(description="Key of the expert group or affiliated body")
    name: str = Field(min_length=1, max_length=200)
    specialties: list[str] = Field(default_factory=list)
    phone: str | None = Field(default=None, max_length=60)
    email: str | None = Field(default=None, max_length=200)
    active: StrictBool = True

    _key = field_validator("key", mode="before")(_check_key)


class ExpertOut(ExpertIn):
    model_config = ConfigDict(extra="ignore")
    id: int


class TreeNode(BaseModel):
    code: str
    name_zh: str
    name_en: str
    level: JurisdictionLevel
    bodies: list[BodyOut] = Field(default_factory=list)
    children: list[TreeNode] = Field(default_factory=list)


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=2, max_length=80, pattern=r"^[A-Za-z0-9._@-]+$")
    display_name: str = Field(min_length=1, max_length=200)
    body: str = Field(description="Key of the body the user belongs to")
    roles: list[Role] = Field(min_length=1)
    password: str | None = Field(default=None, min_length=10, max_length=200)


class UserPatch(Patch):
    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    roles: list[Role] | None = Field(default=None, min_length=1)
    active: StrictBool | None = None
    password: str | None = Field(default=None, min_length=10, max_length=200)


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    body: str
    body_name_zh: str
    body_name_en: str
    roles: list[Role]
    active: bool
    created_at: datetime
    last_login_at: datetime | None


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    expires_days: int | None = Field(default=None, ge=1, le=3650)


class TokenOut(BaseModel):
    id: int
    name: str
    kind: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenIssued(TokenOut):
    token: str = Field(description="Shown once; only its hash is stored")


class LoginResult(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class Me(BaseModel):
    username: str
    display_name: str
    body: BodyOut
    roles: list[Role]
    permissions: list[str]
    scope: dict
