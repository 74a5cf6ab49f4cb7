"""``fenghuo audit keygen``, ``checkpoint`` and ``verify`` as an operator runs them: exit 0 for an
intact chain, 1 for a cut tail caught against a signed checkpoint and for a deleted head row
(reported, not a crash) (issue 18 item 6; 等保 2.0 GB/T 22239-2019 8.1.4.3 c)."""

from __future__ import annotations

import json
import os
import stat

import pytest
from sqlalchemy import create_engine, text

from tests.cli import clean_env, fenghuo


@pytest.fixture
def env(db_url: str, tmp_path) -> dict:
    return clean_env(FENGHUO_DATABASE_URL=db_url,
                     FENGHUO_AUDIT_CHECKPOINT_FILE=str(tmp_path / "anchor" / "cp.jsonl"),
                     FENGHUO_AUDIT_SIGNING_KEY=str(tmp_path / "audit.key"))


def sql(db_url: str, *statements: str) -> None:
    engine = create_engine(db_url)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def test_keygen_checkpoint_and_verify_exit_codes(env, tmp_path, db_url):
    r = fenghuo("audit", "keygen", str(tmp_path / "audit.key"), env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(os.stat(tmp_path / "audit.key").st_mode) == 0o600
    assert (tmp_path / "audit.key.pub").exists()
    again = fenghuo("audit", "keygen", str(tmp_path / "audit.key"), env=env, cwd=tmp_path)
    assert again.returncode == 1 and "never overwritten" in again.stderr

    r = fenghuo("audit", "checkpoint", env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "UNSIGNED" not in r.stderr
    [line] = (tmp_path / "anchor" / "cp.jsonl").read_text().splitlines()
    seq = json.loads(line)["seq"]
    assert f"checkpoint of row {seq}" in r.stdout

    # the verifier needs only the public key
    verify_env = {**env, "FENGHUO_AUDIT_VERIFY_KEY": str(tmp_path / "audit.key.pub")}
    del verify_env["FENGHUO_AUDIT_SIGNING_KEY"]
    r = fenghuo("audit", "verify", env=verify_env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "intact" in r.stdout and "1 checkpoint(s)" in r.stdout

    sql(db_url, f"DELETE FROM audit_log WHERE seq > {seq - 2}",
        f"UPDATE audit_head SET seq = {seq - 2}, "
        f"hash = (SELECT hash FROM audit_log WHERE seq = {seq - 2})")
    r = fenghuo("audit", "verify", env=verify_env, cwd=tmp_path)
    assert r.returncode == 1
    assert f"checkpoint line 1 (row {seq} at" in r.stderr
    assert f"chain ends at row {seq - 2} but the checkpoint saw row {seq}" in r.stderr


def test_verify_reports_a_deleted_head_row(env, tmp_path, db_url):
    sql(db_url, "DELETE FROM audit_head")
    r = fenghuo("audit", "verify", env=env, cwd=tmp_path)
    assert r.returncode == 1
    assert "head row missing" in r.stderr
    assert "no checkpoints file" in r.stderr  # said, not silently skipped


def test_an_unsigned_checkpoint_is_written_with_a_warning(db_url, tmp_path):
    env = clean_env(FENGHUO_DATABASE_URL=db_url,
                    FENGHUO_AUDIT_CHECKPOINT_FILE=str(tmp_path / "cp.jsonl"))
    r = fenghuo("audit", "checkpoint", env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "UNSIGNED" in r.stderr
    assert json.loads((tmp_path / "cp.jsonl").read_text())["sig"] is None
