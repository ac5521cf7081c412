"""SIGKILL a real worker process mid-batch, start another: every message arrives, once.

The worker runs in a subprocess against a SQLite file and a real SMTP server (aiosmtpd) in
this process. When the 4th message's DATA arrives, the server's handler SIGKILLs the worker
and holds back its reply: the kill lands mid-batch, deterministically, while a message is in
the hands of the provider. That is the crash window made concrete. The second worker finds
the message ``sending`` with ``handed_at`` set (in doubt), records an ``in_doubt`` receipt and
sends it again with the same send key, hence the same ``Message-ID``.

Whether that gives a duplicate is up to the server. aiosmtpd (like a careful MTA) discards a
message whose client vanished before the 250 reply, so here every message arrives exactly
once; the test asserts that, and that the dropped message is the one the outbox marked in
doubt. A server that kept such a message would deliver it twice with one ``Message-ID`` (a
receiver can drop the copy); the outbox cannot tell, which is the one window it has.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from huikuan.db.engine import make_engine, transaction
from huikuan.dispatch import outbox
from huikuan.dispatch.channels import message_id
from huikuan.dispatch.models import DeliveryReceipt, OutboxMessage
from tests.dispatch import Recorder, migrate, smtp_server

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
    batch=100, lease=timedelta(seconds=lease), stop_when_idle=True,
)
print(stats.sent, stats.in_doubt)
"""

COUNT = 12
KILL_AFTER = 4  # the server kills the worker when this message's DATA arrives
PATIENCE = 120.0  # seconds to wait for progress before declaring the test broken (not timing)


def _wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.005)


def _worker(url: str, port: int, worker_id: str, lease: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, url, str(port), worker_id, str(lease)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigkill_mid_batch_then_restart_sends_every_message_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    engine = make_engine(url)
    migrate(engine)
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

    recorder = Recorder()
    with smtp_server(recorder) as port:
        first = _worker(url, port, "first", lease=300)
        recorder.kill_on_arrival, recorder.kill_pid = KILL_AFTER, first.pid
        first.communicate(timeout=PATIENCE)
        assert first.returncode == -signal.SIGKILL
        with transaction(engine) as session:
            before = Counter(session.scalars(select(OutboxMessage.status)))

        # The first worker is dead: a zero lease lets the second take its claims at once.
        second = _worker(url, port, "second", lease=0)
        out, err = second.communicate(timeout=PATIENCE)
        assert second.returncode == 0, err
        # Let the server finish with every message that arrived before counting.
        _wait_for(
            lambda: len(recorder.messages) + len(recorder.dropped) >= len(recorder.arrived),
            "the server",
        )

    received = Counter(recorder.message_ids())
    assert set(received) == set(expected)  # every planned message arrived, none unplanned
    with transaction(engine) as session:
        statuses = Counter(session.scalars(select(OutboxMessage.status)))
        accepted = Counter(
            session.scalars(
                select(OutboxMessage.send_key)
                .join(DeliveryReceipt, DeliveryReceipt.message_id == OutboxMessage.id)
                .where(DeliveryReceipt.event == "accepted")
            )
        )
        in_doubt = set(
            session.scalars(
                select(OutboxMessage.send_key)
                .join(DeliveryReceipt, DeliveryReceipt.message_id == OutboxMessage.id)
                .where(DeliveryReceipt.event == "in_doubt")
            )
        )
    engine.dispose()
    assert statuses == {"sent": COUNT}
    assert accepted == dict.fromkeys(keys, 1)  # the outbox recorded each send exactly once
    victim = recorder.arrived[KILL_AFTER - 1]
    assert recorder.dropped == [victim]  # the kill landed while the server held it
    assert in_doubt == {expected[victim]}  # … and the outbox knew exactly which one
    assert received == dict.fromkeys(expected, 1)  # every message accepted exactly once
    assert before == {"sent": KILL_AFTER - 1, "sending": COUNT - KILL_AFTER + 1}
    assert out.split() == [str(COUNT - KILL_AFTER + 1), "1"]  # second worker: sent, in doubt
