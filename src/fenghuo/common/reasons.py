"""The one shape every explainable decision uses: which rule decided, under which clause, said in
Chinese and English (routing, warning authority, checklists, emergency response).

:class:`Reason` is one rule that decided; :class:`Decision` gathers every rule that refused an
action, or the rule that allows it, and :func:`decide` builds one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fenghuo.common.errors import Refused


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

    def enforce(self) -> None:
        """Raise :class:`~fenghuo.common.errors.Refused` naming every refusing rule."""
        if self.refusals:
            raise Refused([r.as_dict() for r in self.refusals])

    def as_dict(self) -> dict[str, Any]:
        return {"allowed": self.allowed,
                "basis": self.basis.as_dict() if self.basis else None,
                "refusals": [r.as_dict() for r in self.refusals]}


def decide(refusals: Iterable[Reason], basis: Reason | None = None) -> Decision:
    """A decision refused by ``refusals``, or allowed on ``basis`` when there are none."""
    refusals = tuple(refusals)
    return Decision(refusals, None if refusals else basis)


def transition_decision(code: str, source: str, labels: Mapping[Any, tuple[str, str]],
                        allowed: Mapping[Any, frozenset[Any]], current: StrEnum,
                        target: StrEnum) -> Decision:
    """A state change allowed by ``allowed``; the refusal names the states one may go to."""
    basis = Reason(code, source, f"{labels[current][0]} → {labels[target][0]}",
                   f"{current.value} → {target.value}")
    if target in allowed[current]:
        return decide((), basis)
    zh = "、".join(labels[s][0] for s in sorted(allowed[current])) or "无"
    en = ", ".join(sorted(s.value for s in allowed[current])) or "none"
    return decide([Reason(code, source,
                          f"{labels[current][0]}不能变为{labels[target][0]}（可变为：{zh}）",
                          f"{current.value} cannot become {target.value} (allowed: {en})")])
