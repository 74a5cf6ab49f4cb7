"""The delivery worker: claims outbox messages, sends them through the channel adapters, records the
outcome, runs the watchdog (overdue clocks of incidents and public tips, unacknowledged warnings,
missing progress reports, deadlines of directives and interviews), sends the reminders of
recurring duties (hourly), runs candidate detection over the monitoring aggregates (every few
minutes), runs the due scheduled collectors (about every minute), chains new audit rows
(about once a second) and writes signed checkpoints of the audit chain (hourly); nothing in the
audit trail can stop a delivery.
Idle, the worker waits to be woken: in-process by ``Runtime.wake_worker``, and on PostgreSQL by
the commit of any process that enqueues (LISTEN/NOTIFY, ``workers.listen``), looking anyway
every ``worker_listen_poll_seconds`` while it listens and every ``worker_poll_seconds`` while it
does not (SQLite, or the listener reconnecting).
Several workers may run against one PostgreSQL database; a worker killed mid-delivery leaves its
claim to expire and another (or the same, restarted) delivers the message again with the same
delivery id, which receivers use to deduplicate."""

from __future__ import annotations

import heapq
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import structlog

from fenghuo.audit import checkpoints
from fenghuo.audit import service as audit
from fenghuo.bootstrap import Runtime
from fenghuo.common.periods import day_of
from fenghuo.incident import handling, tip_handling, tips
from fenghuo.monitoring import candidates, collectors, housekeeping, notices
from fenghuo.monitoring.detection import Thresholds
from fenghuo.notify import heartbeats, outbox
from fenghuo.notify.adapters.registry import build_notifiers
from fenghuo.notify.ports import DeliveryError, Message, Notifier
from fenghuo.preparedness import reminders
from fenghuo.preparedness import service as preparedness
from fenghuo.response import service as responses
from fenghuo.retention import service as retention
from fenghuo.sharing import bulletins
from fenghuo.supervision import service as supervision
from fenghuo.support import service as support
from fenghuo.warning import assessment_reports, protection
from fenghuo.warning import service as warnings
from fenghuo.workers.listen import Listener

log = structlog.get_logger()
COALESCE_SECONDS = 0.05


class Worker:
    def __init__(self, rt: Runtime, notifiers: dict[str, Notifier], *, threads: int = 8,
                 poll_seconds: float = 0.1, watchdog_seconds: float = 30,
                 lease_seconds: float = 60, reminder_seconds: float = 3600,
                 detect_seconds: float = 300,
                 thresholds: Thresholds | None = None, collect_seconds: float = 60,
                 listen_poll_seconds: float = 5) -> None:
        self.rt, self.notifiers = rt, notifiers
        self.threads, self.poll, self.lease = threads, poll_seconds, lease_seconds
        self.watchdog_seconds, self.reminder_seconds = watchdog_seconds, reminder_seconds
        self.stop_event = threading.Event()
        self.wake = threading.Event()
        #: PostgreSQL (issue 21 item 5): woken by the commits of other processes while the
        #: listener is connected, the worker claims when woken, after a batch, when a retry it
        #: scheduled falls due, and otherwise every ``listen_poll_seconds``
        self.listener = (Listener(rt.engine.url, wake=self.wake, stop=self.stop_event)
                         if rt.engine.dialect.name == "postgresql" else None)
        self.listen_poll = listen_poll_seconds
        self._claim_now, self._claim_at = True, 0.0
        self._retries: list[float] = []  # a heap of monotonic times
        self._last_sweep = self._last_chain = 0.0
        self._last_reminders: float | None = None
        #: the first bulletin check waits a minute, so a starting worker delivers first
        self._next_bulletins = time.monotonic() + 60
        #: candidate detection (issue 15 item 6): at start, then every ``detect_seconds``
        self.detect_seconds, self.thresholds = detect_seconds, thresholds
        self._next_detect = time.monotonic()
        self._next_housekeeping = time.monotonic() + 120
        #: owner notices (issue 16 item 2): new ones, due digests, reminders, every minute
        self._next_notices = time.monotonic()
        #: protection periods (issue 17 item 6): start and end notices, checked every minute
        self._next_protection = time.monotonic()
        #: scheduled collectors (issue 15 item 3): due ones checked every ``collect_seconds``,
        #: in a thread of their own so a slow peer never holds up deliveries
        self.collect_seconds = collect_seconds
        self._next_collect = time.monotonic()
        self._collecting: threading.Thread | None = None
        #: the audit trail (issue 18 item 6) never holds up delivery: a failure in chaining or
        #: checkpointing is logged and counted here, and retried later
        self.audit_failures = {"chain": 0, "checkpoint": 0}
        self._chain_retry_at = 0.0
        #: the first checkpoint five minutes after start (or sooner with a shorter interval)
        self._next_checkpoint = time.monotonic() + min(300.0, rt.settings.audit_checkpoint_minutes
                                                       * 60)
        #: the heartbeat (issue 20 item 7): this worker's row in ``worker_heartbeats``
        self.worker_id = heartbeats.identity(self.HEARTBEAT_NAME)
        self._started_at = rt.clock.now()
        self._next_beat = 0.0

    @classmethod
    def from_runtime(cls, rt: Runtime) -> Worker:
        s = rt.settings
        return cls(rt, build_notifiers(s), threads=s.worker_threads,
                   poll_seconds=s.worker_poll_seconds, watchdog_seconds=s.watchdog_seconds,
                   listen_poll_seconds=s.worker_listen_poll_seconds,
                   lease_seconds=s.worker_lease_seconds,
                   detect_seconds=s.candidate_detect_minutes * 60,
                   thresholds=candidates.thresholds_of(s))

    def deliver_once(self, pool: ThreadPoolExecutor | None = None) -> int:
        """Claim one batch, deliver it and record the outcomes in one transaction; returns
        how many messages were attempted."""
        batch = outbox.claim(self.rt.uow, now=self.rt.clock.now(), limit=self.claim_limit,
                             lease_seconds=self.lease)
        if not batch:
            return 0
        outcomes = list(map(self._send, batch)) if pool is None else list(
            pool.map(self._send, batch))
        states = outbox.complete_many(self.rt.uow, now=self.rt.clock.now(), outcomes=outcomes)
        for o, state in zip(outcomes, states, strict=True):
            log.info("delivery", id=o.claimed.delivery_id, channel=o.claimed.channel,
                     state=state, error=o.error)
        self._note_retries({outbox.backoff(o.claimed.attempts).total_seconds()
                            for o, state in zip(outcomes, states, strict=True)
                            if state == outbox.PENDING})
        return len(batch)

    #: at most this many retry times remembered; later ones wait for the fallback poll
    MAX_RETRY_TIMES = 1024

    @property
    def claim_limit(self) -> int:
        """The most messages one claim takes: one per thread, so that a batch is one round of
        sends and an urgent message enqueued meanwhile (a major report's route to the
        Emergency Office, priority 0, Plan §4.1) waits for at most one slow send, not four (a
        sustained run with e-mail contacts: webhook p99 9.9 s with four per thread, 1.3 s with
        one; docs/performance.md)."""
        return self.threads

    def _note_retries(self, delays: set[float]) -> None:
        """Remember when the retries just scheduled fall due (one time per backoff step)."""
        now = time.monotonic()
        for delay in sorted(delays):
            if len(self._retries) < self.MAX_RETRY_TIMES:
                heapq.heappush(self._retries, now + delay)

    def _listening(self) -> bool:
        return self.listener is not None and self.listener.connected.is_set()

    def _claim_due(self) -> bool:
        """Whether to claim now: always while not listening (polling every ``poll``); while
        listening, when woken or after a batch, when a retry this worker scheduled falls due,
        and at least every ``listen_poll`` seconds."""
        now = time.monotonic()
        retry_due = bool(self._retries) and self._retries[0] <= now
        while self._retries and self._retries[0] <= now:
            heapq.heappop(self._retries)
        if self._claim_now or retry_due or now >= self._claim_at or not self._listening():
            self._claim_now, self._claim_at = False, now + self.listen_poll
            return True
        return False

    #: while listening, the loop still turns this often for its own jobs (audit chaining)
    TICK_SECONDS = 1.0

    def _idle_seconds(self) -> float:
        """How long to wait for a wake-up: ``poll`` while not listening; while listening until
        the next tick, fallback claim or retry, whichever comes first."""
        if not self._listening():
            return self.poll
        until = min([self._claim_at, *self._retries[:1]]) - time.monotonic()
        return max(0.0, min(self.TICK_SECONDS, until))

    def _send(self, c: outbox.Claimed) -> outbox.Outcome:
        notifier = self.notifiers.get(c.channel)
        if notifier is None:
            return outbox.Outcome(c, f"no adapter for channel {c.channel!r}", False)
        try:
            notifier.send(Message(id=c.delivery_id, channel=c.channel, address=c.address,
                                  subject=c.subject, text=c.text, payload=c.payload,
                                  secret=c.secret))
        except DeliveryError as exc:
            return outbox.Outcome(c, str(exc) or type(exc).__name__, exc.retryable)
        except Exception as exc:  # noqa: BLE001 - an adapter bug must not kill the worker
            return outbox.Outcome(c, f"{type(exc).__name__}: {exc}")
        return outbox.Outcome(c)

    def sweep_if_due(self) -> int:
        if time.monotonic() - self._last_sweep < self.watchdog_seconds:
            return 0
        self._last_sweep = time.monotonic()
        return (handling.sweep_overdue(self.rt.uow, self.rt.clock)
                + tip_handling.sweep_overdue(self.rt.uow, self.rt.clock,
                                             settings=tips.settings_of(self.rt.settings))
                + warnings.remind_unacknowledged(self.rt.uow, self.rt.clock)
                + assessment_reports.remind_overdue(self.rt.uow, self.rt.clock)
                + responses.flag_missing_progress(self.rt.uow, self.rt.clock)
                + supervision.sweep_deadlines(self.rt.uow, self.rt.clock))

    def remind_if_due(self) -> int:
        """Reminders of the yearly, six-monthly and monthly duties (plans, exercises, CII
        assessments, reserves, support-unit obligations), each sent once; checked at start and
        then every ``reminder_seconds``."""
        if (self._last_reminders is not None
                and time.monotonic() - self._last_reminders < self.reminder_seconds):
            return 0
        self._last_reminders = time.monotonic()
        return reminders.send_due(self.rt.uow, self.rt.clock,
                                  (preparedness.reminders_due, support.reminders_due))

    def bulletins_if_due(self) -> int:
        """Last week's bulletin on Monday and last month's on the 1st (China Standard Time), by
        the ``bulletin_issuer`` setting, generated and sent once; checked a minute after start
        and then every ``reminder_seconds``."""
        if time.monotonic() < self._next_bulletins:
            return 0
        self._next_bulletins = time.monotonic() + self.reminder_seconds
        return len(bulletins.generate_scheduled(
            self.rt.uow, self.rt.clock, issuer_key=self.rt.settings.bulletin_issuer,
            timezone=self.rt.settings.timezone))

    def detect_if_due(self) -> int:
        """Detection over the monitoring aggregates: open the candidate monitoring items that
        are new (idempotent: a candidate is opened once per rule, indicator and window)."""
        if time.monotonic() < self._next_detect:
            return 0
        self._next_detect = time.monotonic() + self.detect_seconds
        result = candidates.detect(self.rt.uow, self.rt.clock, thresholds=self.thresholds)
        if result.opened:
            log.info("candidates", opened=result.opened)
        return len(result.opened)

    def notices_if_due(self) -> int:
        """Owner notices from the aggregates of new batches, the due daily digests, and the
        reminders and word to the local office of overdue ones (``monitoring.notices``,
        idempotent), every ``notice_scan_minutes``; before housekeeping compacts aggregates."""
        if time.monotonic() < self._next_notices:
            return 0
        self._next_notices = time.monotonic() + self.rt.settings.notice_scan_minutes * 60
        out = notices.generate(self.rt.uow, self.rt.clock,
                               settings=notices.settings_of(self.rt.settings))
        if out.immediate or out.digests_sent or out.offices_told:
            log.info("owner notices", immediate=out.immediate, digests=out.digests_sent,
                     offices_told=out.offices_told)
        return len(out.immediate) + len(out.digests_sent)

    def protection_if_due(self) -> int:
        """The notices of important-event protection periods (Plan §6.5): the bodies in scope
        are told once when a period starts and once when it ends; checked every minute."""
        if time.monotonic() < self._next_protection:
            return 0
        self._next_protection = time.monotonic() + 60
        return protection.remind_due(self.rt.uow, self.rt.clock)

    def housekeep_if_due(self) -> housekeeping.Report | None:
        """Monitoring housekeeping (retention under Law art. 21, indexes of closed days,
        compaction, silent feeds), two minutes after start and then every
        ``reminder_seconds`` (an hour)."""
        if time.monotonic() < self._next_housekeeping:
            return None
        self._next_housekeeping = time.monotonic() + self.reminder_seconds
        report = housekeeping.run(self.rt.uow, self.rt.clock)
        if report.dropped or report.silenced or report.compacted:
            log.info("monitoring housekeeping", dropped=report.dropped,
                     compacted=report.compacted, silenced=report.silenced)
        return report

    #: the retention purge (issue 18 item 8): first looked at this long after start, so a
    #: starting worker delivers first; then once a day by the runtime's clock
    RETENTION_DELAY_SECONDS = 600.0
    _retention_not_before: float | None = None
    _retention_day: date | None = None

    def retention_if_due(self) -> retention.PurgeResult | None:
        """The daily retention purge (Law art. 21(3) network logs kept six months or more;
        ``fenghuo retention purge``): once a day (China Standard Time) by the runtime's clock,
        and not again on a day some worker already purged."""
        if self._retention_not_before is None:
            self._retention_not_before = time.monotonic() + self.RETENTION_DELAY_SECONDS
        today = day_of(self.rt.clock.now())
        if time.monotonic() < self._retention_not_before or self._retention_day == today:
            return None
        self._retention_day = today
        if retention.ran_today(self.rt.uow, self.rt.clock):
            return None
        result = retention.purge(self.rt.uow, self.rt.clock,
                                 **retention.settings_of(self.rt.settings))
        log.info("retention purge", **{k.value: n for k, n in result.purged.items()})
        return result

    def collect_if_due(self) -> threading.Thread | None:
        """Run the due collectors (pull a URL or a TAXII collection; each feed's own interval and
        state, ``monitoring.collectors``) in a thread, unless the last run is still going."""
        if time.monotonic() < self._next_collect or (
                self._collecting is not None and self._collecting.is_alive()):
            return None
        self._next_collect = time.monotonic() + self.collect_seconds
        self._collecting = threading.Thread(target=self._collect, name="fenghuo-collectors",
                                            daemon=True)
        self._collecting.start()
        return self._collecting

    def _collect(self) -> None:
        try:
            collectors.collect_due(self.rt.uow, self.rt.clock)
        except Exception:  # noqa: BLE001 - e.g. the database restarting; the next check retries
            log.exception("collectors failed; retrying at the next check")

    def chain_audit_if_due(self, every_seconds: float = 1.0) -> int:
        """Chain new audit rows, about once a second. Never raises: whatever goes wrong in the
        audit tables (a head row deleted by hand is recreated and recorded by ``chain_pending``
        itself; a database error, anything) is logged and counted, deliveries go on, and
        chaining is tried again after ``AUDIT_RETRY_SECONDS``."""
        now = time.monotonic()
        if now - self._last_chain < every_seconds or now < self._chain_retry_at:
            return 0
        self._last_chain = now
        try:
            return audit.chain_pending(self.rt.uow, now=self.rt.clock.now())
        except Exception:  # noqa: BLE001 - the audit trail must never stop escalation
            self.audit_failures["chain"] += 1
            self._chain_retry_at = time.monotonic() + self.AUDIT_RETRY_SECONDS
            log.exception("audit chaining failed; deliveries go on, retrying later",
                          failures=self.audit_failures["chain"],
                          retry_in=self.AUDIT_RETRY_SECONDS)
            return 0

    AUDIT_RETRY_SECONDS = 10.0

    def checkpoint_if_due(self) -> audit.Written | None:
        """A signed checkpoint of the audit chain's head, appended to the checkpoints file and
        posted to the second party if one is set (``audit.write_checkpoint``): five minutes
        after start and then every ``audit_checkpoint_minutes``. Never raises (logged and
        counted; tried again at the next interval)."""
        if time.monotonic() < self._next_checkpoint:
            return None
        self._next_checkpoint = (time.monotonic()
                                 + self.rt.settings.audit_checkpoint_minutes * 60)
        try:
            written = audit.write_checkpoint(self.rt.uow, now=self.rt.clock.now(),
                                             config=checkpoints.config_of(self.rt.settings))
        except Exception:  # noqa: BLE001 - the audit trail must never stop escalation
            self.audit_failures["checkpoint"] += 1
            log.exception("audit checkpoint failed; retrying at the next interval",
                          failures=self.audit_failures["checkpoint"])
            return None
        log.info("audit checkpoint", seq=written.checkpoint.seq, signed=written.signed,
                 posted=written.posted, problems=written.problems or None)
        return written

    HEARTBEAT_NAME = "delivery"
    #: at most one heartbeat write this often (an idle cycle is 0.1 s polling, 1 s listening)
    HEARTBEAT_SECONDS = 5.0

    def beat_if_due(self) -> bool:
        """Move this worker's heartbeat forward, at most every ``HEARTBEAT_SECONDS``; the
        first beat also deletes the rows of workers dead for a day (``heartbeats``)."""
        now = time.monotonic()
        if now < self._next_beat:
            return False
        first, self._next_beat = self._next_beat == 0.0, now + self.HEARTBEAT_SECONDS
        at = self.rt.clock.now()
        if first:
            heartbeats.forget(self.rt.uow, beaten_before=at - heartbeats.FORGOTTEN_AFTER)
        heartbeats.beat(self.rt.uow, worker=self.worker_id, name=self.HEARTBEAT_NAME,
                        started_at=self._started_at, now=at)
        return True

    def _forget_heartbeat(self) -> None:
        try:
            heartbeats.forget(self.rt.uow, worker=self.worker_id)
        except Exception:  # noqa: BLE001 - e.g. the database gone: the row ages out instead
            log.exception("could not remove the worker's heartbeat")

    def run(self) -> None:
        """Loop until ``stop_event`` is set: beat, deliver, sweep the clocks, chain the audit
        trail; the periodic jobs run beside it (:attr:`PERIODIC`). A clean stop removes the
        heartbeat row."""
        periodic = threading.Thread(target=self._periodic, name="fenghuo-periodic",
                                    daemon=True)
        periodic.start()
        if self.listener is not None:
            self.listener.start()
        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            while not self.stop_event.is_set():
                try:
                    self.beat_if_due()
                    self.sweep_if_due()
                    self.collect_if_due()
                    self.chain_audit_if_due()
                    if self._claim_due():
                        claimed = self.deliver_once(pool)
                        self._claim_now = claimed > 0
                        if claimed >= self.claim_limit:
                            continue  # more are waiting, surely
                        if claimed:  # under load: let the next few reports' messages gather
                            self.stop_event.wait(COALESCE_SECONDS)
                            continue
                except Exception:  # noqa: BLE001 - e.g. the database restarting; try again
                    log.exception("worker loop failed; retrying")
                    self._claim_now = True
                    self.stop_event.wait(1)
                self._wait_idle()
        periodic.join()  # a job under way finishes before the worker returns
        if self.listener is not None:
            self.listener.join()
        self._forget_heartbeat()

    def _wait_idle(self) -> None:
        if self.wake.wait(self._idle_seconds()):
            # woken by a new report: let a few more arrive, so that a burst of reports costs a
            # few claims and not one each. Cleared only when woken, before the claim: a wake-up
            # that comes as a wait times out stays set for the next wait, never lost.
            self.stop_event.wait(COALESCE_SECONDS)
            self.wake.clear()
            self._claim_now = True

    #: jobs that may take seconds at national scale (reminders over every unit's duties,
    #: bulletins, detection, housekeeping): run by a thread of their own, so that a warning
    #: published as a worker starts is delivered at once, not after them
    PERIODIC = ("remind_if_due", "bulletins_if_due", "detect_if_due", "notices_if_due",
                "protection_if_due", "housekeep_if_due", "checkpoint_if_due",
                "retention_if_due")

    def _periodic(self) -> None:
        while not self.stop_event.is_set():
            for job in self.PERIODIC:
                try:
                    getattr(self, job)()
                except Exception:  # noqa: BLE001 - e.g. the database restarting; try again
                    log.exception("periodic job failed; retrying", job=job)
            self.stop_event.wait(1)

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="fenghuo-worker", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.stop_event.set()
        self.wake.set()
