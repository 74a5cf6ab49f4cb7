"""Investigation and evaluation after a response ends (Plan §5; CAC 2025 art. 8). Pure: no I/O.

Plan §5: 特别重大网络安全事件由应急办组织有关部门和省（区、市）进行调查处理和总结评估，并按程序
上报。重大及以下网络安全事件由事件发生地区或部门自行组织调查处理和总结评估，其中重大网络安全事件
相关总结调查报告报应急办。总结调查报告应对事件的起因、性质、影响、责任等进行分析评估，提出处理
意见和改进措施。事件的调查处理和总结评估工作原则上在应急响应结束后30天内完成。

An especially major incident is investigated by the Emergency Office with the departments and
provinces, and reported upward; major and lower ones by the region or department itself, and the
report of a major one is filed with the Emergency Office. The report analyses cause, nature,
impact and responsibility and gives handling opinions and improvements, within 30 days after the
response ends. CAC 2025 art. 8 sets the same 30 days for the operator's summary report.

Readings and decisions where the documents are silent:

* **Due at exactly 30 days** (30 × 24 hours) after the response ended; the due instant itself is
  on time. "原则上" (in principle) allows exceptions, which the services record, not this rule.
* **The work is complete when the report is approved**: a submitted report still under review
  has not met the deadline (the accountability view of Plan §7.10 flags it).
* **Review**: draft → submitted → approved; a submitted report may go back to draft. A report
  missing any of the six sections cannot be submitted or approved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from fenghuo.common.reasons import Decision, Reason, decide, transition_decision
from fenghuo.incident.grading import Grade

#: Plan §5 ¶2 (原则上在应急响应结束后30天内完成); CAC 2025 art. 8
INVESTIGATION_PERIOD = timedelta(days=30)
SOURCE = "Plan §5 ¶1–2; CAC 2025 art. 8"


class Organizer(StrEnum):
    EMERGENCY_OFFICE = "emergency_office"
    LOCAL = "local"


ORGANIZER_LABELS: Mapping[Organizer, tuple[str, str]] = MappingProxyType({
    Organizer.EMERGENCY_OFFICE: ("应急办组织有关部门和省（区、市）",
                                 "the Emergency Office with the departments and provinces"),
    Organizer.LOCAL: ("事件发生地区或部门自行组织",
                      "the region or department where it happened"),
})


@dataclass(frozen=True)
class InvestigationPlan:
    """Who investigates, by when, and where the report goes (Plan §5)."""

    organizer: Organizer
    due_at: datetime
    #: a major incident's report is filed with the Emergency Office (重大…报告报应急办)
    file_with_emergency_office: bool
    #: an especially major incident's report goes upward by procedure (按程序上报)
    report_upward: bool
    source: str = SOURCE

    def as_dict(self) -> dict[str, Any]:
        return {"organizer": self.organizer.value, "due_at": self.due_at.isoformat(),
                "file_with_emergency_office": self.file_with_emergency_office,
                "report_upward": self.report_upward, "source": self.source}


def investigation_plan(grade: Grade | str, ended_at: datetime) -> InvestigationPlan:
    """Plan §5: especially major — the Emergency Office organizes and reports upward; major —
    organized locally, the report filed with the Emergency Office; relatively major and general —
    organized locally. Due 30 days after the response ended (``ended_at``)."""
    grade = Grade(grade)
    especially_major = grade == Grade.ESPECIALLY_MAJOR
    return InvestigationPlan(
        organizer=Organizer.EMERGENCY_OFFICE if especially_major else Organizer.LOCAL,
        due_at=ended_at + INVESTIGATION_PERIOD,
        file_with_emergency_office=grade == Grade.MAJOR,
        report_upward=especially_major,
    )


# --- the report (Plan §5 ¶1) ------------------------------------------------------------------

#: the analysis a summary investigation report must contain, in order (Plan §5 ¶1: 起因、性质、
#: 影响、责任等进行分析评估，提出处理意见和改进措施)
REPORT_SECTIONS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "cause": ("起因", "cause"),
    "nature": ("性质", "nature"),
    "impact": ("影响", "impact"),
    "responsibility": ("责任", "responsibility"),
    "handling_opinions": ("处理意见", "handling opinions"),
    "improvements": ("改进措施", "improvements"),
})


def missing_sections(report: Mapping[str, str | None]) -> list[str]:
    """The required sections (Plan §5 ¶1) that ``report`` leaves out or leaves blank, in the
    order of :data:`REPORT_SECTIONS`."""
    return [key for key in REPORT_SECTIONS if not (report.get(key) or "").strip()]


# --- the deadline (Plan §5 ¶2) ----------------------------------------------------------------


class InvestigationState(StrEnum):
    DUE = "due"
    OVERDUE = "overdue"
    MET = "met"
    LATE = "late"


INVESTIGATION_STATE_LABELS: Mapping[InvestigationState, tuple[str, str]] = MappingProxyType({
    InvestigationState.DUE: ("待完成", "due"),
    InvestigationState.OVERDUE: ("已逾期", "overdue"),
    InvestigationState.MET: ("按期完成", "met"),
    InvestigationState.LATE: ("逾期完成", "completed late"),
})


def investigation_state(due_at: datetime, approved_at: datetime | None,
                        now: datetime) -> InvestigationState:
    """Before approval: ``due`` up to and including ``due_at``, then ``overdue``. After
    approval: ``met`` when approved by ``due_at``, else ``late`` (Plan §5 ¶2)."""
    if approved_at is None:
        return InvestigationState.DUE if now <= due_at else InvestigationState.OVERDUE
    return InvestigationState.MET if approved_at <= due_at else InvestigationState.LATE


# --- review (project flow) --------------------------------------------------------------------


class ReportState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"


REPORT_STATE_LABELS: Mapping[ReportState, tuple[str, str]] = MappingProxyType({
    ReportState.DRAFT: ("草稿", "draft"),
    ReportState.SUBMITTED: ("已提交审核", "submitted"),
    ReportState.APPROVED: ("已批准", "approved"),
})

#: draft → submitted → approved; a submitted report may be returned to draft
REPORT_TRANSITIONS: Mapping[ReportState, frozenset[ReportState]] = MappingProxyType({
    ReportState.DRAFT: frozenset({ReportState.SUBMITTED}),
    ReportState.SUBMITTED: frozenset({ReportState.APPROVED, ReportState.DRAFT}),
    ReportState.APPROVED: frozenset(),
})
#: states a report reaches only with every section written
COMPLETE_STATES = frozenset({ReportState.SUBMITTED, ReportState.APPROVED})


def can_transition_report(current: ReportState | str, target: ReportState | str,
                          report: Mapping[str, str | None] | None = None) -> Decision:
    """Whether a report may move from ``current`` to ``target``; with ``report`` given, one
    missing a required section (Plan §5 ¶1) is not submitted or approved."""
    current, target = ReportState(current), ReportState(target)
    decision = transition_decision("investigation.transition", "Plan §5 (project flow)",
                                   REPORT_STATE_LABELS, REPORT_TRANSITIONS, current, target)
    missing = missing_sections(report) if report is not None and target in COMPLETE_STATES else []
    if not missing:
        return decision
    zh = "、".join(REPORT_SECTIONS[k][0] for k in missing)
    en = ", ".join(REPORT_SECTIONS[k][1] for k in missing)
    refusal = Reason("investigation.missing_sections", "Plan §5 ¶1",
                     f"总结调查报告缺少：{zh}", f"the investigation report lacks: {en}")
    return Decision(decision.refusals + (refusal,))


_ORGANIZER = Reason("investigation.organizer", "Plan §5 ¶1",
                    "本机构组织调查，撰写和报送总结调查报告",
                    "the body organizing the investigation writes and files its report")
_NOT_ORGANIZER = Reason("investigation.not_organizer", "Plan §5 ¶1",
                        "总结调查报告由组织调查的机构撰写和报送",
                        "the report is written and filed by the body organizing the "
                        "investigation")


def may_write_report(is_organizer: bool) -> Decision:
    """The body that organizes the investigation writes, submits and files its report
    (Plan §5 ¶1)."""
    return decide([] if is_organizer else [_NOT_ORGANIZER], _ORGANIZER)
