"""Codes leave through the real channels: a local SMTP server and a Kannel-protocol gateway."""

from __future__ import annotations

import email
from pathlib import Path

from huikuan.dispatch.channels import SmtpEmailChannel
from huikuan.dispatch.local_smtp import maildir_smtp_server
from huikuan.dispatch.provider_fakes import (
    FAKE_KANNEL_PASSWORD,
    FAKE_KANNEL_USER,
    ProviderRecorder,
    kannel_server,
)
from huikuan.dispatch.sms import KannelSmsChannel
from huikuan.selfservice.access import code_text
from huikuan.selfservice.delivery import ChannelSender, DemoInbox


def test_an_email_code_reaches_a_real_smtp_server(tmp_path: Path) -> None:
    with maildir_smtp_server(tmp_path / "mail") as (host, port):
        send = ChannelSender({"email": SmtpEmailChannel(host, port, "codes@huikuan.example")})
        send(
            channel="email",
            address="debtor@example.com",
            text=code_text("493817", "A 银行", "zh"),
            key="debtor-code:1",
            code="493817",
        )
    stored = [p for p in (tmp_path / "mail").rglob("*") if p.is_file()]
    assert len(stored) == 1
    message = email.message_from_bytes(stored[0].read_bytes())
    assert message["To"] == "debtor@example.com"
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert "493817" in body.decode("utf-8")


def test_an_sms_code_reaches_a_kannel_gateway_over_a_socket() -> None:
    recorder = ProviderRecorder()
    with kannel_server(recorder=recorder) as gateway:
        channel = KannelSmsChannel(
            FAKE_KANNEL_USER, FAKE_KANNEL_PASSWORD, base_url=gateway.base_url
        )
        ChannelSender({"sms": channel})(
            channel="sms",
            address="13812345678",
            text=code_text("204816", "A 银行", "zh"),
            key="debtor-code:2",
            code="204816",
        )
    [received] = recorder.accepted()
    assert received.phone.endswith("13812345678")
    assert "204816" in received.text


def test_the_demo_inbox_keeps_what_it_was_given(tmp_path: Path) -> None:
    inbox = DemoInbox(tmp_path / "inbox")
    inbox(
        channel="sms",
        address="13812345678",
        text="【A 银行】验证码 111222",
        key="k:1",
        code="111222",
    )
    [message] = inbox.messages()
    assert message["to"] == "13812345678"
    assert "111222" in message["text"]
