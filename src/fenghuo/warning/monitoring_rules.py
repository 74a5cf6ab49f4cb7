"""Who a monitoring item reaches, and who reports it on (Plan §3.2). Pure: no I/O.

Plan §3.2 各单位…组织对本单位建设运行的网络和信息系统开展网络安全监测工作。重点行业主管或监管部门
组织指导做好本行业网络安全监测工作。各省（区、市）网信部门…统筹组织开展对本地区网络和信息系统的
安全监测工作。各省（区、市）、各部门将重要监测信息报应急办，应急办组织开展跨省（区、市）、跨部门的
网络安全信息共享。

So an important item of a unit (an operator, a support unit or team) goes up the chain it came
from: to the cyberspace offices of the unit's region (its own jurisdiction's up to the province)
and to the department regulating the unit's sector, which assess it (研判, Plan §3.3) and report
it on to the Emergency Office. An important item of a province, a department or another body
goes to the Emergency Office at once, as before. When the unit's chain has no office below the
nation and no department for its sector, its item goes to the Emergency Office at once rather than
to nobody (the project's reading).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from fenghuo.common.reasons import Decision, Reason, decide
from fenghuo.incident.rules import Candidate  # a body an item may go to, as for reports
from fenghuo.org.rules import SELF_SCOPED_KINDS, BodyFunction, BodyKind

SOURCE = "Plan §3.2"

#: share reasons (``MonitoringShare.reason``)
UPWARD = "upward"  #: an important item to the Emergency Office at once
LOCAL_OFFICE = "local_office"  #: an important unit item to an office of the unit's region
SECTOR_DEPARTMENT = "sector_department"  #: … to the department regulating the unit's sector
REPORTED_UP = "reported_up"  #: an office or department reported the item on to the Office
SHARED = "shared"  #: the Emergency Office shared it across provinces and departments
SUBJECT = "subject"  #: the unit the item is about (Support obligation 7, warning.subject)
SUBJECT_OFFICE = "subject_office"  #: that unit's jurisdiction office

#: the reasons a body holds an item by that let it report the item on to the Emergency Office
CHAIN_REASONS = frozenset({LOCAL_OFFICE, SECTOR_DEPARTMENT, SUBJECT_OFFICE})

#: bodies whose important items go up their own chain first: the units of Plan §3.2 各单位
UNIT_KINDS = SELF_SCOPED_KINDS

REASON_LABELS: dict[str, tuple[str, str]] = {
    UPWARD: ("重要监测信息报应急办（预案3.2）",
             "important: up to the Emergency Office (Plan §3.2)"),
    LOCAL_OFFICE: ("单位重要监测信息报属地网信部门（预案3.2）",
                   "the unit's important item, to its region's cyberspace office (Plan §3.2)"),
    SECTOR_DEPARTMENT: ("单位重要监测信息报行业主管部门（预案3.2）",
                        "the unit's important item, to its sector's department (Plan §3.2)"),
    REPORTED_UP: ("省（区、市）、部门将重要监测信息报应急办（预案3.2）",
                  "reported on to the Emergency Office by a province or department (Plan §3.2)"),
    SHARED: ("应急办组织跨省（区、市）、跨部门共享（预案3.2）",
             "shared by the Emergency Office across provinces and departments (Plan §3.2)"),
    SUBJECT: ("关于本单位的监测信息（支撑单位义务第7条）",
              "about your unit (Support obligation 7)"),
    SUBJECT_OFFICE: ("关于辖区单位的监测信息（支撑单位义务第7条）",
                     "about a unit of your region (Support obligation 7)"),
}

#: what each recipient is asked to do, by the reason it holds the item
ASKED: dict[str, tuple[str, str]] = {
    LOCAL_OFFICE: ("请研判；重要监测信息报应急办（预案3.2、3.3）",
                   "assess it and report it on to the Emergency Office (Plan §3.2, §3.3)"),
    SECTOR_DEPARTMENT: ("请研判；重要监测信息报应急办（预案3.2、3.3）",
                        "assess it and report it on to the Emergency Office (Plan §3.2, §3.3)"),
    UPWARD: ("请研判，组织跨省（区、市）、跨部门共享（预案3.2）",
             "assess it and share it across provinces and departments (Plan §3.2)"),
    REPORTED_UP: ("请研判，组织跨省（区、市）、跨部门共享（预案3.2）",
                  "assess it and share it across provinces and departments (Plan §3.2)"),
    SHARED: ("请研判；需要立即采取防范措施的，及时通知有关部门和单位（预案3.3）",
             "assess it; where measures are needed at once, tell the departments and units "
             "concerned (Plan §3.3)"),
}


def tag(important: bool) -> tuple[str, str]:
    """The kind and weight of an item, for a message's subject brackets."""
    return ("监测信息 重要", "MONITORING IMPORTANT") if important else ("监测信息", "MONITORING")


def label(reason: str) -> tuple[str, str]:
    """The (Chinese, English) words of a share reason; the code itself if unknown."""
    return REASON_LABELS.get(reason, (reason, reason))


@dataclass(frozen=True)
class Origin:
    """Where an item comes from: the submitting body, and the unit it is about (the submitter
    itself, or the unit it names, Support obligation 7) with that unit's region and sectors."""

    submitter_id: int
    submitter_kind: BodyKind
    #: jurisdiction ids of the unit the item is about, from its own up to the nation
    chain: tuple[int, ...]
    sectors: frozenset[str]


@dataclass(frozen=True)
class Recipient:
    body_id: int
    reason: str


def _nearest(cands: Iterable[Candidate], chain: tuple[int, ...],
             pred: Callable[[Candidate], bool]) -> list[Candidate]:
    """The matching bodies at the lowest jurisdiction of the chain that has any."""
    cands = list(cands)
    for jid in chain:
        found = [c for c in cands if c.jurisdiction_id == jid and pred(c)]
        if found:
            return found
    return []


def _chain(origin: Origin, candidates: list[Candidate]) -> list[Recipient]:
    """The offices of the unit's region below the nation, and for each of its sectors the
    nearest department regulating it (a department without a routing function)."""
    regional = frozenset(origin.chain[:-1])
    out = [Recipient(c.body_id, LOCAL_OFFICE) for c in candidates
           if c.kind == BodyKind.OFFICE and c.jurisdiction_id in regional]
    for sector in sorted(origin.sectors):
        out += [Recipient(c.body_id, SECTOR_DEPARTMENT) for c in _nearest(
            candidates, origin.chain, lambda c, x=sector: c.kind == BodyKind.DEPARTMENT
            and c.function is None and x in c.sectors)]
    return out


def first_recipients(origin: Origin, *, important: bool,
                     candidates: Iterable[Candidate]) -> list[Recipient]:
    """Who an item reaches when it is submitted (Plan §3.2), each once, never the submitter:
    nobody unless it is important; a unit's, the offices and departments of its chain (the
    Emergency Office when the chain has none); any other body's, the Emergency Office."""
    if not important:
        return []
    candidates = list(candidates)
    office = [Recipient(c.body_id, UPWARD) for c in candidates
              if c.function == BodyFunction.NATIONAL_EMERGENCY_OFFICE]
    found = _chain(origin, candidates) if origin.submitter_kind in UNIT_KINDS else []
    seen: dict[int, Recipient] = {}
    for r in found or office:
        if r.body_id != origin.submitter_id:
            seen.setdefault(r.body_id, r)
    return list(seen.values())


_REPORT_UP = Reason("monitoring.report_up", SOURCE,
                    "各省（区、市）、各部门将重要监测信息报应急办",
                    "provinces and departments report important monitoring information to the "
                    "Emergency Office")
_NOT_IN_CHAIN = Reason("monitoring.report_up.not_in_chain", SOURCE,
                       "只有经单位上报渠道收到该监测信息的网信部门或行业主管部门才能将其报应急办",
                       "only an office or department that received the item up the unit's "
                       "chain reports it on to the Emergency Office")
_IS_OFFICE = Reason("monitoring.report_up.emergency_office", SOURCE,
                    "应急办是重要监测信息的报送对象，无需再报",
                    "the Emergency Office is where items are reported to")


def may_report_up(held_by: str | None, *, emergency_office: bool) -> Decision:
    """Plan §3.2: a body that holds the item up a unit's chain (``held_by``, its share
    reason, None when it holds none) reports it on to the Emergency Office."""
    refusals = []
    if emergency_office:
        refusals.append(_IS_OFFICE)
    elif held_by not in CHAIN_REASONS:
        refusals.append(_NOT_IN_CHAIN)
    return decide(refusals, _REPORT_UP)
