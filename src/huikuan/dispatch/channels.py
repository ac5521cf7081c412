"""Channels: one small interface in front of every provider (SMTP email here).

A channel gets an :class:`OutboundMessage` with the recipient already revealed, and either
returns a :class:`SendResult` (the provider accepted it) or raises :class:`TemporaryFailure`
(retry later) or :class:`PermanentFailure` (never retry; the contact point is invalid).
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol

_EMAIL = re.compile(r"[^\s<>@]+@[^\s<>@]+")
_DIGITS = re.compile(r"\d{7,}")


def redact(text: str, limit: int = 500) -> str:
    """A provider's error text fit for logs and ``last_error``: addresses and numbers masked."""
    return _DIGITS.sub("[number]", _EMAIL.sub("[address]", text))[:limit]


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    send_key: str
    sender: str
    recipient: str
    subject: str
    body: str
    # Providers that only send pre-approved templates (Aliyun, Tencent Cloud) get our template
    # code and its values; text channels use ``body``.
    template: str = ""
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SendResult:
    provider_message_id: str


class DispatchError(Exception):
    """A provider refused or could not take a message; the text is already redacted."""


class TemporaryFailure(DispatchError):  # noqa: N818 - the name the domain uses
    """Try again later (4xx, timeouts, connection errors, rate limits)."""


class PermanentFailure(DispatchError):  # noqa: N818
    """Never retry: the address is invalid or the provider rejects the message for good."""

    # Whether the failure shows the address is bad (the contact point is then marked invalid,
    # feeding 失联 detection); a subclass for our own set-up errors says False.
    contact_point_at_fault: bool = True


class ConfigurationFailure(PermanentFailure):
    """Never retry, but the fault is ours (credentials, sign name, an unmapped template, a letter
    missing an element), not the address's: the contact point stays valid."""

    contact_point_at_fault = False


class Channel(Protocol):
    def send(self, message: OutboundMessage) -> SendResult: ...


def message_id(send_key: str, domain: str) -> str:
    """The SMTP ``Message-ID`` for a send key: a re-sent copy carries the same one."""
    safe = re.sub(r"[^A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]", "-", send_key)
    return f"<{safe}@{domain}>"


def _smtp_error(code: int, text: bytes | str) -> DispatchError:
    detail = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    message = redact(f"SMTP {code} {detail}")
    return PermanentFailure(message) if 500 <= code < 600 else TemporaryFailure(message)


class SmtpEmailChannel:
    """Email over SMTP with ``smtplib``: UTF-8 subject and body, ``Message-ID`` = send key.

    Reply codes 4xx are temporary, 5xx permanent; timeouts and connection errors temporary.
    One connection per message keeps a worker's failure modes simple; a pooled connection can
    come later without changing the interface.
    """

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        timeout: float = 30.0,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        domain: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.timeout = timeout
        self.starttls = starttls
        self.username = username
        self.password = password
        self.domain = domain or sender.rpartition("@")[2] or "huikuan.invalid"

    def build(self, message: OutboundMessage) -> EmailMessage:
        email = EmailMessage()
        # The outbox's sender is a logical name (rate limits, routing) unless it is an address.
        sender = message.sender if "@" in message.sender else self.sender
        try:
            email["From"] = Address(addr_spec=sender)
        except (ValueError, IndexError) as error:  # our configuration, not the debtor's address
            raise ConfigurationFailure(redact(f"bad sender address: {error}")) from None
        email["To"] = Address(addr_spec=message.recipient)
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False, usegmt=True)
        email["Message-ID"] = message_id(message.send_key, self.domain)
        email.set_content(message.body, charset="utf-8", cte="base64")
        return email

    def send(self, message: OutboundMessage) -> SendResult:
        try:
            email = self.build(message)
        except (ValueError, IndexError) as error:  # an address the header parser rejects
            raise PermanentFailure(redact(f"bad message: {error}")) from None
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username is not None:
                    smtp.login(self.username, self.password or "")
                refused = smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            raise _smtp_error(code, text) from None
        except smtplib.SMTPSenderRefused as error:
            raise _smtp_error(error.smtp_code, error.smtp_error) from None
        except smtplib.SMTPResponseException as error:
            raise _smtp_error(error.smtp_code, error.smtp_error) from None
        except (smtplib.SMTPException, OSError) as error:  # timeouts are OSError
            raise TemporaryFailure(redact(f"{type(error).__name__}: {error}")) from None
        if refused:  # one recipient per message: a partial refusal cannot happen, but be safe
            code, text = next(iter(refused.values()))
            raise _smtp_error(code, text)
        return SendResult(provider_message_id=str(email["Message-ID"]))
