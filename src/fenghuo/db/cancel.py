"""Which PostgreSQL connections a request holds, so that its queries can be cancelled when its
client goes away (issue 21 item 4: a query whose client is gone must not keep the cores busy).

``api.deadline`` opens a :class:`Holder` for each request (a context variable: it follows the
request into the thread pool that runs a synchronous endpoint); the engine's pool events note
each connection checked out under it and forget it at check-in. :meth:`Holder.cancel` sends
PostgreSQL's cancel request for each (``psycopg.Connection.cancel``, safe from another
thread): the running statement ends with ``QueryCanceled``, the transaction rolls back.
Checking out and in costs no round trip.
"""

from __future__ import annotations

import logging
import threading
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Engine, event

log = logging.getLogger(__name__)


class Holder:
    """The DBAPI connections one request has checked out, right now."""

    def __init__(self) -> None:
        self._connections: set[Any] = set()
        self._lock = threading.Lock()
        self.cancelled = False

    def hold(self, connection: Any) -> None:
        with self._lock:
            self._connections.add(connection)

    def release(self, connection: Any) -> None:
        with self._lock:
            self._connections.discard(connection)

    def cancel(self) -> int:
        """Cancel what each held connection runs; how many were asked."""
        with self._lock:
            held = list(self._connections)
            self.cancelled = True
        for connection in held:
            try:
                connection.cancel()
            except Exception:  # noqa: BLE001 - a connection closing meanwhile: nothing to cancel
                log.debug("could not cancel a query", exc_info=True)
        return len(held)


CURRENT: ContextVar[Holder | None] = ContextVar("fenghuo_request_connections", default=None)


def watch(engine: Engine) -> None:
    """Note the connections checked out under a :class:`Holder` (PostgreSQL engines)."""

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection, record, proxy) -> None:  # noqa: ANN001
        holder = CURRENT.get()
        if holder is not None:
            holder.hold(dbapi_connection)
            record.info["fenghuo_holder"] = holder

    @event.listens_for(engine, "checkin")
    def _checkin(dbapi_connection, record) -> None:  # noqa: ANN001
        holder = record.info.pop("fenghuo_holder", None)
        if holder is not None:
            holder.release(dbapi_connection)
