"""``fenghuo support``: CNCERT support units (rounds, admission, memberships, work log,
obligations, 7×24 contact checks, work reports, evaluations, CNCERT's decisions ending a status;
Support obligations 4–9, 五) and technical support teams and experts (standby, dispatch,
release; Plan §3.4.1 (3), §7.2, §7.3)."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from fenghuo.cli.common import ActAs, Limit, _errors, _ref_column, _runtime, _when, out
from fenghuo.common.pagination import PageParams
from fenghuo.org import accounts
from fenghuo.support import service as support
from fenghuo.support.rules import day_of
from fenghuo.support.schemas import (
    AdmitIn,
    AnswerIn,
    AssignmentIn,
    AssignmentWorkIn,
    CheckIn,
    DecisionIn,
    EvaluationIn,
    ObligationsOut,
    ReleaseIn,
    RoundIn,
    WorkIn,
    WorkReportIn,
)

support_app = typer.Typer(help="Support units, technical support teams and experts (Support "
                          "obligations 4–9; Plan §7.2, §7.3).", no_args_is_help=True)
round_app = typer.Typer(help="Selection rounds of support units.", no_args_is_help=True)
support_app.add_typer(round_app, name="round")

Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]
Unit = Annotated[str, typer.Argument(help="Key of the support unit, e.g. bj-support")]


def _me(rt, as_user: str):  # noqa: ANN001, ANN202
    return accounts.principal_for(rt.uow, username=as_user)


def _lbl(label) -> str:  # noqa: ANN001
    return f"{label.zh} {label.en}"


# --- rounds and membership (Support obligation 9) ---------------------------------------------


@round_app.command("add")
def round_add(number: int, name_zh: str, name_en: str, as_user: ActAs,
              starts: Annotated[str, typer.Option(help="First day, YYYY-MM-DD")]) -> None:
    """Add a selection round (the CNCERT national center, Support obligation 9)."""
    rt = _runtime()
    with _errors():
        r = support.create_round(rt.uow, rt.clock, principal=_me(rt, as_user), data=RoundIn(
            number=number, name_zh=name_zh, name_en=name_en, starts_on=date.fromisoformat(
                starts)))
    out.print(f"round 第{r.number}届 {escape(r.name_zh)} / {escape(r.name_en)} from "
              f"{r.starts_on}")


@round_app.command("list")
def round_list(as_user: ActAs) -> None:
    """List the rounds."""
    rt = _runtime()
    with _errors():
        rows = support.list_rounds(rt.uow, principal=_me(rt, as_user))
    table = Table("number 届", "name 名称", "starts 开始", "members 成员", title="Rounds 评选届次")
    for r in rows:
        table.add_row(str(r.number), f"{escape(r.name_zh)} {escape(r.name_en)}",
                      str(r.starts_on), str(r.members))
    out.print(table)


@support_app.command("admit")
def admit(unit: Unit, as_user: ActAs,
          round_number: Annotated[int, typer.Option("--round", help="Round number")],
          on: Annotated[str | None, typer.Option(help="Admission day (default today)")] = None,
          ) -> None:
    """Admit a support unit to a round; a unit barred from it is refused (Support obligation 9)."""
    rt = _runtime()
    with _errors():
        m = support.admit(rt.uow, rt.clock, principal=_me(rt, as_user), number=round_number,
                          data=AdmitIn(unit=unit, admitted_on=date.fromisoformat(on) if on
                                       else None))
    out.print(f"{m.unit} admitted to round {m.round} on {m.admitted_on}: "
              f"{_lbl(m.status_label)}")


@support_app.command("memberships")
def memberships(as_user: ActAs, unit: Annotated[str | None, typer.Option(help="A unit's key")]
                = None, round_number: Annotated[int | None, typer.Option("--round")] = None,
                limit: Limit = 50, as_json: Json = False) -> None:
    """Memberships in your scope: status, when it ended and why, CNCERT's decision if one ended
    it (Support obligation 9, 五)."""
    rt = _runtime()
    with _errors():
        page = support.list_memberships(rt.uow, principal=_me(rt, as_user),
                                        page=PageParams(limit=limit), number=round_number,
                                        unit=unit)
    if as_json:
        out.print_json(json.dumps([m.model_dump(mode="json") for m in page.items]))
        return
    table = Table("round 届", "unit 单位", "status 状态", "admitted 入选", "ended 终止",
                  "why 原因", title=f"{page.total} membership(s)")
    for m in page.items:
        why = m.ended_reason or ""
        if m.decision:
            why = f"{_lbl(m.decision.ground_label)} ({m.decision.source}): {m.decision.reason}"
        table.add_row(str(m.round), m.unit, _lbl(m.status_label), str(m.admitted_on),
                      str(m.ended_on or ""), escape(why))
    out.print(table)


@support_app.command("end")
def end(unit: Unit, as_user: ActAs,
        ground: Annotated[str, typer.Option(help="obligation_1, obligation_2 (confidentiality), "
                                            "obligation_3, obligation_7, obligation_9 or "
                                            "authorization")],
        reason: Annotated[str, typer.Option(help="Why the status ends")]) -> None:
    """CNCERT ends a unit's status at any time (Support 五 授权约定; obligation 9): the national
    center only; the unit is notified and barred from the next round."""
    rt = _runtime()
    with _errors():
        d = support.decide(rt.uow, rt.clock, principal=_me(rt, as_user),
                           data=DecisionIn(unit=unit, ground=ground, reason=reason))
    rt.wake_worker()
    out.print(f"{d.unit} 已取消资格 status ended (round {d.round}) on {d.decided_on}: "
              f"{_lbl(d.ground_label)} ({d.source})")


@support_app.command("decisions")
def decisions(as_user: ActAs, unit: Annotated[str | None, typer.Option(help="A unit's key")]
              = None, limit: Limit = 50) -> None:
    """CNCERT's decisions ending a status, newest first."""
    rt = _runtime()
    with _errors():
        page = support.list_decisions(rt.uow, principal=_me(rt, as_user),
                                      page=PageParams(limit=limit), unit=unit)
    table = Table("unit 单位", "round 届", "on 日期", "ground 依据", "reason 理由", "by 决定人",
                  title=f"{page.total} decision(s)")
    for d in page.items:
        table.add_row(d.unit, str(d.round), str(d.decided_on),
                      f"{_lbl(d.ground_label)} ({d.source})", escape(d.reason),
                      f"{d.decided_by} ({d.decided_by_body})")
    out.print(table)


# --- work log and obligations (Support obligations 4–8) ---------------------------------------


@support_app.command("log")
def log(unit: Unit, as_user: ActAs,
        minutes: Annotated[int, typer.Option(help="Minutes worked (> 0)")],
        kind: Annotated[str, typer.Option(help="incident_response or technical_support")]
        = "technical_support",
        day: Annotated[str | None, typer.Option("--on", help="Day, YYYY-MM-DD (default today)")]
        = None,
        with_body: Annotated[str | None, typer.Option("--with", help="CNCERT center or branch")]
        = None,
        incident: Annotated[str | None, typer.Option(help="Incident ref")] = None,
        response: Annotated[str | None, typer.Option(help="Response ref")] = None,
        task: Annotated[str | None, typer.Option(help="Free-text task")] = None) -> None:
    """Log a support unit's time (Support obligations 4–5)."""
    rt = _runtime()
    with _errors():
        me = _me(rt, as_user)
        e = support.log_work(rt.uow, rt.clock, principal=me, unit=unit, data=WorkIn(
            kind=kind, minutes=minutes, worked_on=date.fromisoformat(day) if day
            else day_of(rt.clock.now()), with_body=with_body, incident=incident,
            response=response, task=task))
    out.print(f"logged {e.minutes} min {_lbl(e.kind_label)} on {e.worked_on} with "
              f"{e.with_body} (#{e.id})")


def _print_obligations(o: ObligationsOut) -> None:
    table = Table("month 月份", "obligation 义务", "status 状态", "value", "reason 依据",
                  title=f"{o.unit} {escape(o.name_zh)} {escape(o.name_en)} · {o.period}")
    for m in o.months:
        for x in m.obligations:
            table.add_row(m.month, f"{x.obligation}. {escape(x.label_zh)}",
                          _lbl(x.status_label), "" if x.value is None else f"{x.value:g}",
                          "\n".join(f"{escape(r.text_zh)} / {escape(r.text_en)} "
                                    f"[dim]({escape(r.source)})[/]" for r in x.reasons))
    out.print(table)
    if o.averages:
        a = o.averages
        out.print(f"{a.half} 平均每月 average per month over {a.months} of {a.owed_months} "
                  f"owed month(s): {a.responses_per_month:g} response(s), "
                  f"{a.hours_per_month:g} h")
        for x in a.obligations:
            out.print(f"  {x.obligation}. {_lbl(x.status_label)} — " + "; ".join(
                f"{escape(r.text_zh)} / {escape(r.text_en)}" for r in x.reasons))
    if o.work_report:
        w = o.work_report
        out.print(f"工作报告 work report: {_lbl(w.status_label)} — "
                  + "; ".join(f"{r.text_zh} / {r.text_en}" for r in w.reasons))


@support_app.command("obligations")
def obligations(unit: Unit, as_user: ActAs,
                month: Annotated[str | None, typer.Option(help="e.g. 2026-11")] = None,
                half: Annotated[str | None, typer.Option(help="e.g. 2026-H2")] = None,
                as_json: Json = False) -> None:
    """Each obligation's status month by month (default: this month) with the half's average of
    obligations 4–5 (平均每月: judged on the half); a half adds the work report."""
    rt = _runtime()
    with _errors():
        o = support.obligations(rt.uow, rt.clock, principal=_me(rt, as_user), unit=unit,
                                month=month, half=half)
    if as_json:
        out.print_json(o.model_dump_json())
        return
    _print_obligations(o)


@support_app.command("check")
def check(unit: Unit, as_user: ActAs) -> None:
    """Send a token to the unit's 7×24 channel (Support obligation 6)."""
    rt = _runtime()
    with _errors():
        c = support.start_check(rt.uow, rt.clock, principal=_me(rt, as_user),
                                data=CheckIn(unit=unit))
    rt.wake_worker()
    out.print(f"check #{c.id} sent to {c.channel} {escape(c.value)} at {_when(rt, c.sent_at)}; "
              "answer within 30 minutes")


@support_app.command("answer")
def answer(token: Annotated[str, typer.Argument(help="The token received")], as_user: ActAs,
           note: str = "") -> None:
    """Answer a contact check with the token received (Support obligation 6)."""
    rt = _runtime()
    with _errors():
        c = support.answer_check(rt.uow, rt.clock, principal=_me(rt, as_user), token=token,
                                 data=AnswerIn(note=note))
    out.print(f"check #{c.id}: {_lbl(c.state_label)} after {c.minutes_to_answer} min")


@support_app.command("report")
def report(unit: Unit, half: str, as_user: ActAs,
           section: Annotated[list[str], typer.Option(
               help="CODE=TEXT (repeat): bids_and_publicity, services, center_cooperation, "
               "own_cases")]) -> None:
    """Submit the six-monthly work report (Support obligation 8)."""
    rt = _runtime()
    with _errors():
        sections = dict(x.split("=", 1) for x in section if "=" in x)
        r = support.submit_report(rt.uow, rt.clock, principal=_me(rt, as_user),
                                  data=WorkReportIn(unit=unit, half=half, sections=sections))
    out.print(f"{r.unit} {r.half} work report submitted; due {r.due_on} "
              f"({'on time 按时' if r.on_time else 'late 逾期'})")


@support_app.command("evaluate")
def evaluate(unit: Unit, half: str, as_user: ActAs,
             cooperation: Annotated[int, typer.Option(min=0, max=15, help="Judgement, 0–15")]
             = 0,
             record: Annotated[bool, typer.Option(help="Record it (else show the rubric)")]
             = False,
             disqualify: bool = False, confirm: bool = False, note: str = "") -> None:
    """Show the rubric and proposed outcome; --record records it; --disqualify needs --confirm
    (Support obligation 9)."""
    rt = _runtime()
    with _errors():
        me = _me(rt, as_user)
        r = support.preview_evaluation(rt.uow, rt.clock, principal=me, unit=unit, half=half,
                                       cooperation=cooperation)
        table = Table("criterion 评价项", "source", "score 得分", "max", "basis",
                      title=f"{r.unit} {r.half}: {r.total}/{r.max} → {_lbl(r.proposed_label)}")
        for x in r.scores:
            table.add_row(f"{escape(x.label_zh)} / {escape(x.label_en)}", x.source,
                          str(x.score), str(x.max), escape(x.basis))
        out.print(table)
        for g in r.grounds:
            out.print(f"  取消资格依据 ground: {escape(g.text_zh)} / {escape(g.text_en)} "
                      f"[dim]({escape(g.source)})[/]")
        if record or disqualify:
            e = support.evaluate(rt.uow, rt.clock, principal=me, data=EvaluationIn(
                unit=unit, half=half, cooperation=cooperation, note=note,
                disqualify=disqualify, confirm=confirm))
            out.print(f"recorded 已记录: {e.total}/100 {_lbl(e.outcome_label)}")


# --- teams, experts, dispatch (Plan §7.2, §7.3) -----------------------------------------------


@support_app.command("teams")
def teams(as_user: ActAs, skill: str | None = None, region: str | None = None,
          availability: str | None = None, limit: Limit = 50, as_json: Json = False) -> None:
    """Technical support teams and support units; standby during a red warning (Plan §3.4.1)."""
    rt = _runtime()
    with _errors():
        page = support.search_teams(rt.uow, principal=_me(rt, as_user),
                                    page=PageParams(limit=limit), skill=skill, region=region,
                                    availability=availability)
    if as_json:
        out.print_json(json.dumps([t.model_dump(mode="json") for t in page.items]))
        return
    table = Table("team 队伍", "name", "skills 技能", "regions 地区", "availability 状态",
                  title=f"{page.total} team(s)")
    for t in page.items:
        table.add_row(t.body, f"{escape(t.name_zh)}", escape(", ".join(t.skills)),
                      ", ".join(t.regions), _lbl(t.availability_label)
                      + (f" ({', '.join(t.standby)})" if t.standby else ""))
    out.print(table)


@support_app.command("experts")
def experts(as_user: ActAs, skill: str | None = None, region: str | None = None,
            availability: str | None = None, limit: Limit = 50) -> None:
    """Experts by skill, region and availability (Plan §7.3)."""
    rt = _runtime()
    with _errors():
        page = support.search_experts(rt.uow, principal=_me(rt, as_user),
                                      page=PageParams(limit=limit), skill=skill, region=region,
                                      availability=availability)
    table = Table("expert 专家", "name", "skills", "regions", "availability 状态",
                  title=f"{page.total} expert(s)")
    for x in page.items:
        table.add_row(x.expert, escape(x.name), escape(", ".join(x.skills)),
                      ", ".join(x.regions), _lbl(x.availability_label))
    out.print(table)


@support_app.command("dispatch")
def dispatch_cmd(as_user: ActAs, task: Annotated[str, typer.Option(help="What to do")],
                 body: str | None = None, expert: str | None = None,
                 incident: str | None = None, warning: str | None = None,
                 response: str | None = None) -> None:
    """Dispatch a team, support unit (--body) or --expert to one incident, warning or response
    (Plan §7.2, §7.3)."""
    rt = _runtime()
    with _errors():
        a = support.dispatch(rt.uow, rt.clock, principal=_me(rt, as_user), data=AssignmentIn(
            body=body, expert=expert, incident=incident, warning=warning, response=response,
            task=task))
    out.print(f"{a.ref} {_lbl(a.state_label)}: {a.body or a.expert} → "
              f"{a.incident or a.warning or a.response}")


@support_app.command("hours")
def hours(ref: Annotated[str, typer.Argument(help="Assignment ref")], as_user: ActAs,
          minutes: Annotated[int, typer.Option()],
          day: Annotated[str | None, typer.Option("--on")] = None) -> None:
    """Log time on an assignment (Plan §7.2, §7.3)."""
    rt = _runtime()
    with _errors():
        e = support.log_assignment_work(rt.uow, rt.clock, principal=_me(rt, as_user), ref=ref,
                                        data=AssignmentWorkIn(
                                            minutes=minutes, worked_on=date.fromisoformat(day)
                                            if day else day_of(rt.clock.now())))
    out.print(f"logged {e.minutes} min on {ref}")


@support_app.command("release")
def release(ref: Annotated[str, typer.Argument(help="Assignment ref")], as_user: ActAs,
            outcome: Annotated[str, typer.Option(help="What was achieved")]) -> None:
    """Release an assignment with its outcome (Plan §7.2, §7.3)."""
    rt = _runtime()
    with _errors():
        a = support.release(rt.uow, rt.clock, principal=_me(rt, as_user), ref=ref,
                            data=ReleaseIn(outcome=outcome))
    out.print(f"{a.ref} {_lbl(a.state_label)} after {a.hours:g} h: {escape(a.outcome or '')}")


@support_app.command("assignments")
def assignments(as_user: ActAs, response: str | None = None, incident: str | None = None,
                limit: Limit = 50) -> None:
    """Assignments with their hours."""
    rt = _runtime()
    with _errors():
        page = support.list_assignments(rt.uow, principal=_me(rt, as_user),
                                        page=PageParams(limit=limit), response=response,
                                        incident=incident)
    table = Table(_ref_column(), "to 派往", "who 人员", "state 状态", "hours 工时",
                  title=f"{page.total} assignment(s)")
    for a in page.items:
        table.add_row(a.ref, a.incident or a.warning or a.response or "",
                      a.body or a.expert or "", _lbl(a.state_label), f"{a.hours:g}")
    out.print(table)
