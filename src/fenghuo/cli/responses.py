"""``fenghuo response`` and ``fenghuo duty``: emergency responses and duty rosters."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from fenghuo import bootstrap
from fenghuo.cli.common import (
    ActAs,
    Limit,
    _errors,
    _load,
    _ref_column,
    _runtime,
    _when,
    err,
    out,
)
from fenghuo.common.pagination import PageParams
from fenghuo.common.scope import Principal
from fenghuo.org import accounts
from fenghuo.response import investigation as response_investigation
from fenghuo.response import rules as response_rules
from fenghuo.response import service as responses
from fenghuo.response.ending import NOTICE_KIND_LABELS, NOTIFY_LABELS
from fenghuo.response.schemas import (
    ActivateIn,
    CommandIn,
    DispatchIn,
    EndIn,
    MemberIn,
    ProgressIn,
    ResponseOut,
    SectionsIn,
    ShiftIn,
    SupportIn,
)
from fenghuo.support import service as support_service

# --- emergency response (Plan §4.2–§4.3, §5; City §3.3) ---------------------------------------

response_app = typer.Typer(help="Emergency response Levels I–IV: activate, progress, support, "
                           "end, investigation (Plan §4.2–§4.3, §5).", no_args_is_help=True)
duty_app = typer.Typer(help="24-hour duty rosters (Plan §4.2.1).", no_args_is_help=True)

ResponseRef = Annotated[str, typer.Argument(help="Response ref, e.g. ER-20261123-1A2B3C4D")]


class CommandKindOpt(StrEnum):
    """What the city sets up inside a Level I or II response (City §3.3.3–3.3.4)."""

    HEADQUARTERS = "headquarters"
    FIELD_COMMAND = "field_command"


class ResponseStateOpt(StrEnum):
    """The states of a response (``Response.state``)."""

    ACTIVE = "active"
    END_PROPOSED = "end_proposed"
    ENDED = "ended"


RESPONSE_STATE_LABELS = response_rules.RESPONSE_STATE_LABELS
PARTICIPANT_ROLE_LABELS = response_rules.PARTICIPANT_ROLE_LABELS
PROGRESS_STATE_LABELS = {**{k.value: v for k, v in response_rules.PROGRESS_LABELS.items()},
                         "not_required": ("无需报告", "not required")}


def _label(labels, key: str) -> str:
    """``中文 English`` for a state, role or clock; the key itself when it has no label."""
    zh, en = labels.get(key, (key, key))
    return f"{zh} {en}"


def _response_headline(r: ResponseOut) -> str:
    return (f"[bold]{r.ref}[/] {r.level_label['zh']} {r.level_label['en']} · "
            f"{_label(RESPONSE_STATE_LABELS, r.state)} · incident {r.incident}")


def _member(value: str) -> MemberIn:
    """``NAME[:USERNAME][#BODY]``: a named member of the headquarters, optionally with the user
    who may approve the end of a Level I response (or act for a city command) and the key of
    the body the member stands for."""
    value, hashed, body = value.partition("#")
    name, sep, username = value.rpartition(":")
    if not sep:
        name, username = value, ""
    return MemberIn(name=name.strip(), username=username.strip() or None,
                    body=body.strip() or None if hashed else None)


def _ended(rt: bootstrap.Runtime, r: ResponseOut) -> None:
    """What ending a response set in motion: who is told (Plan §4.3), the report's clock (§5)."""
    notify = next((e.detail.get("notify") for e in reversed(r.timeline) if e.kind == "ended"),
                  None) or []
    out.print("  notified 通报: " + ("; ".join(_label(NOTIFY_LABELS, n) for n in notify)
                                   or "—"))
    for n in r.end_notices:
        out.print(f"  told 已通报 {n.body} ({_label(NOTICE_KIND_LABELS, n.kind)}, by {n.sent_by}, "
                  f"{n.messages} message(s))")
    if r.investigation:
        inv = r.investigation
        out.print(f"  investigation report 调查评估报告 by {inv.organizer_body}, due "
                  f"{_when(rt, inv.due_at)} (Plan §5)")


@response_app.command("activate")
def response_activate(
    incident: Annotated[str, typer.Argument(help="Incident ref, e.g. FH-20261123-1A2B3C4D")],
    level: Annotated[response_rules.ResponseLevel, typer.Option(
        help="The level matching the incident's grade (Plan §4.2)")],
    as_user: ActAs,
    member: Annotated[list[str] | None, typer.Option(
        "--member", help="A member of the headquarters, NAME[:USERNAME][#BODY] (repeat); "
        "Level I needs at least one (Plan §4.2.1)")] = None,
    every: Annotated[int | None, typer.Option(
        "--every", min=15, max=7 * 24 * 60, metavar="MINUTES",
        help="Progress report cadence; default by level (I: 2 h, II: 4 h, III: 12 h, IV: 24 h)")]
    = None,
) -> None:
    """Activate the response level matching an incident's grade; who may activate which level
    is a rule (Plan §4.2): Level I the Emergency Office, Level II the province or department."""
    rt = _runtime()
    with _errors("--member/--every"):
        data = ActivateIn(incident=incident, level=level.value,
                          headquarters=[_member(m) for m in member or []],
                          progress_every_minutes=every)
        r = responses.activate(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), data=data)
    rt.wake_worker()
    out.print(_response_headline(r))
    for x in r.activation:
        out.print(f"  basis 依据: {escape(x.text_zh)} / {escape(x.text_en)} "
                  f"[dim]({x.code}, {escape(x.source)})[/]")
    for x in r.effects:
        out.print(f"  · {escape(x.text_zh)} / {escape(x.text_en)} [dim]({escape(x.source)})[/]")
    for m in r.headquarters:
        out.print(f"  headquarters 指挥部: {escape(m.name)}"
                  + (f" ({m.username})" if m.username else "") + (f" [{m.body}]" if m.body else ""))
    out.print("  bodies 参与机构: " + ", ".join(
        f"{p.body} ({_label(PARTICIPANT_ROLE_LABELS, p.role)})" for p in r.participants))


@response_app.command("list")
def response_list(
    as_user: ActAs,
    state: Annotated[ResponseStateOpt | None, typer.Option(help="Only responses in this state")]
    = None,
    limit: Limit = 50,
) -> None:
    """List the responses the user's body takes part in or oversees."""
    rt = _runtime()
    with _errors():
        page = responses.list_responses(
            rt.uow, principal=accounts.principal_for(rt.uow, username=as_user),
            page=PageParams(limit=limit), state=state.value if state else None)
    table = Table(_ref_column(), "level", "state", "incident", "activated by", "activated",
                  "ended", title=f"{page.total} response(s)")
    for r in page.items:
        table.add_row(r.ref, f"{r.level_label['zh']} {r.level}",
                      _label(RESPONSE_STATE_LABELS, r.state), r.incident, r.activated_by,
                      _when(rt, r.activated_at), _when(rt, r.ended_at))
    out.print(table)


@response_app.command("show")
def response_show(ref: ResponseRef, as_user: ActAs) -> None:
    """Show a response: level, state, headquarters, participants with their duty and progress,
    support requests, teams and experts with their hours, ending and the investigation with its
    30-day clock."""
    rt = _runtime()
    with _errors():
        me = accounts.principal_for(rt.uow, username=as_user)
        r = responses.get_response(rt.uow, rt.clock, principal=me, ref=ref)
    lines = [
        f"级别 level: [bold]{r.level_label['zh']} {r.level_label['en']}[/]    "
        f"状态 state: [bold]{_label(RESPONSE_STATE_LABELS, r.state)}[/]",
        f"事件 incident: {r.incident}",
        f"启动 activated by {r.activated_by} at {_when(rt, r.activated_at)}",
        *(f"依据 basis: {escape(x.text_zh)} / {escape(x.text_en)} "
          f"[dim]({x.code}, {escape(x.source)})[/]" for x in r.activation),
        *(f"  · {escape(x.text_zh)} / {escape(x.text_en)} [dim]({escape(x.source)})[/]"
          for x in r.effects),
    ]
    if r.end_proposed_at:
        lines.append(f"建议结束 end proposed by {r.end_proposed_by} at "
                     f"{_when(rt, r.end_proposed_at)}")
    if r.end_approved_at:
        lines.append(f"批准结束 end approved by {r.end_approved_by} at "
                     f"{_when(rt, r.end_approved_at)}")
    if r.ended_at:
        lines.append(f"结束 ended: {_when(rt, r.ended_at)}")
    if r.end_reason:
        lines.append(f"理由 reason: {escape(r.end_reason)}")
    out.print(Panel("\n".join(lines), title=f"{r.ref} {r.level_label['en']}",
                    title_align="left"))

    hq = Table("name", "title", "body", "user", "command 所属指挥部", title="指挥部 Headquarters")
    for m in r.headquarters:
        hq.add_row(escape(m.name), escape(m.title), m.body or "—", m.username or "—",
                   m.command or "响应指挥部 the response's")
    out.print(hq if r.headquarters else "no headquarters (Level I sets one up, Plan §4.2.1)")

    bodies_table = Table("body", "name", "role", "24h duty", "progress", "next due",
                         "on duty now", title="参与机构 Participants")
    for p in r.participants:
        bodies_table.add_row(p.body, f"{escape(p.body_name_zh)} {escape(p.body_name_en)}",
                             _label(PARTICIPANT_ROLE_LABELS, p.role),
                             "yes 24小时值班" if p.duty_24h else "",
                             _label(PROGRESS_STATE_LABELS, p.progress_state),
                             _when(rt, p.next_progress_due)
                             if p.progress_state != "not_required" else "—",
                             escape(", ".join(p.on_duty)) or "—")
    out.print(bodies_table)
    if r.end_notices:
        told = Table("body", "name", "how", "by", "at", "messages",
                     title="结束通报 Told of the end (Plan §4.3)")
        for n in r.end_notices:
            told.add_row(n.body, f"{escape(n.body_name_zh)} {escape(n.body_name_en)}",
                         _label(NOTICE_KIND_LABELS, n.kind), n.sent_by, _when(rt, n.at),
                         str(n.messages))
        out.print(told)

    if r.progress:
        progress = Table("body", "at", "by", "developments 事态发展", "progress 处置进展",
                         title="进展报告 Progress reports")
        for x in r.progress:
            progress.add_row(x.body, _when(rt, x.at), x.reported_by, escape(x.developments),
                             escape(x.progress))
        out.print(progress)

    support = Table(_ref_column(), "from", "needs", "state", "coordinator", "dispatched",
                    title="支援请求 Support requests")
    for q in r.support:
        sent = "\n".join(f"{d.body or d.expert} at {_when(rt, d.dispatched_at)} by "
                         f"{d.dispatched_by}" + (f" ({escape(d.note)})" if d.note else "")
                         for d in q.dispatches)
        support.add_row(q.ref, f"{q.requesting_body} ({q.requested_by})", escape(q.needs),
                        _label(response_rules.SUPPORT_STATE_LABELS, q.state),
                        q.coordinator or "—", sent or "—")
    out.print(support if r.support else "no support requests")
    _assigned(rt, me, r.ref)

    inv = r.investigation
    if inv is None:
        out.print("investigation 调查评估: opens when the response ends (Plan §5)")
        return
    written = [k for k in response_investigation.REPORT_SECTIONS if k not in
               inv.missing_sections]
    lines = [
        f"组织 organizer: {_label(response_investigation.ORGANIZER_LABELS, inv.organizer)} "
        f"({inv.organizer_body})"
        + ("; filed with the Emergency Office 报应急办备案" if inv.file_with_emergency_office
           else ""),
        f"期限 due: [bold]{_when(rt, inv.due_at)}[/]    时限 clock: [bold]"
        f"{_label(response_investigation.INVESTIGATION_STATE_LABELS, inv.clock)}[/]",
        f"状态 state: {_label(response_investigation.REPORT_STATE_LABELS, inv.state)}"
        + (f"    submitted {_when(rt, inv.submitted_at)}" if inv.submitted_at else "")
        + (f"    approved {_when(rt, inv.approved_at)} by {inv.approved_by}"
           if inv.approved_at else ""),
        "written 已写: " + (", ".join(written) or "—"),
        "missing 未写: " + (", ".join(inv.missing_sections) or "—"),
    ]
    out.print(Panel("\n".join(lines), title="调查评估 Investigation (Plan §5)",
                    title_align="left"))


def _assigned(rt: bootstrap.Runtime, me: Principal, ref: str) -> None:
    """Teams, support units and experts dispatched to the response, with their hours (Plan
    §7.2, §7.3)."""
    rows = support_service.assignments_for_response(rt.uow, principal=me, ref=ref)
    if not rows:
        out.print("no teams or experts dispatched 未派出队伍或专家")
        return
    t = Table(_ref_column(), "who 派出对象", "task 任务", "dispatched 派出", "state 状态",
              "hours 工时", title="派出的队伍和专家 Teams and experts")
    for a in rows:
        t.add_row(a.ref, escape(a.name), escape(a.task + (f" → {a.outcome}" if a.outcome else "")),
                  f"{_when(rt, a.dispatched_at)} {a.dispatched_by}",
                  f"{a.state_label.zh} {a.state_label.en}", f"{a.hours:.1f}")
    t.add_row("", "", "", "", "合计 total", f"{sum(a.hours for a in rows):.1f}")
    out.print(t)


CommandOpt = Annotated[str | None, typer.Option(
    "--command", metavar="KEY", help="Act for the city headquarters or field command you are a "
    "member of (City §3.3.3–3.3.4)")]


@response_app.command("command")
def response_command(
    ref: ResponseRef,
    kind: Annotated[CommandKindOpt, typer.Option(
        help="headquarters: the city office converts the coordination group (City §3.3.3); "
        "field_command: the county where it happened, or the city office (§3.3.4)")],
    member: Annotated[list[str], typer.Option(
        "--member", help="A member, NAME[:USERNAME][#BODY] (repeat, at least one); members "
        "with a user keep its roster and report its progress")],
    as_user: ActAs,
) -> None:
    """Set up the city's emergency headquarters or a field command inside a running Level I or
    II response to an incident in the city (City §3.3.3–3.3.4)."""
    rt = _runtime()
    with _errors("--kind/--member"):
        r = responses.set_up_command(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, data=CommandIn(
            kind=kind.value, members=[_member(m) for m in member]))
    rt.wake_worker()
    out.print(_response_headline(r))
    event = r.timeline[-1]
    basis = event.detail.get("basis", {})
    out.print(f"  {_label(PARTICIPANT_ROLE_LABELS, event.kind)}: [bold]{event.detail['body']}"
              f"[/] under {event.detail['parent']} [dim]({escape(basis.get('source', ''))})[/]")
    for m in r.headquarters:
        if m.command == event.detail["body"]:
            out.print(f"  member 成员: {escape(m.name)}" + (f" ({m.username})" if m.username
                                                          else "")
                      + (escape(f" [{m.body}]") if m.body else ""))
    out.print(f"  next: members report for it: fenghuo response progress {r.ref} --command "
              f"{event.detail['body']} … --as USER")


@response_app.command("progress")
def response_progress(
    ref: ResponseRef,
    developments: Annotated[str, typer.Option(help="How the incident developed (事态发展)")],
    progress: Annotated[str, typer.Option(help="What was done (处置进展)")],
    as_user: ActAs,
    command: CommandOpt = None,
) -> None:
    """Report developments and handling progress for the user's body, or for the city command
    the user is a member of (Plan §4.2.1; City §3.3.3–3.3.4)."""
    rt = _runtime()
    with _errors("--developments/--progress/--command"):
        me = accounts.principal_for(rt.uow, username=as_user)
        r = responses.report_progress(rt.uow, rt.clock, principal=me, ref=ref, data=ProgressIn(
            developments=developments, progress=progress, command=command))
    out.print(_response_headline(r))
    body = r.progress[-1].body if r.progress else None
    for p in r.participants:
        if p.body == body:
            out.print(f"  progress reported for {p.body}; next due "
                      f"{_when(rt, p.next_progress_due)}")


@response_app.command("support")
def response_support(
    ref: ResponseRef,
    needs: Annotated[str, typer.Option(help="What help is needed: teams, experts, skills, where")],
    as_user: ActAs,
) -> None:
    """Ask, through the Emergency Office, for support from other provinces, departments,
    teams or experts (Plan §4.2.2(3))."""
    rt = _runtime()
    with _errors("--needs"):
        r = responses.request_support(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, data=SupportIn(needs=needs))
    rt.wake_worker()
    q = r.support[-1]
    out.print(f"[bold]{q.ref}[/] {_label(response_rules.SUPPORT_STATE_LABELS, q.state)} · "
              f"from {q.requesting_body} for {r.ref}")
    out.print(f"  next: the Emergency Office coordinates it: fenghuo response dispatch {r.ref} "
              f"{q.ref} --body KEY --as USER")


@response_app.command("dispatch")
def response_dispatch(
    ref: ResponseRef,
    request: Annotated[str, typer.Argument(help="Support request ref, e.g. SR-20261123-…")],
    as_user: ActAs,
    body: Annotated[str | None, typer.Option(help="Key of the body (team, province…) sent")]
    = None,
    expert: Annotated[str | None, typer.Option(help="Key of the expert sent")] = None,
    note: Annotated[str, typer.Option(help="E.g. when they arrive")] = "",
) -> None:
    """The Emergency Office records a body or an expert it sends for a request, with the time
    (Plan §4.2.2(3))."""
    if (body is None) == (expert is None):
        err.print("[bold red]error:[/] name one of --body KEY or --expert KEY")
        raise typer.Exit(code=2)
    rt = _runtime()
    with _errors("--body/--expert/--note"):
        r = responses.dispatch(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, request_ref=request,
            data=DispatchIn(body=body, expert=expert, note=note))
    rt.wake_worker()
    q = next(x for x in r.support if x.ref == request)
    out.print(f"[bold]{q.ref}[/] {_label(response_rules.SUPPORT_STATE_LABELS, q.state)} · "
              f"from {q.requesting_body} for {r.ref}")
    for d in q.dispatches:
        out.print(f"  dispatched 已派出 {d.body or d.expert} at {_when(rt, d.dispatched_at)} by "
                  f"{d.dispatched_by}" + (f" ({escape(d.note)})" if d.note else ""))


@response_app.command("propose-end")
def response_propose_end(
    ref: ResponseRef,
    reason: Annotated[str, typer.Option(help="Why the response can end")],
    as_user: ActAs,
) -> None:
    """Level I: the Emergency Office proposes ending the response (Plan §4.3.1)."""
    rt = _runtime()
    with _errors("--reason"):
        r = responses.propose_end(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, data=EndIn(reason=reason))
    out.print(_response_headline(r))
    out.print(f"  next: a member of the headquarters approves: fenghuo response approve-end "
              f"{r.ref} --as USER")


#: an effective time for a step entered after the fact (issue 18 item 9)
AsOf = Annotated[str | None, typer.Option("--as-of", metavar="ISO", help=(
    "When it really happened, for a record entered after the fact (not in the future, not "
    "before it began); without a time zone in FENGHUO_TIMEZONE"))]


def _as_of(rt: bootstrap.Runtime, text: str | None) -> datetime | None:
    return _instant(rt, text, "--as-of") if text else None


@response_app.command("approve-end")
def response_approve_end(ref: ResponseRef, as_user: ActAs, as_of: AsOf = None) -> None:
    """Level I: a member of the headquarters approves the Office's proposal, which ends the
    response; the provinces and departments are notified (Plan §4.3.1)."""
    rt = _runtime()
    with _errors():
        r = responses.approve_end(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, as_of=_as_of(rt, as_of))
    rt.wake_worker()
    out.print(_response_headline(r))
    _ended(rt, r)


@response_app.command("end")
def response_end(
    ref: ResponseRef,
    reason: Annotated[str, typer.Option(help="Why the response ends")],
    as_user: ActAs,
    as_of: AsOf = None,
) -> None:
    """End a Level II–IV response: the activating province, region or department decides
    (Plan §4.3.2). A Level I response ends by proposal and approval (propose-end, approve-end)."""
    rt = _runtime()
    with _errors("--reason"):
        r = responses.end(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, data=EndIn(reason=reason,
                                                           as_of=_as_of(rt, as_of)))
    rt.wake_worker()
    out.print(_response_headline(r))
    _ended(rt, r)


def _investigation_line(rt: bootstrap.Runtime, r: ResponseOut) -> str:
    inv = r.investigation
    return (f"  investigation 调查评估: "
            f"{_label(response_investigation.REPORT_STATE_LABELS, inv.state)} · due "
            f"{_when(rt, inv.due_at)} · "
            f"{_label(response_investigation.INVESTIGATION_STATE_LABELS, inv.clock)} · missing: "
            f"{', '.join(inv.missing_sections) or '—'}")


@response_app.command("investigation")
def response_investigation_write(
    ref: ResponseRef,
    file: Annotated[Path, typer.Option(exists=True, dir_okay=False, readable=True,
                                       help="YAML or JSON shaped like the API's SectionsIn")],
    as_user: ActAs,
) -> None:
    """Write sections of the investigation report (cause, nature, impact, responsibility,
    handling_opinions, improvements; Plan §5) from a file; sections not in it are kept."""
    rt = _runtime()
    data = _load(file, SectionsIn)
    with _errors(str(file)):
        r = responses.write_investigation(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, data=data)
    out.print(_response_headline(r))
    out.print(_investigation_line(rt, r))


@response_app.command("investigation-submit")
def response_investigation_submit(ref: ResponseRef, as_user: ActAs, as_of: AsOf = None) -> None:
    """Submit the investigation report for review: every section must be written."""
    rt = _runtime()
    with _errors():
        r = responses.advance_investigation(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, target="submitted", as_of=_as_of(rt, as_of))
    out.print(_response_headline(r))
    out.print(_investigation_line(rt, r))


@response_app.command("investigation-approve")
def response_investigation_approve(ref: ResponseRef, as_user: ActAs,
                                   as_of: AsOf = None) -> None:
    """Approve the submitted investigation report (met or late against its 30 days)."""
    rt = _runtime()
    with _errors():
        r = responses.advance_investigation(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, target="approved", as_of=_as_of(rt, as_of))
    out.print(_response_headline(r))
    out.print(_investigation_line(rt, r))


# --- duty rosters (24-hour duty, Plan §4.2.1) --------------------------------------------------


def _instant(rt: bootstrap.Runtime, text: str, option: str) -> datetime:
    """An ISO 8601 date-time; without a time zone it is in FENGHUO_TIMEZONE."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        err.print(f"[bold red]error:[/] {option} {escape(text)!r} is not an ISO 8601 date-time, "
                  "e.g. 2026-11-23T08:00 or 2026-11-23T08:00+08:00")
        raise typer.Exit(code=1) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(rt.settings.timezone))


@duty_app.command("add")
def duty_add(
    officer: Annotated[str, typer.Option(help="The duty officer's name")],
    start: Annotated[str, typer.Option("--from", metavar="ISO", help="Shift start")],
    stop: Annotated[str, typer.Option("--to", metavar="ISO", help="Shift end")],
    as_user: ActAs,
    contact: Annotated[str, typer.Option(help="How to reach the officer")] = "",
    note: Annotated[str, typer.Option(help="Handover note (交接班记录)")] = "",
    command: CommandOpt = None,
) -> None:
    """Add a shift to the duty roster of the user's body, or of the city command the user is a
    member of; times without a zone are in FENGHUO_TIMEZONE."""
    rt = _runtime()
    starts_at, ends_at = _instant(rt, start, "--from"), _instant(rt, stop, "--to")
    with _errors("the shift"):
        x = responses.add_shift(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), data=ShiftIn(
            officer=officer, contact=contact, starts_at=starts_at, ends_at=ends_at,
            handover_note=note, command=command))
    out.print(f"shift #{x.id} of {x.body}: {escape(x.officer)} {_when(rt, x.starts_at)} → "
              f"{_when(rt, x.ends_at)}" + (" · [bold]on duty now 在岗[/]" if x.on_duty_now else ""))


@duty_app.command("roster")
def duty_roster(
    as_user: ActAs,
    body: Annotated[str | None, typer.Option(help="Key of a body; default: the user's own")]
    = None,
) -> None:
    """The duty roster from now on, with who is on duty now."""
    rt = _runtime()
    with _errors():
        shifts = responses.list_shifts(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), body=body)
    table = Table("id", "body", "officer", "contact", "from", "to", "on duty now", "handover",
                  title=f"值班表 Duty roster: {len(shifts)} shift(s)")
    for x in shifts:
        table.add_row(str(x.id), x.body, escape(x.officer), escape(x.contact) or "—",
                      _when(rt, x.starts_at), _when(rt, x.ends_at),
                      "yes 在岗" if x.on_duty_now else "", escape(x.handover_note) or "—")
    out.print(table)

