"""Pure rules of personal information in an incident (issue 16 item 6).

Law art. 42 ¶2: "在发生或者可能发生个人信息泄露、毁损、丢失的情况时，应当立即采取补救措施，
按照规定及时告知用户并向有关主管部门报告" — when personal information is (or may be) leaked,
damaged or lost, the operator remedies it at once, tells the users in time as provided, and
reports to the competent authorities (the report is the incident itself, CAC 2025 art. 4).

The clock: the texts say "及时" (in time) and give no hour count — neither the Law nor the CAC
2025 Measures as recorded in shared/standards (SOURCES.md). So the deadline is a **project
rule**, the setting ``FENGHUO_PI_INFORM_HOURS`` (default :data:`DEFAULT_INFORM_HOURS`, 72 h),
counted from when the incident was found (or, when the leak becomes known later, from the
supplementary report that says so). "按照规定" (as provided) leaves room for a case where users
need not be told; the reporter must then say why, and no clock runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from fenghuo.incident.rules import ClockState, DutyKind, DutySpec, clock_state

SOURCE = "Law art. 42 ¶2"
DEFAULT_INFORM_HOURS = 72.0
#: ``Session.info`` key of the deployment's setting (bootstrap puts it there)
INFO_KEY = "fenghuo.pi_inform_hours"
FUTURE_TOLERANCE = timedelta(minutes=5)


class InformState(StrEnum):
    NOT_REQUIRED = "not_required"  # the reporter said why users need not be told
    DUE = "due"
    OVERDUE = "overdue"
    INFORMED = "informed"  # in time
    INFORMED_LATE = "informed_late"


INFORM_LABELS = {
    InformState.NOT_REQUIRED: ("无需告知用户", "users need not be informed"),
    InformState.DUE: ("待告知用户", "users to be informed"),
    InformState.OVERDUE: ("告知用户已逾期", "informing the users is overdue"),
    InformState.INFORMED: ("已及时告知用户", "users informed in time"),
    InformState.INFORMED_LATE: ("已告知用户（逾期）", "users informed late"),
}


@dataclass(frozen=True)
class PersonalInfo:
    """What an incident says of personal information: ``records`` leaked, damaged or lost, and
    whether the users must be told (``None``: not said, which means yes)."""

    records: int | None
    inform_users: bool | None = None

    @property
    def involved(self) -> bool:
        return bool(self.records)

    @property
    def clock_needed(self) -> bool:
        """Law art. 42 ¶2: records were leaked and the users must be told."""
        return self.involved and self.inform_users is not False


def records_of(declared: int | None, fact: int | None) -> int | None:
    """The records stated in the personal-information block, else the grading fact
    ``personal_records_leaked`` (CAC 2025 grading guide), else none."""
    return declared if declared is not None else fact


def inform_duty(body_id: int, starts_at: datetime, hours: float) -> DutySpec:
    """The unit's clock to tell its users (Law art. 42 ¶2, 及时告知用户)."""
    return DutySpec(body_id, DutyKind.INFORM_USERS,
                    f"{SOURCE} (及时告知用户; {hours:g} h: setting pi_inform_hours, "
                    "the texts give no hour count)",
                    starts_at, starts_at + timedelta(hours=hours))


def inform_state(pi: PersonalInfo, due_at: datetime | None, informed_at: datetime | None,
                 now: datetime) -> InformState | None:
    """Where the users' information stands; None when no personal information is involved."""
    if not pi.involved:
        return None
    if pi.inform_users is False:
        return InformState.NOT_REQUIRED
    if due_at is None:
        return InformState.INFORMED if informed_at else InformState.DUE
    return {ClockState.MET: InformState.INFORMED, ClockState.LATE: InformState.INFORMED_LATE,
            ClockState.DUE: InformState.DUE, ClockState.OVERDUE: InformState.OVERDUE}[
        clock_state(due_at, informed_at, now)]


def informed_problems(*, at: datetime, found_at: datetime, now: datetime,
                      pi: PersonalInfo) -> list[tuple[str, str]]:
    """What is wrong with recording "users informed" at ``at``: (field, message) pairs (an
    earlier record is a conflict, which the caller reports)."""
    problems = []
    if not pi.involved:
        problems.append(("personal_information",
                         "the incident states no personal-information records"))
    elif pi.inform_users is False:
        problems.append(("personal_information",
                         "the incident says the users need not be informed"))
    if at > now + FUTURE_TOLERANCE:
        problems.append(("at", "lies in the future"))
    elif at < found_at:
        problems.append(("at", "lies before the incident was found"))
    return problems
