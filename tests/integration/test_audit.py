"""The audit trail records every change and `verify` catches rows edited or deleted by hand."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select, text

from fenghuo.audit import service as audit
from fenghuo.audit.models import AuditEntry, AuditPending
from fenghuo.common.pagination import PageParams
from fenghuo.org import bodies, registers
from fenghuo.org.schemas import BodyPatch, ContactIn


def last_entry(rt) -> AuditEntry:
    audit.chain_pending(rt.uow)
    with rt.uow() as s:
        return s.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()


def test_changes_are_audited_with_actor_and_diff(rt, principal):
    me = principal("bj_admin")
    bodies.update_body(rt.uow, rt.clock, principal=me, key="bj-telco",
                       patch=BodyPatch(name_en="Beijing Telecom"))
    entry = last_entry(rt)
    assert (entry.actor, entry.action, entry.entity_key) == ("bj_admin", "body.update", "bj-telco")
    assert '"name_en":["Beijing Telco","Beijing Telecom"]' in entry.detail
    registers.add_contact(rt.uow, rt.clock, principal=me, body="bj-telco",
                          data=ContactIn(name="NOC", channel="phone", value="+86 10 1234 5678"))
    assert last_entry(rt).action == "contact.create"
    assert audit.verify(rt.uow).ok


def test_an_unchanged_update_writes_no_audit_row(rt, principal):
    before = last_entry(rt).seq
    bodies.update_body(rt.uow, rt.clock, principal=principal("bj_admin"), key="bj-telco",
                       patch=BodyPatch(name_en="Beijing Telco"))
    assert last_entry(rt).seq == before


def test_verify_catches_a_row_edited_by_hand(rt):
    assert audit.verify(rt.uow).ok
    with rt.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'nobody' WHERE seq = 5"))
    result = audit.verify(rt.uow)
    assert not result.ok and [b.seq for b in result.breaks] == [5]


def test_verify_catches_deleted_rows(rt):
    with rt.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = 7"))
    breaks = audit.verify(rt.uow).breaks
    assert {b.seq for b in breaks} == {8}
    assert any("sequence gap" in b.problem for b in breaks)


def test_verify_catches_rows_deleted_from_the_end(rt):
    last = last_entry(rt).seq
    with rt.engine.begin() as conn:
        conn.execute(text(f"DELETE FROM audit_log WHERE seq > {last - 2}"))
    result = audit.verify(rt.uow)
    assert not result.ok and f"head says {last}" in result.breaks[-1].problem


def test_concurrent_writers_keep_one_chain(rt, principal):
    me = principal("nat_admin")
    before = last_entry(rt).seq

    def rename(i: int) -> None:
        key = ["bj-telco", "bj-bank", "sh-bank", "bj-support"][i % 4]
        bodies.update_body(rt.uow, rt.clock, principal=me, key=key,
                           patch=BodyPatch(notes=f"note {i}"))

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(rename, range(24)))
    audit.chain_pending(rt.uow)
    with rt.uow() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)
                        .where(AuditEntry.seq > before)) == 24
    assert audit.verify(rt.uow).ok


def test_audit_reads_are_scoped(rt, principal):
    bodies.update_body(rt.uow, rt.clock, principal=principal("sh_admin"), key="sh-bank",
                       patch=BodyPatch(notes="shanghai only"))
    page = audit.list_entries(rt.uow, scope=principal("bj_admin").scope,
                              page=PageParams(limit=500))
    assert page.total > 0
    assert all(e.entity_key != "sh-bank" for e in page.items)
    page = audit.list_entries(rt.uow, scope=principal("sh_admin").scope,
                              page=PageParams(limit=500), entity_key="sh-bank")
    assert any(e.action == "body.update" for e in page.items)


def test_rows_are_written_unchained_and_chained_once_by_concurrent_chainers(rt, principal):
    """Use cases append without a lock; chainers running at the same time as the writers (as
    several workers do) still build one chain with every row exactly once."""
    me = principal("nat_admin")
    before = last_entry(rt).seq
    bodies.update_body(rt.uow, rt.clock, principal=me, key="bj-telco",
                       patch=BodyPatch(notes="pending"))
    with rt.uow() as s:
        assert s.scalar(select(func.count()).select_from(AuditPending)) == 1
        assert s.scalar(select(func.max(AuditEntry.seq))) == before

    def write_or_chain(i: int) -> None:
        if i % 3 == 0:
            audit.chain_pending(rt.uow, batch=2)
        else:
            bodies.update_body(rt.uow, rt.clock, principal=me, key="bj-bank",
                               patch=BodyPatch(notes=f"note {i}"))

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write_or_chain, range(30)))
    audit.chain_pending(rt.uow)
    with rt.uow() as s:
        assert s.scalar(select(func.count()).select_from(AuditPending)) == 0
        seqs = s.scalars(select(AuditEntry.seq).where(AuditEntry.seq > before)).all()
    assert sorted(seqs) == list(range(before + 1, before + 22))  # 1 + 20 updates, no gaps
    assert audit.verify(rt.uow).ok
