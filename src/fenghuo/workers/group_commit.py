"""The writer of a server process's first reports: group commit (issue 21 item 5).

Request threads hand a checked report to :meth:`IntakeWriter.submit` and wait; one thread
takes every report waiting at that moment (up to ``incident.intake.MAX_BATCH``) and files
them in one transaction (``incident.intake.report_batch``). While a batch is being written
the next reports queue up, so the batch grows with the load and a lone report is written at
once: there is no timer to wait for. Each request is answered when its batch has committed.
The thread is started by the first report and ends after ``IDLE_SECONDS`` without one.

An API request hands its bearer token over unchecked (:meth:`submit_async`, awaited on the
event loop: no thread-pool hand-off per request); the writer authenticates the batch's tokens
together, reading the ``auth_version`` once per batch (``org.accounts.authenticate_many``), so
a report costs no round trip of its own before it is written. A request whose task is cancelled
before its batch is taken is not filed (a client that merely goes away is not: its report is
filed and a retry under the same Idempotency-Key is answered with it; the batch's statements
are not the request's, so ``api.deadline`` never cancels them).

Stopping (:meth:`close`) files what is queued before the thread ends; a report submitted
after that is filed on the caller's thread (``service.report``), never dropped.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from concurrent.futures import Future

import structlog
from starlette.concurrency import run_in_threadpool

from fenghuo.bootstrap import Runtime
from fenghuo.common.scope import Principal
from fenghuo.incident import intake, service
from fenghuo.incident.intake import Bearer
from fenghuo.incident.schemas import IncidentOut
from fenghuo.org import accounts

log = structlog.get_logger()
_STOP = object()
#: seconds without a report after which the thread ends (the next report starts another)
IDLE_SECONDS = 2.0


#: what a queued request is answered with: its caller (None if the token was refused) and its
#: incident or error
Answer = tuple[Principal | None, IncidentOut | BaseException]


class IntakeWriter:
    def __init__(self, rt: Runtime, *, max_batch: int = intake.MAX_BATCH) -> None:
        self.rt, self.max_batch = rt, max_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        #: how many batches and reports were written (for the benchmarks and the tests)
        self.batches = self.reports = 0
        #: the size of the batch being written now (0: none)
        self.writing = 0

    def submit(self, sub: intake.Submission) -> IncidentOut:
        """File ``sub`` with whatever else is waiting; its incident once committed, or the
        error it was refused with, raised here."""
        future: Future = Future()
        with self._lock:
            if self._closed:
                return self._alone(sub)
            self._start()
            self._queue.put((sub, future))
        return _unpacked(future.result())[1]

    async def submit_async(self, bearer: Bearer) -> tuple[Principal, IncidentOut]:
        """File a request's report, authenticating its token with the batch; the caller and
        the incident once committed, or the error (``Unauthorized`` too) raised here."""
        future: Future = Future()
        with self._lock:
            closed = self._closed
            if not closed:
                self._start()
                self._queue.put((bearer, future))
        if closed:
            return await run_in_threadpool(self._alone_bearer, bearer)
        return _unpacked(await asyncio.wrap_future(future))

    def _alone(self, sub: intake.Submission) -> IncidentOut:
        return service.report(self.rt.uow, self.rt.clock, principal=sub.principal,
                              data=sub.data, profile=self.rt.settings.grading_profile,
                              idempotency_key=sub.key)

    def _alone_bearer(self, bearer: Bearer) -> tuple[Principal, IncidentOut]:
        me = accounts.authenticate(self.rt.uow, self.rt.clock, token=bearer.token)
        return me, self._alone(intake.Submission(me, bearer.data, bearer.key))

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="fenghuo-intake",
                                            daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:  # a report submitted now starts a new thread
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            if first is _STOP:
                return
            batch, stop = [first], False
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            self._file(batch)
            if stop:
                return

    def _file(self, batch: list[tuple[intake.Submission | Bearer, Future]]) -> None:
        self.writing = len(batch)
        # a request whose task was cancelled while queued is not filed
        batch = [(item, f) for item, f in batch if f.set_running_or_notify_cancel()]
        ready = self._authenticated(batch)
        try:
            answers = (intake.report_batch(self.rt.uow, self.rt.clock, [s for s, _ in ready],
                                           profile=self.rt.settings.grading_profile)
                       if ready else [])
        except BaseException as exc:  # noqa: BLE001 - every waiting request gets an answer
            log.exception("intake batch failed")
            answers = [exc] * len(ready)
        self.batches += 1
        self.reports += len(ready)
        self.writing = 0
        for (sub, future), answer in zip(ready, answers, strict=True):
            future.set_result((sub.principal, answer))
        self.rt.wake_worker()

    def _authenticated(self, batch: list[tuple[intake.Submission | Bearer, Future]]
                       ) -> list[tuple[intake.Submission, Future]]:
        """The batch's submissions with their callers; a request whose token is refused is
        answered here."""
        tokens = [item.token for item, _ in batch if isinstance(item, Bearer)]
        try:
            callers = iter(accounts.authenticate_many(self.rt.uow, self.rt.clock, tokens)
                           if tokens else [])
        except BaseException as exc:  # noqa: BLE001 - e.g. the database gone: each is told
            callers = iter([exc] * len(tokens))
        ready = []
        for item, future in batch:
            if isinstance(item, Bearer):
                me = next(callers)
                if isinstance(me, BaseException):
                    future.set_result((None, me))
                    continue
                item = intake.Submission(me, item.data, item.key)
            ready.append((item, future))
        return ready

    def close(self, timeout: float = 30) -> None:
        """File what is queued, then stop the thread."""
        with self._lock:
            self._closed = True
            thread = self._thread
            if thread is not None:
                self._queue.put(_STOP)
        if thread is not None:
            thread.join(timeout)


def _unpacked(answer: Answer) -> tuple[Principal, IncidentOut]:
    principal, out = answer
    if isinstance(out, BaseException):
        raise out
    return principal, out  # type: ignore[return-value] - a caller comes with every incident
