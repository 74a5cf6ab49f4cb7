"""Engine and unit-of-work factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from fenghuo.db import cancel


def make_engine(url: str, *, echo: bool = False,
                statement_timeout: float | None = None) -> Engine:
    """The engine of a database URL. On PostgreSQL, ``statement_timeout`` (seconds) is every
    connection's statement timeout (the request engine of ``fenghuo serve``, issue 21 item 4),
    and the connections a request holds can be cancelled (``db.cancel``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # JIT compilation off: it cost a bulletin's grouped count of a million incidents 230 ms
    # of compiling for nothing gained, and the app's other queries are short (issue 21)
    options = "-c jit=off"
    if statement_timeout:
        options += f" -c statement_timeout={int(statement_timeout * 1000)}"
    connect_args = {"options": options}
    engine = create_engine(url, echo=echo, pool_size=10, max_overflow=20,
                           connect_args=connect_args)
    # a batch of rows without RETURNING (an intake batch's routes, clocks, notifications,
    # timeline entries) as one multi-row INSERT, as with RETURNING, instead of psycopg's
    # pipelined executemany: a fifth of the intake writer's CPU was that, row by row (issue 21)
    engine.dialect.use_insertmanyvalues_wo_returning = True
    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", _ping_if_idle)
    cancel.watch(engine)
    return engine


#: a pooled connection unused for longer than this is pinged before it is handed out
IDLE_PING_SECONDS = 5.0


def _note_checkin(_dbapi_conn, record) -> None:  # noqa: ANN001
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_conn, record, _proxy) -> None:  # noqa: ANN001
    """Pre-ping only connections that sat idle (issue 21 item 5: a ping on every checkout was
    8 % of intake's CPU). A connection in use moments ago is used as is; if the database went
    away since, the statement fails, SQLAlchemy invalidates the whole pool and that one request
    answers 503 (api.ops). An idle one, e.g. after a database restart overnight, is tested
    here, and a dead one replaced before any request sees it."""
    if time.monotonic() - record.info.get("idle_since", 0.0) < IDLE_PING_SECONDS:
        return
    autocommit = dbapi_conn.autocommit
    try:
        dbapi_conn.autocommit = True  # the ping opens no transaction (psycopg would)
        dbapi_conn.execute("SELECT 1")
        dbapi_conn.autocommit = autocommit
    except Exception as exc:  # noqa: BLE001 - any failure: the pool connects again
        raise DisconnectionError(f"pooled connection lost: {exc}") from exc


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    # a 64 MB page cache (the default is 2 MB): a large write (a machine-ingest batch updates
    # several indexes at random places) then writes each changed page once, at the commit
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()


class UnitOfWork:
    """Opens one transaction per use case: commits when the block ends, rolls back on error.

    On SQLite, transactions of one process take turns through a lock: SQLite admits one writer
    at a time, and its own busy handler waits by sleeping in growing steps, which under
    concurrent requests turns milliseconds into seconds.

    ``info`` is copied into every session's ``Session.info``: deployment facts that domain code
    reads there (e.g. whether phone-only bodies are texted, org.directory).
    """

    def __init__(self, engine: Engine, *, info: dict | None = None) -> None:
        self.engine = engine
        self._factory = sessionmaker(engine, expire_on_commit=False, info=dict(info or {}))
        self._lock = threading.RLock() if engine.dialect.name == "sqlite" else nullcontext()

    @contextmanager
    def __call__(self) -> Iterator[Session]:
        with self._lock, self._factory.begin() as session:
            yield session
