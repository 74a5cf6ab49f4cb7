"""Signed checkpoints anchor the audit chain outside the database (issue 18 item 6): a cut tail, a
rewound head, a wiped-and-reset log or a rewritten chain is caught against them, and so is a
forged checkpoint; a deleted head row is reported by ``verify``, never a crash, and never stops
the delivery of notifications (等保 2.0 GB/T 22239-2019 8.1.4.3 c: audit records protected
from unexpected deletion, modification or overwriting; Law art. 21 (3): logs kept)."""

from __future__ import annotations

import json
import os
import stat

import pytest
from sqlalchemy import select, text

from fenghuo.audit import checkpoints as cps
from fenghuo.audit import rules, signing
from fenghuo.audit import service as audit
from fenghuo.audit.models import AuditEntry, AuditHead
from fenghuo.common.pagination import PageParams
from fenghuo.config import Settings
from fenghuo.org import bodies
from fenghuo.org.schemas import BodyPatch
from fenghuo.workers.dispatch import Worker
from tests.integration.test_delivery import major, wire
from tests.peers import SMTPPeer, WebhookPeer
from tests.waits import wait_until


@pytest.fixture
def key(tmp_path):
    path = tmp_path / "keys" / "audit.key"
    path.parent.mkdir()
    signing.keygen(path)
    return path


def config(tmp_path, key=None, url=None) -> cps.CheckpointConfig:  # noqa: ANN001
    return cps.CheckpointConfig(file=tmp_path / "checkpoints.jsonl", signing_key=key, url=url)


def change(rt, principal, note: str) -> None:
    bodies.update_body(rt.uow, rt.clock, principal=principal("bj_admin"), key="bj-telco",
                       patch=BodyPatch(notes=note))


def head(rt) -> tuple[int, str]:
    with rt.uow() as s:
        h = s.get(AuditHead, audit.HEAD_ID)
        return h.seq, h.hash


def rewind_to(rt, seq: int) -> None:
    """The attacker's two statements: cut the tail and set the head to the new last row."""
    with rt.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq > :n"), {"n": seq})
        last = conn.execute(text("SELECT hash FROM audit_log WHERE seq = :n"), {"n": seq})
        digest = last.scalar() if seq else rules.GENESIS
        conn.execute(text("UPDATE audit_head SET seq = :n, hash = :h"), {"n": seq, "h": digest})


def checkpoint_problems(result: audit.VerifyResult) -> list[rules.Break]:
    return [b for b in result.breaks if b.checkpoint]


def test_an_untampered_chain_with_checkpoints_passes(rt, principal, tmp_path, key):
    conf = config(tmp_path, key)
    first = audit.write_checkpoint(rt.uow, now=rt.clock.now(), config=conf)
    assert first.signed and first.posted is None and first.problems == []
    assert (first.checkpoint.seq, first.checkpoint.hash) == head(rt)
    assert first.checkpoint.count == first.checkpoint.seq  # rows 1..n, no gaps
    change(rt, principal, "after the first checkpoint")
    rt.clock.advance(hours=1)
    second = audit.write_checkpoint(rt.uow, now=rt.clock.now(), config=conf)
    assert second.checkpoint.seq == first.checkpoint.seq + 1 and second.problems == []
    change(rt, principal, "after the second")  # rows after the last checkpoint are fine
    result = audit.verify(rt.uow, checkpoints=conf)
    assert result.ok, result.breaks
    assert result.checkpoints == 2 and result.warnings == []
    line = json.loads(conf.file.read_text().splitlines()[0])
    assert line["alg"] == "ed25519" and line["seq"] == first.checkpoint.seq and line["sig"]
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600


def test_a_cut_tail_with_a_rewound_head_is_caught(rt, principal, tmp_path, key):
    conf = config(tmp_path, key)
    seq, _ = head(rt)
    audit.write_checkpoint(rt.uow, now=rt.clock.now(), config=conf)
    rewind_to(rt, seq - 3)
    assert audit.verify(rt.uow).ok  # the chain alone cannot see it: the reported hole
    [problem] = checkpoint_problems(audit.verify(rt.uow, checkpoints=conf))
    assert problem.checkpoint.startswith(f"checkpoint line 1 (row {seq} at ")
    assert f"chain ends at row {seq - 3} but the checkpoint saw row {seq}" in problem.problem
    # and the next checkpoint, written over the cut chain, says so at once
    again = audit.write_checkpoint(rt.uow, now=rt.clock.now(), config=conf)
    assert any("chain ends at row" in p for p in again.problems)


def test_a_rewound_head_that_grew_again_is_caught(rt, principal, tmp_path, key):
    """Rows cut and the head rewound, then new changes chained past the checkpoint's row: the
    chain is whole again, but the row at the checkpoint's sequence has another hash."""
    conf = config(tmp_path, key)
    seq, _ = head(rt)
    audit.write_checkpoint(rt.uow, now=rt.clock.now(), config=conf)
    rewind_to(rt, seq - 2)
    for i in range(3):
        change(rt, principal, f"regrow {i}")
    assert audit.verify(rt.uow).ok
    [problem] = checkpoint_problems(audit.verify(rt.uow, checkpoints=conf))
    assert problem.seq == seq and "the chain was rewritten at or before this row" in problem.problem


def test_a_wiped_and_reset_log_is_caught(rt, tmp_path, key):
    conf = config(tmp_path, key)
    audit.write_checkpoint(rt.uow, now=rt.clock.now(), config=conf)
    rewind_to(rt, 0)
    assert audit.verify(rt.uow).ok and audit.verify(rt.uow).rows == 0
    [problem] = checkpoint_problems(audit.verify(rt.uow, checkpoints=conf))
    assert "chain ends at row 0" in problem.problem and "wiped" in problem.problem


def test_a_rewritten_chain_is_caught(rt, tmp_path, key):
    """A row before the checkpoint edited and every hash after it recomputed, the head too: the
    chain verifies, the checkpoint does not match."""
    conf = config(tmp_path, key)
    cp = audit.write_checkpoint(rt.uow, now=rt.clock.now(), config=conf).checkpoint
    with rt.uow() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.seq >= 5)
                            .order_by(AuditEntry.seq)).all()
        prev = s.scalar(select(AuditEntry.hash).where(AuditEntry.seq == 4))
        entries[0].actor = "nobody"
        for e in entries:
            e.prev_hash = prev
            e.hash = prev = rules.link_hash(audit._as_link(e))
        s.get(AuditHead, audit.HEAD_ID).hash = prev
    assert audit.verify(rt.uow).ok
    [problem] = checkpoint_problems(audit.verify(rt.uow, checkpoints=conf))
    assert problem.seq == cp.seq and "rewritten" in problem.problem


def test_forged_and_foreign_checkpoint_lines_are_reported(rt, tmp_path, key):
    conf = config(tmp_path, key)
    audit.write_checkpoint(rt.uow, now=rt.clock.now(), config=conf)
    seq, digest = head(rt)
    [line] = conf.file.read_text().splitlines()
    forged = {**json.loads(line), "seq": seq + 50}  # a checkpoint moved, its signature kept
    other = tmp_path / "other.key"
    signing.keygen(other)
    foreign = cps.line_of(rules.Checkpoint(seq, digest, rt.clock.now(), seq),
                          signing.load_signer(other))
    unsigned = cps.line_of(rules.Checkpoint(seq, digest, rt.clock.now(), seq), None)
    with conf.file.open("a") as f:
        f.write(json.dumps(forged) + "\n" + foreign + "\n" + unsigned + "\nnot json\n")
    result = audit.verify(rt.uow, checkpoints=conf)
    problems = {b.checkpoint.split(" (")[0]: b.problem for b in result.breaks}
    assert set(problems) == {"checkpoint line 2", "checkpoint line 3", "checkpoint line 5"}
    assert "signature does not verify" in problems["checkpoint line 2"]
    assert "signature does not verify (signed with another key)" in problems["checkpoint line 3"]
    assert "not a valid checkpoint" in problems["checkpoint line 5"]
    assert any("line 4" in w and "unsigned" in w for w in result.warnings)
    # the public key alone verifies (the verifier's host need not hold the private key)
    public = cps.CheckpointConfig(file=conf.file, verify_key=key.with_name("audit.key.pub"))
    assert {b.checkpoint.split(" (")[0] for b in audit.verify(rt.uow, checkpoints=public)
            .breaks} == set(problems)


def test_unsigned_checkpoints_still_anchor_the_chain(rt, tmp_path):
    """Without a signing key checkpoints are written unsigned (with a warning): they still catch
    what was done inside the database only."""
    conf = config(tmp_path)
    written = audit.write_checkpoint(rt.uow, now=rt.clock.now(), config=conf)
    assert not written.signed and json.loads(written.line)["sig"] is None
    rewind_to(rt, written.checkpoint.seq - 1)
    result = audit.verify(rt.uow, checkpoints=conf)
    assert [b.seq for b in checkpoint_problems(result)] == [written.checkpoint.seq - 1]
    assert any("unsigned" in w for w in result.warnings)
    assert any("no verify key" in w for w in result.warnings)


def test_without_a_checkpoints_file_verify_warns(rt, tmp_path):
    result = audit.verify(rt.uow, checkpoints=config(tmp_path))
    assert result.ok and result.checkpoints == 0
    assert any("no checkpoints file" in w for w in result.warnings)


def test_a_deleted_head_row_is_reported_and_chaining_goes_on(rt, principal, tmp_path, key):
    conf = config(tmp_path, key)
    seq, _ = head(rt)
    audit.write_checkpoint(rt.uow, now=rt.clock.now(), config=conf)
    with rt.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_head"))
    result = audit.verify(rt.uow, checkpoints=conf)  # no NoResultFound
    assert not result.ok
    [missing] = [b for b in result.breaks if rules.HEAD_MISSING in b.problem]
    assert missing.seq == seq + 1  # the row recording the loss, chained after the last one
    assert not checkpoint_problems(result)  # nothing before the checkpoint was lost
    change(rt, principal, "after the head was lost")
    audit.chain_pending(rt.uow)
    assert head(rt)[0] == seq + 2  # chaining continued from the last row
    again = audit.verify(rt.uow)
    assert [b.seq for b in again.breaks] == [seq + 1]  # still reported, every time
    page = audit.list_entries(rt.uow, scope=principal("nat_admin").scope,
                              page=PageParams(limit=5))
    assert any(e.action == rules.HEAD_RECREATED for e in page.items)


def test_verify_reports_a_missing_head_when_it_cannot_chain(rt, tmp_path, monkeypatch):
    seq, _ = head(rt)
    with rt.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_head"))

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003
        raise RuntimeError("audit tables unavailable")

    monkeypatch.setattr(audit, "chain_pending", broken)
    result = audit.verify(rt.uow)
    assert [(b.seq, b.problem.split(":")[0]) for b in result.breaks] == [
        (seq, rules.HEAD_MISSING)]
    assert any("could not be chained" in w for w in result.warnings)


def worker_for(rt, smtp_port: int, tmp_path, **settings) -> Worker:  # noqa: ANN003
    rt.settings = Settings(database_url=str(rt.engine.url.render_as_string(False)),
                           smtp_host="127.0.0.1", smtp_port=smtp_port,
                           audit_checkpoint_file=tmp_path / "checkpoints.jsonl", **settings)
    worker = Worker.from_runtime(rt)
    worker.PERIODIC = ()  # the loop under test: sweep, collect, chain, deliver
    return worker


def run_until_delivered(worker: Worker, smtp: SMTPPeer, hook: WebhookPeer) -> None:
    thread = worker.start_thread()
    try:
        wait_until(lambda: smtp.box.messages and hook.requests,
                   "the major incident's email and webhook are delivered")
    finally:
        worker.stop()
        thread.join(30)


def test_a_deleted_head_row_does_not_stop_delivery(rt, principal, clock, tmp_path):
    """The worker's loop with the head row gone: the major incident's notifications are
    delivered (Plan §4.1: a major incident reported at once), the audit goes on."""
    with rt.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_head"))
    with SMTPPeer() as smtp, WebhookPeer() as hook:
        wire(rt, principal, hook.url)
        incident = major(rt, principal, clock)
        worker = worker_for(rt, smtp.port, tmp_path)
        run_until_delivered(worker, smtp, hook)
        assert incident.ref in smtp.box.messages[0]["Subject"]
        assert hook.requests[0]["json"]["ref"] == incident.ref
    assert worker.audit_failures["chain"] == 0
    assert any(rules.HEAD_MISSING in b.problem for b in audit.verify(rt.uow).breaks)


def test_a_failing_audit_does_not_stop_delivery(rt, principal, clock, tmp_path, monkeypatch):
    """Whatever fails in the audit tables is logged and counted; delivery goes on."""
    def broken(*args, **kwargs):  # noqa: ANN002, ANN003
        raise RuntimeError("audit tables unavailable")

    monkeypatch.setattr(audit, "chain_pending", broken)
    with SMTPPeer() as smtp, WebhookPeer() as hook:
        wire(rt, principal, hook.url)
        major(rt, principal, clock)
        worker = worker_for(rt, smtp.port, tmp_path)
        run_until_delivered(worker, smtp, hook)
    assert worker.audit_failures["chain"] >= 1
    assert worker.chain_audit_if_due(every_seconds=0) == 0  # backing off, not raising


def test_the_worker_checkpoints_and_posts_to_the_second_party(rt, tmp_path, key):
    with WebhookPeer() as peer:
        worker = worker_for(rt, 25, tmp_path, audit_signing_key=key,
                            audit_checkpoint_url=peer.url)
        assert worker.checkpoint_if_due() is None  # not due yet: five minutes after start
        worker._next_checkpoint = 0
        written = worker.checkpoint_if_due()
        assert written is not None and written.posted is True and written.signed
        assert worker.checkpoint_if_due() is None  # next one an interval later
        [req] = peer.requests
    assert req["headers"]["Content-Type"] == "application/json"
    assert req["json"] == json.loads(written.line)
    assert (req["json"]["seq"], req["json"]["hash"]) == head(rt)
    # what the second party received verifies with the public key alone
    verifier = signing.load_verifier(key.with_name("audit.key.pub"))
    assert cps.check_line(1, req["body"].decode(), verifier).signature == "good"
    assert (tmp_path / "checkpoints.jsonl").read_text().strip() == written.line


def test_a_checkpoint_the_second_party_refuses_is_kept_in_the_file(rt, tmp_path, key):
    with WebhookPeer() as gone:
        url = gone.url  # nobody listens there any more
    conf = config(tmp_path, key, url)
    written = audit.write_checkpoint(rt.uow, now=rt.clock.now(), config=conf)
    assert written.posted is False and "not posted" in written.problems[0]
    assert conf.file.read_text().strip() == written.line


def test_a_failing_checkpoint_is_counted_not_raised(rt, tmp_path):
    worker = worker_for(rt, 25, tmp_path, audit_signing_key=tmp_path / "no-such.key")
    worker._next_checkpoint = 0
    assert worker.checkpoint_if_due() is None
    assert worker.audit_failures["checkpoint"] == 1
    assert not (tmp_path / "checkpoints.jsonl").exists()
