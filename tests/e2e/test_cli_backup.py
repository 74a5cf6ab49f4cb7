"""`fenghuo backup` and `fenghuo restore` (issue 18 item 7) on both databases: an instance with
incidents, evidence (Plan §4.1 "preserve evidence") and outbox messages comes back whole in a new
empty database, its audit trail intact (Law art. 21 (3) logs kept); a damaged archive, a newer
schema and a database that is not empty are refused with nothing written; an older schema is
restored and migrated."""

from __future__ import annotations

import io
import json
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url

from fenghuo.db import backup as archive
from fenghuo.db import migrate
from fenghuo.incident import evidence
from fenghuo.incident import service as incidents
from fenghuo.incident.models import Evidence, Incident
from fenghuo.notify import outbox
from fenghuo.notify.models import OutboxMessage
from fenghuo.org import registers
from fenghuo.org.schemas import ContactIn
from tests.cli import clean_env, fenghuo
from tests.conftest import PG_ADMIN_URL, _pg_exec
from tests.integration.test_reporting_chain import report_data

PCAP = b"\xd4\xc3\xb2\xa1" + bytes(range(256)) * 4


@pytest.fixture
def other_empty_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty database (no schema) on ``db_url``'s backend."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'other.db'}"
        return
    name = f"fenghuo_e_{uuid.uuid4().hex[:12]}"
    _pg_exec(f'CREATE DATABASE "{name}"')
    yield str(make_url(PG_ADMIN_URL).set(database=name))
    _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(url: str, cwd: Path, *args: str):  # noqa: ANN202
    return fenghuo(*args, env=clean_env(FENGHUO_DATABASE_URL=url), cwd=cwd)


def _instance(rt, principal, clock) -> None:  # noqa: ANN001
    """Two incidents routed and notified, a packet capture as evidence, two deliveries done."""
    for who in ("duty", "lead"):
        registers.add_contact(rt.uow, rt.clock, principal=principal("nat_admin"),
                              body="110000.office", data=ContactIn(
                                  name=who, channel="email", value=f"{who}@110000.example"))
    first = incidents.report(rt.uow, rt.clock, principal=principal("bj_reporter"),
                             data=report_data(clock), profile="cac2025")
    incidents.report(rt.uow, rt.clock, principal=principal("bj_reporter"),
                     data=report_data(clock, title="数据泄露 leak"), profile="cac2025")
    evidence.add(rt.uow, rt.clock, principal=principal("bj_reporter"), ref=first.ref,
                 filename="capture.pcap", content_type="application/vnd.tcpdump.pcap",
                 content=PCAP)
    claimed = outbox.claim(rt.uow, now=clock.now(), limit=2)
    outbox.complete_many(rt.uow, now=clock.now(), outcomes=[outbox.Outcome(c) for c in claimed])


def _state(url: str) -> dict:
    """What must survive: every incident's fields, the outbox by state, the evidence bytes."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                "incidents": [dict(r._mapping) for r in conn.execute(
                    select(Incident.__table__).order_by(Incident.id))],
                "outbox": dict(conn.execute(select(OutboxMessage.state, func.count())
                                            .group_by(OutboxMessage.state)).all()),
                "evidence": conn.execute(select(Evidence.filename, Evidence.content)).all(),
            }
    finally:
        engine.dispose()


def test_an_instance_comes_back_whole_in_a_new_empty_database(rt, principal, clock, db_url,
                                                              empty_db_url, tmp_path):
    """Every incident with the same fields, the outbox's pending and delivered the same, the
    evidence bytes the same (Plan §4.1), and the audit chain verifies on the restored instance
    (Law art. 21 (3))."""
    _instance(rt, principal, clock)
    before = _state(db_url)
    assert len(before["incidents"]) >= 2 and before["evidence"] == [("capture.pcap", PCAP)]
    assert before["outbox"].get("delivered") == 2 and before["outbox"].get("pending")
    file = tmp_path / "instance.tar"
    made = _run(db_url, tmp_path, "backup", str(file))
    assert made.returncode == 0, made.stderr
    with tarfile.open(file) as tar:
        manifest = json.loads(tar.extractfile(archive.MANIFEST).read())
    assert manifest["schema_revision"] == migrate.HEAD and manifest["created_at"]
    dump = archive.DUMPS[archive.backend_of(db_url)]
    assert set(manifest["members"]) == {dump} and len(manifest["members"][dump]["sha256"]) == 64

    done = _run(empty_db_url, tmp_path, "restore", str(file))
    assert done.returncode == 0, done.stderr
    assert f"事件 incidents {len(before['incidents'])}" in done.stdout
    assert "evidence: 1 files" in done.stdout and "delivered 2" in done.stdout
    assert _state(empty_db_url) == before
    verified = _run(empty_db_url, tmp_path, "audit", "verify")
    assert verified.returncode == 0 and "audit chain intact" in verified.stdout


def test_a_damaged_archive_or_a_database_in_use_is_refused(db_url, empty_db_url, tmp_path):
    """A changed byte fails its SHA-256 and nothing is written; a database that is not empty is
    refused unless --force, which replaces it."""
    file = tmp_path / "instance.tar"
    assert _run(db_url, tmp_path, "backup", str(file)).returncode == 0
    again = _run(db_url, tmp_path, "backup", str(file))
    assert again.returncode == 1 and "exists already" in again.stderr
    tampered = tmp_path / "tampered.tar"
    raw = bytearray(file.read_bytes())
    with tarfile.open(file) as tar:
        member = tar.getmember(archive.DUMPS[archive.backend_of(db_url)])
    raw[member.offset_data + member.size // 2] ^= 0x01
    tampered.write_bytes(bytes(raw))
    refused = _run(empty_db_url, tmp_path, "restore", str(tampered))
    assert refused.returncode == 1 and "does not match its SHA-256" in refused.stderr
    assert archive.tables(empty_db_url) == []

    in_use = _run(db_url, tmp_path, "restore", str(file))
    assert in_use.returncode == 1 and "is not empty" in in_use.stderr and "--force" in in_use.stderr
    assert _run(empty_db_url, tmp_path, "restore", str(file)).returncode == 0
    assert _run(empty_db_url, tmp_path, "restore", str(file)).returncode == 1
    forced = _run(empty_db_url, tmp_path, "restore", "--force", str(file))
    assert forced.returncode == 0, forced.stderr


def test_postgresql_needs_its_client_tools_sqlite_none(db_url, tmp_path):
    """Without pg_dump on the PATH a PostgreSQL backup names what to install; SQLite's backup
    needs no outside tool."""
    bare = tmp_path / "bin"
    bare.mkdir()
    file = tmp_path / "instance.tar"
    r = fenghuo("backup", str(file), env=clean_env(FENGHUO_DATABASE_URL=db_url, PATH=str(bare)),
                cwd=tmp_path)
    if db_url.startswith("sqlite"):
        assert r.returncode == 0 and file.exists(), r.stderr
    else:
        assert r.returncode == 1 and "pg_dump is not installed" in r.stderr
        assert "postgresql-client" in r.stderr and not file.exists()


def _rewritten(file: Path, target: Path, **changes: str) -> Path:
    """``file`` with its manifest changed (and consistent: the hashes still match)."""
    with tarfile.open(file) as tar:
        manifest = json.loads(tar.extractfile(archive.MANIFEST).read())
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    members[archive.MANIFEST] = json.dumps({**manifest, **changes}).encode()
    with tarfile.open(target, "w") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return target


def test_an_archive_of_a_newer_schema_is_refused_an_older_one_is_migrated(
        empty_db_url, other_empty_url, tmp_path):
    """A newer schema cannot be read by this version (there is no downgrade); an older one is
    restored at its revision and brought to HEAD by the usual upgrade."""
    migrate.upgrade(empty_db_url, "0020")
    file = tmp_path / "old.tar"
    made = _run(empty_db_url, tmp_path, "backup", str(file))
    assert made.returncode == 0, made.stderr
    newer = _rewritten(file, tmp_path / "newer.tar", schema_revision="9999")
    refused = _run(other_empty_url, tmp_path, "restore", str(newer))
    assert refused.returncode == 1 and "newer than this Fenghuo knows" in refused.stderr
    assert archive.tables(other_empty_url) == []

    done = _run(other_empty_url, tmp_path, "restore", str(file))
    assert done.returncode == 0, done.stderr
    assert f"at schema 0020, migrated to {migrate.HEAD}" in done.stdout
    engine = create_engine(other_empty_url)
    try:
        assert migrate.current_revision(engine) == migrate.HEAD
    finally:
        engine.dispose()
