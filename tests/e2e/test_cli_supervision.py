"""``fenghuo supervision`` on both databases (Law arts. 55, 56; issue 16 item 3): the Beijing
office is refused a directive to a Shanghai bank with the rule, records an interview with a
Beijing bank, which reports its rectification; the office closes it; a second report is refused
because the item is closed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.cli import clean_env, fenghuo


def test_the_supervision_commands(db_url, tmp_path):
    env = clean_env(FENGHUO_DATABASE_URL=db_url)
    now = datetime.now(UTC)  # the commands run on the system clock

    def run(*args: str):
        return fenghuo("supervision", *args, env=env, cwd=tmp_path)

    refused = run("direct", "sh-bank", "--title", "封堵后门 close it", "--requirements",
                  "立即封堵 now", "--due", (now + timedelta(days=2)).isoformat(),
                  "--as", "bj_duty")
    assert refused.returncode == 1
    assert "supervision.out_of_jurisdiction" in refused.stderr and "Law art. 30" in refused.stderr
    held = run("interview", "bj-bank", "--title", "数据泄露风险 data leak risk",
               "--interviewee", "李四", "--role", "principal",
               "--held", (now - timedelta(hours=1)).isoformat(),
               "--findings", "客户数据库暴露于互联网 the customer database is exposed",
               "--requirements", "七日内下线并加固 take it offline and harden it",
               "--due", (now + timedelta(days=7)).isoformat(), "--as", "bj_duty")
    assert held.returncode == 0, held.stderr
    ref = held.stdout.split()[0]
    assert ref.startswith("INT-") and "约谈" in held.stdout and "issued" in held.stdout
    listed = run("list", "--as", "bj_reporter")
    assert ref in listed.stdout and "已下达" in listed.stdout
    reported = run("rectify", ref, "--measures", "已下线数据库 taken offline", "--evidence",
                   "扫描报告 scan report", "--as", "bj_reporter")
    assert reported.returncode == 0 and "rectification reported" in reported.stdout
    closed = run("verify", ref, "--note", "核验通过", "--as", "bj_duty")
    assert closed.returncode == 0 and "verified and closed" in closed.stdout
    again = run("rectify", ref, "--measures", "再次 again", "--evidence", "同上 same",
                "--as", "bj_reporter")
    assert again.returncode == 1 and "already closed" in again.stderr
    shown = run("show", ref, "--as", "bj_duty")
    assert "李四" in shown.stdout and "主要负责人" in shown.stdout and "扫描报告" in shown.stdout
    assert shown.stdout.index(" issued by") < shown.stdout.index(" closed by")
