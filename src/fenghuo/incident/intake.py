"""First reports filed together: group commit (issue 21 item 5).

A server process hands the first reports its requests have checked to one writer
(``workers.group_commit``), which files every report waiting at that moment with
:func:`report_batch`: one transaction, one statement per table for all of them (incidents,
routes, clocks, notifications, timelines, audit rows) and one commit, instead of one
transaction of about ten statements each. Each report is graded, routed and notified exactly
as :func:`service.report` does it (the same code: ``service.prepare_report`` and
``service.write_reports``), and each answer is given only once its batch has committed, so a
report answered 201 is as durable as before.

A report refused on its own (a bad field, a unit out of the reporter's scope, a missing
permission, a key reused for a different report) is answered with its error and holds nobody
back. If writing the batch fails for a reason that may be one report's (a constraint, a value
PostgreSQL refuses, a bug), the batch is rolled back and each report is filed on its own by
``service.report``, so one bad report never costs another its answer. When the database is
unreachable every report of the batch gets that error (a 503; the client retries with its
Idempotency-Key).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock
from fenghuo.common.errors import DomainError
from fenghuo.common.scope import Principal
from fenghuo.db.session import UnitOfWork
from fenghuo.incident import service
from fenghuo.incident.deliveries import managed_bodies
from fenghuo.incident.schemas import IncidentOut, ReportIn
from fenghuo.org.rules import Permission
from fenghuo.org.service import require

#: the most reports one transaction files
MAX_BATCH = 64


@dataclass(frozen=True)
class Submission:
    """A first report as a request handed it over: who, what, under which key."""

    principal: Principal
    data: ReportIn
    key: str | None = None


@dataclass(frozen=True)
class Bearer:
    """A first report as an API request hands it over: the caller's bearer token, not yet
    checked (the writer authenticates a batch's tokens together)."""

    token: str
    data: ReportIn
    key: str | None = None


Answer = IncidentOut | BaseException


def report_batch(uow: UnitOfWork, clock: Clock, submissions: Sequence[Submission], *,
                 profile: str) -> list[Answer]:
    """File ``submissions`` together; the answer to each, in order: its incident, or the
    error it is refused with (see the module's docstring for how failures are kept apart)."""
    now = clock.now()
    answers: list[Answer | None] = [None] * len(submissions)
    later: list[int] = []
    try:
        with uow() as s:
            later = _file(s, now, submissions, profile, answers)
    except (IntegrityError, DataError):
        return _one_by_one(uow, clock, submissions, profile)
    except (DBAPIError, SQLAlchemyError) as exc:  # the database gone, or a statement timeout
        return [exc] * len(submissions)
    except Exception:  # noqa: BLE001 - whichever report caused it, the others go on
        return _one_by_one(uow, clock, submissions, profile)
    for i in later:
        answers[i] = _alone(uow, clock, submissions[i], profile)
    return answers  # type: ignore[return-value] - every slot is filled


def _file(s: Session, now: datetime, submissions: Sequence[Submission], profile: str,
          answers: list[Answer | None]) -> list[int]:
    """Prepare each report, write the accepted ones together, fill ``answers``; returns the
    submissions to file after this batch (a second use of a key within the batch)."""
    accepted: list[tuple[int, service.Prepared]] = []
    replays: list[tuple[int, int]] = []
    keys: set[tuple[int, str]] = set()
    later: list[int] = []
    for i, sub in enumerate(submissions):
        if sub.key is not None:
            if (sub.principal.user_id, sub.key) in keys:
                later.append(i)  # answered as a retry of the first, once that is written
                continue
            keys.add((sub.principal.user_id, sub.key))
        try:
            require(sub.principal, Permission.INCIDENT_REPORT)
            prepared = service.prepare_report(s, now, sub.principal, sub.data, profile,
                                              sub.key)
        except DomainError as exc:
            answers[i] = exc
            continue
        if isinstance(prepared, int):
            replays.append((i, prepared))
        else:
            accepted.append((i, prepared))
    if accepted:
        _write(s, now, accepted, answers)
    for i, incident_id in replays:
        sub = submissions[i]
        try:
            answers[i] = service.replay(s, incident_id, sub.data, sub.principal)
        except DomainError as exc:
            answers[i] = exc
    return later


def _write(s: Session, now: datetime, accepted: list[tuple[int, service.Prepared]],
           answers: list[Answer | None]) -> None:
    filed = service.write_reports(s, now, [p for _, p in accepted])
    # last, so the audit chain's head row stays locked for as short a time as possible
    audit.record_many(s, [service.report_audit(p.principal, f, now)
                          for (_, p), f in zip(accepted, filed, strict=True)])
    for (i, p), f in zip(accepted, filed, strict=True):
        answers[i] = service.filed_out(f, now, managed_bodies(
            s, p.principal, (c.body_id for _, c in f.routed.deliveries)))


def _one_by_one(uow: UnitOfWork, clock: Clock, submissions: Sequence[Submission],
                profile: str) -> list[Answer]:
    """The batch failed as a whole: file each report in a transaction of its own (which also
    answers a concurrent retry under the same key elsewhere, ``service.report``)."""
    return [_alone(uow, clock, sub, profile) for sub in submissions]


def _alone(uow: UnitOfWork, clock: Clock, sub: Submission, profile: str) -> Answer:
    try:
        return service.report(uow, clock, principal=sub.principal, data=sub.data,
                              profile=profile, idempotency_key=sub.key)
    except Exception as exc:  # noqa: BLE001 - handed to the request that submitted it
        return exc
