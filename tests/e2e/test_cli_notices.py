"""``fenghuo notice`` (issue 16 item 2; Law arts. 51–52, Plan §3.2), as a duty officer and a
unit run it: the sample Suricata alerts of issue 15 become a notice to the CII bank at once;
the bank's reporter reads it, acknowledges and reports its handling (处置反馈); the office closes
it; a feedback on the closed notice is a clear error, and a notice to a unit outside the sender's
scope is refused with the rule (Law art. 30)."""

from __future__ import annotations

import re

import pytest

from fenghuo.common.clock import SystemClock
from tests.cli import clean_env, fenghuo
from tests.e2e.test_cli_monitoring_walkthrough import MOMENT, REGISTER, SAMPLES


@pytest.fixture
def cli(db_url, tmp_path, monkeypatch):
    monkeypatch.setattr(SystemClock, "now", lambda self: MOMENT)
    env = clean_env(FENGHUO_DATABASE_URL=db_url)

    def run(*args: str, code: int = 0):  # noqa: ANN202
        ran = fenghuo(*args, env=env, cwd=tmp_path)
        assert ran.returncode == code, ran.stdout + ran.stderr
        return ran

    return run


def test_a_unit_answers_its_notice_from_the_command_line(cli, tmp_path):
    register = tmp_path / "register.csv"
    register.write_text(REGISTER, encoding="utf-8")
    cli("register", "import", str(register), "--as", "bj_admin")
    cli("feed", "add", "--as", "nat_admin", "--code", "samples", "--body", "cn.cncert",
        "--format", "suricata", "--name-zh", "样本", "--name-en", "Samples")
    cli("ingest", str(SAMPLES / "suricata-eve.json"), "--feed", "samples", "--as", "nat_admin")
    made = cli("notice", "generate").stdout
    assert "1 immediate, 1 digests collecting" in made, made
    ref = re.search(r"NT-\d{8}-[0-9A-F]{8}", made).group(0)
    assert "0 new batches" in cli("notice", "generate").stdout  # nothing twice

    listed = cli("notice", "list", "--as", "bj_reporter").stdout
    assert ref in listed and "bj-telco" not in listed  # only the bank's own (Law art. 30)
    shown = cli("notice", "show", ref, "--as", "bj_reporter").stdout
    assert "即时通报" in shown and "TLP:AMBER" in shown and "notice.cii" not in shown
    assert "关键信息基础设施" in shown and "61.135." in shown  # its events, not the telco's
    assert "222.186." not in shown
    cli("notice", "ack", ref, "--as", "bj_reporter")
    answered = cli("notice", "feedback", ref, "--as", "bj_reporter", "--text",
                   "已封堵恶意地址并重装受感染主机").stdout
    assert "已反馈处置情况" in answered
    assert "已办结" in cli("notice", "close", ref, "--as", "bj_duty").stdout
    late = cli("notice", "feedback", ref, "--as", "bj_reporter", "--text", "补充说明",
               code=1).stderr
    assert "already closed" in late
    refused = cli("notice", "generate", "--unit", "bj-telco", "--as", "sh_admin",
                  code=1).stderr
    assert "notice.scope" in refused and "Law art. 30" in refused
