"""Who receives a published warning, who owes its response tasks, how soon they must
acknowledge, and who may approve a draft. Pure: no I/O.

Plan §3.3: warnings are issued for a region or sector and reported to the Emergency Office when
major; Plan §3.4: 有关省（区、市）、部门 respond. Readings where the Plan is silent are marked
"project rule" and explained where they are defined.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from fenghuo.common.reasons import Reason
from fenghuo.org.rules import BodyFunction, BodyKind, path_ids
from fenghuo.warning.checklists import ChecklistScope
from fenghuo.warning.rules import Decision, WarningLevel, WarningScope, decide


@dataclass(frozen=True)
class Body:
    """A body that may receive a warning, as distribution sees it."""

    id: int
    kind: BodyKind
    jurisdiction_path: str
    sectors: frozenset[str] = frozenset()
    function: BodyFunction | None = None


RECEIVING_KINDS = frozenset({BodyKind.OFFICE, BodyKind.DEPARTMENT})
#: The kinds a warning reaches as units (Plan §3.3 ¶1: "通知有关部门和单位"; §3.4.1 (2): the
#: operating units take measures): operating units (CII operators among them), the CNCERT
#: branches of the provinces in scope, and, when the issuer chooses, the support units.
UNIT_KINDS = frozenset({BodyKind.OPERATOR, BodyKind.CERT, BodyKind.SUPPORT_UNIT})

#: How soon a recipient must acknowledge receipt. Project rule: the Plan sets no clock for
#: warnings; these follow the escalation clocks of the reporting chain (CAC 2025 art. 4: half an
#: hour for the most serious) and lengthen with the level.
ACK_WITHIN = {WarningLevel.RED: timedelta(minutes=30), WarningLevel.ORANGE: timedelta(hours=1),
              WarningLevel.YELLOW: timedelta(hours=4), WarningLevel.BLUE: timedelta(hours=12)}


def _within(path: str, scope: WarningScope) -> bool:
    return any(path.startswith(p) for p in scope.jurisdictions)


def _in_sectors(body: Body, scope: WarningScope) -> bool:
    return body.kind != BodyKind.DEPARTMENT or not scope.sectors or bool(
        body.sectors & scope.sectors)


def recipients(scope: WarningScope, bodies: Iterable[Body], *, issuer_id: int,
               level: WarningLevel, support_units: bool = False) -> list[int]:
    """Every body to notify: the offices in the scope's jurisdictions and below, the
    departments there that regulate a sector in scope (all, when no sector is named), the
    national Emergency Office (Plan §3.3 ¶1: warnings are reported upward; project rule: every
    warning, not only major ones, so the Office sees the whole picture), for red and orange
    the national technical support teams (Plan §3.4.1 (3), §3.4.2 (3)), and the units
    (:func:`reaches_unit`). Not the issuer itself."""
    out = []
    for b in bodies:
        if b.id == issuer_id:
            continue
        if b.function == BodyFunction.NATIONAL_EMERGENCY_OFFICE or (
                b.kind in RECEIVING_KINDS and _within(b.jurisdiction_path, scope)
                and _in_sectors(b, scope)) or (
                b.kind == BodyKind.SUPPORT_TEAM and level in (WarningLevel.RED,
                                                              WarningLevel.ORANGE)
                and len(path_ids(b.jurisdiction_path)) == 1) or reaches_unit(
                    b, scope, support_units=support_units):
            out.append(b.id)
    return sorted(out)


def reaches_unit(b: Body, scope: WarningScope, *, support_units: bool = False) -> bool:
    """Whether a warning reaches the unit ``b`` (Plan §3.3 ¶1, §3.4.1 (2)):

    - an operating unit in the scope's jurisdictions (or below) that runs systems of a sector
      in scope (any unit, when no sector is named; project rule: a unit with no sector
      registered is reached only then);
    - the CNCERT branch of each province the scope touches (a city's warning reaches its
      province's branch), and CNCERT itself for a national warning (project rule: the branches
      monitor their province's public networks, Plan §3.2);
    - a support unit in the scope's jurisdictions, when the issuer chooses (project rule:
      support units are called on by choice, Support §4).
    """
    if b.kind == BodyKind.OPERATOR:
        return _within(b.jurisdiction_path, scope) and (
            not scope.sectors or bool(b.sectors & scope.sectors))
    if b.kind == BodyKind.CERT:
        depth = len(path_ids(b.jurisdiction_path))
        return depth <= 2 and (scope.national or b.jurisdiction_path in scope.provinces())
    if b.kind == BodyKind.SUPPORT_UNIT:
        return support_units and _within(b.jurisdiction_path, scope)
    return False


def responders(scope: WarningScope, bodies: Iterable[Body]) -> list[int]:
    """The 有关省（区、市）、部门 that owe the Plan §3.4 tasks: offices and departments (in
    sector) whose jurisdiction is one the scope names; when it names the whole country, the
    province offices and the national departments. Project rule: bodies further down receive
    the warning but act through their own plans."""
    named = set(scope.jurisdictions)
    out = []
    for b in bodies:
        if b.kind not in RECEIVING_KINDS or b.function == BodyFunction.NATIONAL_EMERGENCY_OFFICE:
            continue
        depth = len(path_ids(b.jurisdiction_path))
        top = scope.national and depth <= 2 and (b.kind == BodyKind.OFFICE or depth == 1)
        if (b.jurisdiction_path in named or top) and _in_sectors(b, scope):
            out.append(b.id)
    return sorted(out)


def checklist_scope(scope: WarningScope, bodies: list[Body], *, issuer_id: int
                    ) -> ChecklistScope:
    """Who gets which §3.4 task: the Emergency Office, the responders (the issuer among them
    when it is an office or department of the scope), the national support teams and the
    operating units reached."""
    office = next((b.id for b in bodies
                   if b.function == BodyFunction.NATIONAL_EMERGENCY_OFFICE), None)
    teams = tuple(sorted(b.id for b in bodies if b.kind == BodyKind.SUPPORT_TEAM
                         and len(path_ids(b.jurisdiction_path)) == 1))
    found = responders(scope, bodies)
    issuer = next((b for b in bodies if b.id == issuer_id), None)
    if issuer and issuer.kind in RECEIVING_KINDS and issuer.id != office and issuer.id not in \
            found and _within(issuer.jurisdiction_path, scope):
        found.append(issuer.id)
    units = tuple(sorted(b.id for b in bodies if b.kind == BodyKind.OPERATOR
                         and b.id != issuer_id and reaches_unit(b, scope)))
    return ChecklistScope(emergency_office_id=office, responder_ids=tuple(sorted(found)),
                          support_team_ids=teams, unit_ids=units)


def may_approve(*, drafted_by: str, approver: str, approver_body_id: int,
                issuer_body_id: int) -> Decision:
    """Project rule (four eyes): a warning is approved by someone of the issuing body other
    than its drafter, because Plan §3.3 has the issuer 组织研判，确定和发布 — decide as a
    body, not as one analyst."""
    refusals = []
    if approver_body_id != issuer_body_id:
        refusals.append(Reason("approve.not_issuer", "Plan §3.3",
                               "只有预警发布机构的人员可以审批",
                               "only staff of the issuing body may approve"))
    if approver == drafted_by:
        refusals.append(Reason("approve.four_eyes", "Plan §3.3 (project rule)",
                               "起草人不能审批自己起草的预警",
                               "the drafter may not approve their own warning"))
    return decide(refusals, Reason("approve.allowed", "Plan §3.3", "发布机构另一人审批",
                                   "approved by another member of the issuing body"))
