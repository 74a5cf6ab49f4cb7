"""``fenghuo bulletin weekly --week 2026-W46 --pdf --html --send`` over the seeded month, on both
databases (Plan §3.2; Support rights 2)."""

from __future__ import annotations

import subprocess

from tests.cli import clean_env, fenghuo
from tests.integration.test_bulletins import seed_month


def test_weekly_bulletin_from_the_command_line(rt, db_url, tmp_path):
    seed_month(rt)
    env = clean_env(FENGHUO_DATABASE_URL=db_url)
    pdf, html = tmp_path / "w46.pdf", tmp_path / "w46.html"
    r = fenghuo("bulletin", "weekly", "--week", "2026-W46", "--as", "cncert_duty", "--pdf",
                str(pdf), "--html", str(html), "--send", "--to", "110000.office", env=env,
                cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "网络安全信息与动态周报" in r.stdout and "TLP:GREEN" in r.stdout
    assert "sent to 2" in r.stdout and "bj-support" in r.stdout
    assert pdf.read_bytes().startswith(b"%PDF") and "2026年第46周" in html.read_text()
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "网络安全信息与动态周报" in text
    r = fenghuo("bulletin", "weekly", "--week", "2026-W46", "--as", "cncert_duty", "--send",
                env=env, cwd=tmp_path)
    assert r.returncode == 0 and "sent to 0" in r.stdout, r.stderr
    r = fenghuo("bulletin", "monthly", "--month", "2026-11", "--as", "bj_support", env=env,
                cwd=tmp_path)
    assert r.returncode == 1 and "warning:issue" in r.stderr
