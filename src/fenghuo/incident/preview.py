"""A provisional grade while a report is being written (issue 19 item 3): the facts typed so far,
graded by the same rules and the same register facts as the report will be when it is filed
(:func:`fenghuo.incident.service.file_report`), and nothing written.

The register says whether the unit is critical information infrastructure (the CII thresholds of
the CAC 2025 grading guide apply only then) and whether the system is an *important network and
information system* (Plan annex 2; criterion ① applies only then); the caller may ask only about
the units they may report about (Law art. 30, :func:`service.reportable_units`).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.incident import grading, service
from fenghuo.incident.schemas import FactsIn
from fenghuo.org.rules import Permission
from fenghuo.org.service import require


@dataclass(frozen=True)
class Preview:
    """The grade the facts would get, and the thresholds whose number is reached but which do not
    apply to this unit or system (e.g. a CII outage threshold for a unit that is no CII)."""

    result: grading.GradingResult
    unmet: tuple[grading.Threshold, ...]
    cii: bool
    important_system: bool


def unmet_thresholds(facts: grading.GradingFacts, profile: grading.GradingProfile
                     ) -> tuple[grading.Threshold, ...]:
    """Thresholds whose minimum the facts reach but whose ``requires`` flags are all false."""
    return tuple(t for t in profile.thresholds
                 if getattr(facts, t.quantity) is not None
                 and getattr(facts, t.quantity) >= t.minimum and not t.applies(facts))


def preview_grade(uow: UnitOfWork, *, principal: Principal, facts: FactsIn, unit: str | None,
                  system: str | None, profile: str) -> Preview:
    """Grade ``facts`` as a report about ``unit`` (default: the caller's own) and ``system``
    would be graded under ``profile``; :class:`ValidationFailed` names an unknown unit or system,
    :class:`Forbidden` a caller who may not report."""
    require(principal, Permission.INCIDENT_REPORT)
    with uow() as s:
        asked = SimpleNamespace(unit=unit, system=system)
        found = service.lookup_subject(s, principal, asked, None)
    chosen = grading.load_profile(profile)
    graded = service.grade_facts(facts, found.system_important, found.subject.cii)
    return Preview(result=grading.grade(graded, chosen), unmet=unmet_thresholds(graded, chosen),
                   cii=found.subject.cii, important_system=bool(found.system_important))
