"""Shapes every domain shares: a bilingual label, an explained rule, a partial update."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetJsonSchemaHandler,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema


class Label(BaseModel):
    """A domain label in Chinese and English."""

    zh: str
    en: str


class ReasonOut(BaseModel):
    """One rule that decided, with its clause (``common.reasons.Reason`` as output)."""

    code: str
    source: str
    text_zh: str
    text_en: str


class Patch(BaseModel):
    """A partial update: a field left out is kept as it is, and an explicit ``null`` is refused
    ("may not be null") unless the field is one of ``clearable`` (a column that may be empty):
    ``{"cii": null}`` does not mean anything, and it had reached the database as a NOT NULL
    violation (a 500)."""

    model_config = ConfigDict(extra="forbid")
    clearable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.clearable:
            raise ValueError("may not be null: leave the field out to keep its value")
        return value

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        """The schema says what ``_not_null`` does: a field that refuses ``null`` is not
        nullable (``anyOf [{type}, {type: null}]`` becomes ``{type}``), a clearable one is."""
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        for name, prop in target.get("properties", {}).items():
            if name not in cls.clearable:
                target["properties"][name] = _without_null(prop)
        return schema


def _without_null(prop: dict) -> dict:
    variants = prop.get("anyOf")
    if not variants:
        return prop
    kept = [v for v in variants if v != {"type": "null"}]
    rest = {k: v for k, v in prop.items() if k not in ("anyOf", "default")}
    if len(kept) == 1:
        return {**kept[0], **rest}
    return {**rest, "anyOf": kept}


def _query_bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise ValueError("must be true or false")


#: A boolean in a query string: only ``true`` or ``false`` (lax parsing took ``0``, ``yes``,
#: ``off``… as booleans, which the schema does not say; issue 18 item 2).
QueryBool = Annotated[bool, BeforeValidator(_query_bool),
                      WithJsonSchema({"type": "boolean", "description": "true or false"})]
