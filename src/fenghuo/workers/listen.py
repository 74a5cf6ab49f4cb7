"""Wakes the delivery worker when another process enqueues notifications (PostgreSQL LISTEN /
NOTIFY, issue 21 item 5).

Every transaction that writes outbox messages issues ``NOTIFY fenghuo_outbox``
(``notify.outbox.announce``); PostgreSQL delivers it when, and only if, the transaction commits.
A :class:`Listener` is a daemon thread on a connection of its own, outside the engine's pool (it
would hold one pooled connection for ever), in autocommit, that ``LISTEN``\\s on that channel and
sets the worker's ``wake`` event on each notification. A lost connection (a database restart, a
terminated backend) is logged and opened again after 1 s, then 2, 4, at most 5 s; ``wake`` is
set after each (re)connection, since a notification may have been missed meanwhile. It never
raises into the worker; it ends when the worker's ``stop`` event is set (checked every
``CHECK_SECONDS``). ``connected`` is set while it listens: only then may the worker poll
seldom. SQLite has no listener.
"""

from __future__ import annotations

import threading

import psycopg
import structlog
from sqlalchemy.engine import URL

from fenghuo.notify.outbox import CHANNEL

log = structlog.get_logger()
#: how often the thread looks at the stop event while no notification comes
CHECK_SECONDS = 1.0
FIRST_BACKOFF_SECONDS, MAX_BACKOFF_SECONDS = 1.0, 5.0
APPLICATION_NAME = "fenghuo-worker-listen"


def conninfo(url: URL) -> str:
    """The libpq connection string of an engine URL (``postgresql+psycopg://…`` without the
    driver part, the password kept)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class Listener:
    def __init__(self, url: URL, *, wake: threading.Event, stop: threading.Event) -> None:
        self.conninfo, self.wake, self.stop = conninfo(url), wake, stop
        self.connected = threading.Event()
        #: the backend process id of the current connection (for operators and tests)
        self.backend_pid: int | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> threading.Thread:
        self.thread = threading.Thread(target=self._run, name="fenghuo-listen", daemon=True)
        self.thread.start()
        return self.thread

    def join(self, timeout: float = CHECK_SECONDS * 3) -> None:
        if self.thread is not None:
            self.thread.join(timeout)

    def _run(self) -> None:
        delay = FIRST_BACKOFF_SECONDS
        while not self.stop.is_set():
            try:
                self._listen()
                return  # stopped
            except Exception as exc:  # noqa: BLE001 - the worker polls meanwhile; try again
                if self.connected.is_set():  # it had listened: start the backoff again
                    delay = FIRST_BACKOFF_SECONDS
                log.warning("outbox listener lost its connection; reconnecting",
                            error=str(exc).strip(), retry_in=delay)
            finally:
                self.connected.clear()
                self.backend_pid = None
            self.stop.wait(delay)
            delay = min(delay * 2, MAX_BACKOFF_SECONDS)

    def _listen(self) -> None:
        """Listen until ``stop`` is set; raises when the connection fails."""
        with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5,
                             application_name=APPLICATION_NAME, keepalives=1,
                             keepalives_idle=30, keepalives_interval=10,
                             keepalives_count=3) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            self.backend_pid = conn.info.backend_pid
            self.connected.set()
            self.wake.set()  # whatever was enqueued while not listening
            log.info("outbox listener connected", backend_pid=self.backend_pid)
            while not self.stop.is_set():
                for _ in conn.notifies(timeout=CHECK_SECONDS):
                    self.wake.set()
