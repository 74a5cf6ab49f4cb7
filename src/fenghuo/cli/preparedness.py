"""``fenghuo plan``, ``exercise``, ``assessment``, ``training``, ``reserve`` and ``compliance``:
prevention and safeguards (Plan §6.2, §6.4, §7.8, §8.1; Law arts. 25, 34, 38)."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from fenghuo.cli.common import ActAs, Limit, _errors, _ref_column, _runtime, out, parse_day
from fenghuo.common.pagination import PageParams
from fenghuo.org import accounts
from fenghuo.org.rules import BodyKind
from fenghuo.preparedness import service as prep
from fenghuo.preparedness.rules import (
    Duty,
    EvaluationOutcome,
    ExerciseForm,
    ExerciseState,
    ReserveKind,
    Status,
)
from fenghuo.preparedness.schemas import (
    AssessmentIn,
    CheckedIn,
    EvaluationIn,
    ExerciseIn,
    ExerciseOut,
    HeldIn,
    PlanIn,
    PlanOut,
    ReserveIn,
    TrainingIn,
)

plan_app = typer.Typer(help="Emergency plans and their yearly evaluation (Plan §8.1, Law art. "
                       "25).", no_args_is_help=True)
exercise_app = typer.Typer(help="Exercises, reported to the Central Cyberspace Office (Plan "
                           "§6.2, Law art. 34(4)).", no_args_is_help=True)
assessment_app = typer.Typer(help="CII risk assessments (Law art. 38).", no_args_is_help=True)
training_app = typer.Typer(help="Trainings (Plan §6.4, Law art. 34(2)).", no_args_is_help=True)
reserve_app = typer.Typer(help="Equipment and tool reserves (Plan §7.8).", no_args_is_help=True)
Body = Annotated[str, typer.Option("--body", help="Key of the body")]
BodyFilter = Annotated[str | None, typer.Option("--body", help="Only this body's")]
Day = Annotated[str, typer.Option(help="A day: YYYY-MM-DD, today, or days from today (-30d)")]


def _me(rt, as_user: str):  # noqa: ANN001, ANN202
    return accounts.principal_for(rt.uow, username=as_user)


def _day(text: str | None) -> date | None:
    return parse_day(text, "day")


def _status(label) -> str:  # noqa: ANN001 - a Label
    return f"{label.zh} {label.en}"


# --- plans ------------------------------------------------------------------------------------


def _plan_line(p: PlanOut) -> None:
    out.print(f"[bold]plan {p.id}[/] {p.body}/{p.key} v{escape(p.version)} · "
              f"{_status(p.status_label)} · next evaluation due {p.due_on}")
    for r in p.reasons:
        out.print(f"  {escape(r.text_zh)} / {escape(r.text_en)} [dim]({escape(r.source)})[/]")


@plan_app.command("add")
def plan_add(
    body: Body, key: Annotated[str, typer.Option(help="Stable key of the plan")],
    title: Annotated[str, typer.Option()], version: Annotated[str, typer.Option()],
    owner: Annotated[str, typer.Option(help="Who keeps it")],
    document: Annotated[str, typer.Option(help="File name, URL or archive reference")],
    adopted_on: Day, as_user: ActAs,
    sha256: Annotated[str | None, typer.Option(help="SHA-256 of the document")] = None,
) -> None:
    """Record the emergency plan a body keeps (Plan §8.1, Law art. 25)."""
    rt = _runtime()
    with _errors():
        p = prep.add_plan(rt.uow, rt.clock, principal=_me(rt, as_user), data=PlanIn(
            body=body, key=key, title=title, version=version, owner=owner, document=document,
            document_sha256=sha256, adopted_on=_day(adopted_on)))
    _plan_line(p)


@plan_app.command("evaluate")
def plan_evaluate(
    plan_id: Annotated[int, typer.Argument(help="Plan id")], as_user: ActAs,
    outcome: Annotated[EvaluationOutcome, typer.Option(help="adequate or revised")],
    on: Annotated[str | None, typer.Option(help="Evaluated on, YYYY-MM-DD (today)")] = None,
    new_version: Annotated[str | None, typer.Option(help="The version after a revision")]
    = None,
    findings: Annotated[str, typer.Option()] = "",
) -> None:
    """Record the yearly evaluation (Plan §8.1 原则上每年评估一次，根据实际情况适时修订)."""
    rt = _runtime()
    with _errors():
        p = prep.evaluate_plan(rt.uow, rt.clock, principal=_me(rt, as_user), plan_id=plan_id,
                               data=EvaluationIn(evaluated_on=_day(on) or rt.clock.now().date(),
                                                 outcome=outcome, new_version=new_version,
                                                 findings=findings))
    _plan_line(p)


@plan_app.command("list")
def plan_list(as_user: ActAs, body: BodyFilter = None,
              status: Annotated[Status | None, typer.Option()] = None,
              limit: Limit = 50) -> None:
    """Plans in scope with their evaluation status (Plan §8.1)."""
    rt = _runtime()
    with _errors():
        page = prep.list_plans(rt.uow, rt.clock, principal=_me(rt, as_user),
                               page=PageParams(limit=limit), body=body, status=status)
    t = Table("id", "body", "key", "version", "owner", "last evaluated", "due", "status 状态",
              title=f"{page.total} plan(s) 应急预案")
    for p in page.items:
        t.add_row(str(p.id), p.body, p.key, escape(p.version), escape(p.owner),
                  str(p.last_evaluated_on or "—"), str(p.due_on), _status(p.status_label))
    out.print(t)


# --- exercises --------------------------------------------------------------------------------


def _exercise_line(x: ExerciseOut) -> None:
    reported = f"reported 已报送 {x.reported_at:%Y-%m-%d}" if x.reported_at else "not reported"
    out.print(f"[bold]{x.ref}[/] {x.organizer} · {_status(x.state_label)} · "
              f"{_status(x.form_label)} · {reported}")


@exercise_app.command("plan")
def exercise_plan(
    organizer: Annotated[str, typer.Option(help="Key of the organizing body")],
    title: Annotated[str, typer.Option()], scope: Annotated[str, typer.Option()],
    scenario: Annotated[str, typer.Option()], planned_for: Day, as_user: ActAs,
    form: Annotated[ExerciseForm, typer.Option()] = ExerciseForm.TABLETOP,
    participant: Annotated[list[str] | None, typer.Option(
        "--participant", help="Key of a body taking part (repeat)")] = None,
) -> None:
    """Plan an exercise (Plan §6.2)."""
    rt = _runtime()
    with _errors():
        x = prep.plan_exercise(rt.uow, rt.clock, principal=_me(rt, as_user), data=ExerciseIn(
            organizer=organizer, title=title, scope=scope, scenario=scenario, form=form,
            participants=participant or [], planned_for=_day(planned_for)))
    _exercise_line(x)


@exercise_app.command("held")
def exercise_held(ref: Annotated[str, typer.Argument(help="Exercise ref, EX-…")],
                  held_on: Day, as_user: ActAs,
                  findings: Annotated[str, typer.Option()] = "") -> None:
    """The exercise was held, with its findings."""
    rt = _runtime()
    with _errors():
        x = prep.record_held(rt.uow, rt.clock, principal=_me(rt, as_user), ref=ref,
                             data=HeldIn(held_on=_day(held_on), findings=findings))
    _exercise_line(x)


@exercise_app.command("report")
def exercise_report(ref: Annotated[str, typer.Argument(help="Exercise ref, EX-…")],
                    as_user: ActAs) -> None:
    """Report a held exercise to the Central Cyberspace Office (Plan §6.2)."""
    rt = _runtime()
    with _errors():
        x = prep.report(rt.uow, rt.clock, principal=_me(rt, as_user), ref=ref)
    _exercise_line(x)


@exercise_app.command("list")
def exercise_list(as_user: ActAs,
                  state: Annotated[ExerciseState | None, typer.Option()] = None,
                  limit: Limit = 50) -> None:
    """Exercises in scope, the latest first."""
    rt = _runtime()
    with _errors():
        page = prep.list_exercises(rt.uow, rt.clock, principal=_me(rt, as_user),
                                   page=PageParams(limit=limit), state=state)
    t = Table(_ref_column(), "organizer", "title", "form", "state 状态", "planned", "held",
              "reported", title=f"{page.total} exercise(s) 应急演练")
    for x in page.items:
        t.add_row(x.ref, x.organizer, escape(x.title), _status(x.form_label),
                  _status(x.state_label), str(x.planned_for), str(x.held_on or "—"),
                  f"{x.reported_at:%Y-%m-%d}" if x.reported_at else "—")
    out.print(t)


# --- CII risk assessments, trainings ----------------------------------------------------------


@assessment_app.command("add")
def assessment_add(
    body: Body, assessed_on: Day, as_user: ActAs,
    assessor: Annotated[str, typer.Option(help="Itself or the service engaged")],
    findings: Annotated[str, typer.Option()], improvements: Annotated[str, typer.Option()],
    reported_to: Annotated[str | None, typer.Option(help="The department in charge")] = None,
    reported_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
) -> None:
    """Record a CII operator's yearly risk assessment and its report (Law art. 38)."""
    rt = _runtime()
    with _errors():
        a = prep.add_assessment(rt.uow, rt.clock, principal=_me(rt, as_user), data=AssessmentIn(
            body=body, assessed_on=_day(assessed_on), assessor=assessor, findings=findings,
            improvements=improvements, reported_to=reported_to,
            reported_on=_day(reported_on)))
    out.print(f"assessment {a.id} {a.body} {a.assessed_on} → {a.reported_to or 'not reported'}")


@assessment_app.command("list")
def assessment_list(as_user: ActAs, body: BodyFilter = None, limit: Limit = 50) -> None:
    rt = _runtime()
    with _errors():
        page = prep.list_assessments(rt.uow, principal=_me(rt, as_user),
                                     page=PageParams(limit=limit), body=body)
    t = Table("id", "body", "assessed", "assessor", "reported to", "reported",
              title=f"{page.total} CII assessment(s) 检测评估")
    for a in page.items:
        t.add_row(str(a.id), a.body, str(a.assessed_on), escape(a.assessor),
                  a.reported_to or "—", str(a.reported_on or "—"))
    out.print(t)


@training_app.command("add")
def training_add(
    body: Body, title: Annotated[str, typer.Option()], held_on: Day, as_user: ActAs,
    hours: Annotated[int, typer.Option(min=1, max=1000)],
    participants: Annotated[int, typer.Option(min=1)],
    topics: Annotated[str, typer.Option()] = "",
) -> None:
    """Record a training (Plan §6.4)."""
    rt = _runtime()
    with _errors():
        t = prep.add_training(rt.uow, rt.clock, principal=_me(rt, as_user), data=TrainingIn(
            body=body, title=title, held_on=_day(held_on), hours=hours,
            participants=participants, topics=topics))
    out.print(f"training {t.id} {t.body} {t.held_on}: {escape(t.title)}")


@training_app.command("list")
def training_list(as_user: ActAs, body: BodyFilter = None, limit: Limit = 50) -> None:
    rt = _runtime()
    with _errors():
        page = prep.list_trainings(rt.uow, principal=_me(rt, as_user),
                                   page=PageParams(limit=limit), body=body)
    t = Table("id", "body", "held", "title", "hours", "participants",
              title=f"{page.total} training(s) 培训")
    for x in page.items:
        t.add_row(str(x.id), x.body, str(x.held_on), escape(x.title), str(x.hours),
                  str(x.participants))
    out.print(t)


# --- reserves ---------------------------------------------------------------------------------


@reserve_app.command("add")
def reserve_add(
    body: Body, key: Annotated[str, typer.Option()], name: Annotated[str, typer.Option()],
    kind: Annotated[ReserveKind, typer.Option()], as_user: ActAs,
    quantity: Annotated[int, typer.Option(min=0)] = 1,
    location: Annotated[str, typer.Option()] = "",
    every: Annotated[int, typer.Option("--every", min=1, max=3650, metavar="DAYS",
                                       help="Check interval (180, the project's)")] = 180,
    last_checked_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
) -> None:
    """Record equipment or tools held in reserve (Plan §7.8)."""
    rt = _runtime()
    with _errors():
        r = prep.add_reserve(rt.uow, rt.clock, principal=_me(rt, as_user), data=ReserveIn(
            body=body, key=key, name=name, kind=kind, quantity=quantity, location=location,
            check_every_days=every, last_checked_on=_day(last_checked_on)))
    out.print(f"reserve {r.id} {r.body}/{r.key} · {_status(r.status_label)} · due {r.due_on}")


@reserve_app.command("check")
def reserve_check(reserve_id: Annotated[int, typer.Argument(help="Reserve id")], as_user: ActAs,
                  on: Annotated[str | None, typer.Option(help="Checked on (today)")] = None,
                  note: Annotated[str, typer.Option()] = "") -> None:
    """The reserve was checked (Plan §7.8 及时调整、升级)."""
    rt = _runtime()
    with _errors():
        r = prep.check_reserve(rt.uow, rt.clock, principal=_me(rt, as_user),
                               reserve_id=reserve_id, data=CheckedIn(
                                   checked_on=_day(on) or rt.clock.now().date(), note=note))
    out.print(f"reserve {r.id} {r.body}/{r.key} · {_status(r.status_label)} · due {r.due_on}")


@reserve_app.command("list")
def reserve_list(as_user: ActAs, body: BodyFilter = None, limit: Limit = 50) -> None:
    rt = _runtime()
    with _errors():
        page = prep.list_reserves(rt.uow, rt.clock, principal=_me(rt, as_user),
                                  page=PageParams(limit=limit), body=body)
    t = Table("id", "body", "key", "kind", "qty", "last checked", "due", "status 状态",
              title=f"{page.total} reserve(s) 储备")
    for r in page.items:
        t.add_row(str(r.id), r.body, r.key, _status(r.kind_label), str(r.quantity),
                  str(r.last_checked_on or "—"), str(r.due_on), _status(r.status_label))
    out.print(t)


# --- compliance -------------------------------------------------------------------------------


def compliance_command(
    as_user: ActAs,
    duty: Annotated[Duty | None, typer.Option(help="Only this duty")] = None,
    kind: Annotated[BodyKind | None, typer.Option(help="Only bodies of this kind")] = None,
    status: Annotated[Status | None, typer.Option(help="Only rows with a duty in this status")]
    = None,
    noncompliant: Annotated[bool, typer.Option("--noncompliant",
                                               help="Only non-compliant bodies")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table")] = False,
    limit: Limit = 500,
) -> None:
    """One row per body in scope with each applicable duty: plan (Plan §8.1), exercise (§6.2),
    CII assessment (Law 38), reserves (§7.8), training (advisory, Law 34(2))."""
    rt = _runtime()
    with _errors():
        page = prep.compliance(rt.uow, rt.clock, principal=_me(rt, as_user),
                               page=PageParams(limit=limit), kind=kind, duty=duty,
                               status=status, noncompliant=noncompliant)
    if as_json:
        print(json.dumps(page.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    t = Table("body", "name", "duty 义务", "status 状态", "last", "due", "why 依据",
              title=f"{page.total} body(ies) 合规情况")
    for row in page.items:
        for i, d in enumerate(row.duties):
            why = "; ".join(f"{r.text_zh} ({r.source})" for r in d.reasons[:1])
            t.add_row(row.body if i == 0 else "", escape(row.name_zh) if i == 0 else "",
                      _status(d.duty_label), _status(d.status_label), str(d.last_on or "—"),
                      str(d.due_on or "—"), escape(why))
    out.print(t)
