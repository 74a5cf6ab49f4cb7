"""Issue 17 items 9–11 from the command line, on both databases: Jincheng's headquarters and
Zezhou's field command inside Shanxi's Level II response (City §3.3.3–3.3.4), their members'
progress and roster, the Emergency Office's relay of the end (Plan §4.3.2), and a content
security incident refused activation (Plan §1.3)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.cli import clean_env, fenghuo
from tests.e2e.test_cli_responses import EXAMPLES, INCIDENT_REF, RESPONSE_REF
from tests.integration.test_response_city_command import MORE
from tests.integration.test_responses import user


def report_file(tmp_path, name: str, category: str, facts: str, system: str = "scada"):
    found = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
    f = tmp_path / f"{name}.yaml"
    f.write_text(f"""
system: {system}
category: {category}
title: 供水调度中断 SCADA outage
found_at: "{found}"
impact: 停水 no water
measures: 切换备用 failover
facts: {{{facts}}}
""", encoding="utf-8")
    return f


@pytest.fixture
def cli(rt, db_url, tmp_path):
    env = clean_env(FENGHUO_DATABASE_URL=db_url)
    run = lambda *args: fenghuo(*args, env=env, cwd=tmp_path)  # noqa: E731
    (tmp_path / "more.yaml").write_text(MORE, encoding="utf-8")
    for path in (EXAMPLES / "jincheng.yaml", tmp_path / "more.yaml"):
        assert run("org", "import", str(path)).returncode == 0
    for name, body, role in (("jc_duty", "jc.office", "duty_officer"),
                             ("jc_lead", "jc.office", "analyst"),
                             ("zz_duty", "zz.office", "duty_officer"),
                             ("sx_duty", "140000.office", "duty_officer"),
                             ("jc_ops", "jc.zezhou-water", "operator_reporter")):
        user(rt, name, body, role)
    return run


def reported(cli, tmp_path, name: str, category: str, facts: str, system: str = "scada") -> str:
    r = cli("report", str(report_file(tmp_path, name, category, facts, system)), "--as",
            "jc_ops")
    assert r.returncode == 0, r.stderr
    return INCIDENT_REF.search(r.stdout).group(0)


def test_city_3_3_3_and_3_3_4_on_the_command_line(cli, tmp_path):
    """City §3.3.3–3.3.4: the city office sets up the headquarters, the county the field
    command; members report and keep the roster for them; Plan §4.3.2: the end is relayed."""
    inc = reported(cli, tmp_path, "major", "network-attack", "system_loss: serious")
    r = cli("response", "activate", inc, "--level", "II", "--as", "sx_duty")
    assert r.returncode == 0, r.stderr
    assert "City §3.3.3" in r.stdout and "City §3.3.4" in r.stdout  # what the level sets going
    ref = RESPONSE_REF.search(r.stdout).group(0)
    hq, fc = f"hq.{ref.lower()}", f"fc.{ref.lower()}"

    r = cli("response", "command", ref, "--kind", "field_command", "--member", "县长:zz_duty",
            "--as", "zz_duty")
    assert r.returncode == 1 and "command.needs_headquarters" in r.stderr
    assert "City §3.3.4" in r.stderr
    r = cli("response", "command", ref, "--kind", "headquarters", "--member",
            "市长 Mayor:jc_lead", "--member", "市公安局 Police#jc.emergency-center",
            "--as", "jc_duty")
    assert r.returncode == 0, r.stderr
    assert hq in r.stdout and "jc.coordination-group" in r.stdout and "City §3.3.3" in r.stdout
    assert "[jc.emergency-center]" in r.stdout
    r = cli("response", "command", ref, "--kind", "field_command", "--member",
            "县长 County head:zz_duty#zz.office", "--as", "zz_duty")
    assert r.returncode == 0, r.stderr
    assert fc in r.stdout and f"under {hq}" in r.stdout

    r = cli("response", "progress", ref, "--developments", "水厂恢复", "--progress", "切换备用",
            "--command", hq, "--as", "jc_lead")
    assert r.returncode == 0, r.stderr
    assert f"progress reported for {hq}" in r.stdout
    r = cli("response", "progress", ref, "--developments", "x", "--progress", "y",
            "--command", hq, "--as", "zz_duty")
    assert r.returncode == 1 and "command.not_member" in r.stderr
    now = datetime.now(UTC)
    r = cli("duty", "add", "--officer", "张 Zhang", "--from", now.isoformat(), "--to",
            (now + timedelta(hours=8)).isoformat(), "--command", fc, "--as", "zz_duty")
    assert r.returncode == 0, r.stderr
    assert f"of {fc}" in r.stdout

    r = cli("response", "show", ref, "--as", "sx_duty")
    assert r.returncode == 0, r.stderr
    assert "市应急处置指挥部" in r.stdout and "现场指挥部" in r.stdout and "张 Zhang" in r.stdout

    r = cli("response", "end", ref, "--reason", "已恢复 restored", "--as", "sx_duty")
    assert r.returncode == 0, r.stderr
    assert "told 已通报 cn.emergency-office (报应急办" in r.stdout
    assert re.search(r"told 已通报 cn\.mwr \(应急办通报 relayed by the Emergency Office, by "
                     r"cn\.emergency-office", r.stdout)  # the water sector's regulator
    assert "told 已通报 jc.emergency-center" in r.stdout  # named in the headquarters


def test_city_3_3_3_refused_for_level_iii_and_plan_1_3_content_security(cli, tmp_path):
    """City §3.3.3: no headquarters for a Level III; Plan §1.3: no activation for a content
    security incident, with the clause."""
    inc = reported(cli, tmp_path, "rmajor", "network-attack", "system_loss: relatively_serious")
    r = cli("response", "activate", inc, "--level", "III", "--as", "jc_duty")
    assert r.returncode == 0, r.stderr
    ref = RESPONSE_REF.search(r.stdout).group(0)
    r = cli("response", "command", ref, "--kind", "headquarters", "--member", "市长:jc_lead",
            "--as", "jc_duty")
    assert r.returncode == 1 and "command.level" in r.stderr and "City §3.3.3" in r.stderr

    inc = reported(cli, tmp_path, "content", "information-content-security",
                   "other_threat: serious", system="website")
    r = cli("response", "activate", inc, "--level", "II", "--as", "sx_duty")
    assert r.returncode == 1
    assert "activate.special_plan" in r.stderr and "Plan §1.3" in r.stderr
