"""The outbox worker: claim due messages, send each through its channel, record the outcome.

Run as many as you like, on as many machines as you like, against one PostgreSQL database
(claims skip rows other workers hold). Each outcome is committed in its own transaction right
after the provider answers, so a killed worker loses at most the one message it was handing
over; that message is recognisable afterwards and re-sent with the same send key (see
:mod:`huikuan.dispatch`).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine

from huikuan.db.engine import transaction
from huikuan.dispatch import outbox
from huikuan.dispatch.channels import (
    Channel,
    OutboundMessage,
    PermanentFailure,
    TemporaryFailure,
    redact,
)
from huikuan.dispatch.models import MessageStatus, OutboxMessage

log = logging.getLogger(__name__)


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

    The limit holds per worker process; with several workers give each its share of the
    provider's limit.
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

    def acquire(self, sender: str) -> float:
        """Take one token for ``sender``, waiting for it; returns the seconds waited."""
        rate = self.rates.get(sender)
        if rate is None:
            return 0.0
        waited = 0.0
        while True:
            now = self.clock()
            tokens, last = self._buckets.get(sender, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[sender] = (tokens - 1.0, now)
                return waited
            self._buckets[sender] = (tokens, now)
            pause = (1.0 - tokens) / rate
            self.sleep(pause)
            waited += pause


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
) -> WorkerStats:
    """Drain the outbox until ``max_batches`` claims were made (or, with ``stop_when_idle``,
    until nothing is due). ``reveal`` turns the stored recipient token into the address (the
    field cipher's decrypt); ``now`` is the clock for every decision."""
    backoff = backoff or Backoff()
    stats = WorkerStats()
    while max_batches is None or stats.batches < max_batches:
        with transaction(engine) as session:
            messages = outbox.claim(session, worker_id, batch, now(), lease=lease)
        stats.batches += 1
        stats.claimed += len(messages)
        if not messages:
            if stop_when_idle:
                break
            sleep(poll_interval)
            continue
        for message in messages:
            _deliver(
                engine,
                channels,
                worker_id,
                now,
                message,
                stats,
                backoff=backoff,
                max_attempts=max_attempts,
                rate_limiter=rate_limiter,
                reveal=reveal,
            )
    return stats


def _deliver(
    engine: Engine,
    channels: Mapping[str, Channel],
    worker_id: str,
    now: Callable[[], datetime],
    message: OutboxMessage,
    stats: WorkerStats,
    *,
    backoff: Backoff,
    max_attempts: int,
    rate_limiter: RateLimiter | None,
    reveal: Callable[[OutboxMessage], str],
) -> None:
    channel = channels.get(message.channel)
    if channel is None:
        with transaction(engine) as session:
            outbox.mark_failed(
                session,
                message,
                worker_id,
                f"no channel {message.channel!r} configured",
                now(),
                invalidate_contact_point=False,
            )
        stats.failed += 1
        return
    try:
        address = reveal(message)
    except Exception as error:  # a token this worker cannot decrypt: not the address's fault
        with transaction(engine) as session:
            outbox.mark_failed(
                session,
                message,
                worker_id,
                f"cannot reveal recipient: {type(error).__name__}",
                now(),
                invalidate_contact_point=False,
            )
        stats.failed += 1
        return
    if rate_limiter is not None:
        rate_limiter.acquire(message.sender)
    moment = now()
    expires_at = message.expires_at
    if expires_at is not None and outbox.aware(expires_at) <= moment:
        with transaction(engine) as session:  # too late now: expire, never send late
            outbox.expire(session, message, worker_id, moment)
        stats.expired += 1
        return
    in_doubt = message.handed_at is not None
    with transaction(engine) as session:
        if not outbox.mark_handed(session, message, worker_id, moment, in_doubt=in_doubt):
            stats.skipped += 1  # our lease ran out and another worker took it over
            return
    if in_doubt:
        stats.in_doubt += 1
    outbound = OutboundMessage(
        send_key=message.send_key,
        sender=message.sender,
        recipient=address,
        subject=message.subject,
        body=message.body,
        template=message.template_code or "",
        params=dict(message.template_params or {}),
    )
    try:
        result = channel.send(outbound)
    except PermanentFailure as error:
        # A failure of our own set-up (credentials, an unmapped template, a letter missing an
        # element) says nothing about the address: the contact point stays valid.
        at_fault = getattr(error, "contact_point_at_fault", True)
        with transaction(engine) as session:
            outbox.mark_failed(
                session,
                message,
                worker_id,
                str(error),
                now(),
                invalidate_contact_point=at_fault,
            )
        stats.failed += 1
        log.info("message %s failed permanently: %s", message.id, error)
        return
    except Exception as error:
        text = (
            str(error)
            if isinstance(error, TemporaryFailure)
            else redact(f"{type(error).__name__}: {error}")
        )
        moment = now()
        with transaction(engine) as session:
            if message.attempts >= max_attempts:
                outbox.mark_failed(
                    session,
                    message,
                    worker_id,
                    f"gave up after {message.attempts} attempts: {text}",
                    moment,
                    invalidate_contact_point=False,
                )
                status = MessageStatus.FAILED.value
            else:
                retry_at = moment + backoff.delay(message.attempts)
                status = outbox.mark_retry(session, message, worker_id, text, moment, retry_at)
        if status == MessageStatus.PENDING.value:
            stats.retried += 1
        elif status == MessageStatus.EXPIRED.value:
            stats.expired += 1
        else:
            stats.failed += 1
        stats.errors.append(text)
        log.info(
            "message %s: attempt %s failed (%s): %s", message.id, message.attempts, status, text
        )
        return
    with transaction(engine) as session:
        outbox.mark_sent(session, message, worker_id, result.provider_message_id, now())
    stats.sent += 1
