"""Owner notices (通报) from monitoring (issue 16 item 2; Law arts. 51–52, Plan §3.2): what
monitoring attributed to a unit is sent to that unit — at once for what is severe, otherwise in
its daily digest — and the unit reports its handling (处置反馈) by a deadline.

* ``generate`` is a system job (the worker runs it every minute; ``fenghuo notice generate``):
  it looks at the ingest batches received in the last ``lookback`` hours that it has not looked
  at (``owner_notice_batches``), reads *their aggregates* (owner level, one row per batch × unit
  × kind × indicator × day; never the events), and gives each unit an immediate notice (merged
  into the unit's last one while that is unacknowledged and under an hour old) and/or adds to
  its pending digest. The batches are marked in the same transaction: the same aggregates never
  make two notices. Ingest itself is untouched. Then it sends the digests that are due (the day
  after they began collecting, at the digest hour) and runs the watchdog (``sweep``). A
  notice's creation, sending and every later change are audited; a pending digest's growth
  run by run is not (its count is in the audit row of its sending).
* Limit: housekeeping compacts the aggregates of closed days into the row of their first
  batch; late events of an old day that land in the minute between a batch's commit and the
  next notice run, just before an hourly compaction, would be folded away unnoticed. The
  worker runs this job before housekeeping in the same thread, which keeps that window small.
* The watchdog reminds the unit near and after the deadline, then tells the local office, each
  once (``notice_rules.next_step``); the accountability view counts unremediated notices.
* Reads are scoped (Law art. 30): a unit sees its own sent notices, an office or department its
  scope's; TLP:AMBER+STRICT and RED notices only the unit, its office and the sender. A unit's
  events page shows the events attributed to it and nothing else (n6's model).

The unit's and the office's actions are in :mod:`fenghuo.monitoring.notice_handling`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select, text
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import NotFound
from fenghuo.common.pagination import Page, PageParams
from fenghuo.common.periods import day_of
from fenghuo.common.reasons import Reason
from fenghuo.common.refs import new_ref
from fenghuo.common.schemas import Label, ReasonOut
from fenghuo.common.scope import Principal
from fenghuo.config import Settings
from fenghuo.db.session import UnitOfWork
from fenghuo.monitoring import notice_messages as say
from fenghuo.monitoring import notice_rules as r
from fenghuo.monitoring import store
from fenghuo.monitoring.constituency import LEVELS
from fenghuo.monitoring.models import Aggregate, Feed, IngestBatch, events
from fenghuo.monitoring.notice_models import NoticedBatch, OwnerNotice, OwnerNoticeItem
from fenghuo.monitoring.notice_schemas import (
    ContestOut,
    GenerateOut,
    NoticeItemOut,
    NoticeOut,
)
from fenghuo.monitoring.rules import KINDS
from fenghuo.monitoring.schemas import EventOut
from fenghuo.org import scoping
from fenghuo.org.models import Body
from fenghuo.org.rules import BodyKind, Permission
from fenghuo.org.service import emergency_office, local_office, require
from fenghuo.sharing.tlp import Tlp

MAX_BATCHES = 2_000  # batches looked at per run; the next run takes the rest
IN_CHUNK = 1_000  # batch ids per query
COALESCE = timedelta(hours=1)  # an unacknowledged immediate notice this young takes more in
STRICT_TLP = (Tlp.AMBER_STRICT.value, Tlp.RED.value)
EVENTS_DAYS = 7  # the default window of a unit's own events page


@dataclass(frozen=True)
class NoticeSettings:
    policy: r.Policy = r.Policy()
    issuer: str = "cn.cncert"
    tlp: str = Tlp.AMBER.value
    lookback_hours: float = 48


def _set(text_: str) -> frozenset[str]:
    return frozenset(x.strip() for x in text_.split(",") if x.strip())


def settings_of(s: Settings) -> NoticeSettings:
    """The ``FENGHUO_NOTICE_*`` settings (project rules: the texts give no hours)."""
    return NoticeSettings(r.Policy(
        immediate_cii=s.notice_immediate_cii, immediate_kinds=_set(s.notice_immediate_kinds),
        government_sectors=_set(s.notice_government_sectors), digest_hour=s.notice_digest_hour,
        immediate_hours=s.notice_immediate_hours, digest_hours=s.notice_digest_hours,
        remind_before_hours=s.notice_remind_before_hours,
        office_after_hours=s.notice_office_after_hours),
        issuer=s.notice_issuer, tlp=Tlp(s.notice_tlp).value,
        lookback_hours=s.notice_lookback_hours)


# --- generation ---------------------------------------------------------------------------------


@dataclass
class _Count:
    count: int
    first: datetime
    last: datetime

    def add(self, other: _Count) -> None:
        self.count += other.count
        self.first, self.last = min(self.first, other.first), max(self.last, other.last)


Key = tuple[date, str, str]  # day, kind, indicator


def generate(uow: UnitOfWork, clock: Clock, *, settings: NoticeSettings | None = None,
             principal: Principal | None = None) -> GenerateOut:
    """One run of the notice job (idempotent): new batches → notices, due digests sent, the
    watchdog. Each part in its own transaction. A user who runs it needs monitoring:submit;
    the worker runs it as the system."""
    if principal is not None:
        require(principal, Permission.MONITORING_SUBMIT)
    cfg, out = settings or NoticeSettings(), GenerateOut()
    with uow() as s:
        _take_new(s, clock.now(), cfg, out)
    with uow() as s:
        _send_due_digests(s, clock.now(), cfg, out)
    sweep(uow, clock, settings=cfg, out=out)
    return out


def _lock(s: Session) -> None:
    """Two workers never look at the same batches at once (PostgreSQL; SQLite serializes
    writers, and the batch ledger's primary key stops a second run anyway)."""
    if store.is_postgres(s):
        s.execute(text("SELECT pg_advisory_xact_lock(hashtext('owner_notices'))"))


def _take_new(s: Session, now: datetime, cfg: NoticeSettings, out: GenerateOut) -> None:
    _lock(s)
    since = now - timedelta(hours=cfg.lookback_hours)
    batches = s.execute(select(IngestBatch.id, IngestBatch.received_at).where(
        IngestBatch.received_at >= since,
        ~exists().where(NoticedBatch.batch_id == IngestBatch.id))
        .order_by(IngestBatch.id).limit(MAX_BATCHES)).all()
    if not batches:
        return
    rows = _owner_rows(s, [b.id for b in batches])
    if rows:
        _notices_for(s, rows, now, cfg, out)
    s.add_all(NoticedBatch(batch_id=b.id, received_at=b.received_at, handled_at=now)
              for b in batches)
    out.batches = len(batches)


def _owner_rows(s: Session, batch_ids: list[int]) -> dict[int, dict[Key, _Count]]:
    """The owner-level aggregates of the batches, summed per unit × day × kind × indicator
    (aggregates of a group commit carry its first batch's id)."""
    a, found = Aggregate, defaultdict(dict)
    for i in range(0, len(batch_ids), IN_CHUNK):
        for body, day, kind, ind, n, first, last in s.execute(
                select(a.body_id, a.day, a.kind, a.indicator, func.sum(a.count),
                       func.min(a.first_seen), func.max(a.last_seen))
                .where(a.batch_id.in_(batch_ids[i:i + IN_CHUNK]), a.level == 0,
                       a.body_id.is_not(None))
                .group_by(a.body_id, a.day, a.kind, a.indicator)):
            c, have = _Count(int(n), first, last), found[body].get((day, kind, ind))
            if have is None:
                found[body][(day, kind, ind)] = c
            else:
                have.add(c)
    return found


def unit_facts(unit: Body) -> r.Unit:
    return r.Unit(kind=BodyKind(unit.kind), cii=bool(unit.cii),
                  sectors=frozenset(unit.sector_codes))


def _notices_for(s: Session, rows: dict[int, dict[Key, _Count]], now: datetime,
                 cfg: NoticeSettings, out: GenerateOut) -> None:
    units = {b.id: b for b in s.scalars(select(Body).where(Body.id.in_(sorted(rows))))}
    sender = _sender(s, cfg)
    for body_id in sorted(rows):
        unit, facts = units[body_id], unit_facts(units[body_id])
        at_once: dict[Key, _Count] = {}
        later: dict[Key, _Count] = {}
        reasons: dict[str, Reason] = {}
        for key, c in rows[body_id].items():
            why = r.urgency(facts, key[1], cfg.policy)
            (at_once if why else later)[key] = c
            if why:
                reasons[why.code] = why
        if at_once:
            out.immediate.append(_immediate(s, unit, sender, at_once, list(reasons.values()),
                                            now, cfg).ref)
        if later:
            out.digests_collecting.append(_collect(s, unit, sender, later, now, cfg).ref)


def _sender(s: Session, cfg: NoticeSettings) -> Body:
    found = s.scalar(select(Body).where(Body.key == cfg.issuer))
    return found or emergency_office(s)


def _new(s: Session, unit: Body, sender: Body, mode: r.Mode, reasons: list[Reason],
         items: dict[Key, _Count], now: datetime, cfg: NoticeSettings) -> OwnerNotice:
    office = local_office(s, unit)
    n = OwnerNotice(
        ref=new_ref("NT", now), body_id=unit.id, jurisdiction_path=unit.jurisdiction.path,
        sender_body_id=sender.id, office_body_id=office.id if office else None,
        mode=mode.value, digest_day=day_of(now) if mode is r.Mode.DIGEST else None,
        state=r.NoticeState.PENDING.value, tlp=cfg.tlp,
        reasons=json.dumps([x.as_dict() for x in reasons], ensure_ascii=False),
        period_start=min(c.first for c in items.values()),
        period_end=max(c.last for c in items.values()), events_total=0, created_at=now,
        updated_at=now, reminders=0)
    s.add(n)
    s.flush()
    _merge(s, n, items, now)
    audit.record(s, at=now, actor=audit.Actor.of(None), action="notice.create",
                 entity_type="owner_notice", entity_key=n.ref, scope_path=n.jurisdiction_path,
                 detail={"unit": unit.key, "mode": n.mode, "events": n.events_total})
    return n


def _merge(s: Session, n: OwnerNotice, items: dict[Key, _Count], now: datetime) -> None:
    """Add ``items`` to the notice's counts."""
    have = {(i.day, i.kind, i.indicator): i for i in s.scalars(
        select(OwnerNoticeItem).where(OwnerNoticeItem.notice_id == n.id))}
    for (day, kind, indicator), c in items.items():
        item = have.get((day, kind, indicator))
        if item is None:
            s.add(OwnerNoticeItem(notice_id=n.id, day=day, kind=kind, indicator=indicator,
                                  count=c.count, first_seen=c.first, last_seen=c.last))
            continue
        item.count += c.count
        item.first_seen, item.last_seen = min(item.first_seen, c.first), max(item.last_seen,
                                                                             c.last)
    n.events_total += sum(c.count for c in items.values())
    n.period_start = min(n.period_start, *(c.first for c in items.values()))
    n.period_end = max(n.period_end, *(c.last for c in items.values()))
    n.updated_at = now


def _immediate(s: Session, unit: Body, sender: Body, items: dict[Key, _Count],
               reasons: list[Reason], now: datetime, cfg: NoticeSettings) -> OwnerNotice:
    recent = s.scalar(select(OwnerNotice).where(
        OwnerNotice.body_id == unit.id, OwnerNotice.mode == r.Mode.IMMEDIATE.value,
        OwnerNotice.state == r.NoticeState.SENT.value, OwnerNotice.sent_at >= now - COALESCE)
        .order_by(OwnerNotice.sent_at.desc()).limit(1))
    if recent is not None:  # not read yet: the new events join it, nobody is told twice
        _merge(s, recent, items, now)
        audit.record(s, at=now, actor=audit.Actor.of(None), action="notice.extend",
                     entity_type="owner_notice", entity_key=recent.ref,
                     scope_path=recent.jurisdiction_path,
                     detail={"added": sum(c.count for c in items.values()),
                             "events": recent.events_total})
        return recent
    n = _new(s, unit, sender, r.Mode.IMMEDIATE, reasons, items, now, cfg)
    send(s, n, unit, now, cfg, actor=audit.Actor.of(None))
    return n


def _collect(s: Session, unit: Body, sender: Body, items: dict[Key, _Count], now: datetime,
             cfg: NoticeSettings) -> OwnerNotice:
    pending = s.scalar(select(OwnerNotice).where(
        OwnerNotice.body_id == unit.id, OwnerNotice.state == r.NoticeState.PENDING.value))
    if pending is not None:
        _merge(s, pending, items, now)
        return pending
    return _new(s, unit, sender, r.Mode.DIGEST, [r.DIGEST_REASON], items, now, cfg)


def send(s: Session, n: OwnerNotice, unit: Body, now: datetime, cfg: NoticeSettings, *,
         actor: audit.Actor) -> None:
    """The notice goes out: its deadline starts, the unit's contacts are told."""
    n.state, n.sent_at, n.updated_at = r.NoticeState.SENT.value, now, now
    n.deadline_at = r.deadline(now, r.Mode(n.mode), cfg.policy)
    told = say.notice_sent(s, n, unit, kind_counts(s, n.id), now)
    audit.record(s, at=now, actor=actor, action="notice.send", entity_type="owner_notice",
                 entity_key=n.ref, scope_path=n.jurisdiction_path,
                 detail={"unit": unit.key, "mode": n.mode, "events": n.events_total,
                         "deadline_at": n.deadline_at.isoformat(), "told": told})


def kind_counts(s: Session, notice_id: int) -> dict[str, int]:
    return {k: int(c) for k, c in s.execute(
        select(OwnerNoticeItem.kind, func.sum(OwnerNoticeItem.count))
        .where(OwnerNoticeItem.notice_id == notice_id).group_by(OwnerNoticeItem.kind))}


def _send_due_digests(s: Session, now: datetime, cfg: NoticeSettings,
                      out: GenerateOut) -> None:
    for n in s.scalars(select(OwnerNotice).where(
            OwnerNotice.state == r.NoticeState.PENDING.value,
            OwnerNotice.digest_day < day_of(now)).order_by(OwnerNotice.id)
            .with_for_update(skip_locked=True)).all():
        if now >= r.digest_due_at(n.digest_day, cfg.policy):
            send(s, n, s.get(Body, n.body_id), now, cfg, actor=audit.Actor.of(None))
            out.digests_sent.append(n.ref)


# --- the watchdog -------------------------------------------------------------------------------


def sweep(uow: UnitOfWork, clock: Clock, *, settings: NoticeSettings | None = None,
          out: GenerateOut | None = None, limit: int = 500) -> GenerateOut:
    """Remind near and after the deadline, then tell the local office; each step once."""
    cfg, out, now = settings or NoticeSettings(), out or GenerateOut(), clock.now()
    horizon = now + timedelta(hours=cfg.policy.remind_before_hours)
    with uow() as s:
        due = s.scalars(select(OwnerNotice).where(
            OwnerNotice.state.in_([x.value for x in r.AWAITING_FEEDBACK]),
            OwnerNotice.deadline_at <= horizon, OwnerNotice.office_told_at.is_(None))
            .order_by(OwnerNotice.deadline_at).limit(limit)
            .with_for_update(skip_locked=True)).all()
        for n in due:
            step = r.next_step(now, n.deadline_at, n.reminders, False, cfg.policy)
            if step is not None:
                _step(s, n, step, now, out)
    return out


def _step(s: Session, n: OwnerNotice, step: r.Step, now: datetime, out: GenerateOut) -> None:
    unit = s.get(Body, n.body_id)
    if step is r.Step.TELL_OFFICE:
        to = n.office_body_id or n.sender_body_id
        told = say.office_told(s, n, unit, to, now)
        n.office_told_at = now
        out.offices_told.append(n.ref)
        detail = {"office": s.get(Body, to).key, "told": told}
    else:
        overdue = step is r.Step.OVERDUE
        told = say.reminder(s, n, unit, 1 if overdue else 0, now)
        n.reminders, n.reminded_at = (2 if overdue else 1), now
        out.reminded.append(n.ref)
        detail = {"told": told}
    audit.record(s, at=now, actor=audit.Actor("watchdog"), action=f"notice.{step.value}",
                 entity_type="owner_notice", entity_key=n.ref, scope_path=n.jurisdiction_path,
                 detail={"deadline_at": n.deadline_at.isoformat(), **detail})


# --- reads (Law art. 30) ------------------------------------------------------------------------


def visible(principal: Principal):  # noqa: ANN201 - a WHERE clause
    """The notices the caller may read: those of units in its scope (a unit: its own, once
    sent), TLP:AMBER+STRICT and RED ones only for the unit, its office and the sender."""
    me = principal.body_id
    in_scope = OwnerNotice.body_id.in_(select(Body.id).where(
        scoping.visible_bodies(principal.scope)))
    named = or_(OwnerNotice.body_id == me, OwnerNotice.office_body_id == me)
    cond = and_(in_scope, or_(OwnerNotice.tlp.not_in(STRICT_TLP), named))
    if principal.scope.own_body_only:
        cond = and_(cond, OwnerNotice.state != r.NoticeState.PENDING.value)
    return or_(cond, OwnerNotice.sender_body_id == me)


def visible_notice(s: Session, principal: Principal, ref: str, *,
                   lock: bool = False) -> OwnerNotice:
    require(principal, Permission.MONITORING_READ)
    stmt = select(OwnerNotice).where(OwnerNotice.ref == ref, visible(principal))
    n = s.scalar(stmt.with_for_update() if lock else stmt)
    if n is None:
        raise NotFound(f"no notice {ref!r}")
    return n


def list_notices(uow: UnitOfWork, clock: Clock, *, principal: Principal, page: PageParams,
                 state: r.NoticeState | None = None, unit: str | None = None,
                 overdue: bool = False) -> Page[NoticeOut]:
    """Notices in the caller's view, newest first."""
    require(principal, Permission.MONITORING_READ)
    now = clock.now()
    stmt = select(OwnerNotice).where(visible(principal))
    if state is not None:
        stmt = stmt.where(OwnerNotice.state == state.value)
    if unit:
        stmt = stmt.where(OwnerNotice.body_id.in_(select(Body.id).where(Body.key == unit)))
    if overdue:
        stmt = stmt.where(OwnerNotice.state.in_([x.value for x in r.AWAITING_FEEDBACK]),
                          OwnerNotice.deadline_at <= now)
    with uow() as s:
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = s.scalars(stmt.order_by(OwnerNotice.created_at.desc(), OwnerNotice.id.desc())
                         .limit(page.limit).offset(page.offset)).all()
        return Page[NoticeOut](items=[notice_out(s, n, now, items=False) for n in rows],
                               total=total, limit=page.limit, offset=page.offset)


def get_notice(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str) -> NoticeOut:
    with uow() as s:
        return notice_out(s, visible_notice(s, principal, ref), clock.now())


def _label(pair: tuple[str, str]) -> Label:
    return Label(zh=pair[0], en=pair[1])


def notice_out(s: Session, n: OwnerNotice, now: datetime, *, items: bool = True) -> NoticeOut:
    unit, sender = s.get(Body, n.body_id), s.get(Body, n.sender_body_id)
    office = s.get(Body, n.office_body_id) if n.office_body_id else None
    state = r.NoticeState(n.state)
    return NoticeOut(
        ref=n.ref, unit=unit.key, unit_name_zh=unit.name_zh, unit_name_en=unit.name_en,
        sender=sender.key, office=office.key if office else None, mode=n.mode,
        mode_label=_label(r.MODE_LABELS[r.Mode(n.mode)]), state=state,
        state_label=_label(r.STATE_LABELS[state]), tlp=n.tlp,
        reasons=[ReasonOut(**x) for x in json.loads(n.reasons)], period_start=n.period_start,
        period_end=n.period_end, events_total=n.events_total,
        items=_items(s, n.id) if items else [], created_at=n.created_at, sent_at=n.sent_at,
        deadline_at=n.deadline_at, overdue=r.unremediated(state, n.deadline_at, now),
        acknowledged_at=n.acknowledged_at, acknowledged_by=n.acknowledged_by,
        feedback=n.feedback, feedback_at=n.feedback_at, feedback_by=n.feedback_by,
        contest=_contest(n), closed_at=n.closed_at, closed_by=n.closed_by,
        close_note=n.close_note, reminders=n.reminders, office_told_at=n.office_told_at,
        page=say.page_of(n.ref), events=f"/api/v1/monitoring/notices/{n.ref}/events")


def _items(s: Session, notice_id: int) -> list[NoticeItemOut]:
    rows = s.scalars(select(OwnerNoticeItem).where(OwnerNoticeItem.notice_id == notice_id)
                     .order_by(OwnerNoticeItem.count.desc(), OwnerNoticeItem.kind,
                               OwnerNoticeItem.indicator)).all()
    return [NoticeItemOut(day=i.day, kind=i.kind, kind_label=_kind_label(i.kind),
                          indicator=i.indicator, count=i.count, first_seen=i.first_seen,
                          last_seen=i.last_seen) for i in rows]


def _kind_label(kind: str) -> Label:
    k = KINDS.get(kind)
    return Label(zh=k.name_zh, en=k.name_en) if k else Label(zh=kind, en=kind)


def _contest(n: OwnerNotice) -> ContestOut | None:
    if n.contested_at is None:
        return None
    return ContestOut(address=n.contest_address, entry=n.contest_entry,
                      indicator=n.contest_indicator, reason=n.contest_reason or "",
                      by=n.contested_by or "", at=n.contested_at,
                      resolution=n.resolution, resolution_note=n.resolution_note,
                      resolved_by=n.resolved_by, resolved_at=n.resolved_at)


# --- the unit's own events (n6-like) --------------------------------------------------------------


def notice_events(uow: UnitOfWork, *, principal: Principal, ref: str,
                  page: PageParams) -> Page[EventOut]:
    """The events of a notice: those attributed to its unit, of its kinds, in its period."""
    with uow() as s:
        n = visible_notice(s, principal, ref)
        kinds = sorted({i for i in s.scalars(select(OwnerNoticeItem.kind).where(
            OwnerNoticeItem.notice_id == n.id))})
        return _event_page(s, n.body_id, page, [
            events.c.level == 0, events.c.kind.in_(kinds),
            events.c.observed_at >= n.period_start, events.c.observed_at <= n.period_end])


def my_events(uow: UnitOfWork, clock: Clock, *, principal: Principal, page: PageParams,
              since: datetime | None = None, until: datetime | None = None,
              kind: str | None = None) -> Page[EventOut]:
    """The events attributed to the caller's own body, newest first (the last seven days
    unless ``since`` says otherwise) — never another body's."""
    require(principal, Permission.MONITORING_READ)
    since = since or clock.now() - timedelta(days=EVENTS_DAYS)
    conds = [events.c.observed_at >= since]
    if until is not None:
        conds.append(events.c.observed_at < until)
    if kind:
        conds.append(events.c.kind == kind)
    with uow() as s:
        return _event_page(s, principal.body_id, page, conds)


def _event_page(s: Session, body_id: int, page: PageParams, conds: list) -> Page[EventOut]:
    stmt = (select(events, Feed.code.label("feed"), IngestBatch.key.label("batch"))
            .join(Feed, Feed.id == events.c.feed_id)
            .join(IngestBatch, IngestBatch.id == events.c.batch_id)
            .where(events.c.body_id == body_id, *conds))
    total = s.scalar(select(func.count()).select_from(
        select(events.c.line_no).where(events.c.body_id == body_id, *conds).subquery())) or 0
    rows = s.execute(stmt.order_by(events.c.observed_at.desc(), events.c.batch_id,
                                   events.c.line_no).limit(page.limit)
                     .offset(page.offset)).all()
    key = s.get(Body, body_id).key
    raw = store.raw_lines(s, {(x.batch_id, x.line_no) for x in rows})
    return Page[EventOut](items=[_event_out(x, key, raw.get((x.batch_id, x.line_no)))
                                 for x in rows], total=total, limit=page.limit,
                          offset=page.offset)


def _event_out(x, body: str, raw: str | None) -> EventOut:  # noqa: ANN001 - a Row
    def addr(a: object) -> str | None:
        return None if a is None else str(a)
    return EventOut(observed_at=x.observed_at, kind=x.kind, feed=x.feed, body=body,
                    level=LEVELS[x.level].value, source_ip=addr(x.source_ip),
                    source_port=x.source_port, destination_ip=addr(x.destination_ip),
                    destination_port=x.destination_port, domain=x.domain, url=x.url,
                    hash=x.hash, cve=x.cve, malware=x.malware, batch=x.batch,
                    line_no=x.line_no, raw=raw)
