"""The ``fenghuo`` command line: a table of every command and the module that holds it.

A command's module is imported only when that command runs, so ``fenghuo --help`` lists every
command without loading the database layer, the web stack, STIX or MISP, and ``fenghuo report``
loads what reporting needs and nothing else (issue 14 item 4; the figures are in
docs/performance.md). Each entry's one-line summary is what ``fenghuo --help`` shows; it is the
first sentence of the command's own help, which tests/unit/test_cli_registry.py checks.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import typer
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:
    from typer._click import Command  # Typer's own Click

SERVICE, REPORTING, WARNING, RESPONSE, PREPAREDNESS, SHARING, ADMIN = (
    "Service 服务", "Reporting 报告", "Monitoring and warning 监测预警",
    "Response 应急处置", "Preparedness 预防与保障", "Sharing 信息共享", "Administration 管理")


@dataclass(frozen=True)
class Entry:
    #: ``module:attribute``, a Typer app (a command group) or a command function
    target: str
    summary: str
    panel: str


COMMANDS: dict[str, Entry] = {
    "serve": Entry("fenghuo.cli.serving:serve", "Migrate, seed the reference data, create the "
                   "first administrator if none, and serve.", SERVICE),
    "worker": Entry("fenghuo.cli.serving:worker", "Deliver the outbox (email, webhooks, robots) "
                    "and flag overdue clocks.", SERVICE),
    "ingest-worker": Entry("fenghuo.cli.ingest_worker:ingest_worker", "Take in the events "
                           "published to the NATS JetStream stream, a batch per transaction, "
                           "acked after the commit; several workers may run at once.", SERVICE),
    "report": Entry("fenghuo.cli.reporting:report", "File an incident report (CAC 2025 art. 7) "
                    "from a file, as a user.", REPORTING),
    "tip": Entry("fenghuo.cli.tips:tip_app", "Public tips (Law art. 14): list them with their "
                 "handling clocks, show one with its history, accept, transfer (移送) to the "
                 "competent department or another region's office, close with an outcome for "
                 "the tipster; and look up a tip's public status with its receipt code.",
                 REPORTING),
    "incidents": Entry("fenghuo.cli.history:incidents_app", "Incident history: import the "
                       "incidents of FIR, TheHive or Fenghuo exports with their own report, "
                       "acknowledgement and closing times.", REPORTING),
    "dossier": Entry("fenghuo.cli.dossier:dossier", "Export one incident's whole record — "
                     "reports, grading, routing, notifications, responses, duty, progress, "
                     "support, investigation, evidence hashes — as PDF and/or JSON.", REPORTING),
    "monitoring": Entry("fenghuo.cli.warnings:monitoring_app", "Monitoring information (Plan "
                        "§3.2, Law arts. 51–52).", WARNING),
    "register": Entry("fenghuo.cli.monitoring_ingest:register_app", "The constituency "
                      "register: who owns which prefix, AS number and domain (Law arts. 51–52, "
                      "Plan §3.2).", WARNING),
    "feed": Entry("fenghuo.cli.monitoring_ingest:feed_app", "Sensors and feeds: their formats "
                  "and machine tokens.", WARNING),
    "ingest": Entry("fenghuo.cli.monitoring_ingest:ingest_command", "Ingest a file of sensor or "
                    "feed data: parse, attribute to the owning unit or province, aggregate, "
                    "and keep the raw lines; malformed lines are kept aside with their "
                    "reasons.", WARNING),
    "collect": Entry("fenghuo.cli.collectors:collect_command", "Run the scheduled collectors "
                     "that are due (or one feed's, now) and summarize the pulls; without --as, "
                     "every due collector (as the worker does).", WARNING),
    "housekeep": Entry("fenghuo.cli.monitoring_ingest:housekeep_command", "Monitoring "
                       "housekeeping (the worker runs it hourly): drop events past retention "
                       "(Law art. 21), index closed days, compact aggregates, flag silent "
                       "feeds.", SERVICE),
    "candidate": Entry("fenghuo.cli.candidates:candidate_app", "Candidate monitoring items "
                       "that detection over the monitoring aggregates opened for the Emergency "
                       "Office or a province office.", WARNING),
    "notice": Entry("fenghuo.cli.notices:notice_app", "Owner notices (通报) from monitoring: "
                    "what the sensors saw on a unit's networks, sent to it at once or in its "
                    "daily digest, with a deadline for its handling feedback (处置反馈).",
                    WARNING),
    "warning": Entry("fenghuo.cli.warnings:warning_app", "Early warnings: draft, approve, "
                     "publish, acknowledge, revise, lift (Plan §3.1, §3.3–§3.5).", WARNING),
    "protection": Entry("fenghuo.cli.protection:protection_app", "Important-event protection "
                        "periods (Plan §6.5): the Emergency Office declares one, requires the "
                        "red-warning response of the bodies in scope, ends it early; list, "
                        "show, complete a task.", WARNING),
    "response": Entry("fenghuo.cli.responses:response_app", "Emergency response Levels I–IV: "
                      "activate, progress, support, end, investigation (Plan §4.2–§4.3, §5).",
                      RESPONSE),
    "duty": Entry("fenghuo.cli.responses:duty_app", "24-hour duty rosters (Plan §4.2.1).",
                  RESPONSE),
    "supervision": Entry("fenghuo.cli.supervision:supervision_app", "Directives to take "
                         "measures within a time limit (Law art. 55) and interviews (约谈, Law "
                         "art. 56): issue, record, list, show; the unit acknowledges and reports "
                         "its rectification (整改); the issuer verifies and closes it, or "
                         "reopens it.", RESPONSE),
    "support": Entry("fenghuo.cli.support:support_app", "Support units, technical support "
                     "teams and experts (Support obligations 4–9; Plan §7.2, §7.3).",
                     PREPAREDNESS),
    "plan": Entry("fenghuo.cli.preparedness:plan_app", "Emergency plans and their yearly "
                  "evaluation (Plan §8.1, Law art. 25).", PREPAREDNESS),
    "exercise": Entry("fenghuo.cli.preparedness:exercise_app", "Exercises, reported to the "
                      "Central Cyberspace Office (Plan §6.2, Law art. 34(4)).", PREPAREDNESS),
    "assessment": Entry("fenghuo.cli.preparedness:assessment_app", "CII risk assessments (Law "
                        "art. 38).", PREPAREDNESS),
    "training": Entry("fenghuo.cli.preparedness:training_app", "Trainings (Plan §6.4, Law art. "
                      "34(2)).", PREPAREDNESS),
    "reserve": Entry("fenghuo.cli.preparedness:reserve_app", "Equipment and tool reserves "
                     "(Plan §7.8).", PREPAREDNESS),
    "compliance": Entry("fenghuo.cli.preparedness:compliance_command", "One row per body in "
                        "scope with each applicable duty: plan (Plan §8.1), exercise (§6.2), "
                        "CII assessment (Law 38), reserves (§7.8), training (advisory, Law "
                        "34(2)).", PREPAREDNESS),
    "accountability": Entry("fenghuo.cli.accountability:accountability_command", "Per body in "
                            "your scope: late, omitted, false and concealed reports, overdue "
                            "clocks and investigations, missed exercises, overdue plans, unmet "
                            "support-unit obligations and commendations in the period (Plan "
                            "§7.10).", PREPAREDNESS),
    "commend": Entry("fenghuo.cli.accountability:commend_command", "Commend a body in your "
                     "scope for outstanding work, and the persons named with it (Plan §7.10).",
                     PREPAREDNESS),
    "discipline": Entry("fenghuo.cli.accountability:discipline_app", "Decisions holding "
                        "responsible persons to account (处分, Plan §7.10): record one your "
                        "body made, list them.", PREPAREDNESS),
    "share": Entry("fenghuo.cli.sharing:share_app", "Share incidents across provinces and "
                   "departments (Plan §3.2) and label them with TLP 2.0.", SHARING),
    "bulletin": Entry("fenghuo.cli.bulletins:bulletin_app", "Weekly and monthly bulletins: "
                      "generate, save as HTML and PDF, send to the support units and a list "
                      "(Plan §3.2).", SHARING),
    "stix": Entry("fenghuo.cli.exchange:stix_app", "STIX 2.1 bundles: export and import (JSON, "
                  "offline).", SHARING),
    "misp": Entry("fenghuo.cli.misp:misp_app", "MISP events: export and import (JSON, "
                  "offline).", SHARING),
    "org": Entry("fenghuo.cli.org:org_app", "The organization tree.", ADMIN),
    "user": Entry("fenghuo.cli.admin:user_app", "Users and passwords.", ADMIN),
    "db": Entry("fenghuo.cli.admin:db_app", "Database schema.", ADMIN),
    "audit": Entry("fenghuo.cli.admin:audit_app", "The audit trail.", ADMIN),
    "retention": Entry("fenghuo.cli.retention:retention_app", "Retention of records (Law "
                       "art. 21(3): network logs kept not less than six months): the policy "
                       "and what it would purge, the purge, legal holds on incidents.", ADMIN),
    "backup": Entry("fenghuo.cli.backup:backup", "Back up the whole instance — the database "
                    "with its evidence files — into one archive with a manifest of the schema "
                    "revision, the version and each member's SHA-256.", ADMIN),
    "restore": Entry("fenghuo.cli.backup:restore", "Restore an archive of `fenghuo backup` "
                     "into an empty instance, after checking every member's SHA-256 and the "
                     "schema revision; an older schema is migrated afterwards.", ADMIN),
}


@cache
def load(name: str) -> Command:
    """The real command behind ``name``, its module imported now."""
    entry = COMMANDS[name]
    module, attribute = entry.target.split(":")
    target = getattr(importlib.import_module(module), attribute)
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """Lists the commands from ``COMMANDS``; imports a command's module only to run it (or to
    show its own help)."""

    def __init__(self, **attrs) -> None:  # noqa: ANN003
        super().__init__(**attrs)
        self._listing = False
        # summaries stand in for the commands in `fenghuo --help` and in "did you mean …?"
        self.commands = {name: TyperCommand(name=name, help=e.summary, rich_help_panel=e.panel)
                         for name, e in COMMANDS.items()}

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Command | None:
        if cmd_name not in COMMANDS:
            return None
        return self.commands[cmd_name] if self._listing else load(cmd_name)

    def format_help(self, ctx: typer.Context, formatter) -> None:  # noqa: ANN001
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(cls=LazyGroup, no_args_is_help=True)


@app.callback()  # a callback makes the app a group; its docstring is the root help
def _root() -> None:
    """Fenghuo 烽火: network-security emergency response."""


if __name__ == "__main__":
    app()
