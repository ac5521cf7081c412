"""How a one-time code reaches the debtor: the real SMS or email channel, sent at once.

A code is not a collection message: it is sent while the debtor waits, because the debtor
asked for it, so it skips the outbox and the strategy calendar and goes straight through the
same channel objects the outbox worker uses (:mod:`huikuan.dispatch`). A failed send is
simply not retried (the debtor asks again); the error is logged without the address or code.

For the demo there is no phone network: :class:`DemoInbox` writes each message as a JSON file
into a folder (``HUIKUAN_DEMO_INBOX_DIR``) that the demo's ``/d-inbox`` page lists; it is only
ever switched on by ``huikuan web serve --demo-users``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from huikuan.dispatch.channels import Channel, DispatchError, OutboundMessage, SmtpEmailChannel
from huikuan.dispatch.sms import sms_channel_from_settings
from huikuan.logs import get_logger
from huikuan.settings import Settings

log = get_logger("huikuan.selfservice")
CODE_TEMPLATE = "DEBTOR-CODE"  # the provider template for template-only SMS providers


@dataclass(frozen=True, slots=True)
class ChannelSender:
    """Sends through the configured channels; ``channels`` maps ``sms`` / ``email``."""

    channels: Mapping[str, Channel]
    sender: str = "huikuan"

    def __call__(self, *, channel: str, address: str, text: str, key: str, code: str) -> None:
        target = self.channels.get(channel)
        if target is None:
            log.warning("debtor_code_channel_missing", channel=channel)
            return
        message = OutboundMessage(
            send_key=key,
            sender=self.sender,
            recipient=address,
            subject="验证码 / Verification code",
            body=text,
            template=CODE_TEMPLATE,
            params={"code": code},
        )
        try:
            target.send(message)
        except DispatchError as exc:
            log.warning("debtor_code_not_sent", channel=channel, error=type(exc).__name__)


@dataclass(frozen=True, slots=True)
class DemoInbox:
    folder: Path

    def __call__(self, *, channel: str, address: str, text: str, key: str, code: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        entry = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "channel": channel,
            "to": address,
            "text": text,
        }
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{key.replace(':', '-')}.json"
        temporary = self.folder / f".{name}"
        temporary.write_text(json.dumps(entry, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, self.folder / name)

    def messages(self, limit: int = 20) -> list[dict[str, str]]:
        if not self.folder.is_dir():
            return []
        names = sorted((p for p in self.folder.glob("*.json")), reverse=True)[:limit]
        return [json.loads(p.read_text(encoding="utf-8")) for p in names]


def sender_from_settings(settings: Settings) -> ChannelSender | DemoInbox:
    if settings.demo_inbox_dir is not None:
        return DemoInbox(settings.demo_inbox_dir)
    channels: dict[str, Channel] = {
        "email": SmtpEmailChannel(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_sender,
            timeout=settings.smtp_timeout,
        )
    }
    sms = sms_channel_from_settings(settings)
    if sms is not None:
        channels["sms"] = sms
    return ChannelSender(channels)
