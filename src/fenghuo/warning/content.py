"""Required content of a warning (Plan §3.3 ¶3). Pure: no I/O.

预警信息包括事件的类别、预警级别、起始时间、可能影响范围、警示事项、应采取的措施和时限要求、
发布机关等 — a warning states the incident category, the warning level, the start time, the
possible scope of impact, the warning items, the measures to take with their time limits and the
issuing authority. A draft missing any of them is rejected naming every missing field.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from fenghuo.warning.rules import WarningLevel, WarningScope

# --- required content (Plan §3.3 ¶3) ----------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """A measure to take and its time limit (应采取的措施和时限要求)."""

    text: str
    deadline: datetime | None = None


@dataclass(frozen=True)
class WarningDraft:
    """The content of a warning as drafted; anything may still be missing."""

    category: str | None = None
    level: WarningLevel | str | None = None
    starts_at: datetime | None = None
    scope: WarningScope | None = None
    items: tuple[str, ...] = ()
    measures: tuple[Measure, ...] = ()
    issuer_body_id: int | None = None
    #: when it is drafted: a measure's time limit must still lie ahead (a limit already past
    #: asks the impossible of the units, Plan §3.3 ¶3 "时限要求"); None skips that check
    now: datetime | None = None


@dataclass(frozen=True)
class FieldProblem:
    """A required field that is missing (``code="missing"``) or unusable (``"invalid"``)."""

    field: str
    code: str
    source: str
    text_zh: str
    text_en: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "source": self.source,
                "text_zh": self.text_zh, "text_en": self.text_en}


CONTENT_SOURCE = "Plan §3.3 ¶3"
#: Plan §3.3 ¶3: 预警信息包括事件的类别、预警级别、起始时间、可能影响范围、警示事项、
#: 应采取的措施和时限要求、发布机关等
CONTENT_FIELDS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "category": ("事件类别", "incident category"),
    "level": ("预警级别", "warning level"),
    "starts_at": ("起始时间", "start time"),
    "scope": ("可能影响范围", "possible scope of impact"),
    "items": ("警示事项", "warning items"),
    "measures": ("应采取的措施和时限要求", "measures to take and their time limits"),
    "issuer_body_id": ("发布机关", "issuing authority"),
})


def _missing(name: str, label: tuple[str, str] | None = None) -> FieldProblem:
    zh, en = label or CONTENT_FIELDS[name]
    return FieldProblem(name, "missing", CONTENT_SOURCE, f"缺少{zh}", f"{en} is missing")


def _invalid(name: str, zh: str, en: str) -> FieldProblem:
    return FieldProblem(name, "invalid", CONTENT_SOURCE, zh, en)


def _blank(text: str | None) -> bool:
    return text is None or not str(text).strip()


def _aware(moment: datetime) -> bool:
    return moment.tzinfo is not None and moment.utcoffset() is not None


def _category_problems(draft: WarningDraft, categories: Collection[str] | None
                       ) -> list[FieldProblem]:
    if _blank(draft.category):
        return [_missing("category")]
    if categories is not None and draft.category not in categories:
        return [_invalid("category", f"未知的事件类别：{draft.category}（附件1）",
                         f"unknown incident category {draft.category!r} (Plan annex 1)")]
    return []


def _level_problems(draft: WarningDraft) -> list[FieldProblem]:
    if _blank(draft.level):
        return [_missing("level")]
    if draft.level not in set(WarningLevel):
        return [_invalid("level", f"预警级别须为红、橙、黄、蓝之一：{draft.level}",
                         f"the level must be red, orange, yellow or blue, not {draft.level!r}")]
    return []


def _starts_at_problems(draft: WarningDraft) -> list[FieldProblem]:
    if draft.starts_at is None:
        return [_missing("starts_at")]
    if not _aware(draft.starts_at):
        return [_invalid("starts_at", "起始时间须带时区", "the start time needs a time zone")]
    return []


def _measure_problems(draft: WarningDraft) -> list[FieldProblem]:
    if not draft.measures:
        return [_missing("measures")]
    out = []
    start = draft.starts_at if draft.starts_at and _aware(draft.starts_at) else None
    for i, m in enumerate(draft.measures):
        if _blank(m.text):
            out.append(_missing(f"measures[{i}].text",
                                (f"措施{i + 1}的内容", f"the text of measure {i + 1}")))
        if m.deadline is None:
            out.append(_missing(f"measures[{i}].deadline",
                                (f"措施{i + 1}的时限要求", f"the time limit of measure {i + 1}")))
        elif not _aware(m.deadline):
            out.append(_invalid(f"measures[{i}].deadline", f"措施{i + 1}的时限须带时区",
                                f"the time limit of measure {i + 1} needs a time zone"))
        elif start is not None and m.deadline < start:
            out.append(_invalid(f"measures[{i}].deadline", f"措施{i + 1}的时限早于起始时间",
                                f"the time limit of measure {i + 1} is before the start time"))
        elif draft.now is not None and m.deadline <= draft.now:
            out.append(_invalid(f"measures[{i}].deadline", f"措施{i + 1}的时限已过",
                                f"the time limit of measure {i + 1} has already passed"))
    return out


def missing_content(draft: WarningDraft, *, categories: Collection[str] | None = None
                    ) -> list[FieldProblem]:
    """Every required field of Plan §3.3 ¶3 that is missing or unusable, in the Plan's order.

    ``categories``, when given, are the known category codes (Plan annex 1, ``incident.taxonomy``).
    Sectors may be left empty (every sector of the jurisdictions); measures each need a text and a
    time limit. Time stamps must carry a time zone.
    """
    problems = _category_problems(draft, categories) + _level_problems(draft)
    problems += _starts_at_problems(draft)
    if draft.scope is None or not draft.scope.jurisdictions:
        problems.append(_missing("scope"))
    if all(_blank(item) for item in draft.items):
        problems.append(_missing("items"))
    problems += _measure_problems(draft)
    if draft.issuer_body_id is None:
        problems.append(_missing("issuer_body_id"))
    return problems
