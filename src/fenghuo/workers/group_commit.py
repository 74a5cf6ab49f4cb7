"""The writer of a server process's first reports: group commit (issue 21 item 5).

Request threads hand a checked report to :meth:`IntakeWriter.submit` and wait; one thread
takes every report waiting at that moment (up to ``incident.intake.MAX_BATCH``) and files
them in one transaction (``incident.intake.report_batch``). While a batch is being written
the next reports queue up, so the batch grows with the load and a lone report is written at
once: there is no timer to wait for. Each request is answered when its batch has committed.
The thread is started by the first report and ends after ``IDLE_SECONDS`` without one.

Stopping (:meth:`close`) files what is queued before the thread ends; a report submitted
after that is filed on the caller's thread (``service.report``), never dropped.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future

import structlog

from fenghuo.bootstrap import Runtime
from fenghuo.incident import intake, service
from fenghuo.incident.schemas import IncidentOut

log = structlog.get_logger()
_STOP = object()
#: seconds without a report after which the thread ends (the next report starts another)
IDLE_SECONDS = 2.0


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
                return service.report(self.rt.uow, self.rt.clock, principal=sub.principal,
                                      data=sub.data, profile=self.rt.settings.grading_profile,
                                      idempotency_key=sub.key)
            self._start()
            self._queue.put((sub, future))
        answer = future.result()
        if isinstance(answer, BaseException):
            raise answer
        return answer

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

    def _file(self, batch: list[tuple[intake.Submission, Future]]) -> None:
        self.writing = len(batch)
        try:
            answers = intake.report_batch(self.rt.uow, self.rt.clock, [s for s, _ in batch],
                                          profile=self.rt.settings.grading_profile)
        except BaseException as exc:  # noqa: BLE001 - every waiting request gets an answer
            log.exception("intake batch failed")
            answers = [exc] * len(batch)
        self.batches += 1
        self.reports += len(batch)
        self.writing = 0
        for (_, future), answer in zip(batch, answers, strict=True):
            future.set_result(answer)
        self.rt.wake_worker()

    def close(self, timeout: float = 30) -> None:
        """File what is queued, then stop the thread."""
        with self._lock:
            self._closed = True
            thread = self._thread
            if thread is not None:
                self._queue.put(_STOP)
        if thread is not None:
            thread.join(timeout)
