"""Reading historical incidents exported by other tools (issue 18 item 9). Pure: no I/O.

Formats (``FORMATS``):

* ``fir-csv`` / ``fir-json`` — FIR (certsocietegenerale/FIR) incidents: ``id``, ``date`` (when
  it was opened, i.e. reported), ``subject``, ``description``, ``category`` (a FIR category
  label), ``status`` (``O``/``Open``, ``B``/``Blocked``, ``C``/``Closed``), ``severity`` (1–4),
  ``actor``, ``plan``, ``is_major``, ``confidentiality`` (C0–C3), ``detection``,
  ``concerned_business_lines`` (FIR's business lines are our units: the first is the unit).
  FIR keeps its timeline as comments (``comments``: ``date``, ``action``, ``comment``): the
  first comment that is neither *Opened* nor *Closed* is the acknowledgement, the last
  *Closed* one the closing. The flat CSV carries them as ``acknowledged_date`` and
  ``closed_date``. FIR dates without a time zone are in the deployment's zone.
* ``thehive-json`` — TheHive 4/5 cases: ``title``, ``description``, ``severity`` (1 low – 4
  critical), ``startDate`` (when it began: found), ``createdAt`` (reported), ``endDate``
  (closed), ``status`` / ``stage`` / ``resolutionStatus``, ``tags``, ``tlp`` / ``tlpLabel``,
  ``pap``, ``owner``/``assignee``, ``customFields`` (TheHive 4's ``{name: {type: value}}`` or
  TheHive 5's ``[{name, value}]``): ``unit`` names the unit, ``category`` an annex 1 code,
  ``acknowledgedAt`` the acknowledgement. Times are milliseconds since the epoch (UTC).
* ``fenghuo-json`` — a list of objects with our own field names (``id``, ``unit``, ``title``,
  ``category``, ``subcategory``, ``grade``, ``found_at``, ``reported_at``,
  ``acknowledged_at``, ``resolved_at``, ``state``, ``tlp``, ``impact``, ``measures``).

Mappings (project readings; the tools' scales are not the Plan's):

* **Category → Plan annex 1**: an annex code is taken as it is; FIR labels and TheHive tags by
  :data:`CATEGORY_NAMES` (case-insensitive). An unknown FIR category rejects the file; a
  TheHive case whose tags name no category is 其他事件 (``other``, annex 1 item 7), since tags
  are free text.
* **Severity → grade (Plan §1.4)**: 4 → especially major, 3 → major, 2 → relatively major,
  1 → general (:data:`SEVERITY_GRADES`); FIR's ``is_major`` makes it at least major.
* **TLP**: FIR confidentiality C0–C3 → clear, green, amber, red; TheHive ``tlpLabel`` as
  written, else 0–3 (TheHive 4: white, green, amber, red) and 4 red.

Every problem is reported with its row (counting from 1 in the file's order) and field; a file
with any problem is refused whole (:func:`parse` returns the problems, the service raises).
"""

from __future__ import annotations

import csv
import functools
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from fenghuo.incident.taxonomy import get_taxonomy

FORMATS = ("fir-csv", "fir-json", "thehive-json", "fenghuo-json")
#: the tool a format comes from: a row's id is unique within the tool (``import_source``)
TOOL_OF = {"fir-csv": "fir", "fir-json": "fir", "thehive-json": "thehive",
           "fenghuo-json": "fenghuo"}
GRADES = ("especially_major", "major", "relatively_major", "general")
SEVERITY_GRADES = {4: "especially_major", 3: "major", 2: "relatively_major", 1: "general"}
STATES = ("reported", "acknowledged", "handling", "resolved", "closed")
TLPS = ("clear", "green", "amber", "amber+strict", "red")
FIR_TLP = {"0": "clear", "1": "green", "2": "amber", "3": "red"}
THEHIVE_TLP = {0: "clear", 1: "green", 2: "amber", 3: "red", 4: "red"}
#: FIR category labels and TheHive tags → Plan annex 1 codes (project reading)
CATEGORY_NAMES = {
    "malware": "harmful-program", "virus": "harmful-program.virus",
    "worm": "harmful-program.worm", "trojan": "harmful-program.trojan",
    "botnet": "harmful-program.botnet", "ransomware": "harmful-program.other",
    "cryptominer": "harmful-program.other", "phishing": "network-attack.phishing",
    "ddos": "network-attack.dos", "dos": "network-attack.dos",
    "denial of service": "network-attack.dos", "vulnerability": "network-attack.vulnerability",
    "exploit": "network-attack.vulnerability", "defacement": "network-attack.vulnerability",
    "website hacked": "network-attack.vulnerability",
    "compromised host": "network-attack.backdoor", "compromise": "network-attack.backdoor",
    "apt": "network-attack.backdoor", "backdoor": "network-attack.backdoor",
    "scan": "network-attack.scanning-eavesdropping",
    "scanning": "network-attack.scanning-eavesdropping",
    "account compromise": "network-attack.other", "bruteforce": "network-attack.other",
    "domain hijacking": "network-attack.other", "data leak": "information-destruction.leak",
    "dump": "information-destruction.leak", "data-leak": "information-destruction.leak",
    "data theft": "information-destruction.theft", "data loss": "information-destruction.loss",
    "tampering": "information-destruction.tampering",
    "fraud": "information-destruction.counterfeiting",
    "scam": "information-destruction.counterfeiting",
    "illegal content": "information-content-security",
    "abusive content": "information-content-security", "spam": "information-content-security",
    "hardware failure": "equipment-failure.hardware-software",
    "outage": "equipment-failure.hardware-software",
    "power failure": "equipment-failure.support-facility",
    "disaster": "catastrophic", "other": "other",
}


@dataclass(frozen=True)
class Problem:
    row: int
    field: str
    message: str


@dataclass
class HistoryRow:
    """One historical incident, in our terms, before its unit is looked up."""

    row: int
    source_id: str
    unit: str
    title: str
    category: str
    subcategory: str | None
    grade: str
    found_at: datetime
    reported_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    state: str
    tlp: str = "amber"
    description: str = ""
    impact: str = ""
    measures: str = ""
    #: what the tool said that has no column here (actor, plan, detection, pap, tags…)
    extra: dict[str, Any] = field(default_factory=dict)


class _Row:
    """Collects the problems of one row while its fields are read."""

    def __init__(self, number: int, raw: dict, problems: list[Problem]) -> None:
        self.number, self.raw, self.problems = number, raw, problems

    def bad(self, name: str, message: str) -> None:
        self.problems.append(Problem(self.number, name, message))

    def text(self, name: str, *, required: bool = False, limit: int = 20000) -> str:
        value = self.raw.get(name)
        value = "" if value is None else str(value).strip()
        if required and not value:
            self.bad(name, "is required")
        if len(value) > limit:
            self.bad(name, f"is longer than {limit} characters")
        return value


# --- times ------------------------------------------------------------------------------------


def parse_time(value: Any, zone: tzinfo, *, millis: bool = False) -> datetime | None:
    """An ISO 8601 text (naive: in ``zone``) or, with ``millis``, milliseconds since the epoch;
    None when empty. ValueError when it is neither."""
    if value is None or value == "":
        return None
    if millis or isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError("not milliseconds since the epoch")
        return datetime.fromtimestamp(float(value) / 1000, UTC)
    moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)


def _time(row: _Row, name: str, zone: tzinfo, *, millis: bool = False,
          required: bool = False) -> datetime | None:
    try:
        moment = parse_time(row.raw.get(name), zone, millis=millis)
    except (TypeError, ValueError, OverflowError, OSError):
        row.bad(name, f"{row.raw.get(name)!r} is not a date-time")
        return None
    if moment is None and required:
        row.bad(name, "is required")
    return moment


def check_times(out: HistoryRow, names: dict[str, str], now: datetime,
                problems: list[Problem]) -> None:
    """History lies in the past and in order: found ≤ reported ≤ acknowledged, reported ≤
    closed; a closed or resolved incident has its closing time. ``names`` maps our field names
    to the file's, for the messages."""
    def bad(ours: str, message: str) -> None:
        problems.append(Problem(out.row, names.get(ours, ours), message))
    for ours in ("found_at", "reported_at", "acknowledged_at", "resolved_at"):
        moment = getattr(out, ours)
        if moment is not None and moment > now + timedelta(minutes=5):
            bad(ours, "lies in the future; history is in the past")
    if out.found_at > out.reported_at:
        bad("found_at", "is after the report time")
    if out.acknowledged_at is not None and out.acknowledged_at < out.reported_at:
        bad("acknowledged_at", "is before the report time")
    if out.resolved_at is not None and out.resolved_at < out.reported_at:
        bad("resolved_at", "is before the report time")
    if out.state in ("resolved", "closed") and out.resolved_at is None:
        bad("resolved_at", f"is required for a {out.state} incident")


# --- mappings ---------------------------------------------------------------------------------


@functools.cache
def category_of(label: str) -> tuple[str, str | None] | None:
    """(category, subcategory) of Plan annex 1 for an annex code or a known label."""
    code = label.strip()
    code = code if get_taxonomy().category(code) or get_taxonomy().subcategory(code) else (
        CATEGORY_NAMES.get(code.lower(), ""))
    if not code:
        return None
    sub = get_taxonomy().subcategory(code)
    return (sub.category, sub.code) if sub else (code, None)


def grade_of(severity: Any, *, major: bool = False) -> str | None:
    """Plan §1.4 grade for a tool's severity 1–4 (project reading, see the module docstring)."""
    try:
        number = int(str(severity).strip())
    except ValueError:
        return None
    grade = SEVERITY_GRADES.get(number)
    if grade and major and GRADES.index(grade) > GRADES.index("major"):
        return "major"
    return grade


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "y", "t")


def _open_state(acknowledged: datetime | None) -> str:
    return "acknowledged" if acknowledged else "reported"


# --- FIR --------------------------------------------------------------------------------------

FIR_STATUS = {"o": "open", "open": "open", "b": "blocked", "blocked": "blocked",
              "c": "closed", "closed": "closed"}
FIR_NAMES = {"found_at": "date", "reported_at": "date", "acknowledged_at": "acknowledged_date",
             "resolved_at": "closed_date", "title": "subject"}


def _fir_comments(raw: dict) -> dict:
    """FIR's timeline in comments → acknowledged_date and closed_date, unless given."""
    comments = raw.get("comments")
    if not isinstance(comments, list):
        return raw
    acks = [c.get("date") for c in comments if isinstance(c, dict)
            and str(c.get("action", "")).lower() not in ("opened", "closed")]
    closes = [c.get("date") for c in comments if isinstance(c, dict)
              and str(c.get("action", "")).lower() == "closed"]
    return {"acknowledged_date": acks[0] if acks else None,
            "closed_date": closes[-1] if closes else None, **raw}


def _fir_row(number: int, raw: dict, zone: tzinfo, problems: list[Problem]) -> HistoryRow | None:
    row = _Row(number, _fir_comments(raw), problems)
    before = len(problems)
    source_id = row.text("id", required=True, limit=120)
    lines = raw.get("concerned_business_lines")
    lines = ([str(x).strip() for x in lines] if isinstance(lines, list)
             else [x.strip() for x in str(lines or "").replace(";", ",").split(",")])
    lines = [x for x in lines if x]
    if not lines:
        row.bad("concerned_business_lines", "is required: the unit where it happened")
    title = row.text("subject", required=True, limit=300)
    label = row.text("category", required=True)
    category = category_of(label) if label else None
    if label and category is None:
        row.bad("category", f"FIR category {label!r} has no Plan annex 1 mapping; use an annex "
                            "code or one of: " + ", ".join(sorted(CATEGORY_NAMES)))
    grade = grade_of(raw.get("severity"), major=_truthy(raw.get("is_major")))
    if grade is None:
        row.bad("severity", f"{raw.get('severity')!r} is not a severity 1–4")
    status = FIR_STATUS.get(row.text("status").lower())
    if status is None:
        row.bad("status", f"{raw.get('status')!r} is not O, B or C")
    reported = _time(row, "date", zone, required=True)
    acknowledged = _time(row, "acknowledged_date", zone)
    closed = _time(row, "closed_date", zone)
    confidentiality = row.text("confidentiality").upper().removeprefix("C") or "2"
    if confidentiality not in FIR_TLP:
        row.bad("confidentiality", f"{raw.get('confidentiality')!r} is not C0–C3")
    if len(problems) > before:
        return None
    state = {"closed": "closed", "blocked": "handling"}.get(status, _open_state(acknowledged))
    measures = " / ".join(f"{k}: {row.text(k)}" for k in ("actor", "plan") if row.text(k))
    return HistoryRow(
        row=number, source_id=source_id, unit=lines[0], title=title, category=category[0],
        subcategory=category[1], grade=grade, found_at=reported, reported_at=reported,
        acknowledged_at=acknowledged, resolved_at=closed, state=state,
        tlp=FIR_TLP[confidentiality], description=row.text("description"), measures=measures,
        extra={k: v for k, v in (("fir_category", label), ("detection", row.text("detection")),
                                 ("also_concerned", lines[1:]), ("fir_status", status))
               if v})


# --- TheHive ----------------------------------------------------------------------------------

THEHIVE_NAMES = {"found_at": "startDate", "reported_at": "createdAt", "resolved_at": "endDate",
                 "acknowledged_at": "customFields.acknowledgedAt"}
THEHIVE_OPEN = {"open", "new", "inprogress", "in progress"}
THEHIVE_CLOSED = {"resolved", "closed", "truepositive", "falsepositive", "indeterminate",
                  "other", "duplicated"}


def custom_fields(raw: Any) -> dict[str, Any]:
    """TheHive custom fields as name → value, from TheHive 4's ``{name: {type: value, order}}``
    or TheHive 5's ``[{name, value}]`` (or a plain ``{name: value}``)."""
    if isinstance(raw, list):
        return {str(f.get("name")): f.get("value") for f in raw if isinstance(f, dict)}
    if not isinstance(raw, dict):
        return {}
    out = {}
    for name, value in raw.items():
        if isinstance(value, dict):
            value = next((v for k, v in value.items() if k != "order" and v is not None), None)
        out[name] = value
    return out


def _thehive_category(tags: list, fields: dict) -> tuple[str, str | None] | None:
    for label in [fields.get("category"), *tags]:
        if not label:
            continue
        label = str(label).split("=", 1)[-1].strip('"') if "=" in str(label) else str(label)
        found = category_of(label.removeprefix("category:"))
        if found:
            return found
    return None if fields.get("category") else ("other", None)


def _thehive_tlp(raw: dict) -> str | None:
    label = str(raw.get("tlpLabel") or "").strip().lower().replace("white", "clear")
    if label:
        return label if label in TLPS else None
    value = raw.get("tlp", 2)
    return THEHIVE_TLP.get(value) if isinstance(value, int) else None


def _thehive_row(number: int, raw: dict, problems: list[Problem]) -> HistoryRow | None:
    fields = custom_fields(raw.get("customFields"))
    row = _Row(number, {**raw, "customFields.unit": fields.get("unit"),
                        "customFields.acknowledgedAt": fields.get("acknowledgedAt")}, problems)
    before = len(problems)
    source_id = str(raw.get("_id") or raw.get("id") or raw.get("caseId") or raw.get("number")
                    or "").strip()
    if not source_id:
        row.bad("_id", "is required (or id, caseId, number)")
    unit = row.text("customFields.unit", required=True)
    title = row.text("title", required=True, limit=300)
    tags = [str(t) for t in raw.get("tags") or []]
    category = _thehive_category(tags, fields)
    if category is None:
        row.bad("customFields.category", f"{fields.get('category')!r} is not a Plan annex 1 "
                                         "code or known label")
    grade = grade_of(raw.get("severity"))
    if grade is None:
        row.bad("severity", f"{raw.get('severity')!r} is not a severity 1–4")
    status = str(raw.get("status") or raw.get("stage") or "Open").strip().lower()
    if status not in THEHIVE_OPEN | THEHIVE_CLOSED:
        row.bad("status", f"{raw.get('status')!r} is not a TheHive case status")
    tlp = _thehive_tlp(raw)
    if tlp is None:
        row.bad("tlp", f"{raw.get('tlp')!r} is not a TheHive TLP")
    started = _time(row, "startDate", UTC, millis=True, required=True)
    created = _time(row, "createdAt", UTC, millis=True) or started
    acknowledged = _time(row, "customFields.acknowledgedAt", UTC, millis=True)
    ended = _time(row, "endDate", UTC, millis=True)
    if len(problems) > before:
        return None
    resolution = str(raw.get("resolutionStatus") or "")
    return HistoryRow(
        row=number, source_id=source_id, unit=unit, title=title, category=category[0],
        subcategory=category[1], grade=grade, found_at=min(started, created),
        reported_at=created, acknowledged_at=acknowledged, resolved_at=ended,
        state="closed" if status in THEHIVE_CLOSED else _open_state(acknowledged),
        tlp=tlp, description=row.text("description"),
        impact=str(raw.get("impactStatus") or ""),
        measures=str(raw.get("summary") or (f"resolution: {resolution}" if resolution else "")),
        extra={k: v for k, v in (("tags", tags), ("pap", raw.get("pap")),
                                 ("owner", raw.get("owner") or raw.get("assignee")),
                                 ("resolution", resolution),
                                 ("updated_at", raw.get("updatedAt"))) if v not in (None, "", [])})


# --- our own ----------------------------------------------------------------------------------


def _fenghuo_row(number: int, raw: dict, zone: tzinfo,
                 problems: list[Problem]) -> HistoryRow | None:
    row = _Row(number, raw, problems)
    before = len(problems)
    source_id = row.text("id", required=True, limit=120)
    unit = row.text("unit", required=True)
    title = row.text("title", required=True, limit=300)
    category, subcategory = row.text("category", required=True), row.text("subcategory") or None
    problem = get_taxonomy().problem(category, subcategory) if category else None
    if problem:
        row.bad("subcategory" if "subcategory" in problem else "category", problem)
    grade = row.text("grade") or "general"
    if grade not in GRADES:
        row.bad("grade", f"{grade!r} is not one of {', '.join(GRADES)}")
    tlp = row.text("tlp") or "amber"
    if tlp not in TLPS:
        row.bad("tlp", f"{tlp!r} is not one of {', '.join(TLPS)}")
    reported = _time(row, "reported_at", zone, required=True)
    found = _time(row, "found_at", zone) or reported
    acknowledged = _time(row, "acknowledged_at", zone)
    resolved = _time(row, "resolved_at", zone)
    state = row.text("state") or ("closed" if resolved else _open_state(acknowledged))
    if state not in STATES:
        row.bad("state", f"{state!r} is not one of {', '.join(STATES)}")
    if len(problems) > before:
        return None
    return HistoryRow(
        row=number, source_id=source_id, unit=unit, title=title, category=category,
        subcategory=subcategory, grade=grade, found_at=found, reported_at=reported,
        acknowledged_at=acknowledged, resolved_at=resolved, state=state, tlp=tlp,
        description=row.text("description"), impact=row.text("impact"),
        measures=row.text("measures"))


# --- a whole file -----------------------------------------------------------------------------


def _records(fmt: str, text: str) -> list[dict]:
    if fmt == "fir-csv":
        return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    data = json.loads(text)
    if isinstance(data, dict):  # FIR's API pages ({"results": [...]}) or a wrapper
        data = next((data[k] for k in ("results", "incidents", "cases") if k in data), [data])
    if not isinstance(data, list):
        raise ValueError("expected a JSON list of incidents")
    return data


def parse(fmt: str, text: str, *, zone: tzinfo, now: datetime
          ) -> tuple[list[HistoryRow], list[Problem]]:
    """Every row of a file of format ``fmt`` in our terms, and every problem found (row,
    field, message); the file may be imported only when there are none."""
    if fmt not in FORMATS:
        return [], [Problem(0, "format", f"{fmt!r} is not one of {', '.join(FORMATS)}")]
    try:
        records = _records(fmt, text)
    except (ValueError, csv.Error) as exc:
        return [], [Problem(0, "file", f"cannot be read as {fmt}: {exc}")]
    rows: list[HistoryRow] = []
    problems: list[Problem] = []
    names = {"fir-csv": FIR_NAMES, "fir-json": FIR_NAMES,
             "thehive-json": THEHIVE_NAMES}.get(fmt, {})
    seen: dict[str, int] = {}
    for number, raw in enumerate(records, 1):
        if not isinstance(raw, dict):
            problems.append(Problem(number, "row", "is not an object"))
            continue
        out = (_fir_row(number, raw, zone, problems) if fmt.startswith("fir-")
               else _thehive_row(number, raw, problems) if fmt == "thehive-json"
               else _fenghuo_row(number, raw, zone, problems))
        if out is None:
            continue
        check_times(out, names, now, problems)
        if out.source_id in seen:
            problems.append(Problem(number, names.get("id", "id"), f"{out.source_id!r} is "
                                    f"also row {seen[out.source_id]}"))
        seen.setdefault(out.source_id, number)
        rows.append(out)
    return rows, problems
