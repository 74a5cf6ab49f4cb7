"""Shapes every domain shares: a bilingual label, an explained rule, a partial update."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator


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
