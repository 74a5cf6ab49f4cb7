"""Accountability from the command line (Plan §7.10), on both databases: a commendation naming
persons, a decision about a responsible person (处分) recorded, refused outside the decider's
authority, listed, and shown with the body in the accountability table. Runs on the real
clock."""

from __future__ import annotations

from datetime import date

from tests.cli import clean_env, fenghuo


def test_commend_persons_and_record_a_decision(db_url, tmp_path):
    env = clean_env(FENGHUO_DATABASE_URL=db_url)

    def cli(*args: str, code: int = 0):
        r = fenghuo(*args, env=env, cwd=tmp_path)
        assert r.returncode == code, r.stdout + r.stderr
        return r

    out = cli("commend", "bj-support", "--reason", "协助处置勒索事件",
              "--person", "李四|安全工程师", "--person", "赵六|运维主管|bj-bank",
              "--as", "bj_duty").stdout
    assert "已表彰 bj-support" in out and "李四 安全工程师 (bj-support)" in out
    assert "赵六 运维主管 (bj-bank)" in out
    r = cli("commend", "bj-support", "--reason", "协助处置", "--person", "只有名字",
            "--as", "bj_duty", code=2)
    assert "name|position" in r.stdout + r.stderr

    decide = ("discipline", "record", "张三", "--position", "信息科技部总经理", "--body",
              "bj-bank", "--conduct", "no_exercise", "--sanction", "warning",
              "--matter", "全年未开展演练", "--reason", "未按规定组织演练")
    r = cli(*decide[:6], "sh-bank", *decide[7:], "--as", "bj_duty", code=1)
    assert "accountability.outside_authority" in r.stderr and "Plan §7.10" in r.stderr
    r = cli(*decide[:10], "other", *decide[11:], "--as", "bj_duty", code=1)
    assert "sanction_text" in r.stderr
    out = cli(*decide, "--as", "bj_duty").stdout
    assert "已记录" in out and "张三（信息科技部总经理）" in out and "警告" in out

    listed = cli("discipline", "list", "--as", "bj_ro").stdout
    assert "1 decision(s)" in listed and "张三" in listed and "110000.office" in listed
    assert "0 decision(s)" in cli("discipline", "list", "--as", "sh_admin").stdout

    today = date.today()
    table = cli("accountability", "--period", f"{today:%Y-%m}", "--as", "bj_admin").stdout
    assert "张三" in table and "李四" in table
