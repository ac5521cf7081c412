"""The outbox worker: claim due messages, send them through their channels, record outcomes.

Run as many as you like, on as many machines as you like, against one PostgreSQL database
(claims skip rows other workers hold). Within one process, ``concurrency`` messages are with
providers at once (a pool of threads; the channels are blocking HTTP and SMTP clients).

Data flow inside :func:`run_worker`::

    claiming thread                                   pool threads (``concurrency`` of them)
    ├─ claim a batch                  (1 transaction)
    └─ until the batch is done:
       ├─ prepare messages for the free slots: reveal the address, take a rate-limit token
       │  (waiting for it), expire what is now too late; a message of a serial channel
       │  (``serial_channels``, e.g. letters) waits while one of its kind is out
       ├─ one short transaction: outcomes of the finished sends (sent / retry / failed, with
       │  receipts) + ``mark_handed`` for the prepared ones; committed, then
       ├─ submit each handed message  ─────────────────►  channel.send(message)
       └─ wait until one of them finishes  ◄────────────  result or exception

Only the claiming thread touches the database, so SQLite keeps its single writer and
PostgreSQL uses one connection per worker; a transaction that finds SQLite locked by another
process is retried. A message is always committed as handed before its provider call and
recorded after it, and a new message is handed over only once a finished one is recorded in
the same transaction: a killed worker leaves at most ``concurrency`` messages in doubt, each
re-sent with the same send key by whoever takes the claim over (see :mod:`huikuan.dispatch`).
With ``concurrency=1`` this is the one-at-a-time worker the exactly-once tests were written for.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from huikuan.db.engine import transaction
from huikuan.dispatch import outbox
from huikuan.dispatch.channels import (
    Channel,
    OutboundMessage,
    PermanentFailure,
    SendResult,
    TemporaryFailure,
    redact,
)
from huikuan.dispatch.models import MessageStatus, OutboxMessage

log = logging.getLogger(__name__)

T = TypeVar("T")

# SQLite: how often a write that found the database locked (another process writing) is
# retried, after the driver's own busy timeout, before the worker gives up.
LOCKED_RETRIES = 8


def default_worker_id() -> str:
    """Unique per process: host, pid and a random suffix (claims are owned by this id)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff: ``base · 2^(attempt-1)``, at most ``cap``."""

    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)

    def delay(self, attempt: int) -> timedelta:
        return min(self.cap, self.base * (1 << max(0, min(attempt - 1, 30))))


class RateLimiter:
    """A token bucket per sender: ``rate`` messages a second, bursts of up to ``burst``.

    Thread-safe: each caller reserves its token under a lock (the bucket may go below zero,
    queueing callers one ``1/rate`` apart) and then sleeps outside it, so threads sharing a
    limiter never exceed the rate together. The limit holds per process; with several worker
    processes give each its share of the provider's limit.
    """

    def __init__(
        self,
        rates: Mapping[str, float],
        *,
        burst: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if any(rate <= 0 for rate in rates.values()):
            raise ValueError("rates must be positive")
        self.rates = dict(rates)
        self.burst = max(1.0, burst)
        self.clock = clock
        self.sleep = sleep
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def reserve(self, sender: str) -> float:
        """Take one token for ``sender`` without waiting; returns the seconds until it is
        valid (0 when it is valid now). The caller must wait that long before sending."""
        rate = self.rates.get(sender)
        if rate is None:
            return 0.0
        with self._lock:
            now = self.clock()
            tokens, last = self._buckets.get(sender, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * rate) - 1.0
            self._buckets[sender] = (tokens, now)
        return 0.0 if tokens >= 0.0 else -tokens / rate

    def acquire(self, sender: str) -> float:
        """Take one token for ``sender``, waiting for it; returns the seconds waited."""
        delay = self.reserve(sender)
        if delay > 0.0:
            self.sleep(delay)
        return delay


@dataclass
class WorkerStats:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    expired: int = 0
    skipped: int = 0
    in_doubt: int = 0
    batches: int = 0
    errors: list[str] = field(default_factory=list)


def _identity(message: OutboxMessage) -> str:
    return message.recipient


def run_worker(
    engine: Engine,
    channels: Mapping[str, Channel],
    worker_id: str,
    now: Callable[[], datetime],
    batch: int = 100,
    max_batches: int | None = None,
    *,
    lease: timedelta = outbox.DEFAULT_LEASE,
    backoff: Backoff | None = None,
    max_attempts: int = 10,
    rate_limiter: RateLimiter | None = None,
    reveal: Callable[[OutboxMessage], str] = _identity,
    stop_when_idle: bool = False,
    poll_interval: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    concurrency: int = 1,
    serial_channels: Collection[str] = (),
) -> WorkerStats:
    """Drain the outbox until ``max_batches`` claims were made (or, with ``stop_when_idle``,
    until nothing is due). ``reveal`` turns the stored recipient token into the address (the
    field cipher's decrypt); ``now`` is the clock for every decision.

    ``concurrency`` messages are sent at once, each on a pool thread; the channels must be
    safe to call from several threads, except those named in ``serial_channels`` (e.g. a
    renderer that is not), which get one send at a time. ``sleep`` waits between polls and
    before retrying a write that found SQLite locked.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    backoff = backoff or Backoff()
    stats = WorkerStats()
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="outbox-send") as pool:
        pipeline = _Pipeline(
            engine,
            channels,
            worker_id,
            now,
            stats,
            pool,
            concurrency=concurrency,
            serial_channels=serial_channels,
            backoff=backoff,
            max_attempts=max_attempts,
            rate_limiter=rate_limiter,
            reveal=reveal,
            sleep=sleep,
        )
        while max_batches is None or stats.batches < max_batches:
            messages = _retrying(
                engine,
                lambda session: outbox.claim(session, worker_id, batch, now(), lease=lease),
                sleep,
            )
            stats.batches += 1
            stats.claimed += len(messages)
            if not messages:
                if stop_when_idle:
                    break
                sleep(poll_interval)
                continue
            pipeline.deliver(messages)
    return stats


def _retrying(engine: Engine, work: Callable[[Session], T], sleep: Callable[[float], None]) -> T:
    """Run ``work`` in one transaction; on SQLite, again (from scratch) while it finds the
    database locked by another process, which the driver's busy timeout did not outlast."""
    for attempt in itertools.count():
        try:
            with transaction(engine) as session:
                return work(session)
        except OperationalError as error:
            locked = "locked" in str(error.orig) or "busy" in str(error.orig)
            if engine.dialect.name != "sqlite" or not locked or attempt >= LOCKED_RETRIES:
                raise
            log.warning("outbox write found the database locked; retry %d", attempt + 1)
            sleep(min(2.0, 0.05 * 2**attempt))
    raise AssertionError("unreachable")  # pragma: no cover - itertools.count never ends


@dataclass(frozen=True, slots=True)
class _Ready:
    """A message that holds its rate-limit token and goes to the provider once handed over."""

    message: OutboxMessage
    channel: Channel
    outbound: OutboundMessage
    moment: datetime  # when it was found still on time: the hand-over's timestamp
    in_doubt: bool  # a dead worker had handed it over already


@dataclass(frozen=True, slots=True)
class _Done:
    """What one recorded outcome adds to the stats (applied only once it is committed)."""

    counter: str  # the WorkerStats field to add one to
    error: str | None = None
    note: str | None = None  # for the log: never an address


def _send(channel: Channel, message: OutboundMessage, lock: threading.Lock | None) -> SendResult:
    """Runs on a pool thread: the provider call and nothing else (no database)."""
    if lock is None:
        return channel.send(message)
    with lock:
        return channel.send(message)


class _Pipeline:
    """Keeps up to ``concurrency`` messages with providers; owns every database write."""

    def __init__(
        self,
        engine: Engine,
        channels: Mapping[str, Channel],
        worker_id: str,
        now: Callable[[], datetime],
        stats: WorkerStats,
        pool: ThreadPoolExecutor,
        *,
        concurrency: int,
        serial_channels: Collection[str],
        backoff: Backoff,
        max_attempts: int,
        rate_limiter: RateLimiter | None,
        reveal: Callable[[OutboxMessage], str],
        sleep: Callable[[float], None],
    ) -> None:
        self.engine = engine
        self.channels = channels
        self.worker_id = worker_id
        self.now = now
        self.stats = stats
        self.pool = pool
        self.concurrency = concurrency
        self.locks = {name: threading.Lock() for name in serial_channels}
        self.backoff = backoff
        self.max_attempts = max_attempts
        self.rate_limiter = rate_limiter
        self.reveal = reveal
        self.sleep = sleep
        # Handed over and sending; finished but not yet recorded; prepared but not yet handed
        # over; outcomes decided without a send (no channel, expired). In flight + finished
        # never exceeds ``concurrency``: that bounds what a crash can leave in doubt.
        self.flight: dict[Future[SendResult], _Ready] = {}
        self.finished: list[tuple[_Ready, Future[SendResult]]] = []
        self.ready: list[_Ready] = []
        self.writes: list[Callable[[Session], _Done]] = []

    def deliver(self, messages: Sequence[OutboxMessage]) -> None:
        queue = deque(messages)
        try:
            while queue or self.flight or self.finished or self.ready or self.writes:
                self._fill(queue)
                self._write()
                if self.flight:
                    done, _ = wait(self.flight, return_when=FIRST_COMPLETED)
                    for future in done:
                        self.finished.append((self.flight.pop(future), future))
        except BaseException:
            self._drain()
            raise

    def _fill(self, queue: deque[OutboxMessage]) -> None:
        """Prepare messages for the free slots, in order, except that a serial channel's
        message waits while one of its kind is out (it would only hold a slot waiting)."""
        busy = {item.message.channel for item in [*self.flight.values(), *self.ready]}
        passed: list[OutboxMessage] = []
        while queue and len(self.flight) + len(self.ready) < self.concurrency:
            message = queue.popleft()
            if message.channel in self.locks and message.channel in busy:
                passed.append(message)
                continue
            self._prepare(message)
            if self.ready and self.ready[-1].message is message:
                busy.add(message.channel)
        queue.extendleft(reversed(passed))

    def _prepare(self, message: OutboxMessage) -> None:
        channel = self.channels.get(message.channel)
        if channel is None:
            self.writes.append(
                partial(self._fail, message, f"no channel {message.channel!r} configured")
            )
            return
        try:
            address = self.reveal(message)
        except Exception as error:  # a token this worker cannot decrypt: not the address's fault
            reason = f"cannot reveal recipient: {type(error).__name__}"
            self.writes.append(partial(self._fail, message, reason))
            return
        if self.rate_limiter is not None:
            delay = self.rate_limiter.reserve(message.sender)
            if delay > 0.0:
                # What already holds a token goes out now, not in a burst after this wait.
                self._write()
                self.rate_limiter.sleep(delay)
        moment = self.now()
        expires_at = message.expires_at
        if expires_at is not None and outbox.aware(expires_at) <= moment:
            self.writes.append(partial(self._expire, message, moment))  # never send late
            return
        outbound = OutboundMessage(
            send_key=message.send_key,
            sender=message.sender,
            recipient=address,
            subject=message.subject,
            body=message.body,
            template=message.template_code or "",
            params=dict(message.template_params or {}),
        )
        self.ready.append(_Ready(message, channel, outbound, moment, message.handed_at is not None))

    def _write(self) -> None:
        """One transaction: record what finished, then hand over what is ready; after the
        commit, start the sends of the messages handed over."""
        if not (self.finished or self.writes or self.ready):
            return
        finished, writes, ready = list(self.finished), list(self.writes), list(self.ready)

        def work(session: Session) -> tuple[list[_Done], list[_Ready]]:
            done = [self._outcome(session, item, future) for item, future in finished]
            done += [write(session) for write in writes]
            handed = [
                item
                for item in ready
                if outbox.mark_handed(
                    session, item.message, self.worker_id, item.moment, in_doubt=item.in_doubt
                )
            ]
            return done, handed

        done, handed = _retrying(self.engine, work, self.sleep)
        self.finished.clear()
        self.writes.clear()
        self.ready.clear()
        for outcome in done:
            setattr(self.stats, outcome.counter, getattr(self.stats, outcome.counter) + 1)
            if outcome.error is not None:
                self.stats.errors.append(outcome.error)
            if outcome.note is not None:
                log.info("%s", outcome.note)
        self.stats.skipped += len(ready) - len(handed)  # our lease ran out; another took over
        for item in handed:
            if item.in_doubt:
                self.stats.in_doubt += 1
            lock = self.locks.get(item.message.channel)
            self.flight[self.pool.submit(_send, item.channel, item.outbound, lock)] = item

    def _outcome(self, session: Session, item: _Ready, future: Future[SendResult]) -> _Done:
        message = item.message
        error = future.exception()
        if error is None:
            result = future.result()
            outbox.mark_sent(
                session, message, self.worker_id, result.provider_message_id, self.now()
            )
            return _Done("sent")
        if isinstance(error, PermanentFailure):
            # A failure of our own set-up (credentials, an unmapped template, a letter missing
            # an element) says nothing about the address: the contact point stays valid.
            at_fault = getattr(error, "contact_point_at_fault", True)
            outbox.mark_failed(
                session,
                message,
                self.worker_id,
                str(error),
                self.now(),
                invalidate_contact_point=at_fault,
            )
            return _Done("failed", note=f"message {message.id} failed permanently: {error}")
        text = (
            str(error)
            if isinstance(error, TemporaryFailure)
            else redact(f"{type(error).__name__}: {error}")
        )
        moment = self.now()
        if message.attempts >= self.max_attempts:
            outbox.mark_failed(
                session,
                message,
                self.worker_id,
                f"gave up after {message.attempts} attempts: {text}",
                moment,
                invalidate_contact_point=False,
            )
            status = MessageStatus.FAILED.value
        else:
            retry_at = moment + self.backoff.delay(message.attempts)
            status = outbox.mark_retry(session, message, self.worker_id, text, moment, retry_at)
        counter = {MessageStatus.PENDING.value: "retried", MessageStatus.EXPIRED.value: "expired"}
        note = f"message {message.id}: attempt {message.attempts} failed ({status}): {text}"
        return _Done(counter.get(status, "failed"), error=text, note=note)

    def _fail(self, message: OutboxMessage, reason: str, session: Session) -> _Done:
        outbox.mark_failed(
            session, message, self.worker_id, reason, self.now(), invalidate_contact_point=False
        )
        return _Done("failed")

    def _expire(self, message: OutboxMessage, moment: datetime, session: Session) -> _Done:
        outbox.expire(session, message, self.worker_id, moment)
        return _Done("expired")

    def _drain(self) -> None:
        """Stopping on an error or Ctrl-C: let the sends already running finish and record
        them, so the stop leaves in doubt only what could not be written."""
        self.ready.clear()  # never handed over, never sent: the claim lapses with the lease
        if self.flight:
            wait(self.flight)
            self.finished.extend((item, future) for future, item in self.flight.items())
            self.flight.clear()
        try:
            self._write()
        except Exception:
            log.warning(
                "worker stopping: %d outcomes could not be recorded and stay in doubt",
                len(self.finished),
            )
