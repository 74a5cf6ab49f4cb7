"""Use cases of the weekly 《网络安全信息与动态周报》 and monthly 《网络安全月报》 (Plan §3.2;
Support rights 2): generate a bulletin for a period and the issuer's scope (Law art. 30), keep
its HTML and PDF (one per kind, period and issuer: regenerating replaces it), list and read
them, and send them to the support units (by right) and a recipient list through the outbox.

Figures count every incident, warning and response in the issuer's scope; items are listed
individually only when TLP 2.0 lets the bulletin's readers have them (``bulletin_data``). The
monitoring statistics (issue 15 item 7) come from ``fenghuo.monitoring.statistics.figures`` for
the same period and scope, called as a service within the bulletin's transaction."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import FieldError, NotFound, ValidationFailed
from fenghuo.common.periods import CST, Month, Week, day_of, start_of
from fenghuo.common.refs import new_ref
from fenghuo.common.scope import Principal, Scope
from fenghuo.db.session import UnitOfWork
from fenghuo.incident import grading
from fenghuo.incident.models import Incident
from fenghuo.incident.scoping import visible_incidents
from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.monitoring import statistics as monitoring_statistics
from fenghuo.notify import masking, outbox
from fenghuo.notify.compose import Notice, Words, compose
from fenghuo.org import directory, scoping
from fenghuo.org.models import Body, Jurisdiction, Sector
from fenghuo.org.rules import Permission, contact_tier, path_ids, scope_for
from fenghuo.org.service import facts, require
from fenghuo.response.models import Response
from fenghuo.response.rules import LEVEL_LABELS as RESPONSE_LEVEL_LABELS
from fenghuo.sharing import bulletin_data as rules
from fenghuo.sharing.bulletin_data import Kind, Row
from fenghuo.sharing.models import Bulletin, BulletinDelivery
from fenghuo.sharing.tlp import TLP_LABELS, Tlp
from fenghuo.support.facts import active_memberships
from fenghuo.support.models import WorkEntry
from fenghuo.warning.models import EarlyWarning
from fenghuo.warning.rules import LEVEL_LABELS as WARNING_LEVEL_LABELS
from fenghuo.warning.views import visible_warnings

#: a long generation reports its steps: ``progress(step, total, what)``
Progress = Callable[[int, int, str], None]
STEPS = ("incidents", "warnings", "responses", "support", "html", "pdf", "store")
DEFAULT_TIMEZONE = "Asia/Shanghai"


# --- schemas ----------------------------------------------------------------------------------


class BulletinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["weekly", "monthly"]
    period: str = Field(min_length=1, max_length=10,
                        description="2026-W47 (weekly) or 2026-11 (monthly)")


class SendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    recipients: list[str] = Field(default_factory=list, max_length=500,
                                  description="Keys of further bodies; the support units with "
                                  "an active membership receive it by right")


class BulletinSummary(BaseModel):
    ref: str
    kind: str
    period: str
    issuer: str
    title: str
    tlp: str
    generated_by: str
    generated_at: datetime
    pdf_sha256: str | None
    delivered_to: list[str] = Field(description="The bodies it was sent to that lie within your "
                                    "scope (Law art. 30); every one for the issuing body")
    delivered_others: int = Field(0, description="How many other bodies it was sent to")


class BulletinOut(BulletinSummary):
    data: dict[str, Any]


class SendOut(BaseModel):
    ref: str
    sent_to: list[str]
    already_sent: list[str]
    without_contact: list[str]
    messages: int


# --- helpers ----------------------------------------------------------------------------------


def _period(kind: str, text: str) -> Week | Month:
    try:
        return rules.parse_period(kind, text)
    except ValueError as exc:
        raise ValidationFailed([FieldError("period", str(exc))]) from exc


def _window(period: Week | Month) -> tuple[datetime, datetime]:
    """The period's first and last instant, days in China Standard Time, in UTC."""
    return start_of(period.start), start_of(period.end)


def _issuer(s: Session, principal: Principal) -> Body:
    body = s.get(Body, principal.body_id)
    rules.may_issue(body.kind).enforce()
    return body


def _label(pair: tuple[str, str]) -> dict:
    return {"zh": pair[0], "en": pair[1]}


def _tlp(tlp: str) -> dict:
    t = Tlp(tlp)
    return {"code": t.value, "marking": t.marking, **_label(TLP_LABELS[t])}


def _day(moment: datetime | None) -> str:
    return day_of(moment).isoformat() if moment else "—"


# --- assembling the figures -------------------------------------------------------------------


def _in_period(scope: Scope, start: datetime, end: datetime) -> tuple:
    """The period's incidents in scope, one per affected unit: a parent incident (issue 16
    item 5) only groups its units' incidents and is not counted again."""
    return (visible_incidents(scope), Incident.reported_at >= start, Incident.reported_at < end,
            Incident.is_parent.is_(False))


@dataclasses.dataclass
class _Tallies:
    """The period's incident counts, counted in SQL (issue 21 item 3: the period's incidents
    are not loaded): in all, per category, grade, province and sector."""

    total: int = 0
    notable: int = 0
    category: Counter = dataclasses.field(default_factory=Counter)
    grade: Counter = dataclasses.field(default_factory=Counter)
    #: per province jurisdiction id (None: national)
    province: Counter = dataclasses.field(default_factory=Counter)
    sector: Counter = dataclasses.field(default_factory=Counter)


def _tallies(s: Session, scope: Scope, start: datetime, end: datetime) -> _Tallies:
    out = _Tallies()
    stmt = (select(Incident.category, Incident.grade, Incident.jurisdiction_path,
                   Incident.sector_code, func.count())
            .where(*_in_period(scope, start, end))
            .group_by(Incident.category, Incident.grade, Incident.jurisdiction_path,
                      Incident.sector_code))
    for category, grade, path, sector, n in s.execute(stmt):
        out.total += n
        out.notable += n if grade in rules.NOTABLE_GRADES else 0
        out.category[category] += n
        out.grade[grade] += n
        out.province[_province(path)] += n
        out.sector[sector or "unspecified"] += n
    return out


@dataclasses.dataclass
class _Notable:
    """The period's notable incidents (relatively major and above): the first
    ``NOTABLE_LISTED`` of those that may be listed (TLP), most serious first, and counts."""

    listed: list[Any]
    #: how many may be listed, and how many are withheld by their TLP
    listable: int
    withheld: int


def _notable(s: Session, scope: Scope, start: datetime, end: datetime) -> _Notable:
    """Ordered and cut in SQL (issue 21 item 3): a month of a million incidents holds a
    hundred thousand notable ones, of which a bulletin lists a hundred, read grade by grade
    (most serious first) in reporting order from ``ix_incidents_notable``."""
    notable = (*_in_period(scope, start, end), Incident.grade.in_(rules.NOTABLE_GRADES))
    allowed = sorted(t.value for t in Tlp if rules.listable(t))
    by_tlp = dict(s.execute(select(Incident.tlp, func.count()).where(*notable)
                            .group_by(Incident.tlp)).tuples().all())
    listed: list[Any] = []
    for grade in sorted(rules.NOTABLE_GRADES, key=lambda g: -grading.Grade(g).rank):
        if len(listed) == rules.NOTABLE_LISTED:
            break
        listed += s.execute(select(Incident.ref, Incident.title, Incident.category,
                                   Incident.grade, Incident.jurisdiction_path,
                                   Incident.subject_body_id, Incident.reported_at,
                                   Incident.state, Incident.tlp)
                            .where(*notable, Incident.grade == grade, Incident.tlp.in_(allowed))
                            .order_by(Incident.reported_at, Incident.id)
                            .limit(rules.NOTABLE_LISTED - len(listed))).all()
    listable = sum(n for tlp, n in by_tlp.items() if tlp in allowed)
    return _Notable(listed, listable, sum(by_tlp.values()) - listable)


def _province(path: str) -> int | None:
    ids = path_ids(path)
    return ids[1] if len(ids) > 1 else None


def _incident_item(i: Incident, regions: dict[int | None, Row], units: dict[int, Body]) -> dict:
    unit = units.get(i.subject_body_id)
    region = regions.get(_province(i.jurisdiction_path))
    return {"ref": i.ref, "title": i.title, "category": _label(get_taxonomy().label(i.category)),
            "grade": i.grade, "grade_label": _label(grading.GRADE_LABELS[grading.Grade(i.grade)]),
            "region": {"zh": region.zh, "en": region.en} if region else None,
            "unit": {"zh": unit.name_zh, "en": unit.name_en} if unit else None,
            "reported_on": _day(i.reported_at), "state": i.state, "tlp": i.tlp}


def assemble(s: Session, *, issuer: Body, kind: Kind | str, period: Week | Month,
             now: datetime, progress: Progress | None = None) -> dict:
    """The bulletin's figures and items for ``period`` within the issuer's scope (Law art. 30),
    each count with the change against the previous period; items listed only where TLP lets
    the bulletin's readers have them."""
    step = progress or (lambda *_: None)
    scope = scope_for(facts(issuer))
    kind = Kind(kind)
    previous = period.previous()
    start, end = _window(period)
    p_start, p_end = _window(previous)

    step(0, len(STEPS), "incidents")
    now_i, before_i = _tallies(s, scope, start, end), _tallies(s, scope, p_start, p_end)
    taxonomy = get_taxonomy()
    categories = [Row(c.code, c.name_zh, c.name_en) for c in taxonomy.categories]
    grades = [Row(g.value, *grading.GRADE_LABELS[g]) for g in sorted(
        grading.Grade, key=lambda g: -g.rank)]
    province_ids = set(now_i.province) | set(before_i.province)
    regions: dict[int | None, Row] = {None: Row("national", "中央及全国", "central / national")}
    for j in s.scalars(select(Jurisdiction).where(Jurisdiction.id.in_(
            sorted(x for x in province_ids if x is not None)))):
        regions[j.id] = Row(j.code, j.name_zh, j.name_en)
    region_rows = sorted({regions[x] for x in province_ids if x in regions},
                         key=lambda r: (r.code == "national", r.code))
    sectors = [Row(x.code, x.name_zh, x.name_en) for x in s.scalars(
        select(Sector).order_by(Sector.code))] + [Row("unspecified", "未注明", "unspecified")]

    def by_region(t: _Tallies) -> Counter:
        out: Counter = Counter()
        for province, n in t.province.items():
            r = regions.get(province)
            out[r.code if r else "national"] += n
        return out

    found = _notable(s, scope, start, end)
    notable = found.listed
    units = {b.id: b for b in s.scalars(select(Body).where(
        Body.id.in_(sorted({i.subject_body_id for i in notable}))))}
    figures = {
        "incidents": rules.change(now_i.total, before_i.total),
        "notable": rules.change(now_i.notable, before_i.notable),
        "by_category": rules.bars(rules.tally(now_i.category, before_i.category, categories,
                                              keep_empty=True)),
        "by_grade": rules.bars(rules.tally(now_i.grade, before_i.grade, grades,
                                           keep_empty=True)),
        "by_region": rules.bars(rules.tally(by_region(now_i), by_region(before_i),
                                            region_rows)),
        "by_sector": rules.bars(rules.tally(now_i.sector, before_i.sector, sectors)),
    }

    step(1, len(STEPS), "warnings")
    seen = visible_warnings(scope)

    def warnings_between(column: Any, a: datetime, b: datetime) -> list[EarlyWarning]:
        return list(s.scalars(select(EarlyWarning).where(seen, column >= a, column < b)
                              .order_by(column, EarlyWarning.id)))

    issued = warnings_between(EarlyWarning.published_at, start, end)
    lifted = warnings_between(EarlyWarning.lifted_at, start, end)
    issuers = {b.id: b for b in s.scalars(select(Body).where(Body.id.in_(
        sorted({w.issuer_body_id for w in [*issued, *lifted]}))))}

    def warning_item(w: EarlyWarning) -> dict:
        b = issuers[w.issuer_body_id]
        return {"ref": w.ref, "title": w.title, "level": w.level,
                "level_label": _label(WARNING_LEVEL_LABELS[w.level]),
                "issuer": {"zh": b.name_zh, "en": b.name_en},
                "published_on": _day(w.published_at), "lifted_on": _day(w.lifted_at),
                "tlp": w.tlp}

    warnings = {
        "issued": rules.change(len(issued), len(warnings_between(
            EarlyWarning.published_at, p_start, p_end))),
        "lifted": rules.change(len(lifted), len(warnings_between(
            EarlyWarning.lifted_at, p_start, p_end))),
        "issued_items": [warning_item(w) for w in issued if rules.listable(w.tlp)],
        "lifted_items": [warning_item(w) for w in lifted if rules.listable(w.tlp)],
    }
    warnings["withheld"] = (len(issued) + len(lifted) - len(warnings["issued_items"])
                            - len(warnings["lifted_items"]))

    step(2, len(STEPS), "responses")
    in_scope = Response.incident_id.in_(select(Incident.id).where(visible_incidents(scope)))

    def responses_between(column: Any, a: datetime, b: datetime) -> list[tuple[Response, Incident]]:
        return list(s.execute(select(Response, Incident).join(
            Incident, Incident.id == Response.incident_id).where(
            in_scope, column >= a, column < b).order_by(column, Response.id)).all())

    activated = responses_between(Response.activated_at, start, end)
    ended = responses_between(Response.ended_at, start, end)

    def response_item(r: Response, i: Incident) -> dict:
        return {"ref": r.ref, "level": r.level,
                "level_label": _label(RESPONSE_LEVEL_LABELS.get(r.level, (r.level, r.level))),
                "incident": i.ref, "title": i.title, "state": r.state,
                "activated_on": _day(r.activated_at), "ended_on": _day(r.ended_at),
                "tlp": i.tlp}

    responses = {
        "activated": rules.change(len(activated), len(responses_between(
            Response.activated_at, p_start, p_end))),
        "ended": rules.change(len(ended), len(responses_between(
            Response.ended_at, p_start, p_end))),
        "activated_items": [response_item(r, i) for r, i in activated if rules.listable(i.tlp)],
        "ended_items": [response_item(r, i) for r, i in ended if rules.listable(i.tlp)],
    }
    responses["withheld"] = (len(activated) + len(ended) - len(responses["activated_items"])
                             - len(responses["ended_items"]))

    step(3, len(STEPS), "support")
    support = _support(s, scope, period, previous, (start, end))
    monitoring = monitoring_statistics.figures(s, scope, period, holder=issuer)

    sections, overall = rules.bulletin_tlp({
        "figures": [], "notable": [i.tlp for i in notable],
        "warnings": [x["tlp"] for x in warnings["issued_items"] + warnings["lifted_items"]],
        "responses": [x["tlp"] for x in responses["activated_items"]
                      + responses["ended_items"]],
        "support": [rules.FIGURES_TLP], "monitoring": [rules.FIGURES_TLP]})
    title_zh, title_en = rules.title(kind, period)
    return {
        "kind": kind.value, "period": str(period), "previous_period": str(previous),
        "title": {"zh": title_zh, "en": title_en},
        "issuer": {"key": issuer.key, "zh": issuer.name_zh, "en": issuer.name_en},
        "scope": rules.scope_words(issuer.kind, issuer.jurisdiction.name_zh,
                                   issuer.jurisdiction.name_en, issuer.name_zh, issuer.name_en),
        "days": {"first": period.start.isoformat(),
                 "last": (period.end - timedelta(days=1)).isoformat(),
                 "previous_first": previous.start.isoformat(),
                 "previous_last": (previous.end - timedelta(days=1)).isoformat()},
        "generated_at": now.isoformat(),
        "audience": {"relation": "community", "zh": "应急服务支撑单位及通报名单上的单位",
                     "en": "the support units and the bodies on the distribution list"},
        "tlp": overall.value, "sections_tlp": sections,
        "figures": figures,
        "notable": {"rule": _label(rules.NOTABLE_RULE),
                    "items": [_incident_item(i, regions, units) for i in notable],
                    "withheld": found.withheld,
                    "more": found.listable - len(notable), "listed_at_most": rules.NOTABLE_LISTED},
        "warnings": warnings, "responses": responses, "support": support,
        "monitoring": monitoring.model_dump(mode="json"),
    }


def _support(s: Session, scope: Scope, period: Week | Month, previous: Week | Month,
             window: tuple[datetime, datetime]) -> dict:
    """Support units' work hours and the incidents they reported (Support obligations 2, 4, 5),
    for the units in the issuer's scope with a membership during the period."""
    members = active_memberships(s, since=period.start, until=period.end)
    unit_ids = sorted(set(s.scalars(select(Body.id).where(
        Body.id.in_(sorted({m.body_id for m in members})), scoping.visible_bodies(scope)))))
    bodies = {b.id: b for b in s.scalars(select(Body).where(Body.id.in_(unit_ids)))}

    def minutes(p: Week | Month) -> dict[int, tuple[int, int]]:
        out: dict[int, tuple[int, int]] = {}
        for e in s.scalars(select(WorkEntry).where(
                WorkEntry.body_id.in_(unit_ids), WorkEntry.worked_on >= p.start,
                WorkEntry.worked_on < p.end)):
            m, n = out.get(e.body_id, (0, 0))
            out[e.body_id] = (m + e.minutes, n + 1)
        return out

    now_m, before_m = minutes(period), minutes(previous)
    reported: dict[int, int] = dict(s.execute(
        select(Incident.reporting_body_id, func.count())
        .where(*_in_period(scope, *window), Incident.reporting_body_id.in_(unit_ids))
        .group_by(Incident.reporting_body_id)).tuples().all())
    rows = [{"key": b.key, "zh": b.name_zh, "en": b.name_en,
             "hours": round(now_m.get(b.id, (0, 0))[0] / 60, 1),
             "hours_previous": round(before_m.get(b.id, (0, 0))[0] / 60, 1),
             "entries": now_m.get(b.id, (0, 0))[1], "incidents_reported": reported.get(b.id, 0)}
            for b in sorted(bodies.values(), key=lambda b: b.key)]
    return {"units": rows, "hours": round(sum(m for m, _ in now_m.values()) / 60, 1),
            "hours_previous": round(sum(m for m, _ in before_m.values()) / 60, 1),
            "incidents_reported": sum(reported.values())}


# --- rendering --------------------------------------------------------------------------------


@cache
def _env() -> Environment:
    return Environment(loader=PackageLoader("fenghuo.sharing", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def to_html(data: dict, *, ref: str, timezone: str = DEFAULT_TIMEZONE) -> str:
    """The bulletin as a bilingual HTML document for A4 print; its TLP on every page."""
    tlp = Tlp(data["tlp"])
    generated = datetime.fromisoformat(data["generated_at"]).astimezone(ZoneInfo(timezone))
    return _env().get_template("bulletin.html").render(
        d=data, ref=ref, tlp=_tlp(tlp.value), tlp_of=_tlp, tz_name=timezone,
        generated=generated.strftime("%Y-%m-%d %H:%M"))


def to_pdf(html: str) -> bytes:
    """The HTML as an A4 PDF, Chinese set in Noto Sans CJK SC (Debian ``fonts-noto-cjk``)."""
    from weasyprint import HTML  # heavy: imported only when a PDF is made

    return HTML(string=html, url_fetcher=_fetch_nothing).write_pdf()


def _fetch_nothing(url: str, *args: Any, **kwargs: Any) -> dict:
    raise ValueError(f"the bulletin fetches no resources ({url[:100]})")


# --- use cases --------------------------------------------------------------------------------


def _delivered(s: Session, bulletins: list[Bulletin], scope: Scope | None
               ) -> dict[int, tuple[list[str], int]]:
    """Bulletin id → (the recipients shown to a reader of ``scope``, how many others): the
    issuing body sees them all, any other reader those within its scope (issue 18 item 5;
    Law art. 30). ``scope`` None: the issuer itself (the worker, a send's answer)."""
    rows = s.execute(select(BulletinDelivery.bulletin_id, Body.id, Body.key).join(
        Body, Body.id == BulletinDelivery.body_id).where(
        BulletinDelivery.bulletin_id.in_([b.id for b in bulletins])).order_by(Body.key)).all()
    ids = sorted({body_id for _, body_id, _ in rows})
    seen: set[int] = set()
    if scope is not None and ids:
        seen = set(s.scalars(select(Body.id).where(Body.id.in_(ids),
                                                   scoping.visible_bodies(scope))))
    by_bulletin: dict[int, list[tuple[str, bool]]] = {b.id: [] for b in bulletins}
    for bid, body_id, key in rows:
        by_bulletin[bid].append((key, body_id in seen))
    return {b.id: masking.shown_recipients(
        by_bulletin[b.id], issuer=scope is None or b.issuer_body_id == scope.body_id)
        for b in bulletins}


def _summary(b: Bulletin, issuer: Body, delivered: tuple[list[str], int]) -> dict:
    return {"ref": b.ref, "kind": b.kind, "period": b.period, "issuer": issuer.key,
            "title": b.title, "tlp": b.tlp, "generated_by": b.generated_by,
            "generated_at": b.generated_at, "pdf_sha256": b.pdf_sha256,
            "delivered_to": delivered[0], "delivered_others": delivered[1]}


def _out(s: Session, b: Bulletin, scope: Scope | None) -> BulletinOut:
    return BulletinOut(**_summary(b, s.get(Body, b.issuer_body_id),
                                  _delivered(s, [b], scope)[b.id]), data=json.loads(b.data))


def _generate(s: Session, *, issuer: Body, principal: Principal | None, kind: str,
              period: Week | Month, now: datetime, timezone: str,
              progress: Progress | None) -> Bulletin:
    data = assemble(s, issuer=issuer, kind=kind, period=period, now=now, progress=progress)
    step = progress or (lambda *_: None)
    existing = s.scalar(select(Bulletin).where(
        Bulletin.kind == kind, Bulletin.period == str(period),
        Bulletin.issuer_body_id == issuer.id))
    ref = existing.ref if existing else new_ref("BL", now)
    step(4, len(STEPS), "html")
    html = to_html(data, ref=ref, timezone=timezone)
    step(5, len(STEPS), "pdf")
    pdf = to_pdf(html)
    step(6, len(STEPS), "store")
    b = existing or Bulletin(ref=ref, kind=kind, period=str(period), issuer_body_id=issuer.id)
    b.tlp, b.title = data["tlp"], f"{data['title']['zh']} {data['title']['en']}"[:300]
    b.data = json.dumps(data, ensure_ascii=False, sort_keys=True)
    b.html, b.pdf, b.pdf_sha256 = html, pdf, hashlib.sha256(pdf).hexdigest()
    b.generated_by = audit.Actor.of(principal).name
    b.generated_at = now
    if existing is None:
        s.add(b)
    s.flush()
    audit.record(s, at=now, actor=audit.Actor.of(principal),
                 action="bulletin.regenerate" if existing else "bulletin.generate",
                 entity_type="bulletin", entity_key=ref, scope_path=issuer.jurisdiction.path,
                 detail={"kind": kind, "period": str(period), "tlp": b.tlp,
                         "pdf_sha256": b.pdf_sha256,
                         "incidents": data["figures"]["incidents"]["count"]})
    step(len(STEPS), len(STEPS), "done")
    return b


def generate(uow: UnitOfWork, clock: Clock, *, principal: Principal, data: BulletinIn,
             timezone: str = DEFAULT_TIMEZONE, progress: Progress | None = None) -> BulletinOut:
    """Generate (or regenerate, replacing it) the caller's body's bulletin of a kind for a
    period, over its scope (Plan §3.2; Law art. 30). Audited."""
    require(principal, Permission.WARNING_ISSUE)
    period = _period(data.kind, data.period)
    now = clock.now()
    if period.start > day_of(now):  # today's period runs from its first day
        raise ValidationFailed([FieldError("period", f"{period} has not started yet")])
    with uow() as s:
        issuer = _issuer(s, principal)
        b = _generate(s, issuer=issuer, principal=principal, kind=data.kind, period=period,
                      now=now, timezone=timezone, progress=progress)
        return _out(s, b, principal.scope)


def _message(b: Bulletin, data: dict) -> tuple[str, str]:
    """A bulletin's notification, Chinese first (issue 16 item 7): its title, period and issuer,
    the headline figures, and where to read it in full."""
    figures, w, r = data["figures"], data["warnings"], data["responses"]
    marking = Tlp(b.tlp).marking
    summary = Words(
        f"{data['days']['first']} 至 {data['days']['last']}：网络安全事件 "
        f"{figures['incidents']['count']} 起（上期 {figures['incidents']['previous']} 起），"
        f"较大及以上 {figures['notable']['count']} 起，发布预警 {w['issued']['count']} 项，"
        f"解除预警 {w['lifted']['count']} 项，启动应急响应 {r['activated']['count']} 次",
        f"{data['days']['first']} to {data['days']['last']}: {figures['incidents']['count']} "
        f"incidents (previously {figures['incidents']['previous']}), "
        f"{figures['notable']['count']} relatively major or above, {w['issued']['count']} "
        f"warnings issued, {w['lifted']['count']} lifted, {r['activated']['count']} responses "
        "activated")
    return compose(Notice(
        what=Words(data["title"]["zh"], data["title"]["en"]),
        tag=Words(f"通报 {marking}", "BULLETIN"), ref=b.ref,
        unit=Words(data["issuer"]["zh"], data["issuer"]["en"]),
        asked=Words(f"阅读并按 {marking} 规则使用", f"read it and use it under {marking}"),
        notes=(summary, Words(f"全文 /api/v1/bulletins/{b.ref}.pdf（HTML：/api/v1/bulletins/"
                              f"{b.ref}.html）", f"full text /api/v1/bulletins/{b.ref}.pdf")),
        link=f"/api/v1/bulletins/{b.ref}.html"))


def _visible(scope: Scope) -> Any:
    """Bulletins the caller's body issued, received, or that a body in its scope issued."""
    received = Bulletin.id.in_(select(BulletinDelivery.bulletin_id).where(
        BulletinDelivery.body_id == scope.body_id))
    own = Bulletin.issuer_body_id == scope.body_id
    if scope.own_body_only:
        return or_(own, received)
    return or_(own, received, Bulletin.issuer_body_id.in_(
        select(Body.id).where(scoping.visible_bodies(scope))))


def _visible_bulletin(s: Session, principal: Principal, ref: str) -> Bulletin:
    b = s.scalar(select(Bulletin).where(Bulletin.ref == ref, _visible(principal.scope)))
    if b is None:
        raise NotFound(f"bulletin {ref!r} not found")
    return b


def list_bulletins(uow: UnitOfWork, *, principal: Principal, kind: str | None = None,
                   limit: int = 50) -> list[BulletinSummary]:
    """Bulletins the caller's body issued or received, and those issued in its scope, newest
    period first."""
    require(principal, Permission.INCIDENT_READ)
    with uow() as s:
        stmt = select(Bulletin, Body).join(Body, Body.id == Bulletin.issuer_body_id).where(
            _visible(principal.scope))
        if kind:
            stmt = stmt.where(Bulletin.kind == kind)
        rows = s.execute(stmt.order_by(Bulletin.period.desc(), Bulletin.id.desc())
                         .limit(limit)).all()
        delivered = _delivered(s, [b for b, _ in rows], principal.scope)
        return [BulletinSummary(**_summary(b, i, delivered[b.id])) for b, i in rows]


def get_bulletin(uow: UnitOfWork, *, principal: Principal, ref: str) -> BulletinOut:
    require(principal, Permission.INCIDENT_READ)
    with uow() as s:
        return _out(s, _visible_bulletin(s, principal, ref), principal.scope)


def get_document(uow: UnitOfWork, *, principal: Principal, ref: str,
                 fmt: Literal["html", "pdf"]) -> tuple[str, bytes]:
    """The stored HTML or PDF of a bulletin, with a file name."""
    require(principal, Permission.INCIDENT_READ)
    with uow() as s:
        b = _visible_bulletin(s, principal, ref)
        name = f"bulletin-{b.kind}-{b.period}-{b.ref}.{fmt}"
        if fmt == "html":
            return name, b.html.encode("utf-8")
        if b.pdf is None:
            raise NotFound(f"bulletin {ref!r} has no PDF")
        return name, bytes(b.pdf)


class DeliveryOut(BaseModel):
    body: str
    body_name_zh: str
    body_name_en: str
    reason: str
    sent_at: datetime


def deliveries(uow: UnitOfWork, *, principal: Principal, ref: str
               ) -> tuple[list[DeliveryOut], int]:
    """Who a bulletin was sent to, when and why, and how many others: the issuing body sees
    every recipient, any other reader those within its scope (Law art. 30; as ``_delivered``)."""
    require(principal, Permission.INCIDENT_READ)
    with uow() as s:
        b = _visible_bulletin(s, principal, ref)
        shown, others = _delivered(s, [b], principal.scope)[b.id]
        rows = s.execute(select(BulletinDelivery, Body).join(
            Body, Body.id == BulletinDelivery.body_id).where(
            BulletinDelivery.bulletin_id == b.id, Body.key.in_(shown or [""]))
            .order_by(Body.key)).all()
        return [DeliveryOut(body=x.key, body_name_zh=x.name_zh, body_name_en=x.name_en,
                            reason=d.reason, sent_at=d.sent_at) for d, x in rows], others


def _first_contacts(s: Session, body_ids: list[int]) -> dict[int, list]:
    """Each body's first-rank reachable contacts (phones too where SMS is set up)."""
    reachable = directory.contacts_of(s, body_ids)
    return {i: contact_tier(reachable.get(i, ()), 0) for i in body_ids}


def _send(s: Session, b: Bulletin, *, principal: Principal | None, recipients: list[str],
          now: datetime) -> SendOut:
    issuer = s.get(Body, b.issuer_body_id)
    keys = list(dict.fromkeys(k.strip() for k in recipients if k.strip()))
    listed = {x.key: x for x in s.scalars(select(Body).where(Body.key.in_(keys),
                                                             Body.active.is_(True)))}
    unknown = [k for k in keys if k not in listed]
    if unknown:
        raise ValidationFailed([FieldError("recipients", f"unknown bodies: {', '.join(unknown)}")])
    reasons = {m.body_id: "support_unit_right" for m in active_memberships(s)}
    for x in listed.values():
        reasons.setdefault(x.id, "recipient_list")
    reasons.pop(issuer.id, None)
    done = set(s.scalars(select(BulletinDelivery.body_id).where(
        BulletinDelivery.bulletin_id == b.id)))
    bodies = {x.id: x for x in s.scalars(select(Body).where(Body.id.in_(sorted(reasons))))}
    new = sorted((i for i in reasons if i not in done), key=lambda i: bodies[i].key)
    contacts = _first_contacts(s, new)
    data = json.loads(b.data)
    subject, text = _message(b, data)
    messages = 0
    for body_id in new:
        s.add(BulletinDelivery(bulletin_id=b.id, body_id=body_id, reason=reasons[body_id],
                               sent_at=now))
        batch = [outbox.Message(c, subject, text, {"event": "bulletin", "ref": b.ref,
                                                   "kind": b.kind, "period": b.period,
                                                   "tlp": b.tlp,
                                                   "path": f"/api/v1/bulletins/{b.ref}.html"},
                                  priority=150)
                 for c in contacts[body_id]]
        outbox.enqueue(s, now=now, messages=batch)
        messages += len(batch)
    sent_to = [bodies[i].key for i in new]
    audit.record(s, at=now, actor=audit.Actor.of(principal), action="bulletin.send",
                 entity_type="bulletin", entity_key=b.ref, scope_path=issuer.jurisdiction.path,
                 detail={"sent_to": sent_to, "messages": messages,
                         "by_right": [bodies[i].key for i in new
                                      if reasons[i] == "support_unit_right"]})
    return SendOut(ref=b.ref, sent_to=sent_to,
                   already_sent=sorted(bodies[i].key for i in reasons if i in done),
                   without_contact=[bodies[i].key for i in new if not contacts[i]],
                   messages=messages)


def send(uow: UnitOfWork, clock: Clock, *, principal: Principal, ref: str,
         data: SendIn) -> SendOut:
    """Send a bulletin the caller's body issued to every support unit with an active membership
    (Support rights 2) and to ``recipients``: a delivery per body, a message to its first-rank
    contacts with the summary and where to fetch it; bodies already sent to are skipped.
    Audited."""
    require(principal, Permission.WARNING_ISSUE)
    with uow() as s:
        b = _visible_bulletin(s, principal, ref)
        if b.issuer_body_id != principal.body_id:
            raise NotFound(f"bulletin {ref!r} was not issued by your body")
        return _send(s, b, principal=principal, recipients=data.recipients, now=clock.now())


def generate_scheduled(uow: UnitOfWork, clock: Clock, *, issuer_key: str,
                       timezone: str = DEFAULT_TIMEZONE) -> list[str]:
    """The worker's schedule: last week's bulletin from Monday and last month's from the 1st
    (China Standard Time), each generated once by ``issuer_key`` (the unique kind, period and
    issuer) and sent to the support units; returns the refs generated."""
    now = clock.now()
    today = now.astimezone(CST).date()
    made = []
    with uow() as s:
        issuer = s.scalar(select(Body).where(Body.key == issuer_key))
        if issuer is None or not rules.may_issue(issuer.kind).allowed:
            return []
        wanted = [(k.value, rules.last_complete(k, today)) for k in Kind
                  if rules.due_today(k, today)]
        if not wanted:
            return []
        have = set(s.execute(select(Bulletin.kind, Bulletin.period).where(
            Bulletin.issuer_body_id == issuer.id, or_(*(and_(
                Bulletin.kind == k, Bulletin.period == str(p)) for k, p in wanted)))).all())
    for kind, period in wanted:
        if (kind, str(period)) in have:
            continue
        with uow() as s:
            issuer = s.get(Body, issuer.id)
            b = _generate(s, issuer=issuer, principal=None, kind=kind, period=period, now=now,
                          timezone=timezone, progress=None)
            _send(s, b, principal=None, recipients=[], now=now)
            made.append(b.ref)
    return made


def own_ref(uow: UnitOfWork, *, principal: Principal, kind: str, period: str) -> str | None:
    """The ref of the bulletin of ``kind`` and ``period`` the caller's body issued, if stored
    (one per body, kind and period): how a console page in one server process learns that a
    generation started in another one has finished."""
    with uow() as s:
        return s.scalar(select(Bulletin.ref).where(
            Bulletin.kind == kind, Bulletin.period == period,
            Bulletin.issuer_body_id == principal.body_id))
