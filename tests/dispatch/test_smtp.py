"""SmtpEmailChannel against a real SMTP server (aiosmtpd) on the loopback interface."""

from __future__ import annotations

import socket

import pytest

from huikuan.dispatch.channels import (
    OutboundMessage,
    PermanentFailure,
    SmtpEmailChannel,
    TemporaryFailure,
    message_id,
)
from tests.dispatch import Recorder, free_port, smtp_server

MESSAGE = OutboundMessage(
    send_key="case-42:reminder:2027-03-01",
    sender="collections@huikuan.example",
    recipient="wang.xiaoming@example.com",
    subject="还款提醒：您的账单将于3月5日到期",
    body="王先生您好：\n您尚有人民币1,234.56元未还，请于2027年3月5日前还款。\n如已还款请忽略。",
)


def test_sends_chinese_subject_and_body_as_utf8() -> None:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        channel = SmtpEmailChannel("127.0.0.1", port, "collections@huikuan.example", timeout=10)
        result = channel.send(MESSAGE)
    [received] = recorder.messages
    assert received["Subject"] == MESSAGE.subject
    assert received.get_content() == MESSAGE.body + "\n"
    assert received.get_content_charset() == "utf-8"
    assert received["To"] == MESSAGE.recipient
    expected_id = message_id(MESSAGE.send_key, "huikuan.example")
    assert received["Message-ID"] == expected_id == result.provider_message_id


def test_same_send_key_gives_same_message_id() -> None:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        channel = SmtpEmailChannel("127.0.0.1", port, "collections@huikuan.example", timeout=10)
        channel.send(MESSAGE)
        channel.send(MESSAGE)
    first, second = recorder.message_ids()
    assert first == second


@pytest.mark.parametrize(
    ("stage", "reply", "error"),
    [
        ("rcpt", "451 4.3.0 Mailbox temporarily unavailable", TemporaryFailure),
        ("data", "451 4.3.0 Try again later", TemporaryFailure),
        ("rcpt", "550 5.1.1 <wang.xiaoming@example.com>: user unknown", PermanentFailure),
        ("data", "554 5.7.1 Rejected", PermanentFailure),
    ],
)
def test_reply_codes_map_to_failure_kinds(stage: str, reply: str, error: type[Exception]) -> None:
    recorder = Recorder()
    if stage == "rcpt":
        recorder.rcpt_reply = reply
    else:
        recorder.data_reply = reply
    with smtp_server(recorder) as port:
        channel = SmtpEmailChannel("127.0.0.1", port, "collections@huikuan.example", timeout=10)
        with pytest.raises(error) as raised:
            channel.send(MESSAGE)
    assert reply[:3] in str(raised.value)
    assert "wang.xiaoming" not in str(raised.value)  # provider text is redacted
    assert recorder.messages == []


def test_connection_refused_is_temporary() -> None:
    channel = SmtpEmailChannel("127.0.0.1", free_port(), "collections@huikuan.example", timeout=5)
    with pytest.raises(TemporaryFailure):
        channel.send(MESSAGE)


def test_silent_server_times_out_as_temporary() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts the connection, never greets
        port = listener.getsockname()[1]
        channel = SmtpEmailChannel("127.0.0.1", port, "collections@huikuan.example", timeout=0.2)
        with pytest.raises(TemporaryFailure):
            channel.send(MESSAGE)


def test_unparseable_address_is_permanent() -> None:
    channel = SmtpEmailChannel("127.0.0.1", free_port(), "collections@huikuan.example")
    bad = OutboundMessage("k", "collections@huikuan.example", "not an address", "s", "b")
    with pytest.raises(PermanentFailure):
        channel.send(bad)
