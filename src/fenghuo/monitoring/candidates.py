"""Use cases of candidate monitoring items (issue 15 item 6): detection over the aggregates
opens candidates for the Emergency Office or a province office (``monitoring.detection``), an
analyst confirms one (it becomes a monitoring item through ``warning.monitoring``, and from
there a warning through what exists) or dismisses it with a reason.

* ``detect`` is a system job (the worker runs it every few minutes): it reads the aggregates of
  the window (W hours) and of the seven days before it, runs the rules and opens what is new.
  Aggregates are daily (China Standard Time): a day's row counts toward the window when its last
  event falls inside it, so the window's counts may include earlier events of that day.
* Idempotent: one candidate per rule × kind × indicator × target body × aligned W-hour window,
  and none while an earlier one for the same key was opened less than W hours ago (the same
  events); running detection again refreshes the evidence of an open candidate and opens nothing.
* Scope (Law art. 30): a caller sees the candidates of target bodies in its scope — the
  Emergency Office the national ones (and the provinces'), a province office its own; only the
  target body, or the Emergency Office, decides. Every opening and decision is audited.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, tuple_
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from fenghuo.common.periods import CST, day_of, start_of
from fenghuo.common.refs import new_ref
from fenghuo.common.scope import Principal
from fenghuo.config import Settings
from fenghuo.db.session import UnitOfWork
from fenghuo.monitoring import detection as d
from fenghuo.monitoring import sketch
from fenghuo.monitoring.candidate_schemas import CandidateOut, DetectOut
from fenghuo.monitoring.models import Aggregate, Candidate, events
from fenghuo.monitoring.rules import KINDS
from fenghuo.notify import outbox
from fenghuo.notify.compose import Notice, Words, compose
from fenghuo.org import directory, scoping
from fenghuo.org.models import Body, Jurisdiction
from fenghuo.org.rules import BodyFunction, JurisdictionLevel, Permission, contact_tier
from fenghuo.org.service import emergency_office, require
from fenghuo.warning import monitoring
from fenghuo.warning.models import MonitoringItem
from fenghuo.warning.rules import province_of
from fenghuo.warning.schemas import IndicatorIn, MonitoringIn

OPEN, CONFIRMED, DISMISSED = "open", "confirmed", "dismissed"
TOP = 10
SAMPLES = 10
MAX_ITEM_INDICATORS = 50


def thresholds_of(settings: Settings) -> d.Thresholds:
    """The detection thresholds of the ``FENGHUO_CANDIDATE_*`` settings."""
    return d.Thresholds(provinces=settings.candidate_provinces, units=settings.candidate_units,
                        window_hours=settings.candidate_window_hours,
                        spike_factor=settings.candidate_spike_factor,
                        spike_min_count=settings.candidate_spike_min_count,
                        cii_min_count=settings.candidate_cii_min_count)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    key: str  # the aligned W-hour window (China Standard Time) the detection falls in

    @classmethod
    def ending(cls, now: datetime, hours: int) -> Window:
        epoch = datetime(1970, 1, 1, tzinfo=CST)
        size = timedelta(hours=hours)
        aligned = epoch + (now.astimezone(CST) - epoch) // size * size
        return cls(now - size, now, f"{aligned:%Y-%m-%dT%H}+08/{hours}h")

    @property
    def days(self) -> tuple[date, date]:
        """First and last day (China Standard Time) the window touches."""
        return day_of(self.start), day_of(self.end)


# --- reading the aggregates --------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    kind: str
    indicator: str
    body_id: int | None
    level: int
    path: str
    day: date
    count: int


def _rows(s: Session, w: Window) -> list[_Row]:
    """Aggregates summed per key and day: the window's days (rows whose last event is inside
    the window) and the seven days before them (the baseline)."""
    first, last = w.days
    base = first - timedelta(days=d.BASELINE_DAYS)
    a = Aggregate
    inside = and_(a.day >= first, a.day <= last, a.last_seen >= w.start, a.first_seen <= w.end)
    seen = select(a.kind, a.indicator).where(inside)  # only what the window saw has a baseline
    stmt = (select(a.kind, a.indicator, a.body_id, a.level, a.jurisdiction_path, a.day,
                   func.sum(a.count))
            .where(or_(and_(a.day >= base, a.day < first,
                            tuple_(a.kind, a.indicator).in_(seen)), inside))
            .group_by(a.kind, a.indicator, a.body_id, a.level, a.jurisdiction_path, a.day))
    return [_Row(k, i, b, lv, p, day, int(n)) for k, i, b, lv, p, day, n in s.execute(stmt)]


def _provinces(s: Session) -> dict[str, Jurisdiction]:
    """Province path → province (the province of a body is its jurisdiction's province-level
    ancestor, ``warning.rules.province_of``)."""
    return {j.path: j for j in s.scalars(select(Jurisdiction).where(
        Jurisdiction.level == JurisdictionLevel.PROVINCE.value))}


def _facts(rows: list[_Row], w: Window, provinces: dict[str, Jurisdiction],
           cii: dict[int, bool]) -> list[d.Facts]:
    """One :class:`detection.Facts` per kind × indicator seen in the window."""
    first, _ = w.days
    groups: dict[tuple[str, str], list[_Row]] = defaultdict(list)
    for r in rows:
        groups[(r.kind, r.indicator)].append(r)
    out = []
    for (kind, indicator), rs in groups.items():
        inside = [r for r in rs if r.day >= first]
        if not inside:
            continue
        units: dict[int, int] = defaultdict(int)
        per_province: dict[str, int] = defaultdict(int)
        for r in inside:
            if r.level == 0 and r.body_id is not None:
                units[r.body_id] += r.count
            if r.level < 2 and (p := provinces.get(province_of(r.path))) is not None:
                per_province[p.code] += r.count
        unit_province = {r.body_id: provinces.get(province_of(r.path)) for r in inside}
        baseline = [sum(r.count for r in rs if r.day == first - timedelta(days=k))
                    for k in range(d.BASELINE_DAYS, 0, -1)]
        out.append(d.Facts(
            kind=kind, indicator=indicator, window_count=sum(r.count for r in inside),
            units=tuple(d.Unit(b, getattr(unit_province[b], "code", None), cii.get(b, False),
                               n) for b, n in sorted(units.items())),
            provinces=dict(per_province), baseline=tuple(baseline),
            unattributed=sum(r.count for r in inside if r.level == 2)))
    return out


# --- detection ---------------------------------------------------------------------------------


def detect(uow: UnitOfWork, clock: Clock, *, now: datetime | None = None,
           thresholds: d.Thresholds | None = None) -> DetectOut:
    """Run the rules over the window ending ``now`` (default: the clock) and open the
    candidates that are new; one transaction. A system job: no principal."""
    t = thresholds or d.Thresholds()
    now = now or clock.now()
    w = Window.ending(now, t.window_hours)
    result = DetectOut()
    with uow() as s:
        rows = _rows(s, w)
        provinces = _provinces(s)
        unit_ids = {r.body_id for r in rows if r.level == 0 and r.body_id is not None}
        cii = dict(s.execute(select(Body.id, Body.cii).where(Body.id.in_(unit_ids))).all()) \
            if unit_ids else {}
        for finding in d.detect(_facts(rows, w, provinces, cii), t):
            target = _target_body(s, finding)
            label = f"{finding.rule}:{finding.kind}:{finding.indicator}"
            if target is None:
                result.untargeted.append(f"{label}→{finding.target}")
                continue
            existing = _existing(s, finding, target, w)
            if existing is None:
                c = _open(s, finding, target, w, now, _evidence(s, finding, w, rows, provinces))
                result.opened.append(c.ref)
            elif existing.state == OPEN:
                existing.evidence = _dumps(_evidence(s, finding, w, rows, provinces))
                existing.assessment = _dumps(_assessment(finding))
                existing.updated_at = now
                result.refreshed.append(existing.ref)
    return result


def _target_body(s: Session, finding: d.Finding) -> Body | None:
    """The Emergency Office for a national finding; the province's office (``<code>.office``)
    for one confined to a province (Plan §3.2, §3.3 ¶2)."""
    if finding.national:
        return emergency_office(s)
    return s.scalar(select(Body).where(Body.key == f"{finding.target}.office",
                                       Body.active.is_(True)))


def _existing(s: Session, f: d.Finding, target: Body, w: Window) -> Candidate | None:
    """A candidate for the same rule × kind × indicator × target in this aligned window, or
    opened less than W hours ago (it saw the same events)."""
    return s.scalars(select(Candidate).where(
        Candidate.rule == f.rule.value, Candidate.kind == f.kind,
        Candidate.indicator == f.indicator, Candidate.target_body_id == target.id,
        or_(Candidate.window_key == w.key, Candidate.detected_at > w.start))
        .order_by(Candidate.id.desc()).limit(1)).first()


def _open(s: Session, f: d.Finding, target: Body, w: Window, now: datetime,
          evidence: dict[str, Any]) -> Candidate:
    c = Candidate(ref=new_ref("MC", now), rule=f.rule.value, kind=f.kind,
                  indicator=f.indicator, window_key=w.key, window_start=w.start,
                  window_end=w.end, target_body_id=target.id,
                  jurisdiction_path=target.jurisdiction.path, state=OPEN,
                  evidence=_dumps(evidence), assessment=_dumps(_assessment(f)),
                  detected_at=now, updated_at=now)
    s.add(c)
    s.flush()
    audit.record(s, at=now, actor=audit.Actor.of(None), action="candidate.open",
                 entity_type="monitoring_candidate", entity_key=c.ref,
                 scope_path=c.jurisdiction_path,
                 detail={"rule": c.rule, "kind": c.kind, "indicator": c.indicator,
                         "target": target.key, "window": w.key, "count": evidence["count"],
                         "level": f.proposal.level.value})
    _notify(s, c, target, f, evidence, now)
    return c


def _notify(s: Session, c: Candidate, target: Body, f: d.Finding, evidence: dict[str, Any],
            now: datetime) -> None:
    """Tell the target body's most urgent contacts that a candidate awaits a decision."""
    zh, en = d.RULE_LABELS[f.rule]
    kind = KINDS.get(c.kind)
    level = f.proposal.level
    # in words, Chinese first (issue 16 item 7)
    subject, text = compose(Notice(
        what=Words(f"{zh}：{c.indicator}", f"{en}: {c.indicator}"),
        tag=Words("候选监测信息", "CANDIDATE"), ref=c.ref,
        category=Words(kind.name_zh, kind.name_en) if kind else Words(c.kind, c.kind),
        grade=Words(f"建议{level.label_zh}", f"proposed: {level.label_en}"),
        asked=Words("研判后确认为监测信息或驳回",
                    "confirm it as monitoring information or dismiss it")))
    text += (f"证据 Evidence: 事件 {evidence['count']} 条、单位 {evidence['unit_count']} 个、"
             f"省份 {evidence['province_count']} 个 / {evidence['count']} events, "
             f"{evidence['unit_count']} units, {evidence['province_count']} provinces\n"
             f"fenghuo candidate show {c.ref}\n")
    payload = {"event": "candidate.opened", "ref": c.ref, "rule": c.rule, "kind": c.kind,
               "indicator": c.indicator, "level": f.proposal.level.value}
    contacts = contact_tier(directory.current(s).contacts.get(target.id, ()), 0)
    outbox.enqueue(s, now=now, messages=[outbox.Message(x, subject, text, payload, priority=50)
                                         for x in contacts])


# --- evidence and assessment -------------------------------------------------------------------


def _evidence(s: Session, f: d.Finding, w: Window, rows: list[_Row],
              provinces: dict[str, Jurisdiction]) -> dict[str, Any]:
    """Counts, distinct hosts, top units and provinces, and sample events of the finding."""
    first, last = w.days
    mine = [r for r in rows if r.kind == f.kind and r.indicator == f.indicator]
    inside = [r for r in mine if r.day >= first]
    per_unit: dict[int, int] = defaultdict(int)
    per_province: dict[str, int] = defaultdict(int)
    for r in inside:
        if r.level == 0 and r.body_id is not None:
            per_unit[r.body_id] += r.count
        if r.level < 2 and (p := provinces.get(province_of(r.path))) is not None:
            per_province[p.code] += r.count
    bodies = {b.id: b for b in s.scalars(select(Body).where(Body.id.in_(list(per_unit))))}
    by_code = {p.code: p for p in provinces.values()}
    units = sorted(per_unit.items(), key=lambda x: (-x[1], x[0]))
    days: dict[str, int] = defaultdict(int)
    for r in mine:
        days[r.day.isoformat()] += r.count
    seen = _seen(s, f, w)
    return {
        "window": {"start": w.start.isoformat(), "end": w.end.isoformat(),
                   "hours": round((w.end - w.start).total_seconds() / 3600), "key": w.key},
        "count": sum(r.count for r in inside), "hosts": seen["hosts"],
        "first_seen": seen["first_seen"], "last_seen": seen["last_seen"],
        "unit_count": len(per_unit), "province_count": len(per_province),
        "unattributed": sum(r.count for r in inside if r.level == 2),
        "days": dict(sorted(days.items())),
        "baseline": [sum(r.count for r in mine if r.day == first - timedelta(days=k))
                     for k in range(d.BASELINE_DAYS, 0, -1)],
        "units": [_unit(bodies[b], n, b in f.unit_ids, provinces) for b, n in units[:TOP]],
        "provinces": [{"code": c, "name_zh": by_code[c].name_zh, "name_en": by_code[c].name_en,
                       "count": n} for c, n in sorted(per_province.items(),
                                                      key=lambda x: (-x[1], x[0]))[:TOP]],
        "concerns": [bodies[b].key for b in f.unit_ids if b in bodies],
        "samples": _samples(s, f, w, (first, last)),
    }


def _unit(b: Body, count: int, concerned: bool, provinces: dict[str, Jurisdiction]
          ) -> dict[str, Any]:
    p = provinces.get(province_of(b.jurisdiction.path))
    return {"body": b.key, "name_zh": b.name_zh, "name_en": b.name_en,
            "province": p.code if p else None, "cii": b.cii, "sectors": b.sector_codes,
            "count": count, "concerned": concerned}


def _seen(s: Session, f: d.Finding, w: Window) -> dict[str, Any]:
    """Distinct hosts (the union of the window's sketches) and first and last seen."""
    first, last = w.days
    rows = s.execute(select(Aggregate.hosts, Aggregate.first_seen, Aggregate.last_seen).where(
        Aggregate.kind == f.kind, Aggregate.indicator == f.indicator, Aggregate.day >= first,
        Aggregate.day <= last, Aggregate.last_seen >= w.start,
        Aggregate.first_seen <= w.end)).all()
    return {"hosts": sketch.estimate(sketch.union([r.hosts for r in rows])),
            "first_seen": min(r.first_seen for r in rows).isoformat() if rows else None,
            "last_seen": max(r.last_seen for r in rows).isoformat() if rows else None}


def _samples(s: Session, f: d.Finding, w: Window, days: tuple[date, date]
             ) -> list[dict[str, Any]]:
    """The latest events of the indicator in the window, from ``monitoring_events``; for a
    signature (no column) or a CII finding, those of the units it concerns."""
    e = events.c
    stmt = select(events).where(e.kind == f.kind, e.observed_at >= start_of(days[0]),
                                e.observed_at <= w.end)
    column = d.event_filter(f.kind, f.indicator)
    if column is not None:
        stmt = stmt.where(e[column[0]] == column[1])
    if (column is None or f.rule is d.Rule.CII) and f.unit_ids:
        stmt = stmt.where(e.body_id.in_(f.unit_ids))
    rows = s.execute(stmt.order_by(e.observed_at.desc()).limit(SAMPLES)).all()
    keys = dict(s.execute(select(Body.id, Body.key).where(
        Body.id.in_({r.body_id for r in rows if r.body_id is not None}))).all())
    return [{"observed_at": r.observed_at.isoformat(), "source_ip": _text(r.source_ip),
             "source_port": r.source_port, "destination_ip": _text(r.destination_ip),
             "destination_port": r.destination_port, "domain": r.domain, "url": r.url,
             "hash": r.hash, "cve": r.cve, "malware": r.malware,
             "body": keys.get(r.body_id), "level": r.level, "feed_id": r.feed_id,
             "batch_id": r.batch_id, "line_no": r.line_no} for r in rows]


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _assessment(f: d.Finding) -> dict[str, Any]:
    a = f.assessment
    return {"likelihood": a.likelihood.value, "extent": a.extent.value, "harm": a.harm.value,
            "proposal": f.proposal.as_dict(), "reasons": [r.as_dict() for r in f.reasons],
            "category": KINDS[f.kind].category if f.kind in KINDS else "other",
            "scope": f.target}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


# --- reading -----------------------------------------------------------------------------------


def _visible(principal: Principal):  # noqa: ANN202 - a Select
    return (select(Candidate, Body).join(Body, Body.id == Candidate.target_body_id)
            .where(scoping.visible_bodies(principal.scope)))


def candidate_out(s: Session, c: Candidate, target: Body) -> CandidateOut:
    kind = KINDS.get(c.kind)
    rule = d.Rule(c.rule)
    assessment = json.loads(c.assessment)
    item = s.scalar(select(MonitoringItem.ref).where(MonitoringItem.id == c.monitoring_item_id)) \
        if c.monitoring_item_id else None
    return CandidateOut(
        ref=c.ref, rule=c.rule, rule_label_zh=d.RULE_LABELS[rule][0],
        rule_label_en=d.RULE_LABELS[rule][1], kind=c.kind,
        kind_label_zh=kind.name_zh if kind else c.kind,
        kind_label_en=kind.name_en if kind else c.kind, indicator=c.indicator,
        window_start=c.window_start, window_end=c.window_end, target=target.key,
        target_name_zh=target.name_zh, target_name_en=target.name_en,
        scope=assessment.get("scope", d.NATIONAL), state=c.state,
        evidence=json.loads(c.evidence), assessment=assessment, detected_at=c.detected_at,
        updated_at=c.updated_at, decided_by=c.decided_by, decided_at=c.decided_at,
        reason=c.reason, monitoring_item=item)


def list_candidates(uow: UnitOfWork, *, principal: Principal, state: str | None = None,
                    limit: int = 200) -> list[CandidateOut]:
    """Candidates for bodies in the caller's scope, newest first (Law art. 30)."""
    require(principal, Permission.MONITORING_READ)
    stmt = _visible(principal)
    if state:
        stmt = stmt.where(Candidate.state == state)
    with uow() as s:
        rows = s.execute(stmt.order_by(Candidate.id.desc()).limit(limit)).all()
        return [candidate_out(s, c, b) for c, b in rows]


def _get(s: Session, principal: Principal, ref: str) -> tuple[Candidate, Body]:
    row = s.execute(_visible(principal).where(Candidate.ref == ref)).first()
    if row is None:
        raise NotFound(f"no candidate {ref!r}")
    return row[0], row[1]


def get_candidate(uow: UnitOfWork, *, principal: Principal, ref: str) -> CandidateOut:
    require(principal, Permission.MONITORING_READ)
    with uow() as s:
        return candidate_out(s, *_get(s, principal, ref))


# --- decisions ---------------------------------------------------------------------------------


def may_decide(uow: UnitOfWork, *, principal: Principal, ref: str) -> bool:
    """Whether the caller may confirm or dismiss the candidate now (what ``confirm`` and
    ``dismiss`` check), so a console shows the forms only to those who may use them."""
    with uow() as s:
        try:
            require(principal, Permission.WARNING_DRAFT)
            _decidable(s, principal, ref)
        except (Forbidden, Conflict, NotFound):
            return False
    return True


def _decidable(s: Session, principal: Principal, ref: str) -> tuple[Candidate, Body]:
    """An open candidate the caller's body may decide: the target body's own, or any for the
    Emergency Office (Plan §3.2: it organizes monitoring across provinces)."""
    c, target = _get(s, principal, ref)
    me = s.get(Body, principal.body_id)
    if me.id != target.id and me.function != BodyFunction.NATIONAL_EMERGENCY_OFFICE.value:
        raise Forbidden(f"candidate {ref} is for {target.key}; only that body or the Emergency "
                        "Office decides it")
    if c.state != OPEN:
        raise Conflict(f"candidate {ref} is already {c.state}")
    return c, target


def confirm(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
            title: str | None = None) -> str:
    """Confirm a candidate: it becomes a monitoring item of the caller's body (Plan §3.2),
    with the evidence as its text and indicators, linked to the candidate; returns its ref."""
    require(principal, Permission.MONITORING_SUBMIT)
    require(principal, Permission.WARNING_DRAFT)
    now = clock.now()
    with uow() as s:
        c, target = _decidable(s, principal, ref)
        item = monitoring.write_item(s, principal, item_in(c, title), now, key=f"candidate:{ref}")
        c.state, c.decided_by, c.decided_at = CONFIRMED, principal.username, now
        c.monitoring_item_id, c.updated_at = item.id, now
        audit.record(s, at=now, actor=audit.Actor.of(principal), action="candidate.confirm",
                     entity_type="monitoring_candidate", entity_key=c.ref,
                     scope_path=c.jurisdiction_path,
                     detail={"item": item.ref, "title": item.title, "target": target.key})
        return item.ref


def dismiss(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
            reason: str) -> CandidateOut:
    """Dismiss a candidate with the reason, recorded."""
    require(principal, Permission.WARNING_DRAFT)
    text = reason.strip()
    if len(text) < 3:
        raise ValidationFailed([FieldError("reason", "say why, in at least 3 characters / "
                                           "请说明理由")])
    now = clock.now()
    with uow() as s:
        c, target = _decidable(s, principal, ref)
        c.state, c.decided_by, c.decided_at = DISMISSED, principal.username, now
        c.reason, c.updated_at = text, now
        audit.record(s, at=now, actor=audit.Actor.of(principal), action="candidate.dismiss",
                     entity_type="monitoring_candidate", entity_key=c.ref,
                     scope_path=c.jurisdiction_path, detail={"reason": text,
                                                             "target": target.key})
        return candidate_out(s, c, target)


# --- the monitoring item of a confirmed candidate ----------------------------------------------


def item_in(c: Candidate, title: str | None = None) -> MonitoringIn:
    """The monitoring item a candidate becomes: evidence as text, indicators from its samples,
    the provinces and sectors it touched; important (shared upward) when it is national or may
    be major or graver (Plan §3.2, §3.3 ¶1)."""
    ev, a = json.loads(c.evidence), json.loads(c.assessment)
    rule = d.Rule(c.rule)
    zh, en = d.indicator_label(c.indicator)
    default = (f"{d.RULE_LABELS[rule][0]}：{zh}（{ev['province_count']}个省、{ev['unit_count']}"
               f"个单位）{d.RULE_LABELS[rule][1]}: {en} ({ev['province_count']} provinces, "
               f"{ev['unit_count']} units)")
    observed_at = datetime.fromisoformat(ev["last_seen"]) if ev.get("last_seen") else c.window_end
    return MonitoringIn(
        title=(title or default)[:300], observed=observed_text(c, ev, a)[:20000],
        observed_at=observed_at, category=a["category"].split(".")[0],
        jurisdictions=[p["code"] for p in ev["provinces"]],
        sectors=sorted({x for u in ev["units"] for x in u.get("sectors", [])}),
        systems="", indicators=_indicators(c.indicator, ev["samples"]),
        important=a["scope"] == d.NATIONAL or a["proposal"]["report_to_emergency_office"])


def observed_text(c: Candidate, ev: dict[str, Any], a: dict[str, Any]) -> str:
    """The evidence of a candidate as the bilingual text of a monitoring item."""
    p, win = a["proposal"], ev["window"]
    lines = [f"候选监测信息 Candidate {c.ref} · {c.rule} · {c.kind} · {c.indicator}",
             f"窗口 window {win['start']} – {win['end']} ({win['hours']}h)",
             f"事件 events {ev['count']} · 主机 distinct hosts {ev['hosts']} · 单位 units "
             f"{ev['unit_count']} · 省份 provinces {ev['province_count']} · 未归属 unattributed "
             f"{ev['unattributed']}",
             f"首次/末次 first/last seen {ev['first_seen']} / {ev['last_seen']}",
             "按日 per day: " + ", ".join(f"{k} {v}" for k, v in ev["days"].items()),
             "", "主要省份 top provinces:"]
    lines += [f"  {x['code']} {x['name_zh']} {x['name_en']}: {x['count']}" for x in ev["provinces"]]
    lines += ["主要单位 top units:"]
    lines += [f"  {u['body']} {u['name_zh']} {u['name_en']}{' [CII 关基]' if u['cii'] else ''}: "
              f"{u['count']}" for u in ev["units"]]
    lines += ["", "依据 reasons:"]
    lines += [f"  - {r['text_zh']} / {r['text_en']} ({r['source']})" for r in a["reasons"]]
    lines += [f"风险评估 risk assessment (Law art. 54(2)): likelihood {a['likelihood']}, extent "
              f"{a['extent']}, harm {a['harm']} → {p['label_zh']} {p['label_en']}",
              "", "样本事件 sample events:"]
    lines += [f"  {x['observed_at']} {x['source_ip']}:{x['source_port']} → "
              f"{x['destination_ip']}:{x['destination_port']} {x['body'] or '—'} "
              f"(batch {x['batch_id']} line {x['line_no']})" for x in ev["samples"]]
    return "\n".join(lines)


def _indicators(indicator: str, samples: Iterable[dict[str, Any]]) -> list[IndicatorIn]:
    found: dict[tuple[str, str], None] = {("other", indicator): None}
    for x in samples:
        for ip in (x["source_ip"], x["destination_ip"]):
            if ip:
                found[("ip", ip)] = None
        for kind, key in (("domain", "domain"), ("url", "url"), ("cve", "cve")):
            if x.get(key):
                found[(kind, x[key])] = None
        if x.get("hash"):
            found[({64: "sha256", 40: "sha1", 32: "md5"}.get(len(x["hash"]), "other"),
                   x["hash"])] = None
    return [IndicatorIn(type=t, value=v) for t, v in list(found)[:MAX_ITEM_INDICATORS]]
