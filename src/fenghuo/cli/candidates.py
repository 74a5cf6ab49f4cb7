"""``fenghuo candidate``: candidate monitoring items opened by detection over the monitoring
aggregates (issue 15 item 6) — list, show, confirm, dismiss, and run detection now."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from fenghuo.cli.common import ActAs, Limit, _errors, _ref_column, _runtime, _when, out
from fenghuo.monitoring import candidates
from fenghuo.monitoring.candidate_schemas import CandidateOut
from fenghuo.org import accounts

candidate_app = typer.Typer(help="Candidate monitoring items that detection over the "
                            "monitoring aggregates opened for the Emergency Office or a "
                            "province office. List, show, confirm (it becomes a monitoring "
                            "item) or dismiss with a reason (Plan §3.2, Law art. 54).",
                            no_args_is_help=True)

CandidateRef = Annotated[str, typer.Argument(help="Candidate ref, e.g. MC-20261101-1A2B3C4D")]
STATES = ("open", "confirmed", "dismissed")


def _level(c: CandidateOut) -> str:
    p = c.assessment.get("proposal", {})
    return f"{p.get('label_zh', '')} {p.get('label_en', '')}".strip()


@candidate_app.command("list")
def candidate_list(
    as_user: ActAs,
    state: Annotated[str | None, typer.Option(help="open, confirmed or dismissed")] = None,
    limit: Limit = 50,
) -> None:
    """List the candidates for bodies in the user's scope, newest first."""
    rt = _runtime()
    if state is not None and state not in STATES:
        raise typer.BadParameter(f"expected one of {', '.join(STATES)}", param_hint="--state")
    with _errors():
        rows = candidates.list_candidates(rt.uow, principal=accounts.principal_for(
            rt.uow, username=as_user), state=state, limit=limit)
    table = Table(_ref_column(), "detected", "rule 规则", "indicator", "events", "units",
                  "provinces", "for", "proposed", "state", title=f"{len(rows)} candidate(s)")
    for c in rows:
        ev = c.evidence
        table.add_row(c.ref, _when(rt, c.detected_at), f"{c.rule_label_zh} {c.rule_label_en}",
                      escape(c.indicator), str(ev.get("count")), str(ev.get("unit_count")),
                      str(ev.get("province_count")), c.target, _level(c), c.state)
    out.print(table)


@candidate_app.command("show")
def candidate_show(ref: CandidateRef, as_user: ActAs) -> None:
    """Show a candidate: its reasons, evidence, sample events and pre-filled assessment."""
    rt = _runtime()
    with _errors():
        c = candidates.get_candidate(rt.uow, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref)
    ev, a = c.evidence, c.assessment
    out.print(f"[bold]{c.ref}[/] {c.rule_label_zh} {c.rule_label_en} · {c.kind_label_zh} "
              f"{c.kind_label_en} · {escape(c.indicator)} · [bold]{c.state}[/]")
    out.print(f"  for {c.target} {escape(c.target_name_zh)} {escape(c.target_name_en)}; window "
              f"{_when(rt, c.window_start)} – {_when(rt, c.window_end)}")
    out.print(f"  {ev['count']} events · {ev['hosts']} distinct hosts · {ev['unit_count']} "
              f"units · {ev['province_count']} provinces · {ev['unattributed']} unattributed")
    for r in a.get("reasons", []):
        out.print(f"  - {escape(r['text_zh'])} / {escape(r['text_en'])} [dim]({r['source']})[/]")
    out.print(f"  risk (Law art. 54(2)): likelihood {a['likelihood']}, extent {a['extent']}, "
              f"harm {a['harm']} → [bold]{_level(c)}[/]")
    for p in ev.get("provinces", []):
        out.print(f"    province {p['code']} {p['name_zh']} {p['name_en']}: {p['count']}")
    for u in ev.get("units", []):
        out.print(f"    unit {u['body']} {escape(u['name_zh'])}{' [CII]' if u['cii'] else ''}: "
                  f"{u['count']}")
    for x in ev.get("samples", []):
        out.print(f"    [dim]{x['observed_at']} {x['source_ip']} → {x['destination_ip']} "
                  f"{x['body'] or '—'}[/]")
    if c.decided_by:
        out.print(f"  {c.state} by {c.decided_by} at {_when(rt, c.decided_at)}"
                  + (f": {escape(c.reason)}" if c.reason else "")
                  + (f" → {c.monitoring_item}" if c.monitoring_item else ""))


@candidate_app.command("confirm")
def candidate_confirm(
    ref: CandidateRef,
    as_user: ActAs,
    title: Annotated[str | None, typer.Option(help="Title of the monitoring item")] = None,
) -> None:
    """Confirm a candidate: it becomes a monitoring item of the user's body (Plan §3.2)."""
    rt = _runtime()
    with _errors():
        item = candidates.confirm(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, title=title)
    out.print(f"{ref} confirmed → monitoring item [bold]{item}[/]; assess it and draft a "
              f"warning: fenghuo warning draft FILE --as {as_user}")


@candidate_app.command("dismiss")
def candidate_dismiss(
    ref: CandidateRef,
    as_user: ActAs,
    reason: Annotated[str, typer.Option(help="Why it is not worth a monitoring item")],
) -> None:
    """Dismiss a candidate with a reason, which is recorded."""
    rt = _runtime()
    with _errors():
        c = candidates.dismiss(rt.uow, rt.clock, principal=accounts.principal_for(
            rt.uow, username=as_user), ref=ref, reason=reason)
    out.print(f"{c.ref} dismissed by {c.decided_by}: {escape(c.reason or '')}")


@candidate_app.command("detect")
def candidate_detect() -> None:
    """Run detection now over the last W hours (FENGHUO_CANDIDATE_* settings); idempotent."""
    rt = _runtime()
    with _errors():
        result = candidates.detect(rt.uow, rt.clock,
                                   thresholds=candidates.thresholds_of(rt.settings))
    out.print(f"opened {len(result.opened)}, refreshed {len(result.refreshed)}")
    for ref in result.opened:
        out.print(f"  [bold]{ref}[/]")
    for label in result.untargeted:
        out.print(f"  [yellow]no office for[/] {escape(label)}")
