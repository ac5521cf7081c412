"""Outbox rows (one per message to send) and the delivery receipts recorded against them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huikuan.db.base import Base, BigId


class MessageStatus(StrEnum):
    PENDING = "pending"  # waiting for its time (not_before / next_attempt_at)
    SENDING = "sending"  # claimed by a worker (claimed_by, claimed_at)
    SENT = "sent"  # the provider accepted it (provider_message_id, sent_at)
    FAILED = "failed"  # permanent failure, or out of attempts
    EXPIRED = "expired"  # could no longer be sent on time: cancelled, never sent late
    CANCELLED = "cancelled"  # withdrawn before sending (e.g. the debtor paid)


class ReceiptEvent(StrEnum):
    ACCEPTED = "accepted"  # the provider took the message
    TEMPORARY_FAILURE = "temporary_failure"  # retried later
    PERMANENT_FAILURE = "permanent_failure"  # the contact point is marked invalid
    EXPIRED = "expired"
    IN_DOUBT = "in_doubt"  # a dead worker had handed it over: re-sent with the same send key
    DELIVERED = "delivered"  # provider callbacks (delivery reports, bounces)
    BOUNCED = "bounced"


class OutboxMessage(Base):
    """One message to send, written in the same transaction as the decision to send it.

    ``recipient`` holds the address as stored for the contact point (the field cipher's token,
    ``ContactPoint.value_enc``), never plaintext; the worker reveals it only to hand it to the
    channel, and nothing logs it.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
        # An opt-out withdraws what waits for that contact point (migration 0016).
        Index("ix_outbox_messages_contact_point", "contact_point_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    send_key: Mapped[str] = mapped_column(String(128), unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    contact_attempt_id: Mapped[int | None] = mapped_column(ForeignKey("contact_attempts.id"))
    contact_point_id: Mapped[int | None] = mapped_column(ForeignKey("contact_points.id"))
    channel: Mapped[str] = mapped_column(String(24))
    sender: Mapped[str] = mapped_column(String(128))
    recipient: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text)
    # For providers that send pre-approved templates only: our code and its values.
    template_code: Mapped[str | None] = mapped_column(String(64))
    template_params: Mapped[dict[str, str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    not_before: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(12), default=MessageStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(String(255), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DeliveryReceipt(Base):
    """What happened to a message, one row per event: worker outcomes and provider reports."""

    __tablename__ = "delivery_receipts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    event: Mapped[str] = mapped_column(String(24))
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    worker_id: Mapped[str | None] = mapped_column(String(64))
    provider_message_id: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[str | None] = mapped_column(Text)


class InboundMessage(Base):
    """A reply a debtor sent to one of our numbers (SMS MO) or addresses, kept once per provider id.

    The sender's address is stored encrypted with its search hash (to find the contact point);
    the text is encrypted too, since people write personal things in replies. ``action`` says
    what the reply did: ``opt_out`` (the channel is closed to that address at once) or ``none``.
    """

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("provider", "provider_id", name="uq_inbound_provider_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    provider: Mapped[str] = mapped_column(String(24))
    provider_id: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(16))
    sender_enc: Mapped[str] = mapped_column(Text)
    sender_hash: Mapped[str] = mapped_column(String(64), index=True)
    text_enc: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    action: Mapped[str] = mapped_column(String(16))
    contact_points: Mapped[int] = mapped_column(Integer, default=0)
