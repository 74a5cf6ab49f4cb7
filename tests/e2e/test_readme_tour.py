"""The README's first tour, run as written (issue 17 item 18): every command of steps 2–6, 9
and 10, in order, on a new embedded database, each found verbatim in the README's tour, with
the references (WN-…, FH-…, ER-…) that earlier commands printed put in for the ellipses. What
the tour says is refused must be refused; everything else must succeed."""

from __future__ import annotations

import re
import shlex
from datetime import UTC, datetime
from pathlib import Path

from fenghuo.common.periods import CST
from tests.cli import clean_env, fenghuo

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
TOUR = README[README.index("## A first tour"):README.index("## Public tips")]
REFS = re.compile(r"\b(WN|FH|ER|BL|SA|EX)-[0-9]{8}-[0-9A-F]{8}\b")
LOOP = ('for day in 05 12 19; do fenghuo support log bj.anxin-support --minutes 780 --on '
        '2026-10-$day --with 110000.cncert --task "漏洞分析 vulnerability analysis" --as anxin; '
        'done')

#: (command as the README writes it, whether it is refused)
STEPS: list[tuple[str, bool]] = [
    ("fenghuo org import examples/jincheng.yaml", False),
    ("fenghuo org tree", False),
    ("fenghuo user create bj-duty --body 110000.office --role duty_officer", False),
    ("fenghuo org tree --as bj-duty", False),
    ("fenghuo user create ops --body jc.zezhou-water --role operator_reporter", False),
    ("fenghuo report examples/report.yaml --as ops", False),
    ("fenghuo user create jc-duty --body jc.office --role duty_officer", False),
    ("fenghuo user create jc-head --body jc.office --role duty_officer", False),
    ("fenghuo warning draft examples/warning.yaml --as jc-duty", False),
    ("fenghuo warning approve WN-… --as jc-head", False),
    ("fenghuo warning publish WN-… --as jc-duty", False),
    ("fenghuo warning show WN-… --as jc-duty", False),
    ("fenghuo monitoring submit examples/monitoring.yaml --as ops", False),
    ("fenghuo org import examples/national-teams.yaml", False),
    ('fenghuo warning lift WN-… --reason "漏洞已修补，扫描停止 gateways patched, scans stopped" '
     '--as jc-duty', False),
    ("fenghuo report examples/report-especially-major.yaml --as ops", False),
    ("fenghuo user create eo-duty --body cn.emergency-office --role duty_officer", False),
    ("fenghuo user create hq-lead --body cn.emergency-office --role read_only", False),
    ('fenghuo response activate FH-… --level I --member "总指挥 Commander:hq-lead" --as eo-duty',
     False),
    ('fenghuo response end ER-… --reason "事态已得到控制 the incident is contained" --as jc-duty',
     True),
    ('fenghuo response propose-end ER-… --reason "供水已恢复 supply restored" --as eo-duty', False),
    ("fenghuo response approve-end ER-… --as hq-lead", False),
    ("fenghuo response investigation ER-… --file examples/investigation.yaml --as eo-duty", False),
    ("fenghuo dossier FH-… --as eo-duty --pdf dossier.pdf --json dossier.json", False),
    ("fenghuo audit verify", False),
    ("fenghuo org import examples/support-network.yaml", False),
    ("fenghuo user create cncert --body cn.cncert --role duty_officer", False),
    ("fenghuo user create bj-cert --body 110000.cncert --role duty_officer", False),
    ("fenghuo user create anxin --body bj.anxin-support --role support_member", False),
    ('fenghuo support round add 4 第四届 "Fourth round" --starts 2026-01-01 --as cncert', False),
    ("fenghuo support admit bj.anxin-support --round 4 --on 2026-03-01 --as cncert", False),
    (LOOP, False),
    ("fenghuo support obligations bj.anxin-support --month 2026-10 --as bj-cert", False),
    ("fenghuo support obligations bj.anxin-support --half 2026-H1 --as bj-cert", False),
    ("fenghuo support evaluate bj.anxin-support 2026-H1 --as cncert", False),
    ('fenghuo plan add --body 110000.office --key bj-plan --title "北京市网络安全事件应急预案" '
     '--version 2024 --owner "应急处" --document "京网信〔2024〕12号" --adopted-on 2024-06-01 '
     '--as bj-duty', False),
    ("fenghuo plan evaluate 1 --outcome adequate --on -400d --as bj-duty", False),
    ("fenghuo compliance --noncompliant --as bj-duty", False),
    ('fenghuo exercise plan --organizer 110000.office --title "勒索软件桌面推演" --scope '
     '"北京市金融行业" --scenario "勒索软件攻击支付系统 ransomware on payments" '
     '--planned-for today --as bj-duty', False),
    ('fenghuo exercise held EX-… --held-on today --findings "通报链路畅通 the reporting chain '
     'worked" --as bj-duty', False),
    ("fenghuo exercise report EX-… --as bj-duty", False),
    ('fenghuo support dispatch --expert expert-wang --response ER-… --task "木马样本分析 trojan '
     'sample analysis" --as eo-duty', False),
    ("fenghuo support hours SA-… --minutes 240 --as eo-duty", False),
    ("fenghuo response show ER-… --as eo-duty", False),
    ("fenghuo accountability --period 2026-10 --as cncert", False),
    ('fenghuo bulletin monthly --month "$(date +%Y-%m)" --as cncert --pdf monthly.pdf --html '
     'monthly.html', False),
    ("fenghuo bulletin send BL-… --as cncert", False),
    ("fenghuo stix export --as eo-duty -o bundle.json", False),
    ("fenghuo misp export --as eo-duty --out misp.json", False),
]


def _commands(line: str, refs: dict[str, str]) -> list[list[str]]:
    """The argument lists a tour line runs, with the latest references for the ellipses."""
    for prefix, ref in refs.items():
        line = line.replace(f"{prefix}-…", ref)
    line = line.replace("$(date +%Y-%m)", datetime.now(UTC).astimezone(CST).strftime("%Y-%m"))
    if line.startswith("for day in "):
        days = line.split(";")[0].split()[3:]
        body = line.split("do ", 1)[1].rsplit("; done", 1)[0]
        return [shlex.split(body.replace("$day", d))[1:] for d in days]
    return [shlex.split(line)[1:]]


def test_every_tour_command_is_in_the_readme_as_run_here():
    """A change to the tour without this test (or the reverse) fails here."""
    missing = [cmd for cmd, _ in STEPS if cmd not in TOUR]
    assert missing == []


def test_the_first_tour_runs_as_written(tmp_path):
    """On the embedded default (./fenghuo-data), as step 1 leaves it."""
    env = clean_env()
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    assert fenghuo("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    refs: dict[str, str] = {}
    for line, refused in STEPS:
        for args in _commands(line, refs):
            ran = fenghuo(*args, env=env, cwd=tmp_path)
            said = ran.stdout + ran.stderr
            assert (ran.returncode == 1) if refused else (ran.returncode == 0), (line, said)
            if not refused:
                refs.update((m.group(1), m.group(0)) for m in REFS.finditer(ran.stdout))
    assert (tmp_path / "dossier.pdf").stat().st_size > 0
    assert (tmp_path / "monthly.pdf").stat().st_size > 0
