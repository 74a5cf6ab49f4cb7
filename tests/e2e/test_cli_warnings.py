"""Monitoring information and early warnings from the command line, with the example files, as
the Jincheng city office would use them (Plan §3.2–§3.5), on both databases."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fenghuo.org import interchange
from fenghuo.org.accounts import put_user
from fenghuo.org.schemas import UserIn
from fenghuo.warning.models import EarlyWarning, MonitoringItem
from tests.cli import clean_env, fenghuo
from tests.conftest import PASSWORD

EXAMPLES = Path(__file__).parents[2] / "examples"
WARNING_REF = re.compile(r"\bWN-\d{8}-[0-9A-F]{8}\b")
ITEM_REF = re.compile(r"\bMI-\d{8}-[0-9A-F]{8}\b")

#: Jincheng users: two of the city office (one drafts, the other approves), the telecom
#: regulator (a recipient) and the water company (an operator unit that reports monitoring)
JC_USERS = {"jc_duty": ("jc.office", ["duty_officer"]),
            "jc_head": ("jc.office", ["duty_officer"]),
            "jc_tel": ("jc.telecom-regulator", ["administrator"]),
            "jc_ops": ("jc.zezhou-water", ["operator_reporter"])}


@pytest.fixture
def cli(rt, db_url, tmp_path):
    """``cli("warning", "list", "--as", "jc_duty")``: run ``fenghuo`` on the test database,
    after loading examples/jincheng.yaml and its users."""
    doc = interchange.parse_yaml((EXAMPLES / "jincheng.yaml").read_text(), "jincheng.yaml")
    interchange.import_document(rt.uow, rt.clock, principal=None, doc=doc)
    with rt.uow() as s:
        for username, (body, roles) in JC_USERS.items():
            put_user(s, principal=None, now=rt.clock.now(), data=UserIn(
                username=username, display_name=username, body=body, roles=roles,
                password=PASSWORD))
    env = clean_env(FENGHUO_DATABASE_URL=db_url)
    return lambda *args: fenghuo(*args, env=env, cwd=tmp_path)


def count(rt, model) -> int:
    with rt.uow() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_monitoring_information_from_the_example_file(cli, rt, tmp_path):
    r = cli("monitoring", "submit", str(EXAMPLES / "monitoring.yaml"), "--as", "jc_ops")
    assert r.returncode == 0, r.stderr
    ref = ITEM_REF.search(r.stdout).group(0)
    assert "important" in r.stdout
    # Plan §3.2: the water company's important item goes to the offices of its region and the
    # water department, and the city office reports it on to the Emergency Office
    assert "jc.office" in r.stdout and "140000.office" in r.stdout
    assert "(local_office)" in r.stdout and "cn.mwr" in r.stdout
    assert "(sector_department)" in r.stdout and "cn.emergency-office" not in r.stdout
    refused = cli("monitoring", "report-up", ref, "--as", "jc_ops")
    assert refused.returncode == 1 and "monitoring.report_up.not_in_chain" in refused.stderr
    up = cli("monitoring", "report-up", ref, "--as", "jc_duty")
    assert up.returncode == 0, up.stderr
    assert "cn.emergency-office" in up.stdout and "(reported_up)" in up.stdout
    assert "reported up 已报应急办 jc_duty" in up.stdout
    listed = cli("monitoring", "list", "--as", "jc_ops")
    assert listed.returncode == 0 and ref in listed.stdout
    assert ref not in cli("monitoring", "list", "--as", "sh_admin").stdout  # Law art. 30
    bad = tmp_path / "bad.yaml"
    bad.write_text((EXAMPLES / "monitoring.yaml").read_text().replace("type: ip", "type: ipv9"))
    r = cli("monitoring", "submit", str(bad), "--as", "jc_ops")
    assert r.returncode == 1 and "indicators.0.type" in r.stderr
    assert count(rt, MonitoringItem) == 1


def test_a_city_warning_from_draft_to_lifting(cli):
    r = cli("warning", "draft", str(EXAMPLES / "warning.yaml"), "--as", "jc_duty")
    assert r.returncode == 0, r.stderr
    ref = WARNING_REF.search(r.stdout).group(0)
    assert "黄色预警 yellow warning" in r.stdout and "authority.city" in r.stdout
    own = cli("warning", "approve", ref, "--as", "jc_duty")  # four eyes
    assert own.returncode == 1 and "approve.four_eyes" in own.stderr
    assert cli("warning", "approve", ref, "--as", "jc_head").returncode == 0
    r = cli("warning", "publish", ref, "--as", "jc_duty")
    assert r.returncode == 0, r.stderr
    assert "jc.telecom-regulator" in r.stdout and "cn.emergency-office" in r.stdout
    # the water company itself is reached (Plan §3.3 ¶1), acknowledges and does its task
    assert "jc.zezhou-water" in r.stdout
    assert cli("warning", "ack", ref, "--as", "jc_tel").returncode == 0
    assert cli("warning", "ack", ref, "--as", "jc_ops").returncode == 0
    own = cli("warning", "show", ref, "--as", "jc_ops").stdout
    assert re.search(r"jc\.zezhou-water.*acknowledged", own)
    assert "jc.telecom-regulator" not in own  # a unit sees its own part (Law art. 30)
    task = re.search(r"^│\s*(\d+)\s*│\s*jc\.zezhou-water", own, re.M)
    assert task, own
    done = cli("warning", "done", ref, task.group(1), "--evidence", "VPN网关已修补 patched",
               "--as", "jc_ops")
    assert done.returncode == 0 and "done by jc_ops" in done.stdout, done.stderr
    again = cli("warning", "done", ref, task.group(1), "--evidence", "again", "--as", "jc_ops")
    assert again.returncode == 1 and "already done" in again.stderr
    shown = cli("warning", "show", ref, "--as", "jc_duty")
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert "黄色预警 yellow warning" in out and "已发布 published" in out
    assert re.search(r"jc\.telecom-regulator.*acknowledged", out)
    assert re.search(r"cn\.emergency-office.*\bdue\b", out)
    assert "Plan §3.4.3" in out and "open" in out  # the yellow checklist (Plan §3.4.3)
    orange = cli("warning", "revise", ref, "--level", "orange", "--reason", "spreading",
                 "--as", "jc_duty")  # a city issues yellow and blue only (City §3.3.3)
    assert orange.returncode == 1 and "authority.above_ceiling" in orange.stderr
    other = cli("warning", "lift", ref, "--reason", "not ours", "--as", "jc_tel")
    assert other.returncode == 1 and "lift.not_issuer" in other.stderr  # Plan §3.5
    r = cli("warning", "lift", ref, "--reason", "网关均已修补 all gateways patched",
            "--as", "jc_duty")
    assert r.returncode == 0, r.stderr
    assert "已解除 lifted" in r.stdout
    out = cli("warning", "show", ref, "--as", "jc_duty").stdout
    assert "已解除 lifted" in out and "all gateways patched" in out and "closed" in out
    listed = cli("warning", "list", "--as", "jc_duty", "--state", "lifted").stdout
    assert ref in listed and "1 warning(s)" in listed


def test_a_red_draft_is_refused_naming_its_rule(cli, rt, tmp_path):
    red = tmp_path / "red.yaml"
    red.write_text((EXAMPLES / "warning.yaml").read_text().replace("level: yellow",
                                                                 "level: red"))
    r = cli("warning", "draft", str(red), "--as", "jc_duty")
    assert r.returncode != 0
    assert "authority.red_reserved" in r.stderr and "Plan §3.3 ¶2" in r.stderr
    assert "红色预警由应急办确定和发布" in r.stderr
    assert "Emergency Office only" in r.stderr
    beyond = tmp_path / "beyond.yaml"
    beyond.write_text((EXAMPLES / "warning.yaml").read_text().replace('["140500"]',
                                                                    '["140500", "110000"]'))
    r = cli("warning", "draft", str(beyond), "--as", "jc_duty")
    assert r.returncode != 0 and "authority.outside_jurisdiction" in r.stderr
    assert count(rt, EarlyWarning) == 0
    assert "0 warning(s)" in cli("warning", "list", "--as", "jc_duty").stdout


def test_a_city_may_not_go_public_and_a_city_department_may_not_issue(cli, rt, tmp_path):
    """Law art. 54(3), art. 51: warnings to the public are released by provincial-level and
    higher bodies; City §3.3.3: the city's warnings are its office's, not its departments'."""
    public = tmp_path / "public.yaml"
    public.write_text((EXAMPLES / "warning.yaml").read_text().replace("public: false",
                                                                    "public: true"))
    r = cli("warning", "draft", str(public), "--as", "jc_duty")
    assert r.returncode == 1 and "public.below_province" in r.stderr
    assert "Law art. 54(3)" in r.stderr and "ask your province's office" in r.stderr
    tel = tmp_path / "telecom.yaml"
    tel.write_text((EXAMPLES / "warning.yaml").read_text().replace("[water, telecom]",
                                                                 "[telecom]"))
    r = cli("warning", "draft", str(tel), "--as", "jc_tel")
    assert r.returncode == 1 and "authority.city_department" in r.stderr
    assert "City §3.3.3" in r.stderr
    assert count(rt, EarlyWarning) == 0
