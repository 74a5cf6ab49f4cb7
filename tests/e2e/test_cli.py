"""The command line as a new user runs it: first start, import, tree, export, audit verify.

Commands run in process (tests/cli.py) unless the process itself is what is tested: the first
start, ``--help`` and exit codes from a real interpreter."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from fenghuo.common.errors import Unauthorized
from fenghuo.org import accounts, throttle
from tests.cli import clean_env, fenghuo, fenghuo_process
from tests.conftest import PASSWORD
from tests.servers import Server
from tests.waits import scaled

EXAMPLE = Path(__file__).parents[2] / "examples" / "jincheng.yaml"
#: what `fenghuo --help` must not load (issue 14 item 4): the database layer, the web stack,
#: PDF, STIX and MISP are imported only by the commands that use them
HEAVY = ("sqlalchemy", "fastapi", "uvicorn", "weasyprint", "stix2", "pymisp", "alembic",
         "fenghuo.bootstrap")


@pytest.fixture
def env(db_url: str) -> dict:
    return clean_env(FENGHUO_DATABASE_URL=db_url)


def test_first_start_on_the_embedded_default(tmp_path):
    """README's first command: a bare directory becomes a running system with an admin login."""
    env = clean_env()
    with Server(env=env, cwd=tmp_path, log=tmp_path / "first.log") as server:
        match = re.search(r"password: (\S+)", server.output())
        assert match, server.output()
        base = server.base
        assert httpx.get(f"{base}/docs", timeout=scaled(30)).status_code == 200
        r = httpx.post(f"{base}/api/v1/auth/token", timeout=scaled(30),
                       data={"username": "admin", "password": match.group(1)})
        assert r.status_code == 200, r.text
        auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
        tree = httpx.get(f"{base}/api/v1/org/tree", timeout=scaled(30), headers=auth).json()
        assert len(tree["children"]) == 32
    assert (tmp_path / "fenghuo-data" / "fenghuo.db").exists()
    with Server(env=env, cwd=tmp_path, log=tmp_path / "second.log") as again:
        output = again.output()
    assert "password:" not in output and "Uvicorn running" in output  # printed once only


def test_help_and_exit_codes_of_the_real_process(tmp_path):
    """As a shell sees it: `--help` exits 0 listing every command, a usage error exits 2, a
    refused command 1; `--help` loads none of the heavy libraries."""
    env = clean_env(FENGHUO_DATABASE_URL=f"sqlite:///{tmp_path / 'f.db'}")
    r = fenghuo_process("--help", env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    for name in ("serve", "report", "warning", "support", "bulletin", "stix", "misp", "audit"):
        assert re.search(rf"│ {name}\s", r.stdout), name
    assert fenghuo_process("no-such-command", env=env, cwd=tmp_path).returncode == 2
    missing = fenghuo_process("report", str(tmp_path / "none.yaml"), "--as", "x", env=env,
                              cwd=tmp_path)
    assert missing.returncode == 2 and "none.yaml" in missing.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: [unclosed\n")
    r = fenghuo_process("report", str(bad), "--as", "nobody", env=env, cwd=tmp_path)
    assert r.returncode == 1 and "not valid YAML" in r.stderr
    probe = ("import json, sys; sys.argv = ['fenghuo', '--help']\n"
             "from fenghuo.cli.main import app\n"
             "try:\n    app()\nexcept SystemExit:\n    pass\n"
             "print(json.dumps(sorted(sys.modules)), file=sys.stderr)")
    loaded = json.loads(fenghuo_python(probe, env, tmp_path).stderr.strip().splitlines()[-1])
    assert [m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY] == []


def fenghuo_python(code: str, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=scaled(120), check=True)


def test_import_tree_export(env, tmp_path):
    r = fenghuo("org", "import", str(EXAMPLE), env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert re.search(r"bodies\s+│\s+5", r.stdout)
    r = fenghuo("org", "tree", env=env, cwd=tmp_path)
    assert "晋城市网络安全办" in r.stdout and "Zezhou County" in r.stdout
    r = fenghuo("org", "tree", "--as", "bj_admin", env=env, cwd=tmp_path)
    assert r.returncode == 0 and "北京" in r.stdout and "晋城" not in r.stdout
    r = fenghuo("org", "export", "--format", "csv", "--out", str(tmp_path / "csv"), env=env,
                cwd=tmp_path)
    assert r.returncode == 0
    assert "jc.zezhou-water,scada" in (tmp_path / "csv" / "systems.csv").read_text()


def test_bad_import_names_row_and_field_and_writes_nothing(env, tmp_path):
    bad = tmp_path / "bodies.csv"
    bad.write_text("key,kind,jurisdiction,name_zh,name_en,sectors\n"
                   "cli-op,operator,110000,甲,A,finance\n"
                   "cli-op2,operator,110000,乙,B,nuclear\n")
    r = fenghuo("org", "import", str(bad), env=env, cwd=tmp_path)
    assert r.returncode == 1
    assert "bodies.csv: row 3: sectors: unknown sector 'nuclear'" in r.stderr
    r = fenghuo("org", "export", env=env, cwd=tmp_path)
    assert "cli-op" not in r.stdout


def test_user_create_then_login(env, tmp_path, rt):
    r = fenghuo("user", "create", "carol", "--body", "bj-bank", "--role", "operator_reporter",
                env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    password = re.search(r"password \(shown once\): (\S+)", r.stdout).group(1)
    login = accounts.login(rt.uow, rt.clock, username="carol", password=password,
                           session_hours=1)
    assert accounts.authenticate(rt.uow, rt.clock, token=login.access_token).username == "carol"
    r = fenghuo("user", "create", "dave", "--body", "nowhere", "--role", "analyst", env=env,
                cwd=tmp_path)
    assert r.returncode == 1 and "body: no body 'nowhere'" in r.stderr
    r = fenghuo("user", "create", "erin", "--body", "sh-bank", "--role", "analyst", "--as",
                "bj_admin", env=env, cwd=tmp_path)
    assert r.returncode == 1  # outside bj_admin's scope


def test_password_change_prompts(env, tmp_path, rt):
    r = fenghuo("user", "passwd", "bj_ro", env=env, cwd=tmp_path,
                input="a-new-long-password\na-new-long-password\n")
    assert r.returncode == 0, r.stderr
    with pytest.raises(Unauthorized):
        accounts.login(rt.uow, rt.clock, username="bj_ro", password=PASSWORD, session_hours=1)
    accounts.login(rt.uow, rt.clock, username="bj_ro", password="a-new-long-password",
                   session_hours=1)
    r = fenghuo("user", "passwd", "bj_ro", "--password", "short", env=env, cwd=tmp_path)
    assert r.returncode == 1 and "at least 12" in r.stderr  # the password policy


def test_user_unlock_lifts_a_lockout(env, tmp_path, rt):
    """An operator lifts a login lockout before it expires (GB/T 22239-2019 8.1.4.1 b)."""
    for _ in range(10):
        with pytest.raises(Unauthorized):
            accounts.login(rt.uow, rt.clock, username="bj_ro", password="wrong-password",
                           session_hours=1, address="192.0.2.9")
    with pytest.raises(throttle.LoginLocked):
        accounts.login(rt.uow, rt.clock, username="bj_ro", password=PASSWORD, session_hours=1)
    r = fenghuo("user", "unlock", "bj_ro", "--address", "192.0.2.9", env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "unlocked" in r.stdout
    assert accounts.login(rt.uow, rt.clock, username="bj_ro", password=PASSWORD,
                          session_hours=1, address="192.0.2.9").access_token
    r = fenghuo("user", "unlock", "nobody", env=env, cwd=tmp_path)
    assert r.returncode == 1 and "no user 'nobody'" in r.stderr


def test_audit_verify_catches_a_row_edited_by_hand(env, tmp_path, db_url):
    r = fenghuo("audit", "verify", env=env, cwd=tmp_path)
    assert r.returncode == 0 and "intact" in r.stdout
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET detail = '{}' WHERE seq = 3"))
    engine.dispose()
    r = fenghuo("audit", "verify", env=env, cwd=tmp_path)
    assert r.returncode == 1
    assert "row 3: row content does not match its hash (edited)" in r.stderr
