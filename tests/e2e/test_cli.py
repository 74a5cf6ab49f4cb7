"""The command line as a new user runs it: first start, import, tree, export, audit verify."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from fenghuo.common.errors import Unauthorized
from fenghuo.org import accounts
from tests.conftest import PASSWORD

EXAMPLE = Path(__file__).parents[2] / "examples" / "jincheng.yaml"


def fenghuo(*args: str, env: dict, cwd: Path, input: str | None = None
            ) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fenghuo.cli.main", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, input=input, timeout=120)


@pytest.fixture
def env(db_url: str) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith("FENGHUO_")}
    return {**base, "FENGHUO_DATABASE_URL": db_url, "COLUMNS": "200", "NO_COLOR": "1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(cwd: Path, env: dict, port: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "fenghuo.cli.main", "serve", "--port",
                             str(port)], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines, deadline = [], time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if "Uvicorn running" in line or proc.poll() is not None:
            break
    return proc, "".join(lines)


def test_first_start_on_the_embedded_default(tmp_path):
    """README's first command: a bare directory becomes a running system with an admin login."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FENGHUO_")}
    env.update(COLUMNS="200", NO_COLOR="1")
    port = free_port()
    proc, output = start_server(tmp_path, env, port)
    try:
        match = re.search(r"password: (\S+)", output)
        assert match, output
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/docs").status_code == 200
        r = httpx.post(f"{base}/api/v1/auth/token",
                       data={"username": "admin", "password": match.group(1)})
        assert r.status_code == 200, r.text
        auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
        tree = httpx.get(f"{base}/api/v1/org/tree", headers=auth).json()
        assert len(tree["children"]) == 32
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert (tmp_path / "fenghuo-data" / "fenghuo.db").exists()
    proc, output = start_server(tmp_path, env, port)
    proc.terminate()
    proc.wait(timeout=30)
    assert "password:" not in output and "Uvicorn running" in output  # printed once only


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
    assert r.returncode == 1 and "at least 10" in r.stderr


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
