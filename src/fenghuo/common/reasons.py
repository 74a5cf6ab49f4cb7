"""The one shape every explainable decision uses: which rule decided, under which clause, said in
Chinese and English (routing, warning authority, checklists)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    """One rule that decided something, with its clause and bilingual text."""

    code: str
    source: str
    text_zh: str
    text_en: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "source": self.source, "text_zh": self.text_zh,
                "text_en": self.text_en}
