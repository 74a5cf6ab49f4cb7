"""Wires settings → engine → unit of work → clock. Used by the API, the CLI and (later) workers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import structlog
from sqlalchemy import Engine, select

from fenghuo.audit import service as audit
from fenghuo.common.clock import Clock, SystemClock
from fenghuo.config import Settings
from fenghuo.db import migrate
from fenghuo.db.session import UnitOfWork, make_engine
from fenghuo.incident import pi_rules
from fenghuo.org import accounts, directory, interchange, passwords, throttle
from fenghuo.org.models import User
from fenghuo.org.rules import Role
from fenghuo.org.schemas import UserIn
from fenghuo.preparedness import rules as prep_rules
from fenghuo.retention import rules as retention
from fenghuo.warning.rules import POSSIBLE_MAJOR_INFO_KEY

log = structlog.get_logger()

#: The first administrator belongs to the National Emergency Office (Plan §2.2), whose scope is
#: the whole country.
FIRST_ADMIN_BODY = "cn.emergency-office"


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    uow: UnitOfWork
    clock: Clock
    #: set by an in-process worker so that a new report is delivered without waiting for a poll
    wake: Callable[[], None] | None = None

    def wake_worker(self) -> None:
        if self.wake is not None:
            self.wake()


def build(settings: Settings | None = None, *, clock: Clock | None = None,
          for_requests: bool = False) -> Runtime:
    """The runtime of the settings. ``for_requests``: the runtime that answers HTTP requests,
    whose PostgreSQL statements stop at ``statement_timeout_seconds`` (issue 21 item 4); the
    worker, the command line and the start-up have no timeout."""
    settings = settings or Settings()
    timeout = settings.statement_timeout_seconds if for_requests else None
    engine = make_engine(settings.resolved_database_url(), statement_timeout=timeout or None)
    hasher = accounts.hasher_for(settings.password_hash_memory_kib,
                                 settings.password_hash_time_cost,
                                 settings.password_hash_parallelism)
    uow = UnitOfWork(engine, info={directory.TEXTS_PHONES: settings.texts_phones,
                                   pi_rules.INFO_KEY: settings.pi_inform_hours,
                                   prep_rules.CENTRAL_EXERCISE_INFO_KEY:
                                       settings.central_exercise_interval_months,
                                   POSSIBLE_MAJOR_INFO_KEY: settings.possible_major_ack_hours,
                                   accounts.HASHER_KEY: hasher,
                                   retention.EVENTS_INFO_KEY:
                                       settings.retention_monitoring_events_days,
                                   passwords.MIN_LENGTH_KEY: settings.password_min_length,
                                   throttle.INFO_KEY: throttle.Policy.of(settings)})
    return Runtime(settings=settings, engine=engine, uow=uow,
                   clock=clock or SystemClock())


def upgrade_and_seed(rt: Runtime) -> interchange.ImportSummary:
    """Bring the schema to the newest migration and load the reference data (idempotent). A
    current schema is checked without loading Alembic (see db/migrate.py)."""
    if not schema_is_current(rt):
        migrate.upgrade(rt.settings.resolved_database_url())
    summary = interchange.load_seed(rt.uow, rt.clock)
    audit.chain_pending(rt.uow)
    return summary


def schema_is_current(rt: Runtime) -> bool:
    return migrate.current_revision(rt.engine) == migrate.HEAD


def ensure_ready(rt: Runtime) -> None:
    """Migrate and seed when the database is new or behind; a no-op otherwise."""
    if not schema_is_current(rt):
        upgrade_and_seed(rt)


@dataclass(frozen=True)
class FirstAdmin:
    username: str
    password: str
    generated: bool


def ensure_first_admin(rt: Runtime) -> FirstAdmin | None:
    """Create the first administrator if there is no user at all; returns its credentials once."""
    with rt.uow() as s:
        if s.scalar(select(User.id).limit(1)) is not None:
            return None
        password = rt.settings.admin_password or accounts.new_password()
        accounts.put_user(s, principal=None, now=rt.clock.now(), data=UserIn(
            username=rt.settings.admin_username, display_name="Administrator 系统管理员",
            body=FIRST_ADMIN_BODY, roles=[Role.ADMINISTRATOR], password=password))
    return FirstAdmin(rt.settings.admin_username, password, rt.settings.admin_password is None)
