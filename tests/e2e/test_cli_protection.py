"""Important-event protection periods from the command line (Plan §6.5), on both databases:
the Emergency Office declares a period, requires the red-warning response, a department
completes its task, the Office ends it; a province office is refused naming the rule."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from sqlalchemy import func, select

from fenghuo.warning.protection_models import ProtectionPeriod
from tests.cli import clean_env, fenghuo

REF = re.compile(r"\bPP-\d{8}-[0-9A-F]{8}\b")


@pytest.fixture
def cli(db_url, tmp_path):
    env = clean_env(FENGHUO_DATABASE_URL=db_url)
    return lambda *args: fenghuo(*args, env=env, cwd=tmp_path)


@pytest.fixture
def period_file(tmp_path):
    """A Beijing finance period running now (the command line reads the real clock)."""
    now = datetime.now(UTC)
    path = tmp_path / "period.yaml"
    path.write_text(yaml.safe_dump({
        "name_zh": "金融街论坛年会", "name_en": "Financial Street Forum",
        "jurisdictions": ["110000"], "sectors": ["finance"],
        "starts_at": (now - timedelta(minutes=5)).isoformat(),
        "ends_at": (now + timedelta(days=3)).isoformat(),
        "reason": "国家重要会议 national meeting"},
        allow_unicode=True))
    return path


def test_declare_require_red_complete_and_end(cli, period_file, rt):
    r = cli("protection", "declare", str(period_file), "--as", "bj_admin")
    assert r.returncode == 1 and "protection.not_emergency_office" in r.stderr
    assert "Plan §6.5" in r.stderr and "只有应急办可以要求启动红色预警响应" in r.stderr
    r = cli("protection", "declare", str(period_file), "--as", "nat_admin")
    assert r.returncode == 0, r.stderr
    ref = REF.search(r.stdout).group(0)
    assert "进行中 active" in r.stdout and "110000.office, bj-finance-reg" in r.stdout

    r = cli("protection", "require-red", ref, "--as", "nat_admin")
    assert r.returncode == 0, r.stderr
    assert "bj-finance-reg" in r.stdout and "110000.office" in r.stdout
    again = cli("protection", "require-red", ref, "--as", "nat_admin")
    assert again.returncode == 1 and "protection.already_required" in again.stderr

    shown = cli("protection", "show", ref, "--as", "bj_fin")
    assert shown.returncode == 0, shown.stderr
    task = re.search(r"^│\s*(\d+)\s*│\s*bj-finance-reg", shown.stdout, re.M)
    assert task, shown.stdout
    assert "110000.office" not in shown.stdout.split("任务")[1]  # a department sees its own
    done = cli("protection", "done", ref, task.group(1), "--evidence", "值班表 roster",
               "--as", "bj_fin")
    assert done.returncode == 0 and "done by bj_fin" in done.stdout, done.stderr

    listed = cli("protection", "list", "--as", "bj_admin", "--phase", "active")
    assert ref in listed.stdout and "1 protection period(s)" in listed.stdout
    assert ref not in cli("protection", "list", "--as", "sh_admin").stdout  # Law art. 30
    r = cli("protection", "end", ref, "--reason", "会议闭幕 closed", "--as", "nat_admin")
    assert r.returncode == 0 and "已结束 ended" in r.stdout, r.stderr
    out = cli("protection", "show", ref, "--as", "nat_admin").stdout
    assert "会议闭幕" in out and "closed" in out and "done by bj_fin" in out
    with rt.uow() as s:
        assert s.scalar(select(func.count()).select_from(ProtectionPeriod)) == 1
