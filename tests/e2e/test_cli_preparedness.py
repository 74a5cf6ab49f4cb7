"""Preparedness from the command line (Plan §6.2, §7.8, §8.1), as the Beijing office would run
it: a plan evaluated thirteen months ago shows overdue, the province is non-compliant until an
exercise is held and reported — on both databases. The CLI runs on the real clock."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

from fenghuo.common.periods import add_months
from tests.cli import clean_env, fenghuo

EXERCISE_REF = re.compile(r"\bEX-\d{8}-[0-9A-F]{8}\b")


def test_plans_exercises_and_compliance(db_url, tmp_path):
    env = clean_env(FENGHUO_DATABASE_URL=db_url)

    def cli(*args: str):
        r = fenghuo(*args, env=env, cwd=tmp_path)
        assert r.returncode == 0, r.stdout + r.stderr
        return r.stdout

    today = date.today()

    def office_exercise() -> dict:
        page = json.loads(cli("compliance", "--duty", "exercise", "--json", "--as", "bj_duty"))
        row = next(r for r in page["items"] if r["body"] == "110000.office")
        return row["duties"][0]

    assert office_exercise()["status"] == "missing"

    out = cli("plan", "add", "--body", "110000.office", "--key", "main", "--title", "总体预案",
              "--version", "1.0", "--owner", "王伟", "--document", "plans/main.pdf",
              "--adopted-on", add_months(today, -13).isoformat(), "--as", "bj_admin")
    assert "已逾期 overdue" in out and "Plan §8.1" in out
    assert "已逾期 overdue" in cli("plan", "list", "--status", "overdue", "--as", "bj_ro")

    out = cli("exercise", "plan", "--organizer", "110000.office", "--title", "桌面推演",
              "--scope", "金融 finance", "--scenario", "ransomware", "--form", "tabletop",
              "--participant", "bj-bank", "--planned-for", today.isoformat(),
              "--as", "bj_duty")
    ref = EXERCISE_REF.search(out)[0]
    cli("exercise", "held", ref, "--held-on", (today - timedelta(days=1)).isoformat(),
        "--findings", "escalation slow", "--as", "bj_duty")
    assert office_exercise()["status"] == "not_reported"
    assert "已报送" in cli("exercise", "report", ref, "--as", "bj_duty")
    assert office_exercise()["status"] == "ok"

    r = fenghuo("plan", "evaluate", "1", "--outcome", "revised", "--as", "bj_admin", env=env,
                cwd=tmp_path)
    assert r.returncode == 1 and "new_version" in r.stderr  # a revision needs a new version
