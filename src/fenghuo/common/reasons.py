"""The one shape every explainable decision uses: which rule decided, under which clause, said in
Chinese and English (routing, warning authority, checklists, emergency response).

:class:`Reason` is one rule that decided; :class:`Decision` gathers every rule that refused an
action, or the rule that allows it, and :func:`decide` builds one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


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


@dataclass(frozen=True)
class Decision:
    """Allowed when nothing refuses; ``refusals`` holds every rule that refused, ``basis`` the
    rule that allows it when allowed."""

    refusals: tuple[Reason, ...] = ()
    basis: Reason | None = None

    @property
    def allowed(self) -> bool:
        return not self.refusals

    def as_dict(self) -> dict[str, Any]:
        return {"allowed": self.allowed,
                "basis": self.basis.as_dict() if self.basis else None,
                "refusals": [r.as_dict() for r in self.refusals]}


def decide(refusals: Iterable[Reason], basis: Reason | None = None) -> Decision:
    """A decision refused by ``refusals``, or allowed on ``basis`` when there are none."""
    refusals = tuple(refusals)
    return Decision(refusals, None if refusals else basis)
