"""The support network from the command line (Support obligations 5, 9): CNCERT adds a round and
admits a unit, the unit logs 39 hours last month and sees the obligation unmet, then 40 hours
met; the rubric is shown — on both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.cli import clean_env, fenghuo


def test_a_short_support_scenario(db_url, tmp_path):
    env = clean_env(FENGHUO_DATABASE_URL=db_url)

    def cli(*args):  # noqa: ANN202
        return fenghuo(*args, env=env, cwd=tmp_path)

    today = (datetime.now(UTC) + timedelta(hours=8)).date()  # China Standard Time
    last = (today.replace(day=1) - timedelta(days=1)).replace(day=1)  # first of last month
    r = cli("support", "round", "add", "4", "第四届", "Round 4", "--starts", "2026-01-01",
            "--as", "cncert_duty")
    assert r.returncode == 0, r.stderr
    r = cli("support", "admit", "bj-support", "--round", "4", "--on", last.isoformat(),
            "--as", "cncert_duty")
    assert r.returncode == 0 and "admitted" in r.stdout, r.stderr
    for i in range(3):  # 3 × 13 h = 39 h
        r = cli("support", "log", "bj-support", "--minutes", "780", "--with", "110000.cncert",
                "--on", (last + timedelta(days=i)).isoformat(), "--as", "bj_support")
        assert r.returncode == 0, r.stderr
    month = f"{last:%Y-%m}"
    r = cli("support", "obligations", "bj-support", "--month", month, "--as", "bj_ro")
    assert r.returncode == 0 and "未履行 unmet" in r.stdout and "5×8" in r.stdout, r.stderr
    r = cli("support", "log", "bj-support", "--minutes", "60", "--with", "110000.cncert",
            "--on", (last + timedelta(days=4)).isoformat(), "--as", "bj_support")
    r = cli("support", "obligations", "bj-support", "--month", month, "--as", "bj_ro", "--json")
    hours = {o["code"]: o for o in json.loads(r.stdout)["months"][0][
        "obligations"]}["hours"]
    assert (hours["status"], hours["value"]) == ("met", 40)
    r = cli("support", "log", "bj-support", "--minutes", "0", "--as", "bj_support")
    assert r.returncode == 1 and "minutes" in r.stderr
    r = cli("support", "evaluate", "bj-support", f"{last.year}-H1", "--as",
            "cncert_duty")
    assert r.returncode == 0 and "/100" in r.stdout, r.stderr
