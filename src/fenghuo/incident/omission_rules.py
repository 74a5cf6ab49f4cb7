"""Pure rules of omitted reports (漏报, Plan §7.10): when an incident counts against its unit as
an omission, and on which ground.

Plan §7.10 (Chinese authoritative): 对……迟报、谎报、瞒报和漏报网络安全事件重要情况……的，
依照相关规定对有关责任人给予处分 — it punishes *failing to report*, not being discovered. An
incident that CNCERT's monitoring or an office found and reported is held against the unit only
when the unit knew or was told and still did not report within its clock, or when the unit's own
supplementary report later revealed the facts that make it graver after that clock had passed.

The grounds (each a :class:`Ground`, with its reason in :data:`GROUNDS`):

* **told and did not report** (被告知后未报告) — another body reported the incident at the unit,
  a notice about it reached the unit (``incident.notices``: a message to one of the unit's own
  contacts that the outbox delivered), and the unit made no report of its own within its clock
  counted from that delivery;
* **knew and did not report** (知情未报) — the unit's own supplementary report says it found the
  incident (``found_at``) before it was told, and it made no report within its clock counted
  from then;
* **omitted important circumstances** (漏报重要情况) — a supplementary report by the unit raised
  the grade after the unit's first-report clock had passed (the facts that make it graver were
  the unit's to report in the first report).

Readings where the documents are silent (the project's choices):

* The unit's "report" of an incident another body filed is a supplementary report on it by one
  of the unit's users — what the notice asks for (CAC 2025 art. 7: 补报).
* The unit's clock is its first-report deadline (CAC 2025 art. 4, ``rules.report_deadline_hours``:
  CII operator 1 h, central and state organs 2 h, others 4 h), counted from when it first knew
  or was told — for its own report, from when it found the incident (its report clock).
* A notice queued, failed, dead-lettered or never sent (a unit with no channel) did not reach
  the unit: being discovered without being told is no omission.
* Reporting late what one reported oneself is 迟报 (the report clock), not 漏报.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from fenghuo.common.reasons import Reason
from fenghuo.incident.grading import Grade

SOURCE = "Plan §7.10"
#: why a regrading a supplementary report caused says so on the timeline (``handling.supplement``)
SUPPLEMENTARY = "supplementary report"


class Ground(StrEnum):
    TOLD = "omission.told_not_reported"
    KNEW = "omission.knew_not_reported"
    CIRCUMSTANCES = "omission.omitted_circumstances"


GROUNDS: dict[Ground, Reason] = {
    Ground.TOLD: Reason(Ground.TOLD.value, f"{SOURCE}; CAC 2025 art. 4",
                        "被告知后未在时限内报告（漏报）",
                        "told of the incident and did not report it within its clock "
                        "(omitted report)"),
    Ground.KNEW: Reason(Ground.KNEW.value, f"{SOURCE}; CAC 2025 art. 4",
                        "本单位已发现该事件，未在时限内报告（漏报）",
                        "knew of the incident and did not report it within its clock "
                        "(omitted report)"),
    Ground.CIRCUMSTANCES: Reason(Ground.CIRCUMSTANCES.value, f"{SOURCE}; CAC 2025 art. 7",
                                 "首报时限过后补报的情况使事件等级升高（漏报重要情况）",
                                 "a supplementary report raised the grade after the "
                                 "first-report clock had passed (omitted important "
                                 "circumstances)"),
}


#: the regradings that make an incident graver, (from, to), Plan §1.4
RISING: tuple[tuple[str, str], ...] = tuple(
    (a.value, b.value) for a in Grade for b in Grade if b.rank > a.rank)


def raises_grade(before: str | None, after: str | None) -> bool:
    """Whether a regrading from ``before`` to ``after`` made the incident graver (Plan §1.4)."""
    try:
        return Grade(after).rank > Grade(before).rank
    except ValueError:
        return False


@dataclass(frozen=True)
class Record:
    """What is known of one incident at its unit, for the rule.

    ``self_reported``: the unit filed it itself. ``deadline``: the unit's first-report clock
    (CAC 2025 art. 4). ``told_at``: the first delivery to the unit of a message about it.
    ``stated_found_at``: the earliest time the unit's own supplementary reports say it found it.
    ``first_report_at``: the unit's first supplementary report on it. ``raised_at``: when the
    unit's supplementary reports raised its grade."""

    self_reported: bool
    found_at: datetime
    deadline: timedelta
    told_at: datetime | None = None
    stated_found_at: datetime | None = None
    first_report_at: datetime | None = None
    raised_at: tuple[datetime, ...] = ()


@dataclass(frozen=True)
class Omission:
    """An omission and its grounds; ``aware_at`` is when the unit's clock started, ``due_at``
    when it ran out."""

    grounds: tuple[Reason, ...]
    aware_at: datetime
    due_at: datetime


def _earliest(times: Iterable[datetime | None]) -> datetime | None:
    known = [t for t in times if t is not None]
    return min(known) if known else None


def _aware(r: Record) -> tuple[datetime | None, Ground | None]:
    """When the unit's clock started and, for an incident someone else filed, whether it knew
    (its own found_at comes first) or was told."""
    if r.self_reported:
        return r.found_at, None
    aware = _earliest((r.stated_found_at, r.told_at, r.first_report_at))
    if r.stated_found_at is not None and r.stated_found_at == aware:
        return aware, Ground.KNEW
    return aware, Ground.TOLD if r.told_at == aware else None


def omission(r: Record, now: datetime) -> Omission | None:
    """The omission ``r`` amounts to as of ``now``, with every ground that applies, or None
    (Plan §7.10). A clock still running is no omission yet."""
    aware, how = _aware(r)
    if aware is None:  # discovered by another body, never told, never answered
        return None
    due = aware + r.deadline
    grounds = []
    if how is not None and (r.first_report_at or now) > due:
        grounds.append(GROUNDS[how])
    if any(t > due for t in r.raised_at):
        grounds.append(GROUNDS[Ground.CIRCUMSTANCES])
    return Omission(tuple(grounds), aware, due) if grounds else None
