"""The delivery worker woken by PostgreSQL LISTEN/NOTIFY (issue 21 item 5): a message committed
by another process is delivered at once though the worker polls every 30 s; a rolled-back
enqueue wakes nobody; the listener survives its backend being terminated. SQLite keeps polling.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import event, select, text

from fenghuo import bootstrap
from fenghuo.config import Settings
from fenghuo.notify import outbox
from fenghuo.notify.ports import Message
from fenghuo.org.directory import ContactRef
from fenghuo.org.models import Contact
from fenghuo.workers.dispatch import Worker

pg_only = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
DEADLINE_SECONDS = 5.0


class Recorder(dict):
    """Every channel's notifier: records the subjects sent."""

    def __init__(self) -> None:
        super().__init__()
        self.subjects: list[str] = []

    def get(self, _channel, _default=None):  # noqa: ANN001, ANN202
        return self

    def send(self, message: Message) -> None:
        self.subjects.append(message.subject)


class Probe(threading.Event):
    """The worker's wake event, noting in order each set, clear and wait."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[str] = []

    def set(self) -> None:
        super().set()
        self.log.append("set")

    def clear(self) -> None:
        super().clear()
        self.log.append("clear")

    def wait(self, timeout: float | None = None) -> bool:
        self.log.append("wait")
        return super().wait(timeout)

    def sets(self) -> int:
        return self.log.count("set")


def until(condition: Callable[[], object], seconds: float = DEADLINE_SECONDS) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return bool(condition())


@pytest.fixture
def other(rt: bootstrap.Runtime) -> Iterator[bootstrap.Runtime]:
    """A second runtime on the same database, with its own engine: another process."""
    runtime = bootstrap.build(Settings(database_url=rt.engine.url.render_as_string(False)),
                              clock=rt.clock)
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def running(rt: bootstrap.Runtime) -> Iterator[tuple[Worker, Recorder, Probe]]:
    """A worker polling every 30 s (so only a wake-up delivers within the test), its periodic
    jobs off, running in a thread; nothing wires the in-process wake-up."""
    recorder, probe = Recorder(), Probe()
    worker = Worker(rt, recorder, poll_seconds=30, listen_poll_seconds=30,
                    watchdog_seconds=3600, collect_seconds=3600)
    worker.PERIODIC = ()
    worker.wake = probe
    if worker.listener is not None:
        worker.listener.wake = probe
    thread = worker.start_thread()
    try:
        yield worker, recorder, probe
    finally:
        worker.stop()
        thread.join(10)
    assert not thread.is_alive()


def settled(worker: Worker, probe: Probe) -> bool:
    """The listener is connected and the worker is waiting again after the wake-up it sent on
    connecting (the claim that followed it is over): what comes now comes by notification."""
    log = list(probe.log)
    if not worker.listener.connected.is_set() or "set" not in log:
        return False
    after = log[len(log) - 1 - log[::-1].index("set"):]
    return "clear" in after and "wait" in after[after.index("clear"):]


def enqueue(runtime: bootstrap.Runtime, subject: str) -> None:
    with runtime.uow() as s:
        c = s.scalars(select(Contact).order_by(Contact.id).limit(1)).one()
        outbox.enqueue(s, now=runtime.clock.now(), messages=[outbox.Message(
            ContactRef(c.id, c.body_id, c.channel, c.value), subject, "text", {})])


@pg_only
def test_a_message_committed_by_another_process_is_delivered_at_once(rt, other, running):
    worker, recorder, probe = running
    assert until(lambda: settled(worker, probe))
    enqueue(other, "from another process")
    assert until(lambda: "from another process" in recorder.subjects)


@pg_only
def test_a_rolled_back_enqueue_wakes_nobody(rt, other, running):
    worker, recorder, probe = running
    assert until(lambda: settled(worker, probe))
    before = probe.sets()
    with pytest.raises(RuntimeError), other.uow() as s:
        c = s.scalars(select(Contact).order_by(Contact.id).limit(1)).one()
        outbox.enqueue(s, now=other.clock.now(), messages=[outbox.Message(
            ContactRef(c.id, c.body_id, c.channel, c.value), "rolled back", "text", {})])
        raise RuntimeError("the use case fails")
    enqueue(other, "committed")  # notifications come in commit order: this one after
    assert until(lambda: "committed" in recorder.subjects)
    assert probe.sets() - before == 1
    assert "rolled back" not in recorder.subjects


@pg_only
def test_the_listener_survives_its_backend_being_terminated(rt, other, running):
    worker, recorder, probe = running
    assert until(lambda: settled(worker, probe))
    first = worker.listener.backend_pid
    with other.engine.connect() as conn:
        killed = conn.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND query LIKE 'LISTEN%'")).scalars().all()
    assert killed == [True]
    assert until(lambda: worker.listener.backend_pid not in (None, first), seconds=10)
    assert until(lambda: settled(worker, probe))
    enqueue(other, "after the restart")
    assert until(lambda: "after the restart" in recorder.subjects)
    assert worker.listener.thread.is_alive()


def test_one_notification_statement_per_transaction(rt):
    """Two enqueues and a bulk one in one transaction cost one NOTIFY on PostgreSQL (none on
    SQLite); a savepoint rolled back takes its NOTIFY with it, so the next enqueue sends one."""
    statements: list[str] = []
    event.listen(rt.engine, "before_cursor_execute",
                 lambda *a: statements.append(a[2]))
    with rt.uow() as s:
        c = s.scalars(select(Contact).order_by(Contact.id).limit(1)).one()
        message = outbox.Message(ContactRef(c.id, c.body_id, c.channel, c.value), "x", "t", {})
        outbox.enqueue(s, now=rt.clock.now(), messages=[message])
        outbox.enqueue(s, now=rt.clock.now(), messages=[message])
        outbox.enqueue_many(s, now=rt.clock.now(), messages=[message, message])
    with rt.uow() as s:
        with pytest.raises(RuntimeError), s.begin_nested():
            outbox.enqueue(s, now=rt.clock.now(), messages=[message])
            raise RuntimeError
        outbox.enqueue(s, now=rt.clock.now(), messages=[message])
    notifies = sum(q.startswith("NOTIFY") for q in statements)
    assert notifies == (3 if rt.engine.dialect.name == "postgresql" else 0)


def test_sqlite_has_no_listener_and_polls(rt, other):
    if rt.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    recorder = Recorder()
    worker = Worker(rt, recorder, poll_seconds=0.1, watchdog_seconds=3600,
                    collect_seconds=3600)
    worker.PERIODIC = ()
    assert worker.listener is None
    thread = worker.start_thread()
    try:
        enqueue(other, "polled")
        assert until(lambda: "polled" in recorder.subjects)
    finally:
        worker.stop()
        thread.join(10)


class Connected:
    """A listener stand-in that is connected."""

    def __init__(self) -> None:
        self.connected = threading.Event()
        self.connected.set()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_listening_worker_claims_when_woken_at_its_retries_and_at_the_fallback(rt):
    worker = Worker(rt, Recorder(), poll_seconds=0.1, listen_poll_seconds=30)
    worker.listener = Connected()
    assert worker._claim_due()  # at start
    assert not worker._claim_due() and 0 < worker._idle_seconds() <= worker.TICK_SECONDS
    worker._note_retries({0.05})
    assert worker._idle_seconds() <= 0.05
    assert until(worker._claim_due) and not worker._claim_due()
    worker.wake.set()
    worker._wait_idle()
    assert worker._claim_due() and not worker._claim_due()
    worker._claim_at = time.monotonic()  # the fallback poll is due
    assert worker._claim_due()
    worker.listener.connected.clear()  # listener down: polls every ``poll_seconds``
    assert worker._claim_due() and worker._idle_seconds() == 0.1
