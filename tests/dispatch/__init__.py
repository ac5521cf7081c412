"""Dispatch test helpers: schema set-up, a fake clock, fake channels, a local SMTP server."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast

from aiosmtpd.controller import Controller
from sqlalchemy import Engine

from huikuan.db.migrate import upgrade
from huikuan.dispatch.channels import OutboundMessage, SendResult

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def migrate(engine: Engine) -> Engine:
    """The whole schema, dispatch tables included (migration 0006)."""
    upgrade(engine)
    return engine


@dataclass
class Clock:
    moment: datetime = T0

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, delta: timedelta) -> None:
        self.moment += delta


@dataclass
class FakeChannel:
    """Raises the queued errors in turn, then accepts; records every send."""

    errors: list[Exception] = field(default_factory=list)
    sent: list[OutboundMessage] = field(default_factory=list)
    calls: int = 0

    def send(self, message: OutboundMessage) -> SendResult:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append(message)
        return SendResult(provider_message_id=f"fake-{message.send_key}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return cast(int, sock.getsockname()[1])


class Recorder:
    """An aiosmtpd handler that keeps every accepted message; optional refusals, and an
    optional SIGKILL of the sending process while a message waits for its 250 reply."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.arrived: list[str] = []  # Message-IDs as the DATA arrives (before the reply)
        self.messages: list[EmailMessage] = []  # acknowledged with 250
        self.dropped: list[str] = []  # the client vanished before the reply: not accepted
        self.kill_pid: int | None = None
        self.kill_on_arrival = 0
        self.hold = 5.0  # how long the victim's message waits for its reply (cut short)
        self.rcpt_reply: str | None = None
        self.data_reply: str | None = None

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        if self.data_reply:
            return self.data_reply
        message = cast(
            EmailMessage, message_from_bytes(envelope.original_content, policy=policy.default)
        )
        with self.lock:
            self.arrived.append(str(message["Message-ID"]))
            victim = len(self.arrived) == self.kill_on_arrival and self.kill_pid is not None
        if victim:
            assert self.kill_pid is not None
            os.kill(self.kill_pid, signal.SIGKILL)  # the client now waits for our reply
            try:
                await asyncio.sleep(self.hold)  # aiosmtpd cancels us when the socket closes
            except asyncio.CancelledError:
                with self.lock:
                    self.dropped.append(str(message["Message-ID"]))
                raise
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(message["Message-ID"]) for message in self.messages]


@contextmanager
def smtp_server(recorder: Recorder) -> Iterator[int]:
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
