"""Emergency response from the command line (Plan §4.2–§4.3, §5), as the Emergency Office and
the Beijing office would run it: an especially major incident, Level I with a headquarters,
duty, progress, support coordinated by the Office, the province's end refused, the Office's
proposal and the headquarters' approval, the 30-day investigation; a Level II ended by its
province — on both databases."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from fenghuo.org.accounts import put_user
from fenghuo.org.schemas import UserIn
from fenghuo.response.models import Investigation, Response
from tests.cli import clean_env, fenghuo
from tests.conftest import PASSWORD

EXAMPLES = Path(__file__).parents[2] / "examples"
INCIDENT_REF = re.compile(r"\bFH-\d{8}-[0-9A-F]{8}\b")
RESPONSE_REF = re.compile(r"\bER-\d{8}-[0-9A-F]{8}\b")
REQUEST_REF = re.compile(r"\bSR-\d{8}-[0-9A-F]{8}\b")
LOCAL = ZoneInfo("Asia/Shanghai")  # FENGHUO_TIMEZONE's default


def report_file(tmp_path: Path, loss: str) -> Path:
    found = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
    f = tmp_path / f"report-{loss}.yaml"
    f.write_text(f"""
system: core
category: harmful-program
subcategory: harmful-program.other
title: 勒索软件攻击核心系统 Ransomware on core banking
found_at: "{found}"
impact: 支付中断 payments down
measures: 隔离 isolated
facts: {{system_loss: {loss}}}
""", encoding="utf-8")
    return f


@pytest.fixture
def cli(rt, db_url, tmp_path):
    """``cli("response", "list", "--as", "nat_admin")``: run ``fenghuo`` on the test database,
    with ``hq_lead``, a read-only user of the Emergency Office who sits in the headquarters."""
    with rt.uow() as s:
        put_user(s, principal=None, now=rt.clock.now(), data=UserIn(
            username="hq_lead", display_name="总指挥 Commander", body="cn.emergency-office",
            roles=["read_only"], password=PASSWORD))
    env = clean_env(FENGHUO_DATABASE_URL=db_url)
    return lambda *args: fenghuo(*args, env=env, cwd=tmp_path)


def reported(cli, tmp_path, loss: str, grade: str) -> str:
    r = cli("report", str(report_file(tmp_path, loss)), "--as", "bj_reporter")
    assert r.returncode == 0, r.stderr
    assert grade in r.stdout
    return INCIDENT_REF.search(r.stdout).group(0)


def count(rt, model) -> int:
    with rt.uow() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_level_one_response_from_activation_to_the_investigation(cli, rt, tmp_path):
    assert cli("org", "import", str(EXAMPLES / "national-teams.yaml")).returncode == 0
    inc = reported(cli, tmp_path, "especially_serious", "特别重大 especially major")

    r = cli("response", "activate", inc, "--level", "I", "--member", "总指挥 Commander:hq_lead",
            "--as", "bj_duty")
    assert r.returncode == 1 and "activate.level_reserved" in r.stderr  # Plan §4.2.1
    r = cli("response", "activate", inc, "--level", "I", "--as", "nat_admin")
    assert r.returncode == 1 and "headquarters" in r.stderr
    assert count(rt, Response) == 0
    r = cli("response", "activate", inc, "--level", "I", "--as", "nat_admin", "--every", "60",
            "--member", "总指挥 Commander:hq_lead", "--member", "北京 Beijing liaison")
    assert r.returncode == 0, r.stderr
    ref = RESPONSE_REF.search(r.stdout).group(0)
    assert "Ⅰ级响应 Level I response" in r.stdout and "响应中 active" in r.stdout
    assert "Plan §4.2.1" in r.stdout and "总指挥 Commander (hq_lead)" in r.stdout
    assert "110000.office (进入应急状态 in emergency state)" in r.stdout

    # 24-hour duty at the Beijing office (Plan §4.2.1); times without a zone are local
    now = datetime.now(LOCAL).replace(tzinfo=None, microsecond=0)
    r = cli("duty", "add", "--officer", "王值班 Wang", "--from",
            (now - timedelta(hours=1)).isoformat(), "--to", (now + timedelta(hours=11)).isoformat(),
            "--contact", "+86 10 0000 0000", "--note", "关注银行 watch the bank", "--as", "bj_duty")
    assert r.returncode == 0, r.stderr
    assert "110000.office" in r.stdout and "on duty now" in r.stdout
    r = cli("duty", "add", "--officer", "王值班 Wang", "--from", now.isoformat(), "--to",
            (now + timedelta(hours=2)).isoformat(), "--as", "bj_duty")
    assert r.returncode == 1 and "already has a shift" in r.stderr
    r = cli("duty", "add", "--officer", "李 Li", "--from", "tomorrow", "--to", "later",
            "--as", "bj_duty")
    assert r.returncode == 1 and "ISO 8601" in r.stderr
    roster = cli("duty", "roster", "--body", "110000.office", "--as", "nat_admin")
    assert roster.returncode == 0, roster.stderr
    assert "王值班 Wang" in roster.stdout and "1 shift(s)" in roster.stdout
    assert cli("duty", "roster", "--body", "110000.office", "--as", "sh_admin").returncode == 1

    # progress and support; only the Office dispatches (Plan §4.2.2(3))
    r = cli("response", "progress", ref, "--developments", "扩散已停止 spread stopped",
            "--progress", "恢复备份 restoring backups", "--as", "bj_duty")
    assert r.returncode == 0, r.stderr
    assert "progress reported for 110000.office" in r.stdout
    r = cli("response", "support", ref, "--needs", "取证队伍到场 a forensics team on site",
            "--as", "bj_duty")
    assert r.returncode == 0, r.stderr
    request = REQUEST_REF.search(r.stdout).group(0)
    assert "已申请 requested" in r.stdout
    r = cli("response", "dispatch", ref, request, "--body", "cn.team-forensics", "--as",
            "bj_duty")
    assert r.returncode == 1 and "refused" in r.stderr and "Plan §2.2" in r.stderr
    r = cli("response", "dispatch", ref, request, "--as", "nat_admin")
    assert r.returncode == 2 and "--body" in r.stderr
    r = cli("response", "dispatch", ref, request, "--body", "cn.team-forensics", "--note",
            "14:00 到达 arrives", "--as", "nat_admin")
    assert r.returncode == 0, r.stderr
    assert "已派出 dispatched" in r.stdout and "cn.team-forensics" in r.stdout

    # Plan §4.3.1: the province cannot end Level I; the Office proposes, the headquarters approves
    r = cli("response", "end", ref, "--reason", "we are fine", "--as", "bj_duty")
    assert r.returncode == 1
    for code in ("end.not_emergency_office", "end.needs_proposal", "end.needs_approval"):
        assert code in r.stderr
    assert "Plan §4.3.1" in r.stderr and "refused 拒绝" in r.stderr
    r = cli("response", "propose-end", ref, "--reason", "系统已恢复 systems restored",
            "--as", "nat_admin")
    assert r.returncode == 0, r.stderr
    assert "已建议结束 end proposed" in r.stdout and "approve-end" in r.stdout
    r = cli("response", "approve-end", ref, "--as", "bj_duty")
    assert r.returncode == 1 and "end.approve_not_headquarters" in r.stderr
    r = cli("response", "approve-end", ref, "--as", "hq_lead")
    assert r.returncode == 0, r.stderr
    assert "已结束 ended" in r.stdout
    assert "the provinces and departments concerned" in r.stdout
    with rt.uow() as s:
        ended_at = s.scalar(select(Response.ended_at))
        due = s.scalar(select(Investigation.due_at))
    assert due - ended_at == timedelta(days=30)  # Plan §5
    due_local = due.astimezone(LOCAL).isoformat(timespec="minutes")
    assert due_local in r.stdout

    # the investigation report, organized by the Office (Plan §5)
    report = str(EXAMPLES / "investigation.yaml")
    r = cli("response", "investigation-submit", ref, "--as", "nat_admin")
    assert r.returncode == 1 and "investigation.missing_sections" in r.stderr
    r = cli("response", "investigation", ref, "--file", report, "--as", "bj_duty")
    assert r.returncode == 1 and "organizer" in r.stderr
    r = cli("response", "investigation", ref, "--file", report, "--as", "nat_admin")
    assert r.returncode == 0, r.stderr
    assert "草稿 draft" in r.stdout and "missing: —" in r.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("sections: {gossip: 传闻 rumours}\n", encoding="utf-8")
    r = cli("response", "investigation", ref, "--file", str(bad), "--as", "nat_admin")
    assert r.returncode == 1 and "sections.gossip" in r.stderr
    assert cli("response", "investigation-submit", ref, "--as", "nat_admin").returncode == 0
    r = cli("response", "investigation-approve", ref, "--as", "nat_admin")
    assert r.returncode == 0, r.stderr
    assert "已批准" in r.stdout or "approved" in r.stdout

    shown = cli("response", "show", ref, "--as", "nat_admin")
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert "Ⅰ级响应 Level I response" in out and "已结束 ended" in out
    assert "总指挥 Commander" in out and "hq_lead" in out
    assert re.search(r"cn\.emergency-office.*启动响应 activated the response.*yes", out)
    assert re.search(r"110000\.office.*进入应急状态 in emergency state.*王值班 Wang", out)
    assert "spread stopped" in out
    assert request in out and "cn.team-forensics" in out and "已派出 dispatched" in out
    assert "end approved by hq_lead" in out and "systems restored" in out
    assert f"期限 due: {due_local}" in out  # Plan §5: 30 days after the end
    assert "按期完成 met" in out and "cn.emergency-office" in out
    assert "missing 未写: —" in out

    listed = cli("response", "list", "--as", "bj_duty", "--state", "ended")
    assert listed.returncode == 0 and ref in listed.stdout and "1 response(s)" in listed.stdout
    assert "0 response(s)" in cli("response", "list", "--as", "sh_admin").stdout
    r = cli("response", "show", ref, "--as", "sh_admin")  # Law art. 30
    assert r.returncode == 1 and "no response" in r.stderr


def test_a_level_two_response_is_ended_by_its_province(cli, tmp_path):
    inc = reported(cli, tmp_path, "serious", "重大 major")
    r = cli("response", "activate", inc, "--level", "II", "--as", "nat_admin")
    assert r.returncode == 1 and "refused" in r.stderr  # Plan §4.2.2: the province decides
    r = cli("response", "activate", inc, "--level", "II", "--as", "bj_duty")
    assert r.returncode == 0, r.stderr
    ref = RESPONSE_REF.search(r.stdout).group(0)
    assert "cn.emergency-office (知悉 informed)" in r.stdout
    r = cli("response", "end", ref, "--reason", "the Office cannot", "--as", "nat_admin")
    assert r.returncode == 1 and "end.not_activator" in r.stderr
    r = cli("response", "end", ref, "--reason", "已控制 contained", "--as", "bj_duty")
    assert r.returncode == 0, r.stderr
    assert "已结束 ended" in r.stdout and "the Emergency Office" in r.stdout  # Plan §4.3.2
    assert "by 110000.office" in r.stdout
    shown = cli("response", "show", ref, "--as", "bj_duty").stdout
    assert "报应急办备案" in shown and "待完成 due" in shown
    assert "no headquarters" in shown
