"""The worker with several messages in flight: real overlap, the same guarantees.

Overlap is shown by a real SMTP server that holds its replies until ``concurrency`` messages
wait at once (a one-at-a-time worker would never get there); exactly-once through the Kannel
fake with retries; the rate limiter shared by threads; a channel kept serial; SQLite found
locked by another process; and a worker stopped mid-batch recording what it had in flight.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from sqlalchemy import Engine, create_engine, select

from huikuan.db.engine import make_engine, transaction
from huikuan.dispatch import outbox
from huikuan.dispatch.channels import (
    OutboundMessage,
    SendResult,
    SmtpEmailChannel,
    TemporaryFailure,
    message_id,
)
from huikuan.dispatch.models import DeliveryReceipt, OutboxMessage
from huikuan.dispatch.provider_fakes import FAKE_KANNEL_PASSWORD, FAKE_KANNEL_USER, kannel_server
from huikuan.dispatch.sms import KannelSmsChannel
from huikuan.dispatch.worker import Backoff, RateLimiter, run_worker
from tests.dispatch import T0, Clock, FakeChannel, migrate, smtp_server

PATIENCE = 60.0  # how long a held reply waits before giving up (a broken test, not a timing)


@pytest.fixture
def db(engine: Engine) -> Engine:
    return migrate(engine)


def new(key: str, channel: str = "email", **changes: object) -> outbox.NewMessage:
    fields: dict[str, object] = {
        "send_key": key,
        "channel": channel,
        "sender": "collections@huikuan.example",
        "recipient": f"{key.replace(':', '.')}@example.com",
        "subject": "还款提醒",
        "body": "您好，请按时还款。",
        "not_before": T0,
        "expires_at": T0 + timedelta(hours=8),
    }
    fields.update(changes)
    return outbox.NewMessage(**fields)  # type: ignore[arg-type]


def stage(engine: Engine, messages: list[outbox.NewMessage]) -> None:
    with transaction(engine) as session:
        outbox.stage(session, messages, now=T0)


def statuses(engine: Engine) -> dict[str, str]:
    with transaction(engine) as session:
        return {m.send_key: m.status for m in session.scalars(select(OutboxMessage))}


def events(engine: Engine) -> Counter[tuple[str, str]]:
    with transaction(engine) as session:
        rows = session.execute(
            select(OutboxMessage.send_key, DeliveryReceipt.event).join(
                DeliveryReceipt, DeliveryReceipt.message_id == OutboxMessage.id
            )
        )
        return Counter((key, event) for key, event in rows)


class Gate:
    """An SMTP handler that holds every reply until ``parties`` messages wait for one at once,
    then accepts them all (and everything after)."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self.lock = threading.Lock()
        self.waiting = 0
        self.most_waiting = 0
        self.opened: asyncio.Event | None = None
        self.message_ids: list[str] = []

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        if self.opened is None:
            self.opened = asyncio.Event()  # created on the server's own event loop
        message = cast(
            EmailMessage, message_from_bytes(envelope.original_content, policy=policy.default)
        )
        if not self.opened.is_set():
            with self.lock:
                self.waiting += 1
                self.most_waiting = max(self.most_waiting, self.waiting)
                if self.waiting == self.parties:
                    self.opened.set()
            try:
                await asyncio.wait_for(self.opened.wait(), PATIENCE)
            except TimeoutError:
                return "451 nobody else came"  # a temporary failure: the test then fails
            finally:
                with self.lock:
                    self.waiting -= 1
        with self.lock:
            self.message_ids.append(str(message["Message-ID"]))
        return "250 Message accepted for delivery"


def test_messages_overlap_up_to_the_concurrency_and_each_is_sent_once(db: Engine) -> None:
    keys = [f"case-{n}:reminder" for n in range(12)]
    stage(db, [new(key) for key in keys])
    gate = Gate(parties=4)
    with smtp_server(gate) as port:  # type: ignore[arg-type]
        channel = SmtpEmailChannel("127.0.0.1", port, "collections@huikuan.example")
        stats = run_worker(
            db, {"email": channel}, "w1", Clock(), stop_when_idle=True, concurrency=4
        )
    assert gate.most_waiting == 4  # four messages were with the server at the same time
    assert (stats.sent, stats.retried, stats.failed) == (12, 0, 0)
    expected = {message_id(key, "huikuan.example") for key in keys}
    assert Counter(gate.message_ids) == dict.fromkeys(expected, 1)
    assert statuses(db) == dict.fromkeys(keys, "sent")
    assert events(db) == {(key, "accepted"): 1 for key in keys}


def test_one_at_a_time_never_opens_the_gate(db: Engine) -> None:
    """The gate test can fail: a worker with one message in flight never has two waiting."""
    stage(db, [new("a"), new("b")])
    gate = Gate(parties=2)
    with smtp_server(gate) as port:  # type: ignore[arg-type]
        channel = SmtpEmailChannel("127.0.0.1", port, "collections@huikuan.example", timeout=1)
        stats = run_worker(db, {"email": channel}, "w1", Clock(), stop_when_idle=True)
    assert gate.most_waiting == 1
    assert stats.sent == 0
    assert stats.retried == 2  # the client's timeout came first: retried later, never lost


def test_kannel_sends_each_text_once_with_eight_in_flight_and_retries(db: Engine) -> None:
    keys = [f"case-{n}:SMS-M1-D5:20270301" for n in range(120)]
    phones = {key: f"139{n:08d}" for n, key in enumerate(keys)}
    stage(db, [new(key, "sms", sender="10690000", recipient=phones[key]) for key in keys])
    clock = Clock()
    backoff = Backoff(base=timedelta(seconds=30))
    with kannel_server() as (url, recorder), httpx.Client(timeout=10) as client:
        channel = KannelSmsChannel(
            FAKE_KANNEL_USER,
            FAKE_KANNEL_PASSWORD,
            dlr_url="https://huikuan.example/sms/kannel/dlr",
            base_url=url,
            client=client,  # one pooled client shared by the eight threads
        )
        recorder.fail_next(3, status=503)  # three attempts fail: retried after the backoff
        first = run_worker(
            db,
            {"sms": channel},
            "w1",
            clock,
            batch=50,
            backoff=backoff,
            stop_when_idle=True,
            concurrency=8,
        )
        clock.advance(timedelta(seconds=30))
        second = run_worker(
            db, {"sms": channel}, "w1", clock, backoff=backoff, stop_when_idle=True, concurrency=8
        )
    assert (first.sent, first.retried, second.sent, second.claimed) == (117, 3, 3, 3)
    assert Counter(recorder.send_keys()) == dict.fromkeys(keys, 1)
    assert {m.send_key: m.phone for m in recorder.accepted()} == phones
    assert statuses(db) == dict.fromkeys(keys, "sent")
    found = events(db)
    assert {key for (key, event) in found if event == "accepted"} == set(keys)
    assert max(found.values()) == 1
    assert sum(n for (_, event), n in found.items() if event == "temporary_failure") == 3


def test_rate_limiter_shared_by_threads_hands_out_each_slot_once() -> None:
    """Threads reserving at the same instant queue up one ``1/rate`` apart; the clock yields to
    other threads mid-reservation, where an unlocked bucket would hand out a slot twice."""

    def clock() -> float:
        time.sleep(0.0005)  # give other threads the chance to interleave
        return 100.0

    limiter = RateLimiter({"bank-a": 4.0}, clock=clock)
    delays: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def take() -> None:
        start.wait()
        for _ in range(5):
            delay = limiter.reserve("bank-a")
            with lock:
                delays.append(delay)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(delays) == pytest.approx([n / 4.0 for n in range(40)])


def test_rate_limit_still_applies_with_several_in_flight(db: Engine) -> None:
    stage(db, [new(f"m{n}") for n in range(6)])
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter({"collections@huikuan.example": 1.0}, clock=lambda: now[0], sleep=sleep)
    channel = FakeChannel()
    stats = run_worker(
        db,
        {"email": channel},
        "w1",
        Clock(),
        rate_limiter=limiter,
        stop_when_idle=True,
        concurrency=4,
    )
    assert stats.sent == 6
    assert slept == pytest.approx([1.0] * 5)  # one token a second, whatever the concurrency


class Overlap:
    """A channel that notes how many of its sends run at once (each lingers a moment)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.sent: list[str] = []

    def send(self, message: OutboundMessage) -> SendResult:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.02)  # long enough for other threads to enter if nothing stops them
        with self.lock:
            self.running -= 1
            self.sent.append(message.send_key)
        return SendResult(provider_message_id=f"p-{message.send_key}")


@pytest.mark.parametrize(("serial", "most"), [(True, 1), (False, 4)])
def test_serial_channel_gets_one_send_at_a_time(db: Engine, serial: bool, most: int) -> None:
    stage(db, [new(f"letter-{n}", "letter") for n in range(8)])
    channel = Overlap()
    run_worker(
        db,
        {"letter": channel},
        "w1",
        Clock(),
        stop_when_idle=True,
        concurrency=4,
        serial_channels={"letter"} if serial else (),
    )
    assert sorted(channel.sent) == sorted(f"letter-{n}" for n in range(8))
    if serial:
        assert channel.most == 1
    else:
        assert channel.most > 1  # the same channel overlaps when not kept serial
    assert channel.most <= most


def test_serial_channel_waiting_its_turn_does_not_hold_the_other_slots(db: Engine) -> None:
    """Letters first in the batch, two slots: the first letter cannot finish until both emails
    are sent, which only happens if the other letters leave the second slot to the emails."""
    stage(db, [*(new(f"letter-{n}", "letter") for n in range(3)), new("e-0"), new("e-1")])
    emails_out = threading.Event()
    emails = FakeChannel()

    class EmailsFirst(FakeChannel):
        def send(self, message: OutboundMessage) -> SendResult:
            if not emails_out.wait(PATIENCE):
                raise TemporaryFailure("the emails never went out")
            return super().send(message)

    class CountingEmails(FakeChannel):
        def send(self, message: OutboundMessage) -> SendResult:
            result = emails.send(message)
            if len(emails.sent) == 2:
                emails_out.set()
            return result

    letters = EmailsFirst()
    stats = run_worker(
        db,
        {"letter": letters, "email": CountingEmails()},
        "w1",
        Clock(),
        stop_when_idle=True,
        concurrency=2,
        serial_channels={"letter"},
    )
    assert (stats.sent, stats.retried) == (5, 0)
    assert [m.send_key for m in letters.sent] == ["letter-0", "letter-1", "letter-2"]


def test_sqlite_found_locked_by_another_process_is_retried(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    setup = make_engine(f"sqlite:///{path}")  # WAL mode, which the file keeps
    migrate(setup)
    stage(setup, [new("only")])
    setup.dispose()
    # The driver's busy timeout is cut short so the worker's own retry is what copes.
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.05})
    # "Another process": a connection of its own, released from the worker's retry sleep.
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    class LocksTheDatabase(FakeChannel):
        def send(self, message: OutboundMessage) -> SendResult:
            other.execute("BEGIN IMMEDIATE")  # holds the write lock while we record the outcome
            return super().send(message)

    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if other.in_transaction:
            other.execute("ROLLBACK")  # the other writer finishes

    channel = LocksTheDatabase()
    try:
        stats = run_worker(
            engine,
            {"email": channel},
            "w1",
            Clock(),
            stop_when_idle=True,
            sleep=sleep,
            concurrency=2,
        )
    finally:
        other.close()
        engine.dispose()
    assert stats.sent == 1
    assert channel.calls == 1
    assert slept == [0.05]  # one retry after the lock was found
    check = make_engine(f"sqlite:///{path}")
    assert statuses(check) == {"only": "sent"}
    assert events(check) == {("only", "accepted"): 1}
    check.dispose()


def test_stopping_mid_batch_records_what_was_in_flight(db: Engine) -> None:
    """Ctrl-C while preparing the third message: the two already sent are recorded as sent;
    the third was never handed over, so it is not in doubt."""
    stage(db, [new("a"), new("b"), new("c")])
    channel = FakeChannel()

    def reveal(message: OutboxMessage) -> str:
        if message.send_key == "c":
            raise KeyboardInterrupt
        return message.recipient

    with pytest.raises(KeyboardInterrupt):
        run_worker(
            db,
            {"email": channel},
            "w1",
            Clock(),
            stop_when_idle=True,
            reveal=reveal,
            concurrency=2,
        )
    assert sorted(m.send_key for m in channel.sent) == ["a", "b"]
    assert statuses(db) == {"a": "sent", "b": "sent", "c": "sending"}
    with transaction(db) as session:
        waiting = session.scalars(select(OutboxMessage).where(OutboxMessage.send_key == "c")).one()
    assert waiting.handed_at is None
    assert events(db) == {("a", "accepted"): 1, ("b", "accepted"): 1}


def test_concurrency_must_be_positive(db: Engine) -> None:
    with pytest.raises(ValueError, match="concurrency"):
        run_worker(db, {}, "w1", Clock(), stop_when_idle=True, concurrency=0)
