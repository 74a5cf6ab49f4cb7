"""The support network from the command line (Support obligations 5, 9, 五): CNCERT adds a round
and admits a unit for the last month of the previous half-year, the unit logs 39 hours in it
and sees obligation 5 unmet on the half's average (平均每月), then 40 hours met; the rubric is
shown; CNCERT ends the unit's status with a decision, and the memberships and decisions show
it — on both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from fenghuo.common.periods import Half
from tests.cli import clean_env, fenghuo


def test_a_short_support_scenario(db_url, tmp_path):
    env = clean_env(FENGHUO_DATABASE_URL=db_url)

    def cli(*args):  # noqa: ANN202
        return fenghuo(*args, env=env, cwd=tmp_path)

    today = (datetime.now(UTC) + timedelta(hours=8)).date()  # China Standard Time
    half = Half.of(today).previous()  # over: its average is judged
    last = half.months()[-1].start  # admitted on its last month's 1st: one owed month
    r = cli("support", "round", "add", "4", "第四届", "Round 4", "--starts", "2000-01-01",
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
    assert "平均每月" in r.stdout and "over 1 of 1 owed month(s)" in r.stdout
    r = cli("support", "log", "bj-support", "--minutes", "60", "--with", "110000.cncert",
            "--on", (last + timedelta(days=4)).isoformat(), "--as", "bj_support")
    r = cli("support", "obligations", "bj-support", "--month", month, "--as", "bj_ro", "--json")
    hours = {o["code"]: o for o in json.loads(r.stdout)["months"][0][
        "obligations"]}["hours"]
    assert (hours["status"], hours["value"]) == ("met", 40)
    r = cli("support", "log", "bj-support", "--minutes", "0", "--as", "bj_support")
    assert r.returncode == 1 and "minutes" in r.stderr
    r = cli("support", "evaluate", "bj-support", str(half), "--as", "cncert_duty")
    assert r.returncode == 0 and "/100" in r.stdout, r.stderr
    # CNCERT ends the status at any time (Support 五), on a ground the rubric does not compute
    r = cli("support", "end", "bj-support", "--ground", "obligation_2", "--reason",
            "泄露客户数据 leaked a client's data", "--as", "bj_cert")
    assert r.returncode == 1 and "manage.not_national_cert" in r.stderr
    r = cli("support", "end", "bj-support", "--ground", "obligation_2", "--reason",
            "泄露客户数据 leaked a client's data", "--as", "cncert_duty")
    assert r.returncode == 0 and "已取消资格" in r.stdout, r.stderr
    assert "Support obligation 2" in r.stdout
    r = cli("support", "end", "bj-support", "--ground", "obligation_1", "--reason", "again",
            "--as", "cncert_duty")
    assert r.returncode == 1 and "already ended" in r.stderr
    r = cli("support", "memberships", "--unit", "bj-support", "--as", "bj_ro", "--json")
    m = json.loads(r.stdout)[0]
    assert m["status"] == "disqualified" and m["decision"]["ground"] == "obligation_2"
    r = cli("support", "decisions", "--as", "bj_ro")
    assert r.returncode == 0 and "leaked" in r.stdout and "cncert_duty" in r.stdout, r.stderr
