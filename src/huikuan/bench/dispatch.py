"""The outbox worker's throughput: messages per second at concurrency 1 and 8.

``run(messages)`` migrates a fresh SQLite file, then for each channel and each concurrency
stages ``messages`` new messages and times one ``run_worker`` draining them (claim, hand over,
send, record: everything the worker does). The providers are real local servers in a separate
process, as a provider would be on another machine: the Kannel ``sendsms`` fake over HTTP and
an aiosmtpd SMTP server. Channels:

* ``sms``: Kannel through one pooled ``httpx.Client`` shared by the sending threads (how the
  demo wires it);
* ``sms_client_per_message``: Kannel with a new client per message (how ``huikuan worker``
  builds the channel from settings today), on a quarter of the messages;
* ``email``: SMTP, one connection per message;
* ``sms_latency_20ms`` and ``email_latency_20ms``: the same servers answering each message
  after 20 ms, as a provider across a network would (the local ones answer in well under a
  millisecond, which leaves threads little waiting to overlap), on a quarter of the messages.

One JSON line per run: ``bench`` (``dispatch.<channel>``), ``n``, ``concurrency``, ``seconds``
(wall time of the worker run), ``cpu_seconds`` (this process), ``per_second``, the provider's
count of distinct messages accepted (must equal ``n``), and at concurrency 8 the ``speedup``
over concurrency 1.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

AT = datetime(2026, 11, 20, 2, 5, tzinfo=UTC)  # the worker's clock: 10:05 in Beijing
CONCURRENCIES = (1, 8)
LATENCY = 0.02  # seconds: the answer time of the "remote" variants
SENDER = "collections@huikuan.example"


def serve(kind: str, latency: float = 0.0, requests: int = 0) -> None:
    """Run in the provider process: start the server, print its address, then answer
    ``count`` on stdin with the distinct messages accepted so far, until stdin closes.
    ``latency``: seconds each of the first ``requests`` messages waits for its answer."""
    if kind == "kannel":
        from huikuan.dispatch.provider_fakes import kannel_server

        with kannel_server(clock=lambda: AT) as (url, recorder):
            if latency:  # each request "fails" into a delayed acceptance
                recorder.fail_next(
                    requests, status=202, code="0: Accepted for delivery", delay=latency
                )
            print(url, flush=True)
            for line in sys.stdin:
                if line.strip() == "count":
                    keys = recorder.send_keys()
                    print(json.dumps({"accepted": len(keys), "distinct": len(set(keys))}))
                    sys.stdout.flush()
        return
    from aiosmtpd.controller import Controller

    class Counting:
        def __init__(self) -> None:
            self.lock = threading.Lock()
            self.ids: list[str] = []

        async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
            self, server: Any, session: Any, envelope: Any
        ) -> str:
            if latency:
                await asyncio.sleep(latency)
            content: bytes = envelope.original_content
            head = content.split(b"\r\n\r\n", 1)[0]
            found = [line for line in head.split(b"\r\n") if line.lower().startswith(b"message-id")]
            with self.lock:
                self.ids.append(found[0].decode() if found else "")
            return "250 Message accepted for delivery"

    handler = Counting()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        print(f"127.0.0.1:{port}", flush=True)
        for line in sys.stdin:
            if line.strip() == "count":
                with handler.lock:
                    ids = list(handler.ids)
                print(json.dumps({"accepted": len(ids), "distinct": len(set(ids))}), flush=True)
    finally:
        controller.stop()


class _Provider:
    def __init__(self, process: subprocess.Popen[str], address: str) -> None:
        self.process = process
        self.address = address

    def count(self) -> dict[str, int]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write("count\n")
        self.process.stdin.flush()
        return dict(json.loads(self.process.stdout.readline()))


@contextmanager
def _provider(kind: str, latency: float = 0.0, requests: int = 0) -> Iterator[_Provider]:
    code = f"from huikuan.bench.dispatch import serve; serve({kind!r}, {latency!r}, {requests})"
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        address = process.stdout.readline().strip()
        if not address:
            raise RuntimeError(f"the {kind} server did not start")
        yield _Provider(process, address)
    finally:
        if process.stdin is not None:
            process.stdin.close()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


def run(messages: int = 2000) -> list[dict[str, object]]:
    import httpx

    from huikuan.db.engine import make_engine, transaction
    from huikuan.db.migrate import upgrade
    from huikuan.dispatch import outbox
    from huikuan.dispatch.channels import Channel, SmtpEmailChannel
    from huikuan.dispatch.provider_fakes import FAKE_KANNEL_PASSWORD, FAKE_KANNEL_USER
    from huikuan.dispatch.sms import KannelSmsChannel
    from huikuan.dispatch.worker import run_worker

    lines: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="huikuan-dispatch-") as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'dispatch.db'}")
        upgrade(engine)

        def measure(name: str, channel: Channel, kind: str, n: int, provider: _Provider) -> None:
            rate_at_one = 0.0
            for concurrency in CONCURRENCIES:
                keys = [f"bench-{name}-c{concurrency}-{i}" for i in range(n)]
                with transaction(engine) as session:
                    outbox.stage(
                        session,
                        [
                            outbox.NewMessage(
                                send_key=key,
                                channel=kind,
                                sender=SENDER,
                                recipient=f"139{i:08d}" if kind == "sms" else f"d{i}@example.com",
                                subject="还款提醒",
                                body="您好，您的账单已逾期，请尽快还款。",
                                not_before=AT - timedelta(minutes=5),
                                expires_at=AT + timedelta(hours=8),
                            )
                            for i, key in enumerate(keys)
                        ],
                        now=AT - timedelta(minutes=5),
                    )
                before = provider.count()
                started, cpu = time.perf_counter(), time.process_time()
                stats = run_worker(
                    engine,
                    {kind: channel},
                    f"bench-{name}-{concurrency}",
                    lambda: AT,
                    batch=500,
                    stop_when_idle=True,
                    concurrency=concurrency,
                )
                seconds = time.perf_counter() - started
                cpu_seconds = time.process_time() - cpu
                after = provider.count()
                per_second = stats.sent / seconds if seconds else 0.0
                line: dict[str, object] = {
                    "bench": f"dispatch.{name}",
                    "n": n,
                    "concurrency": concurrency,
                    "seconds": round(seconds, 2),
                    "cpu_seconds": round(cpu_seconds, 2),
                    "per_second": round(per_second, 1),
                    "sent": stats.sent,
                    "provider_accepted": after["accepted"] - before["accepted"],
                    "provider_distinct": after["distinct"] - before["distinct"],
                }
                if concurrency == CONCURRENCIES[0]:
                    rate_at_one = per_second
                elif rate_at_one:
                    line["speedup"] = round(per_second / rate_at_one, 2)
                lines.append(line)
                print(json.dumps(line, ensure_ascii=False), flush=True)

        quarter = max(1, messages // 4)
        with _provider("kannel") as kannel, httpx.Client(timeout=10.0) as client:
            pooled = KannelSmsChannel(
                FAKE_KANNEL_USER,
                FAKE_KANNEL_PASSWORD,
                dlr_url="https://huikuan.example/sms/kannel/dlr",
                base_url=kannel.address,
                client=client,
            )
            measure("sms", pooled, "sms", messages, kannel)
            fresh = KannelSmsChannel(
                FAKE_KANNEL_USER,
                FAKE_KANNEL_PASSWORD,
                dlr_url="https://huikuan.example/sms/kannel/dlr",
                base_url=kannel.address,
            )
            measure("sms_client_per_message", fresh, "sms", quarter, kannel)
        with _provider("smtp") as smtp:
            host, _, port = smtp.address.rpartition(":")
            channel = SmtpEmailChannel(host, int(port), SENDER)
            measure("email", channel, "email", messages, smtp)
        slow_requests = quarter * len(CONCURRENCIES)
        with (
            _provider("kannel", LATENCY, slow_requests) as kannel,
            httpx.Client(timeout=10.0) as client,
        ):
            slow = KannelSmsChannel(
                FAKE_KANNEL_USER,
                FAKE_KANNEL_PASSWORD,
                dlr_url="https://huikuan.example/sms/kannel/dlr",
                base_url=kannel.address,
                client=client,
            )
            measure("sms_latency_20ms", slow, "sms", quarter, kannel)
        with _provider("smtp", LATENCY) as smtp:
            host, _, port = smtp.address.rpartition(":")
            channel = SmtpEmailChannel(host, int(port), SENDER)
            measure("email_latency_20ms", channel, "email", quarter, smtp)
        engine.dispose()
    return lines


if __name__ == "__main__":
    run(int(os.environ.get("BENCH_DISPATCH_MESSAGES", "2000")))
