"""A realistic instance at scale (issue 21 item 1): 1 M or 10 M incidents with their timelines,
routes, clocks, notifications and audit trail, bulk-loaded so that reads can be measured on it.

    python bench/seed_scale.py --database-url \\
        postgresql+psycopg://postgres@127.0.0.1:5432/fenghuo_scale_1m --incidents 1000000 --drop
    python bench/seed_scale.py --database-url postgresql+psycopg://postgres@127.0.0.1/x \\
        --incidents 2000 [--years 2] [--seed 42] [--units N]

Steps: create the database if missing (``--drop`` drops it first); migrate and seed the
reference data the app's way (``bootstrap.upgrade_and_seed``) with the clock set to the start
of the period; import the organization of ``scale_common`` (cities, sector departments, operator
units, their systems and contacts) and the users through the app's own services; then generate
the incidents in Python and stream them through PostgreSQL ``COPY``, one connection per table.

What the rows hold follows the app's rules, not a guess: routes and clocks come from
``incident.rules.route`` / ``intake_duties`` over the app's directory snapshot (Plan §4.1, §2.3;
CAC 2025 art. 4, art. 8), grades and reasons from ``incident.grading.grade`` (Plan §1.4, CAC
2025 grading guide), notifications from ``incident.service.notification`` (text as composed by
``notify.compose``), timeline entries and audit rows as ``incident.service`` / ``handling`` /
``assignment`` write them. Refs are ``FH-YYYYMMDD-XXXXXXXX`` as ``common.refs.new_ref`` makes.

The audit trail is hash-chained (``audit.rules.link_hash``). The app writes ``audit_pending``
and ``audit.chain_pending`` numbers and hashes rows one batch at a time under the head's lock;
for millions of rows that is too slow, so this script does the same work in bulk: it takes the
head (after the seed's rows are chained), numbers and hashes the generated rows in the order of
their time (as the app would have chained them), COPYs them into ``audit_log`` and moves the
head. ``fenghuo audit verify`` accepts the result.

Foreign keys: ids are allocated here (from ``max(id)``), parents are generated before their
children, and the loading sessions run with ``session_replication_role = replica`` so that the
six COPY streams (one per table, concurrent) do not fire the FK triggers row by row; every FK
of the loaded tables is then checked by one anti-join each and the script fails if any row
dangles. Sequences are moved past ``max(id)`` and the database is ANALYZEd. Indexes are kept.
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import json
import random
import sys
import time
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from json.encoder import encode_basestring as _js

import psycopg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from fenghuo import bootstrap
from fenghuo.audit import rules as audit_rules
from fenghuo.audit import service as audit
from fenghuo.audit.models import AuditEntry
from fenghuo.common.clock import FakeClock
from fenghuo.config import Settings
from fenghuo.incident import grading, pi_rules, rules
from fenghuo.incident import service as intake
from fenghuo.incident.models import Duty, Incident, IncidentEvent, IncidentRoute
from fenghuo.incident.schemas import FactsIn
from fenghuo.incident.taxonomy import get_taxonomy
from fenghuo.notify import outbox
from fenghuo.notify.compose import Notice, Words, compose, due_text
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import accounts, directory, interchange
from fenghuo.org import rules as org_rules
from fenghuo.org.models import Body, BodySector, Contact, InfoSystem, Jurisdiction, User
from fenghuo.org.rules import BodyKind, JurisdictionLevel, Role
from fenghuo.org.schemas import UserIn
from fenghuo.sharing.tlp import Tlp

try:  # imported as bench.seed_scale (the test) or run as a script from bench/
    from bench import scale_common as world
except ImportError:  # pragma: no cover - run as a script
    import scale_common as world  # type: ignore[no-redef]

console = Console(width=None if sys.stdout.isatty() else 110)
#: who may log in to measure (password below); the others have no password
BENCH_PASSWORD = "Fenghuo-Bench-2026"
NATIONAL_ADMIN = "bench-nat"
PROVINCE_ADMINS = ("110000", "310000", "440000", "650000")
GRADE_SHARE = {grading.Grade.GENERAL: 0.88, grading.Grade.RELATIVELY_MAJOR: 0.09,
               grading.Grade.MAJOR: 0.026, grading.Grade.ESPECIALLY_MAJOR: 0.004}
TLP_SHARE = {Tlp.AMBER: 0.60, Tlp.GREEN: 0.25, Tlp.CLEAR: 0.05, Tlp.AMBER_STRICT: 0.07,
             Tlp.RED: 0.03}
#: facts that reach each grade (Plan §1.4 criteria ①–③); the first needs no important system
FACTS = {
    grading.Grade.GENERAL: [{}, {"other_threat": "minor"}, {"system_loss": "minor"},
                            {"outage_hours": 0.5, "people_affected": 300}],
    grading.Grade.RELATIVELY_MAJOR: [{"other_threat": "relatively_serious"},
                                     {"system_loss": "relatively_serious"},
                                     {"data_threat": "relatively_serious"}],
    grading.Grade.MAJOR: [{"other_threat": "serious"}, {"system_loss": "serious"},
                          {"data_threat": "serious"}],
    grading.Grade.ESPECIALLY_MAJOR: [{"other_threat": "especially_serious"},
                                     {"data_threat": "especially_serious"}],
}
CHUNK = 5000
FLUSH = 4000
#: sentinels of the notification templates (replaced by each incident's values)
S_FOUND, S_DUE, S_REP = (datetime(1901 + i, 1, 1, tzinfo=UTC) for i in range(3))
DEAD_ERRORS = ["SMTP 550 5.1.1 mailbox unavailable", "HTTP 502 from robot webhook",
               "connection timed out after 10 s"]


# --- the database ----------------------------------------------------------------------------


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def ensure_database(url: str, *, drop: bool) -> None:
    """Create the database of ``url`` if missing (``drop``: drop it first)."""
    name = make_url(url).database
    admin = libpq(str(make_url(url).set(database="postgres")))
    with psycopg.connect(admin, autocommit=True) as conn:
        if drop:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


# --- the organization -------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    id: int
    key: str
    name_zh: str
    name_en: str
    path: str
    sector: str | None
    cii: bool
    chain: tuple[int, ...]
    province: str
    #: (id, important, name_zh, name_en)
    systems: tuple[tuple[int, bool, str, str], ...]
    reporter: tuple[int, str]
    #: the body that reports what monitoring found (the province's CNCERT branch) and its user
    cert: tuple[int, str, int, str]
    #: the province office's duty officer (id, username): handles, assigned
    office_user: tuple[int, str]


def build_world(rt: bootstrap.Runtime, units: int, rng: random.Random) -> float:
    """Import the organization and create the users (through the app's services)."""
    t = time.perf_counter()
    with rt.uow() as s:
        provinces = [world.Province(j.code, j.name_zh, j.name_en) for j in s.scalars(
            select(Jurisdiction).where(Jurisdiction.level == JurisdictionLevel.PROVINCE.value)
            .order_by(Jurisdiction.code))]
        receivers = [(b.key, b.name_zh) for b in s.scalars(select(Body).where(
            Body.kind.in_([BodyKind.OFFICE.value, BodyKind.DEPARTMENT.value])
            | Body.function.is_not(None)).order_by(Body.key))]
        certs = list(s.scalars(select(Body.key).where(Body.kind == BodyKind.CERT.value)))
    doc = interchange.OrgDocument()
    acknowledging = world.world_document(doc, provinces, receivers, units, rng)
    interchange.import_document(rt.uow, rt.clock, principal=None, doc=doc)
    operators = [r.data.key for r in doc.rows["bodies"] if r.data.kind == BodyKind.OPERATOR]
    _users(rt, acknowledging, certs, operators)
    audit.chain_pending(rt.uow, now=rt.clock.now())
    return time.perf_counter() - t


def _users(rt: bootstrap.Runtime, acknowledging: list[str], certs: list[str],
           operators: list[str]) -> None:
    """Duty officers of every receiving body and CERT, a reporter in every unit (no password),
    and the administrators who log in to measure (:data:`BENCH_PASSWORD`)."""
    people = [(f"duty.{k}", k, Role.DUTY_OFFICER, None) for k in acknowledging + certs]
    people += [(f"rep.{k}", k, Role.OPERATOR_REPORTER, None) for k in operators]
    people.append((NATIONAL_ADMIN, "cn.emergency-office", Role.ADMINISTRATOR, BENCH_PASSWORD))
    people += [(f"bench-{p}", f"{p}.office", Role.ADMINISTRATOR, BENCH_PASSWORD)
               for p in PROVINCE_ADMINS]
    now = rt.clock.now()
    with rt.uow() as s:
        for username, body, role, password in people:
            accounts.put_user(s, principal=None, now=now, data=UserIn(
                username=username, display_name=f"{username} 值班/填报", body=body,
                roles=[role], password=password))


@dataclass
class Org:
    units: list[Unit]
    snap: directory.Snapshot
    duty_users: dict[int, tuple[int, str]]
    body_keys: dict[int, str]
    contact_names: dict[int, str]


def read_org(rt: bootstrap.Runtime) -> Org:
    with rt.uow() as s:
        token = s.scalar(select(directory.version_token()))
        snap = directory.snapshot(s, token)
        keys = dict(s.execute(select(Body.id, Body.key)).all())
        users = {u.username: (u.id, u.username) for u in s.scalars(select(User))}
        by_key = {v: k for k, v in keys.items()}
        duty = {by_key[n[5:]]: u for n, u in users.items() if n.startswith("duty.")}
        systems: dict[int, list] = {}
        for sys_ in s.scalars(select(InfoSystem).order_by(InfoSystem.id)):
            systems.setdefault(sys_.body_id, []).append(
                (sys_.id, sys_.important, sys_.name_zh, sys_.name_en))
        sectors = dict(s.execute(select(BodySector.body_id, func.min(BodySector.sector_code))
                                 .group_by(BodySector.body_id)).all())
        rows = s.execute(select(Body, Jurisdiction).join(
            Jurisdiction, Jurisdiction.id == Body.jurisdiction_id).where(
            Body.kind == BodyKind.OPERATOR.value).order_by(Body.id)).all()
        province_of = {j.id: j.code for j in s.scalars(select(Jurisdiction).where(
            Jurisdiction.level == JurisdictionLevel.PROVINCE.value))}
        units = []
        for b, j in rows:
            chain = tuple(reversed(org_rules.path_ids(j.path)))
            prov = province_of[chain[-2]]
            cert_key = f"{prov}.cncert" if f"{prov}.cncert" in by_key else "cn.cncert"
            cert_id = by_key[cert_key]
            units.append(Unit(
                b.id, b.key, b.name_zh, b.name_en, j.path, sectors.get(b.id), b.cii, chain,
                prov, tuple(systems.get(b.id, ())), users[f"rep.{b.key}"],
                (cert_id, cert_key, *duty[cert_id]), duty[by_key[f"{prov.lower()}.office"]]))
        names = dict(s.execute(select(Contact.id, Contact.name)).all())
    return Org(units, snap, duty, keys, names)


# --- what the app decides: grades, routes, clocks, notifications --------------------------------


@dataclass
class PlannedRoute:
    body_id: int
    reason_code: str
    reason_zh: str
    reason_en: str
    source: str
    immediate: bool
    ack_delta: timedelta
    ack_source: str
    contacts: tuple  # rank 0 (the notification)
    reminders: tuple  # rank 1 (a reminder when it is overdue)
    #: (subject, text, payload) format strings, without and with a system
    templates: dict = field(default_factory=dict)


@dataclass
class Plan:
    routes: list[PlannedRoute]
    report_delta: timedelta
    report_source: str
    routed_detail: str


class Decisions:
    """Cached decisions of the app's pure rules, per unit, grade and criterion ②."""

    def __init__(self, org: Org, profile: grading.GradingProfile, inform_hours: float) -> None:
        self.org, self.profile = org, profile
        #: the deployment's deadline to tell users of a leak (FENGHUO_PI_INFORM_HOURS)
        self.inform_hours = inform_hours
        self.clocks = intake.clock_settings(profile)
        self.plans: dict[tuple, Plan] = {}
        self.grades: dict[tuple, list] = {}

    def graded(self, target: grading.Grade, important: bool, cii: bool) -> list:
        """(grade, facts JSON, reasons JSON, secrets) for every template reaching ``target``."""
        key = (target, important, cii)
        if key not in self.grades:
            out = []
            for facts in FACTS[target]:
                data = FactsIn(**facts)
                result = grading.grade(intake.grade_facts(data, important, cii), self.profile)
                if result.grade == target:
                    reasons = intake.reasons_json(result)
                    out.append((result.grade.value, data.model_dump_json(), reasons,
                                intake.secrets_at_stake(reasons)))
            self.grades[key] = out
        return self.grades[key]

    def plan(self, unit: Unit, grade: str, secrets: bool) -> Plan:
        key = (unit.id, grade, secrets)
        plan = self.plans.get(key)
        if plan is None:
            plan = self.plans[key] = self._plan(unit, grade, secrets)
        return plan

    def _plan(self, unit: Unit, grade: str, secrets: bool) -> Plan:
        snap = self.org.snap
        subject = rules.Subject(unit.id, BodyKind.OPERATOR, unit.sector, unit.cii, unit.chain)
        candidates = [rules.Candidate(b.id, b.kind, b.jurisdiction_id, b.sectors, b.function)
                      for jid in subject.chain for b in snap.receivers.get(jid, ())]
        routes = rules.route(subject, grade, candidates, self.clocks, secrets=secrets)
        t0 = S_REP
        duties = rules.intake_duties(subject, self_reported=True, found_at=t0, reported_at=t0,
                                     routes=routes, clocks=self.clocks)
        planned = []
        for r, d in zip(routes, duties[1:], strict=True):
            row = intake._route_row(0, r, t0)
            contacts = snap.contacts.get(r.body_id, ())
            p = PlannedRoute(r.body_id, row["reason_code"], row["reason_zh"], row["reason_en"],
                             row["source"], r.immediate, d.due_at - t0, d.source,
                             tuple(org_rules.contact_tier(contacts, 0)),
                             tuple(org_rules.contact_tier(contacts, 1)))
            p.templates = {has: _templates(r, grade, has) for has in (False, True)}
            planned.append(p)
        detail = json.dumps({"bodies": [r.body_id for r in routes]})
        return Plan(planned, duties[0].due_at - t0, duties[0].source, detail)


def _format_string(text: str, fields: dict[str, str]) -> str:
    out = text.replace("{", "{{").replace("}", "}}")
    for literal, name in fields.items():
        out = out.replace(literal, "{" + name + "}")
    return out


def _templates(r: rules.Route, grade: str, with_system: bool) -> tuple[str, str, str]:
    """``incident.service.notification`` of this route, as format strings."""
    facts = intake.IncidentFacts(
        id=0, ref="⟦ref⟧", title="⟦title⟧", grade=grade, category="⟦cat⟧", subcategory=None,
        found_at=S_FOUND, reported_at=S_REP, cii=False, impact="⟦impact⟧",
        measures="⟦measures⟧", source="unit", grade_reasons="[]", tlp="⟦tlp⟧",
        unit=("⟦uzh⟧", "⟦uen⟧"), unit_key="⟦ukey⟧",
        system=("⟦szh⟧", "⟦sen⟧") if with_system else None)
    subject, text, payload = intake.notification(facts, r, S_DUE)
    payload.update(cii="⟦cii⟧", subcategory="⟦sub⟧")
    fields = {f"⟦{n}⟧": n for n in ("ref", "title", "cat", "impact", "measures", "tlp", "uzh",
                                    "uen", "ukey", "szh", "sen")}
    text_fields = {**fields, due_text(S_FOUND): "found", due_text(S_DUE): "due"}
    json_fields = {'"⟦cii⟧"': "cii", '"⟦sub⟧"': "sub", '"⟦cat⟧"': "catcode", **fields,
                   S_FOUND.isoformat(): "found_iso", S_REP.isoformat(): "rep_iso",
                   S_DUE.isoformat(): "due_iso"}
    return (_format_string(subject, fields), _format_string(text, text_fields),
            _format_string(json.dumps(payload, ensure_ascii=False), json_fields))


# --- generating -------------------------------------------------------------------------------


def _weighted(shares: dict) -> tuple[list, list[float]]:
    keys = list(shares)
    cum, total = [], 0.0
    for k in keys:
        total += shares[k]
        cum.append(total)
    return keys, cum


@dataclass
class Counts:
    rows: Counter = field(default_factory=Counter)
    grades: Counter = field(default_factory=Counter)
    states: Counter = field(default_factory=Counter)
    seconds: Counter = field(default_factory=Counter)


TABLES = {
    "incidents": [c.name for c in Incident.__table__.columns],
    "incident_events": [c.name for c in IncidentEvent.__table__.columns],
    "incident_routes": [c.name for c in IncidentRoute.__table__.columns],
    "duties": [c.name for c in Duty.__table__.columns],
    "outbox": [c.name for c in OutboxMessage.__table__.columns],
    "audit_log": [c.name for c in AuditEntry.__table__.columns],
}


class Generator:
    """Makes every row of one incident after another, in reporting order (ids ascending with
    time, as the app allocates them)."""

    def __init__(self, org: Org, decisions: Decisions, rng: random.Random, now: datetime,
                 start: datetime, ids: dict[str, int], sink) -> None:  # noqa: ANN001
        self.org, self.d, self.rng, self.now, self.start = org, decisions, rng, now, start
        self.ids, self.sink = ids, sink
        self.counts = Counts()
        self.taxonomy = get_taxonomy()
        self.profile = decisions.profile.name
        self.grade_keys, self.grade_cum = _weighted(GRADE_SHARE)
        self.tlp_keys, self.tlp_cum = _weighted(TLP_SHARE)
        self.categories = self._categories()
        weights = [rng.paretovariate(1.6) for _ in org.units]  # a few units report much more
        self.unit_cum = list(_cumsum(weights))
        self.refs: set[str] = set()
        self.ref_day = ""
        self.audit_heap: list = []
        self.audit_n = 0
        self.inform_hours = decisions.inform_hours
        self.rare = [(tok, n / 1_000_000) for tok, n in world.RARE_TOKENS.items()]

    def _categories(self) -> list:
        out = []
        for code, share in world.CATEGORY_SHARE.items():
            cat = self.taxonomy.category(code)
            subs = [s.code for s in cat.subcategories]
            cat_words = self.taxonomy.words(code)
            for sub in subs or [None]:
                words = (f"{cat_words[0]}（{self.taxonomy.words(sub)[0]}） / {cat_words[1]} "
                         f"({self.taxonomy.words(sub)[1]})" if sub else
                         f"{cat_words[0]} / {cat_words[1]}")
                out.append((share / len(subs or [None]), code, sub, words,
                            world.PHRASES[sub or code]))
        return out

    # ids

    def _next(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def _ref(self, at: datetime) -> str:
        day = f"{at:%Y%m%d}"
        if day != self.ref_day:
            self.ref_day, self.refs = day, set()
        while True:
            ref = f"FH-{day}-{self.rng.getrandbits(32):08X}"
            if ref not in self.refs:
                self.refs.add(ref)
                return ref

    # text

    def _title(self, unit: Unit, phrase: tuple[str, str], system) -> str:  # noqa: ANN001
        r = self.rng.random()
        where_zh = unit.name_zh + (system[2] if system else "")
        if r < 0.55:
            title = f"{where_zh}{phrase[0]}"
        elif r < 0.85:
            title = f"{where_zh}{phrase[0]} / {phrase[1]}"
        else:
            title = f"{unit.name_en}: {phrase[1]}"
        for token, p in self.rare:
            if self.rng.random() < p:
                title += f"（{token}）"
        return title[:300]

    def _ip(self) -> str:
        g = self.rng.getrandbits(32)
        return f"{g >> 24 & 255}.{g >> 16 & 255}.{g >> 8 & 255}.{g & 255}"

    def _description(self, phrase: tuple[str, str]) -> str:
        rng = self.rng
        i = rng.randrange(len(world.DETAILS_ZH))
        vals = {"ip": self._ip(), "ip2": self._ip(),
                "domain": f"portal{rng.randrange(1000)}.example.cn"}
        return (f"{world.DETAILS_ZH[i].format(**vals)}，初步判断为{phrase[0]}。"
                f"{world.DETAILS_EN[i].format(**vals)}; first assessment: {phrase[1]}.")

    # one incident

    def incident(self, t_rep: datetime) -> None:
        rng = self.rng
        unit = self.org.units[_pick(rng, self.unit_cum)]
        system = rng.choice(unit.systems) if unit.systems and rng.random() < 0.7 else None
        important = bool(system and system[1])
        target = self.grade_keys[_pick(rng, self.grade_cum)]
        grade, facts, reasons, secrets = rng.choice(self.d.graded(target, important, unit.cii))
        plan = self.d.plan(unit, grade, secrets)
        _, cat, sub, cat_words, phrases = self.categories[_pick_share(rng, self.categories)]
        phrase = rng.choice(phrases)
        iid, ref = self._next("incidents"), self._ref(t_rep)
        self_reported = rng.random() < 0.88
        late = rng.random() < 0.06  # 迟报 (Plan §7.10): reported after the deadline
        delay = plan.report_delta * (rng.uniform(1.05, 4) if late else rng.uniform(0.05, 0.95))
        found = t_rep - delay
        inc = _Incident(iid, ref, unit, system, grade, cat, sub, found, t_rep,
                        self._title(unit, phrase, system), rng.choice(world.IMPACTS).format(
                            h=rng.randint(1, 12), n=rng.randint(50, 50000)),
                        rng.choice(world.MEASURES),
                        self.tlp_keys[_pick(rng, self.tlp_cum)].value, self_reported)
        pi = cat == "information-destruction" and rng.random() < 0.05
        pi_at = found + timedelta(hours=rng.uniform(2, 60)) if pi else None
        pi_cols = self._pi(pi_at) if pi else (None,) * 6
        life = self._life(inc, plan)
        events = self._timeline(inc, plan, life, pi_at, pi_cols[0])
        self._routes(inc, plan, life)
        self._duties(inc, plan, life, events, pi_cols)
        self._deliveries(inc, plan, cat_words)
        self._write_events(iid, events)
        reporter = unit.reporter if self_reported else unit.cert[2:]
        finding = None
        if rng.random() < 0.002:  # an office found the report false or concealing (§7.10)
            finding = "false" if rng.random() < 0.5 else "concealed"
        self.sink("incidents", (
            iid, ref, unit.id, unit.id if self_reported else unit.cert[0], reporter[0], None,
            f"{rng.getrandbits(256):064x}", "unit" if self_reported else "monitoring",
            unit.path, unit.sector, system[0] if system else None, unit.cii, cat, sub,
            inc.title, self._description(phrase), inc.impact, inc.measures, found, t_rep,
            life.state, grade, self.profile, facts, reasons, finding, inc.tlp, t_rep,
            max(e[0] for e in events if e[2] != "watchdog"), life.resolved, False, None,
            *pi_cols, None, None, None, life.assignee[0] if life.assignee else None,
            life.resolution))
        self.counts.grades[grade] += 1
        self.counts.states[life.state] += 1

    def _routes(self, inc: _Incident, plan: Plan, life: _Life) -> None:
        for r, ack in zip(plan.routes, life.acks, strict=True):
            self.sink("incident_routes", (
                self._next("incident_routes"), inc.id, r.body_id, r.reason_code, r.reason_zh,
                r.reason_en, r.source, r.immediate, inc.reported, ack,
                self.org.duty_users[r.body_id][1] if ack else None))

    def _pi(self, at: datetime) -> tuple:
        """Personal information leaked (Law art. 42 ¶2): records, and when users were told."""
        n = self.rng.randint(1000, 5_000_000)
        told = at if at < self.now else None
        return (n, True, None, told, "短信及邮件告知 / SMS and e-mail" if told else None,
                n if told else None)

    def _life(self, inc: _Incident, plan: Plan) -> _Life:
        """When each route is acknowledged and the incident moves on (``rules.TRANSITIONS``),
        up to now; the steps taken, each with the state it leaves."""
        rng, now, t = self.rng, self.now, inc.reported
        acks = [None if rng.random() < 0.015 else
                t + timedelta(minutes=rng.lognormvariate(2.5, 0.8)) for _ in plan.routes]
        acks = [a if a is not None and a <= now else None for a in acks]
        handling = (t + timedelta(hours=rng.lognormvariate(0.4, 0.8))
                    if rng.random() < 0.6 else None)
        resolved = t + timedelta(days=rng.lognormvariate(0.7, 1.0), hours=6)
        closed = resolved + timedelta(days=rng.uniform(0.5, 20))
        stuck = rng.random()
        if stuck < 0.012:
            closed = None
        elif stuck < 0.02:
            resolved = closed = None
        steps = [(a, "ack", i) for i, a in enumerate(acks) if a is not None]
        steps += [(x, kind, None) for x, kind in ((handling, "handling"), (resolved, "resolved"),
                                                  (closed, "closed")) if x is not None]
        life = _Life(acks=acks)
        state = rules.State.REPORTED
        for at, kind, i in sorted(s for s in steps if s[0] <= now):
            before = state
            if kind == "ack":
                state = rules.State.ACKNOWLEDGED if state == rules.State.REPORTED else state
            elif kind == "handling" and state in (rules.State.REPORTED,
                                                  rules.State.ACKNOWLEDGED):
                state = rules.State.HANDLING
            elif kind == "resolved" and state != rules.State.CLOSED:
                state, life.resolved = rules.State.RESOLVED, at
                life.resolution = rng.choice(world.RESOLUTIONS)
            elif kind == "closed" and state == rules.State.RESOLVED:
                state, life.closed = rules.State.CLOSED, at
            else:
                continue
            life.steps.append((at, kind, i, before.value, state.value))
        life.state = state.value
        if any(k == "handling" for _, k, *_ in life.steps) and rng.random() < 0.25:
            life.assignee = inc.unit.office_user
        return life

    def _timeline(self, inc: _Incident, plan: Plan, life: _Life, pi_at: datetime | None,
                  pi_count: int | None) -> list:
        """(at, kind, actor, detail) as the app writes them; their audit rows are queued."""
        unit, t = inc.unit, inc.reported
        reporter = unit.reporter if inc.self_reported else unit.cert[2:]
        reporter_key = unit.key if inc.self_reported else unit.cert[1]
        source = "unit" if inc.self_reported else "monitoring"
        events = [(t, "reported", reporter[1],
                   f'{{"source": "{source}", "reporter": "{reporter_key}"}}'),
                  (t, "graded", "system",
                   f'{{"grade": "{inc.grade}", "profile": "{self.profile}"}}'),
                  (t, "routed", "system", plan.routed_detail)]
        if not inc.self_reported:  # the unit is told it was reported: it has no channel
            events.append((t, "no_channel", "system",
                           f'{{"bodies": [{unit.id}], "contacts": 0}}'))
        self._audit(t, reporter, "incident.report", inc,
                    f'{{"category":"{inc.category}","grade":"{inc.grade}"}}')
        for at, kind, i, before, after in life.steps:
            if kind == "ack":
                body = plan.routes[i].body_id
                user = self.org.duty_users[body]
                events.append((at, "acknowledged", user[1], f'{{"body_id": {body}}}'))
                self._audit(at, user, "incident.acknowledge", inc,
                            f'{{"grade":"{inc.grade}","state":"{after}"}}')
                continue
            user = unit.office_user
            extra = (f', "resolution": "{life.resolution}"' if kind == "resolved" else "")
            events.append((at, "state", user[1],
                           f'{{"from": "{before}", "to": "{after}", "note": ""{extra}}}'))
            self._audit(at, user, "incident.state", inc,
                        f'{{"grade":"{inc.grade}","state":"{after}"}}')
            if kind == "handling" and life.assignee:
                name = life.assignee[1]
                events.append((at, "assigned", user[1], f'{{"from": null, "to": "{name}"}}'))
                self._audit(at, user, "incident.assign", inc, f'{{"from":null,"to":"{name}"}}')
        if pi_at is not None and pi_at < self.now:
            events.append((pi_at, "users_informed", unit.reporter[1],
                           f'{{"at": "{pi_at.isoformat()}", "how": "短信及邮件告知 / SMS and '
                           f'e-mail", "count": {pi_count}}}'))
            self._audit(pi_at, unit.reporter, "incident.users_informed", inc,
                        f'{{"count":{pi_count},"how":"短信及邮件告知 / SMS and e-mail"}}')
        return events

    def _audit(self, at: datetime, actor: tuple[int, str], action: str, inc: _Incident,
               detail: str) -> None:
        self.audit_n += 1
        heapq.heappush(self.audit_heap, (at, self.audit_n, actor[1], actor[0], action,
                                         inc.ref, inc.unit.path, detail))

    def _duties(self, inc: _Incident, plan: Plan, life: _Life, events: list, pi: tuple
                ) -> None:
        unit = inc.unit
        specs = []
        if inc.self_reported:
            specs.append((unit.id, rules.DutyKind.REPORT, plan.report_source, inc.found,
                          inc.found + plan.report_delta, inc.reported))
        for r, ack in zip(plan.routes, life.acks, strict=True):
            specs.append((r.body_id, rules.DutyKind.ACKNOWLEDGE, r.ack_source, inc.reported,
                          inc.reported + r.ack_delta, ack, r))
        if pi[0] is not None:
            d = pi_rules.inform_duty(unit.id, inc.found, self.inform_hours)
            specs.append((unit.id, d.kind, d.source, d.starts_at, d.due_at, pi[3]))
        if life.resolved:
            d = rules.final_report_duty(unit.id, life.resolved, self.d.clocks)
            specs.append((unit.id, d.kind, d.source, d.starts_at, d.due_at, life.closed))
        for spec in specs:
            body, kind, source, starts, due, done = spec[:6]
            flagged = None  # the unit's report clock is written done: never swept
            if kind != rules.DutyKind.REPORT and (
                    (done is None and self.now > due + timedelta(minutes=1))
                    or (done is not None and done > due + timedelta(minutes=1))):
                flagged = due + timedelta(seconds=self.rng.randint(5, 60))
                self._overdue(inc, spec, flagged, events)
            self.sink("duties", (self._next("duties"), inc.id, body, kind.value, source, starts,
                                 due, done, flagged))

    def _overdue(self, inc: _Incident, spec: tuple, at: datetime, events: list) -> None:
        """The watchdog's entry and reminder (``handling.sweep_overdue``)."""
        body, kind, source, _, due = spec[:5]
        route = spec[6] if len(spec) > 6 else None
        contacts = route.reminders if route else ()
        events.append((at, "clock_overdue", "watchdog", json.dumps(
            {"duty": kind.value, "body_id": body, "due_at": due,
             "escalated_to": [self.org.contact_names[c.id] for c in contacts]},
            ensure_ascii=False, default=str)))
        if not contacts:
            return
        zh, en = rules.DUTY_LABELS[kind]
        subject, text = compose(Notice(
            what=Words(inc.title, inc.title), tag=Words("逾期", "OVERDUE"), ref=inc.ref,
            asked=Words(f"已逾期，请立即{zh}", f"overdue: {en} now"), due=due))
        text += f"依据 Clause: {source}\n"
        payload = json.dumps({"event": "duty.overdue", "ref": inc.ref, "duty": kind.value,
                              "due_at": due.isoformat(), "source": source}, ensure_ascii=False)
        for c in contacts:
            self._message(inc, c, at, subject, text, payload, 50)

    def _deliveries(self, inc: _Incident, plan: Plan, cat_words: str) -> None:
        unit, system = inc.unit, inc.system
        values = {"ref": inc.ref, "title": inc.title, "cat": cat_words, "impact": inc.impact,
                  "measures": inc.measures, "tlp": inc.tlp, "uzh": unit.name_zh,
                  "uen": unit.name_en, "ukey": unit.key, "szh": system[2] if system else "",
                  "sen": system[3] if system else "", "found": due_text(inc.found),
                  "found_iso": inc.found.isoformat(), "rep_iso": inc.reported.isoformat(),
                  "cii": "true" if unit.cii else "false",
                  "sub": f'"{inc.sub}"' if inc.sub else "null", "catcode": f'"{inc.category}"'}
        for r in plan.routes:
            due = inc.reported + r.ack_delta
            values["due"], values["due_iso"] = due_text(due), due.isoformat()
            subject, text, payload = r.templates[system is not None]
            for c in r.contacts:
                self._message(inc, c, inc.reported, subject.format(**values),
                              text.format(**values), payload.format(**values),
                              0 if r.immediate else 100)

    def _message(self, inc: _Incident, contact, at: datetime, subject: str, text: str,  # noqa: ANN001
                 payload: str, priority: int) -> None:
        rng = self.rng
        if rng.random() < 0.015:
            state, attempts, delivered = outbox.DEAD, outbox.MAX_ATTEMPTS, None
            error = rng.choice(DEAD_ERRORS)
            last_try = at + sum((outbox.backoff(n) for n in range(1, outbox.MAX_ATTEMPTS)),
                                timedelta())
        else:
            state, attempts, error = outbox.DELIVERED, 1, None
            delivered, last_try = at + timedelta(seconds=rng.uniform(0.5, 20)), at
        self.sink("outbox", (
            self._next("outbox"), f"{rng.getrandbits(128):032x}", at, contact.channel,
            contact.value, subject[:300], text, payload, contact.body_id, contact.id, inc.id,
            None, priority, state, attempts, last_try, None, error, delivered))

    def _write_events(self, iid: int, events: list) -> None:
        events.sort(key=lambda e: e[0])
        for at, kind, actor, detail in events:
            self.sink("incident_events", (self._next("incident_events"), iid, at, kind, actor,
                                          detail))

    # audit

    def chained(self, before: datetime | None, head: list) -> None:
        """Number and hash the queued audit rows earlier than ``before`` (all if None), in time
        order, as ``audit.chain_pending`` would have; ``head`` is [seq, hash], moved on."""
        heap, sink = self.audit_heap, self.sink
        seq, prev = head
        checked = False
        while heap and (before is None or heap[0][0] < before):
            at, _, actor, actor_id, action, ref, path, detail = heapq.heappop(heap)
            seq += 1
            digest = link_hash(seq, at, actor, actor_id, action, ref, path, detail, prev)
            if not checked:  # the fast hash is the app's hash (audit.rules.link_hash)
                assert digest == audit_rules.link_hash(audit_rules.Link(
                    seq, at, actor, actor_id, action, "incident", ref, path, detail, prev))
                checked = True
            sink("audit_log", (seq, at, actor, actor_id, action, "incident", ref, path, detail,
                               prev, digest))
            prev = digest
        head[0], head[1] = seq, prev


def link_hash(seq: int, at: datetime, actor: str, actor_id: int | None, action: str, ref: str,
              path: str, detail: str, prev: str) -> str:
    """``audit.rules.link_hash`` of an incident's row, without building a Link and a list for
    ``json.dumps`` (the same JSON: compact separators, non-ASCII kept); checked against it."""
    stamp = at.astimezone(UTC).isoformat(timespec="microseconds")
    payload = (f'[{seq},"{stamp}",{_js(actor)},{"null" if actor_id is None else actor_id},'
               f'{_js(action)},"incident",{_js(ref)},{_js(path)},{_js(detail)},"{prev}"]')
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass
class _Incident:
    id: int
    ref: str
    unit: Unit
    system: tuple | None
    grade: str
    category: str
    sub: str | None
    found: datetime
    reported: datetime
    title: str
    impact: str
    measures: str
    tlp: str
    self_reported: bool


@dataclass
class _Life:
    acks: list
    steps: list = field(default_factory=list)
    state: str = rules.State.REPORTED.value
    resolution: str | None = None
    resolved: datetime | None = None
    closed: datetime | None = None
    assignee: tuple[int, str] | None = None


def _cumsum(values: list[float]):  # noqa: ANN202
    total = 0.0
    for v in values:
        total += v
        yield total


def _pick(rng: random.Random, cum: list[float]) -> int:
    return min(bisect_right(cum, rng.random() * cum[-1]), len(cum) - 1)


def _pick_share(rng: random.Random, items: list) -> int:
    x, acc = rng.random(), 0.0
    for i, item in enumerate(items):
        acc += item[0]
        if x < acc:
            return i
    return len(items) - 1


# --- loading ----------------------------------------------------------------------------------


class Loader:
    """One connection and one COPY per table, open for a chunk of incidents and committed at
    its end; rows are buffered and written in batches (the time spent per table is counted)."""

    def __init__(self, url: str, counts: Counts) -> None:
        self.counts = counts
        self.conns = {}
        for table in TABLES:
            conn = psycopg.connect(libpq(url))
            conn.execute("SET session_replication_role = replica")  # FKs checked after
            conn.execute("SET synchronous_commit = off")
            self.conns[table] = conn
        self.buffers: dict[str, list] = {t: [] for t in TABLES}
        self.copies: dict[str, tuple] = {}
        self.types = {t: _column_types(self.conns[t], t, cols) for t, cols in TABLES.items()}

    def begin(self) -> None:
        """Binary COPY: no escaping of the texts (about 2.5× faster to write than text)."""
        for table, cols in TABLES.items():
            cm = self.conns[table].cursor().copy(
                f"COPY {table} ({', '.join(cols)}) FROM STDIN (FORMAT BINARY)")
            copy = cm.__enter__()
            copy.set_types(self.types[table])
            self.copies[table] = (cm, copy)

    def sink(self, table: str, row: tuple) -> None:
        buf = self.buffers[table]
        buf.append(row)
        if len(buf) >= FLUSH:
            self.flush(table)

    def flush(self, table: str) -> None:
        t = time.perf_counter()
        write = self.copies[table][1].write_row
        buf = self.buffers[table]
        for row in buf:
            write(row)
        self.counts.rows[table] += len(buf)
        buf.clear()
        self.counts.seconds[table] += time.perf_counter() - t

    def end(self) -> None:
        for table in TABLES:  # parents first
            self.flush(table)
            t = time.perf_counter()
            self.copies.pop(table)[0].__exit__(None, None, None)
            self.conns[table].commit()
            self.counts.seconds[table] += time.perf_counter() - t

    def close(self) -> None:
        for conn in self.conns.values():
            conn.close()


def _column_types(conn: psycopg.Connection, table: str, cols: list[str]) -> list[int]:
    oids = dict(conn.execute(
        "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass "
        "AND attnum > 0 AND NOT attisdropped", (table,)).fetchall())
    return [oids[c] for c in cols]


def _max_ids(conn: psycopg.Connection) -> dict[str, int]:
    ids = {t: conn.execute(f"SELECT coalesce(max(id), 0) FROM {t}").fetchone()[0]
           for t in TABLES if t != "audit_log"}
    return ids


def load(url: str, org: Org, decisions: Decisions, *, incidents: int, start: datetime,
         now: datetime, rng: random.Random, progress: Progress) -> Counts:
    counts = Counts()
    with psycopg.connect(libpq(url)) as conn:
        ids = _max_ids(conn)
        if ids["incidents"]:
            raise SystemExit(f"the database already holds incidents (max id {ids['incidents']}):"
                             " use --drop")
        pending = conn.execute("SELECT count(*) FROM audit_pending").fetchone()[0]
        if pending:
            raise SystemExit("audit_pending is not empty: chain it first (fenghuo audit verify)")
        head = list(conn.execute("SELECT seq, hash FROM audit_head WHERE id = %s",
                                 (audit.HEAD_ID,)).fetchone())
    loader = Loader(url, counts)
    gen = Generator(org, decisions, rng, now, start, ids, loader.sink)
    gen.counts = counts
    span = (now - timedelta(minutes=1) - start).total_seconds()
    task = progress.add_task("incidents", total=incidents)
    try:
        for first in range(0, incidents, CHUNK):
            loader.begin()
            last = min(incidents, first + CHUNK)
            for i in range(first, last):
                gen.incident(_when(start, span, i, incidents, rng))
            boundary = _earliest(start, span, last, incidents) if last < incidents else None
            gen.chained(boundary, head)
            loader.end()
            progress.update(task, completed=last)
    finally:
        loader.close()
    with psycopg.connect(libpq(url)) as conn:
        conn.execute("UPDATE audit_head SET seq = %s, hash = %s WHERE id = %s",
                     (head[0], head[1], audit.HEAD_ID))
    return counts


def _when(start: datetime, span: float, i: int, n: int, rng: random.Random) -> datetime:
    """The reporting time of the i-th of n incidents: ascending with i, somewhat denser
    recently (more units report as the deployment grows)."""
    x = (i + rng.random() * 0.999) / n
    return start + timedelta(seconds=round(span * x ** 0.85))


def _earliest(start: datetime, span: float, i: int, n: int) -> datetime:
    """The earliest time :func:`_when` can give the i-th incident (its audit rows and all
    later ones come at or after it)."""
    return start + timedelta(seconds=round(span * (i / n) ** 0.85))


# --- after loading ----------------------------------------------------------------------------

LOADED = ("incidents", "incident_events", "incident_routes", "duties", "outbox")


def finish(url: str) -> dict[str, float]:
    """Sequences past max(id), ANALYZE, every FK of the loaded tables checked."""
    times = {}
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        t = time.perf_counter()
        for table in LOADED:
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                         f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)")
        times["sequences"] = time.perf_counter() - t
        t = time.perf_counter()
        conn.execute("ANALYZE")
        times["analyze"] = time.perf_counter() - t
        t = time.perf_counter()
        broken = dangling(conn)
        times["fk check"] = time.perf_counter() - t
    if broken:
        raise SystemExit(f"rows that break a foreign key: {broken}")
    return times


def dangling(conn: psycopg.Connection) -> dict[str, int]:
    """For every FK of the loaded tables, how many rows point at nothing (only the nonzero)."""
    out = {}
    for table in LOADED:
        for fk in Incident.metadata.tables[table].foreign_keys:
            col, target = fk.parent.name, fk.column
            n = conn.execute(
                f"SELECT count(*) FROM {table} c WHERE c.{col} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {target.table.name} p WHERE p.{target.name} = c.{col})"
            ).fetchone()[0]
            if n:
                out[f"{table}.{col}"] = n
    return out


def table_sizes(url: str) -> list[tuple[str, int, str]]:
    with psycopg.connect(libpq(url)) as conn:
        return conn.execute(
            "SELECT relname, n_live_tup, pg_size_pretty(pg_total_relation_size(relid)) "
            "FROM pg_stat_user_tables ORDER BY pg_total_relation_size(relid) DESC LIMIT 14"
        ).fetchall()


# --- the command ------------------------------------------------------------------------------


@dataclass
class Result:
    counts: Counts
    phases: dict[str, float]
    units: int
    start: datetime
    now: datetime


def seed(url: str, *, incidents: int, years: float = 2, seed_value: int = 42,
         drop: bool = False, units: int | None = None, quiet: bool = False) -> Result:
    """Build the instance; returns what was written (the test compares it with the reads)."""
    rng = random.Random(seed_value)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=365.25 * years)
    units = units or max(40, min(3000, incidents // 300))
    phases: dict[str, float] = {}
    t = time.perf_counter()
    ensure_database(url, drop=drop)
    settings = Settings(database_url=url)
    rt = bootstrap.build(settings, clock=FakeClock(start - timedelta(days=7)))
    try:
        bootstrap.upgrade_and_seed(rt)
        phases["migrate + seed"] = time.perf_counter() - t
        with rt.uow() as s:
            has_world = s.scalar(select(func.count()).select_from(Body).where(
                Body.kind == BodyKind.OPERATOR.value))
        if not has_world:
            phases["organization + users"] = build_world(rt, units, rng)
        org = read_org(rt)
        decisions = Decisions(org, grading.load_profile(settings.grading_profile),
                              settings.pi_inform_hours)
    finally:
        rt.engine.dispose()
    t = time.perf_counter()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, disable=quiet) as progress:
        counts = load(url, org, decisions, incidents=incidents, start=start, now=now, rng=rng,
                      progress=progress)
    phases["generate + COPY"] = time.perf_counter() - t
    phases.update(finish(url))
    return Result(counts, phases, len(org.units), start, now)


def report(url: str, result: Result, elapsed: float) -> None:
    c = result.counts
    table = Table(title="rows written (COPY); seconds = time spent writing that table's rows "
                        "and waiting for its COPY (the six run concurrently)")
    for col in ("table", "rows", "seconds", "rows/s"):
        table.add_column(col, justify="right" if col != "table" else "left")
    for name in TABLES:
        secs = c.seconds[name]
        table.add_row(name, f"{c.rows[name]:,}", f"{secs:.1f}",
                      f"{c.rows[name] / secs:,.0f}" if secs else "-")
    console.print(table)
    sizes = Table(title="table sizes (pg_stat_user_tables after ANALYZE)")
    for col in ("relation", "live rows", "total size"):
        sizes.add_column(col)
    for name, live, size in table_sizes(url):
        sizes.add_row(name, f"{live:,}", size)
    console.print(sizes)
    console.print("phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in result.phases.items()))
    console.print(f"grades: {dict(c.grades)}")
    console.print(f"states: {dict(c.states)}")
    console.print(f"{result.units} operator units; reported {result.start:%Y-%m-%d} to "
                  f"{result.now:%Y-%m-%d %H:%M} UTC; rare title tokens {world.RARE_TOKENS} "
                  f"(per million); never present: {world.NEVER_TOKEN!r}")
    console.print(f"log in as {NATIONAL_ADMIN} or bench-<province> ({', '.join(PROVINCE_ADMINS)})"
                  f" with password {BENCH_PASSWORD!r}")
    console.print(f"[bold]total {elapsed:.1f} s[/bold]")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", required=True,
                    help="postgresql+psycopg://postgres@127.0.0.1:5432/fenghuo_scale_1m")
    ap.add_argument("--incidents", type=int, default=1_000_000)
    ap.add_argument("--years", type=float, default=2)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--units", type=int, default=None,
                    help="operator units (default incidents/300, between 40 and 3000)")
    ap.add_argument("--drop", action="store_true", help="drop the database first")
    args = ap.parse_args(argv)
    if not args.database_url.startswith("postgresql"):
        sys.exit("bulk loading needs PostgreSQL (COPY)")
    t = time.perf_counter()
    result = seed(args.database_url, incidents=args.incidents, years=args.years,
                  seed_value=args.seed, drop=args.drop, units=args.units)
    report(args.database_url, result, time.perf_counter() - t)


if __name__ == "__main__":
    main()
