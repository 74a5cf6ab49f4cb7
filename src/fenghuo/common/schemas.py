"""Output shapes every domain shares: a bilingual label and an explained rule."""

from __future__ import annotations

from pydantic import BaseModel


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
