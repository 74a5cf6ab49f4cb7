"""``fenghuo tip`` on both databases (Law art. 14, issue 16 item 4): an office lists its tips
with their clocks, is refused a transfer to an operator unit with the rule, transfers the tip to
the public security organ, which accepts and closes it; a second close is refused; the tipster
looks up the status with the receipt code (typed at the prompt or given)."""

from __future__ import annotations

from fenghuo.common.clock import SystemClock
from fenghuo.incident import tips
from fenghuo.incident.tip_schemas import TipIn
from fenghuo.org.accounts import put_user
from fenghuo.org.schemas import UserIn
from tests.cli import clean_env, fenghuo
from tests.conftest import PASSWORD

REASON = "涉嫌违法犯罪 suspected crime"
OUTCOME = "已依法处理。 Dealt with according to law."


def test_the_tip_commands(rt, db_url, tmp_path):
    env = clean_env(FENGHUO_DATABASE_URL=db_url)
    with rt.uow() as s:
        put_user(s, principal=None, now=rt.clock.now(), data=UserIn(
            username="mps_duty", display_name="mps_duty", body="cn.mps",
            roles=["duty_officer"], password=PASSWORD))
    receipt = tips.submit(rt.uow, SystemClock(), data=TipIn(
        jurisdiction="110000", unit_name="北京某网站", description="网站被挂马 serving malware",
        reporter_name="钱七"))
    ref, code = receipt.ref, receipt.receipt_code

    def run(*args: str, input: str | None = None):  # noqa: A002 - CliRunner's name
        return fenghuo(*args, env=env, cwd=tmp_path, input=input)

    listed = run("tip", "list", "--as", "bj_duty")
    assert listed.returncode == 0, listed.stderr
    assert ref in listed.stdout and "受理、移送或办结" in listed.stdout and "due" in listed.stdout
    targets = run("tip", "targets", ref, "--as", "bj_duty")
    assert "cn.mps" in targets.stdout and "公安机关" in targets.stdout
    refused = run("tip", "transfer", ref, "--to", "bj-bank", "--reason", "试试 try", "--as",
                  "bj_duty")
    assert refused.returncode == 1
    assert "tip_transfer.not_a_department" in refused.stderr and "Law art. 14" in refused.stderr
    moved = run("tip", "transfer", ref, "--to", "cn.mps", "--reason", REASON, "--as", "bj_duty")
    assert moved.returncode == 0, moved.stderr
    assert "transferred to cn.mps" in moved.stdout
    shown = run("tip", "show", ref, "--as", "mps_duty")
    assert "钱七" in shown.stdout and "transferred" in shown.stdout and REASON in shown.stdout
    assert "钱七" not in run("tip", "show", ref, "--as", "bj_duty").stdout
    assert run("tip", "accept", ref, "--as", "mps_duty").returncode == 0
    closed = run("tip", "close", ref, "--outcome", OUTCOME, "--as", "mps_duty")
    assert closed.returncode == 0 and OUTCOME in closed.stdout
    again = run("tip", "close", ref, "--outcome", OUTCOME, "--as", "mps_duty")
    assert again.returncode == 1 and "already closed" in again.stderr
    status = run("tip", "status", input=f"{code}\n")  # typed, not left in the shell history
    assert status.returncode == 0, status.stderr
    assert "已办结" in status.stdout and "公安机关" in status.stdout and OUTCOME in status.stdout
    assert REASON not in status.stdout and "cn.mps" not in status.stdout
    wrong = run("tip", "status", "--code", "AAAAA-AAAAA-AAAAA-AAAAA")
    assert wrong.returncode == 1 and "no tip has this receipt code" in wrong.stderr
