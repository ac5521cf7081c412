"""The outbox on SQLite and PostgreSQL: staging, claiming, expiry, retries, failures."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from huikuan.accounts.models import ContactPoint, Debtor
from huikuan.db.engine import transaction
from huikuan.dispatch import outbox
from huikuan.dispatch.channels import PermanentFailure, TemporaryFailure
from huikuan.dispatch.models import DeliveryReceipt, OutboxMessage
from huikuan.dispatch.worker import Backoff, RateLimiter, run_worker
from tests.dispatch import T0, Clock, FakeChannel, migrate


@pytest.fixture
def db(engine: Engine) -> Engine:
    return migrate(engine)


def new(key: str, **changes: object) -> outbox.NewMessage:
    fields: dict[str, object] = {
        "send_key": key,
        "channel": "email",
        "sender": "collections@huikuan.example",
        "recipient": f"token-for-{key}",
        "subject": "还款提醒",
        "body": "您好，请按时还款。",
        "not_before": T0,
        "expires_at": T0 + timedelta(hours=8),
    }
    fields.update(changes)
    return outbox.NewMessage(**fields)  # type: ignore[arg-type]


def rows(engine: Engine) -> dict[str, OutboxMessage]:
    with transaction(engine) as session:
        return {m.send_key: m for m in session.scalars(select(OutboxMessage))}


def receipts(engine: Engine, key: str) -> list[str]:
    with transaction(engine) as session:
        return list(
            session.scalars(
                select(DeliveryReceipt.event)
                .join(OutboxMessage, OutboxMessage.id == DeliveryReceipt.message_id)
                .where(OutboxMessage.send_key == key)
                .order_by(DeliveryReceipt.id)
            )
        )


def test_staging_twice_is_idempotent(db: Engine) -> None:
    batch = [new("a"), new("b"), new("a")]
    with transaction(db) as session:
        assert outbox.stage(session, batch, now=T0) == 2
    with transaction(db) as session:
        assert outbox.stage(session, batch, now=T0) == 0
        assert outbox.stage(session, [new("c")], now=T0) == 1
    with transaction(db) as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 3
    assert {m.status for m in rows(db).values()} == {"pending"}


def test_nothing_is_claimed_before_its_time(db: Engine) -> None:
    with transaction(db) as session:
        outbox.stage(session, [new("later", not_before=T0 + timedelta(hours=1))], now=T0)
    with transaction(db) as session:
        assert outbox.claim(session, "w1", 10, T0) == []
    with transaction(db) as session:
        [claimed] = outbox.claim(session, "w1", 10, T0 + timedelta(hours=1))
    assert claimed.send_key == "later"
    assert claimed.status == "sending"
    assert claimed.claimed_by == "w1"


def test_concurrent_workers_never_claim_the_same_message(db: Engine) -> None:
    with transaction(db) as session:
        outbox.stage(session, [new(f"m{i:03}") for i in range(60)], now=T0)
    barrier = threading.Barrier(3)
    taken: dict[str, list[str]] = {}

    def work(worker: str) -> None:
        barrier.wait()
        keys: list[str] = []
        while True:
            with transaction(db) as session:
                claimed = outbox.claim(session, worker, 7, T0)
            if not claimed:
                break
            keys.extend(m.send_key for m in claimed)
        taken[worker] = keys

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [key for keys in taken.values() for key in keys]
    assert len(every) == len(set(every)) == 60
    assert {m.claimed_by for m in rows(db).values()} <= {"w0", "w1", "w2"}


def test_postgres_claims_skip_rows_locked_by_an_open_claim(db: Engine) -> None:
    if db.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers")
    with transaction(db) as session:
        outbox.stage(session, [new(f"m{i}") for i in range(10)], now=T0)
    holder = Session(db)  # first worker's claim transaction, left open (rows locked)
    try:
        first = {m.send_key for m in outbox.claim(holder, "w1", 4, T0)}
        result: dict[str, set[str]] = {}

        def second() -> None:  # a separate connection; must not wait for w1's locks
            with transaction(db) as session:
                result["w2"] = {m.send_key for m in outbox.claim(session, "w2", 10, T0)}

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=60)
        assert not thread.is_alive(), "the second claim waited on the first one's row locks"
        holder.commit()
    finally:
        holder.close()
    assert len(first) == 4
    assert len(result["w2"]) == 6
    assert first.isdisjoint(result["w2"])


def test_due_message_past_expiry_is_expired_not_sent(db: Engine) -> None:
    with transaction(db) as session:
        outbox.stage(session, [new("late", expires_at=T0 + timedelta(minutes=30))], now=T0)
        outbox.stage(session, [new("fine", expires_at=None)], now=T0)
    channel = FakeChannel()
    clock = Clock(T0 + timedelta(minutes=30))
    stats = run_worker(db, {"email": channel}, "w1", clock, stop_when_idle=True)
    assert [m.send_key for m in channel.sent] == ["fine"]
    assert stats.sent == 1
    found = rows(db)
    assert found["late"].status == "expired"
    assert found["late"].attempts == 0
    assert receipts(db, "late") == ["expired"]


def test_temporary_failures_retry_with_exponential_backoff(db: Engine) -> None:
    with transaction(db) as session:
        outbox.stage(session, [new("r")], now=T0)
    channel = FakeChannel(errors=[TemporaryFailure("SMTP 451"), TimeoutError("read timed out")])
    clock = Clock()
    backoff = Backoff(base=timedelta(seconds=30))

    def once() -> None:
        run_worker(db, {"email": channel}, "w1", clock, backoff=backoff, stop_when_idle=True)

    once()
    message = rows(db)["r"]
    assert (message.status, message.attempts) == ("pending", 1)
    assert outbox.aware(message.next_attempt_at) == T0 + timedelta(seconds=30)
    assert message.last_error == "SMTP 451"
    clock.advance(timedelta(seconds=29))
    once()
    assert channel.calls == 1  # not due yet
    clock.advance(timedelta(seconds=1))
    once()
    message = rows(db)["r"]
    assert (message.status, message.attempts) == ("pending", 2)
    assert outbox.aware(message.next_attempt_at) == clock() + timedelta(seconds=60)
    assert message.last_error is not None
    assert "TimeoutError" in message.last_error
    clock.advance(timedelta(seconds=60))
    once()
    message = rows(db)["r"]
    assert (message.status, message.attempts) == ("sent", 3)
    assert message.provider_message_id == "fake-r"
    assert outbox.aware(message.sent_at or T0) == clock()
    assert len(channel.sent) == 1
    assert receipts(db, "r") == ["temporary_failure", "temporary_failure", "accepted"]


def test_retry_that_would_arrive_late_expires_instead(db: Engine) -> None:
    with transaction(db) as session:
        outbox.stage(session, [new("x", expires_at=T0 + timedelta(seconds=75))], now=T0)
    channel = FakeChannel(errors=[TemporaryFailure("451"), TemporaryFailure("451")])
    clock = Clock()
    backoff = Backoff(base=timedelta(seconds=30))
    for step in (timedelta(0), timedelta(seconds=30), timedelta(seconds=60)):
        clock.advance(step)
        run_worker(db, {"email": channel}, "w1", clock, backoff=backoff, stop_when_idle=True)
    assert channel.calls == 2  # the retry due at +90s is past the expiry at +75s
    assert rows(db)["x"].status == "expired"
    assert receipts(db, "x") == ["temporary_failure", "temporary_failure", "expired"]


def _contact_point(engine: Engine) -> int:
    with transaction(engine) as session:
        debtor = Debtor(debtor_no="D-1", language="zh")
        session.add(debtor)
        session.flush()
        point = ContactPoint(
            debtor_id=debtor.id,
            kind="email",
            owner_type="self",
            value_enc="token",
            value_hash="hash",
            value_masked="w***@example.com",
            data_source="contract",
            created_on=date(2027, 1, 1),
        )
        session.add(point)
        session.flush()
        return point.id


def test_permanent_failure_marks_contact_point_invalid(db: Engine) -> None:
    point_id = _contact_point(db)
    with transaction(db) as session:
        outbox.stage(session, [new("p", contact_point_id=point_id)], now=T0)
    channel = FakeChannel(errors=[PermanentFailure("SMTP 550 [address]: user unknown")])
    stats = run_worker(db, {"email": channel}, "w1", Clock(), stop_when_idle=True)
    assert stats.failed == 1
    message = rows(db)["p"]
    assert (message.status, message.attempts) == ("failed", 1)
    assert message.last_error == "SMTP 550 [address]: user unknown"
    assert receipts(db, "p") == ["permanent_failure"]
    with transaction(db) as session:
        assert session.get(ContactPoint, point_id).status == "invalid"  # type: ignore[union-attr]


def test_dead_workers_claims_are_taken_over_after_the_lease(db: Engine) -> None:
    with transaction(db) as session:
        outbox.stage(session, [new("handed"), new("waiting")], now=T0)
    with transaction(db) as session:  # worker w1 claims both, hands one over, then dies
        claimed = outbox.claim(session, "w1", 10, T0)
    with transaction(db) as session:
        assert outbox.mark_handed(session, claimed[0], "w1", T0, in_doubt=False)
    channel = FakeChannel()
    clock = Clock(T0 + timedelta(minutes=4))
    run_worker(db, {"email": channel}, "w2", clock, stop_when_idle=True)
    assert channel.calls == 0  # w1's lease has not run out yet
    clock.advance(timedelta(minutes=2))
    stats = run_worker(db, {"email": channel}, "w2", clock, stop_when_idle=True)
    assert sorted(m.send_key for m in channel.sent) == ["handed", "waiting"]
    assert stats.in_doubt == 1
    assert receipts(db, "handed") == ["in_doubt", "accepted"]
    assert receipts(db, "waiting") == ["accepted"]
    assert rows(db)["handed"].attempts == 2
    with transaction(db) as session:  # a slow w1 that wakes up cannot hand it over again
        assert not outbox.mark_handed(session, claimed[1], "w1", clock(), in_doubt=False)


def test_cancelled_messages_are_never_sent(db: Engine) -> None:
    with transaction(db) as session:
        outbox.stage(session, [new("paid"), new("other")], now=T0)
        assert outbox.cancel(session, ["paid"], "debtor paid in full") == 1
    channel = FakeChannel()
    run_worker(db, {"email": channel}, "w1", Clock(), stop_when_idle=True)
    assert [m.send_key for m in channel.sent] == ["other"]
    assert rows(db)["paid"].status == "cancelled"


def test_provider_receipts_are_recorded(db: Engine) -> None:
    point_id = _contact_point(db)
    with transaction(db) as session:
        outbox.stage(session, [new("d", contact_point_id=point_id)], now=T0)
    run_worker(db, {"email": FakeChannel()}, "w1", Clock(), stop_when_idle=True)
    with transaction(db) as session:
        event = outbox.ReceiptEvent.BOUNCED
        assert outbox.record_receipt(session, "fake-d", event, T0, "mailbox full")
        assert not outbox.record_receipt(session, "unknown", event, T0, "?")
    assert receipts(db, "d") == ["accepted", "bounced"]
    with transaction(db) as session:
        assert session.get(ContactPoint, point_id).status == "invalid"  # type: ignore[union-attr]


def test_rate_limit_per_sender() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    limiter = RateLimiter({"bank-a": 2.0}, clock=lambda: now[0], sleep=sleep)
    waits = [limiter.acquire("bank-a") for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.5, 0.5, 0.5, 0.5])
    assert limiter.acquire("unlimited") == 0.0
    assert now[0] == pytest.approx(2.0)


def test_worker_applies_the_rate_limit(db: Engine) -> None:
    with transaction(db) as session:
        outbox.stage(session, [new(f"m{i}") for i in range(4)], now=T0)
    slept: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter({"collections@huikuan.example": 1.0}, clock=lambda: now[0], sleep=sleep)
    channel = FakeChannel()
    run_worker(db, {"email": channel}, "w1", Clock(), rate_limiter=limiter, stop_when_idle=True)
    assert len(channel.sent) == 4
    assert slept == pytest.approx([1.0, 1.0, 1.0])


def test_message_that_expires_while_waiting_for_the_rate_limit_is_not_sent(db: Engine) -> None:
    with transaction(db) as session:
        outbox.stage(session, [new("a"), new("b", expires_at=T0 + timedelta(seconds=1))], now=T0)
    clock = Clock()

    def sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))

    limiter = RateLimiter(
        {"collections@huikuan.example": 0.5},
        clock=lambda: (clock() - T0).total_seconds(),
        sleep=sleep,
    )
    channel = FakeChannel()
    run_worker(db, {"email": channel}, "w1", clock, rate_limiter=limiter, stop_when_idle=True)
    assert [m.send_key for m in channel.sent] == ["a"]
    assert rows(db)["b"].status == "expired"
    assert receipts(db, "b") == ["expired"]
