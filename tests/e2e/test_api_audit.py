"""``GET /api/v1/audit/verify`` reports a deleted head row and a tail cut past a signed
checkpoint as breaks (ok false), never a server error (issue 18 item 6; 等保 2.0
GB/T 22239-2019 8.1.4.3 c)."""

from __future__ import annotations

from sqlalchemy import text

from fenghuo.audit import checkpoints, signing
from fenghuo.audit import service as audit
from fenghuo.config import Settings


def test_verify_reports_a_missing_head_and_a_cut_tail(rt, client, headers, tmp_path):
    signing.keygen(tmp_path / "audit.key")
    rt.settings = Settings(database_url=str(rt.engine.url.render_as_string(False)),
                           audit_checkpoint_file=tmp_path / "cp.jsonl",
                           audit_signing_key=tmp_path / "audit.key")
    cp = audit.write_checkpoint(rt.uow, now=rt.clock.now(),
                                config=checkpoints.config_of(rt.settings)).checkpoint
    r = client.get("/api/v1/audit/verify", headers=headers("nat_admin"))
    assert r.status_code == 200 and r.json()["ok"] is True and r.json()["checkpoints"] == 1
    with rt.engine.begin() as conn:
        conn.execute(text(f"DELETE FROM audit_log WHERE seq > {cp.seq - 2}"))
        conn.execute(text("DELETE FROM audit_head"))
    r = client.get("/api/v1/audit/verify", headers=headers("nat_admin"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is False
    problems = {b["problem"].split(":")[0] for b in body["breaks"] if not b["checkpoint"]}
    assert problems == {"head row missing"}
    [cut] = [b for b in body["breaks"] if b["checkpoint"]]
    assert cut["checkpoint"].startswith("checkpoint line 1")
    assert f"chain ends at row {cp.seq - 1} but the checkpoint saw row {cp.seq}" in cut["problem"]
