"""`fenghuo retention` (issue 18 item 8) on both databases: a period under six months for a
network log is refused naming Law art. 21(3); `show` and `purge` without --yes change nothing;
an office holds an incident, whose records then survive `purge --yes`, and releases it; old
access log files go; every run is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from fenghuo.audit import service as audit
from fenghuo.audit.models import AuditEntry
from fenghuo.common.periods import day_of
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import registers
from fenghuo.org.schemas import ContactIn
from fenghuo.retention import rules
from tests.cli import clean_env, fenghuo
from tests.integration.test_responses import incident


@pytest.fixture
def logs(tmp_path):
    path = tmp_path / "logs"
    path.mkdir()
    return path


@pytest.fixture
def cli(db_url, tmp_path, logs):
    """Notifications kept a day (not a network log), the access log in ``logs``."""
    env = clean_env(FENGHUO_DATABASE_URL=db_url, FENGHUO_RETENTION_NOTIFICATIONS_DAYS="1",
                    FENGHUO_ACCESS_LOG_FILE=str(logs / "access.jsonl"))
    return lambda *args, **extra: fenghuo(*args, env={**env, **extra}, cwd=tmp_path)


def _notifications(rt) -> int:
    with rt.uow() as s:
        return s.scalar(select(func.count()).select_from(OutboxMessage))


@pytest.mark.parametrize("setting", ["FENGHUO_RETENTION_AUDIT_DAYS",
                                     "FENGHUO_RETENTION_ACCESS_LOG_DAYS",
                                     "FENGHUO_RETENTION_MONITORING_EVENTS_DAYS"])
def test_a_period_under_six_months_is_refused_with_the_clause(cli, setting):
    r = cli("retention", "show", **{setting: "90"})
    assert r.returncode == 1
    assert "Cybersecurity Law art. 21(3)" in r.stderr and "不少于六个月" in r.stderr
    assert cli("retention", "show", **{setting: "0"}).returncode == 0  # 0: kept for ever


def test_hold_purge_release(cli, rt, principal, clock, logs):
    registers.add_contact(rt.uow, rt.clock, principal=principal("nat_admin"),
                          body="110000.office", data=ContactIn(
                              name="Duty", channel="email", value="duty@bj.example"))
    ref = incident(rt, principal, clock, "minor").ref  # a month before the real clock
    with rt.uow() as s:
        s.execute(update(OutboxMessage).values(state="delivered", delivered_at=clock.now()))
    sent = _notifications(rt)
    assert sent
    today = day_of(clock.now()) + timedelta(days=400)  # surely after the real today
    old, new = (logs / rules.access_file_name("access", ".jsonl", d) for d in (
        day_of(clock.now()) - timedelta(days=300), today))
    old.write_text("{}\n")
    new.write_text("{}\n")

    r = cli("retention", "show", "--as", "bj_admin")
    assert r.returncode == 1 and "national Emergency Office" in r.stderr
    r = cli("retention", "purge")
    assert r.returncode == 0 and "dry run" in r.stdout
    assert _notifications(rt) == sent and old.exists()

    r = cli("retention", "hold", ref, "--reason", "公安机关调查 police investigation",
            "--as", "bj_admin")
    assert r.returncode == 0, r.stderr
    assert ref in cli("retention", "holds").stdout
    r = cli("retention", "hold", ref, "--reason", "again", "--as", "bj_reporter")
    assert r.returncode == 1  # an operator unit is no office
    r = cli("retention", "purge", "--yes")
    assert r.returncode == 0, r.stderr
    assert _notifications(rt) == sent  # held
    assert not old.exists() and new.exists()

    assert cli("retention", "release", ref, "--reason", "结案 closed", "--as",
               "bj_admin").returncode == 0
    assert "none" in cli("retention", "show").stdout  # no held incident left
    r = cli("retention", "purge", "--yes", "--as", "nat_admin")
    assert r.returncode == 0, r.stderr
    assert _notifications(rt) == 0
    audit.chain_pending(rt.uow)
    with rt.uow() as s:
        actions = s.scalars(select(AuditEntry.action).where(
            AuditEntry.action.like("retention.%")).order_by(AuditEntry.seq)).all()
    assert actions == ["retention.hold", "retention.purge", "retention.release",
                       "retention.purge"]
