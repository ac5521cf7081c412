"""SIGKILL a worker with four messages in flight, start another: every message arrives, once.

The worker runs in a subprocess with ``concurrency=4`` against SQLite or PostgreSQL and a real
SMTP server (aiosmtpd) in this process. The server acknowledges the first five messages, then
holds every reply; when four replies are held at once (all of the worker's threads are waiting
on the provider) it SIGKILLs the worker. That moment is deterministic: a worker hands a new
message over only in the transaction that records a finished one, so when its four threads
all wait, every acknowledged message is already committed ``sent`` and exactly the four held
ones are in doubt. aiosmtpd discards a message whose client vanished before the 250 reply, so
the four arrive once, from the second worker, re-sent with the same send keys.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast

from sqlalchemy import Engine, select

from huikuan.db.engine import transaction
from huikuan.dispatch import outbox
from huikuan.dispatch.channels import message_id
from huikuan.dispatch.models import DeliveryReceipt, OutboxMessage
from tests.dispatch import migrate, smtp_server

WORKER = """
import sys
from datetime import UTC, datetime, timedelta
from huikuan.db.engine import make_engine
from huikuan.dispatch.channels import SmtpEmailChannel
from huikuan.dispatch.worker import run_worker

url, port, worker_id, lease = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
channel = SmtpEmailChannel("127.0.0.1", port, "collections@huikuan.example", timeout=30)
stats = run_worker(
    make_engine(url), {"email": channel}, worker_id, lambda: datetime.now(UTC),
    batch=100, lease=timedelta(seconds=lease), stop_when_idle=True, concurrency=int(sys.argv[5]),
)
print(stats.sent, stats.in_doubt)
"""

COUNT = 16
CONCURRENCY = 4
ACKNOWLEDGED = 5  # replies sent before the server starts holding them
PATIENCE = 120.0  # seconds to wait for progress before declaring the test broken (not timing)


class HoldThenKill:
    """Acknowledges the first ``acknowledged`` messages, then holds every reply; when
    ``concurrency`` replies are held at once, SIGKILLs ``kill_pid`` and lets later ones through."""

    def __init__(self, acknowledged: int, concurrency: int) -> None:
        self.acknowledged = acknowledged
        self.concurrency = concurrency
        self.lock = threading.Lock()
        self.kill_pid: int | None = None
        self.killed = False
        self.arrived: list[str] = []
        self.held: list[str] = []
        self.dropped: list[str] = []  # the client vanished before the reply: not accepted
        self.accepted: list[str] = []

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        message = cast(
            EmailMessage, message_from_bytes(envelope.original_content, policy=policy.default)
        )
        key = str(message["Message-ID"])
        with self.lock:
            self.arrived.append(key)
            hold = not self.killed and len(self.arrived) > self.acknowledged
            if hold:
                self.held.append(key)
                kill = len(self.held) == self.concurrency
        if hold:
            if kill:
                assert self.kill_pid is not None
                os.kill(self.kill_pid, signal.SIGKILL)  # four clients now wait for our reply
                with self.lock:
                    self.killed = True
            try:
                await asyncio.sleep(PATIENCE)  # aiosmtpd cancels us when the socket closes
            except asyncio.CancelledError:
                with self.lock:
                    self.dropped.append(key)
                raise
        with self.lock:
            self.accepted.append(key)
        return "250 Message accepted for delivery"


def _wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.005)


def _worker(url: str, port: int, worker_id: str, lease: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, url, str(port), worker_id, str(lease), str(CONCURRENCY)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigkill_with_four_in_flight_then_restart_sends_every_message_once(
    engine: Engine,
) -> None:
    migrate(engine)
    url = engine.url.render_as_string(hide_password=False)
    now = datetime.now(UTC)
    keys = [f"case-{n}:reminder:{now:%Y%m%d}" for n in range(COUNT)]
    with transaction(engine) as session:
        outbox.stage(
            session,
            [
                outbox.NewMessage(
                    send_key=key,
                    channel="email",
                    sender="collections@huikuan.example",
                    recipient=f"debtor{n}@example.com",
                    subject=f"还款提醒 {n}",
                    body="您好，您的账单即将到期，请按时还款。",
                    not_before=now - timedelta(minutes=1),
                    expires_at=now + timedelta(days=1),
                )
                for n, key in enumerate(keys)
            ],
            now=now,
        )
    engine.dispose()
    expected = {message_id(key, "huikuan.example"): key for key in keys}

    server = HoldThenKill(ACKNOWLEDGED, CONCURRENCY)
    with smtp_server(server) as port:  # type: ignore[arg-type]
        first = _worker(url, port, "first", lease=300)
        server.kill_pid = first.pid
        first.communicate(timeout=PATIENCE)
        assert first.returncode == -signal.SIGKILL
        _wait_for(lambda: len(server.dropped) == CONCURRENCY, "the held messages to be dropped")
        with transaction(engine) as session:
            before = Counter(session.scalars(select(OutboxMessage.status)))
            handed = set(
                session.scalars(
                    select(OutboxMessage.send_key).where(
                        OutboxMessage.status == "sending", OutboxMessage.handed_at.is_not(None)
                    )
                )
            )

        # The first worker is dead: a zero lease lets the second take its claims at once.
        second = _worker(url, port, "second", lease=0)
        out, err = second.communicate(timeout=PATIENCE)
        assert second.returncode == 0, err
        _wait_for(
            lambda: len(server.accepted) + len(server.dropped) >= len(server.arrived),
            "the server",
        )

    with transaction(engine) as session:
        statuses = Counter(session.scalars(select(OutboxMessage.status)))
        receipts = Counter(
            session.execute(
                select(OutboxMessage.send_key, DeliveryReceipt.event).join(
                    DeliveryReceipt, DeliveryReceipt.message_id == OutboxMessage.id
                )
            ).all()
        )
    engine.dispose()
    held = {expected[key] for key in server.held}
    assert before == {"sent": ACKNOWLEDGED, "sending": COUNT - ACKNOWLEDGED}
    assert handed == held  # the outbox knew exactly which messages were with the provider
    assert sorted(server.dropped) == sorted(server.held)  # … and none of them was accepted
    assert Counter(server.accepted) == dict.fromkeys(expected, 1)  # each accepted once
    assert statuses == {"sent": COUNT}
    assert {key for (key, event) in receipts if event == "accepted"} == set(keys)
    assert {key for (key, event) in receipts if event == "in_doubt"} == held
    assert max(receipts.values()) == 1  # one receipt of each kind per message
    assert out.split() == [str(COUNT - ACKNOWLEDGED), str(CONCURRENCY)]
