"""Message templates (消息模板): one immutable row per saved version.

A save never edits a row: it adds version n+1 (numbered per code and language) and, when asked,
makes it the active one for its jurisdiction while the previous active one is retired. The
cycle records the row id and version it rendered, so what a debtor was sent can always be
shown again exactly.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huikuan.db.base import Base, BigId


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"
    CALL_SCRIPT = "call_script"  # read by an agent, never sent


class TemplateStatus(StrEnum):
    DRAFT = "draft"  # saved and screened, not used by render()
    ACTIVE = "active"  # the one render() uses for its code, language and jurisdiction
    RETIRED = "retired"  # was active once; kept for what was sent with it


LANGUAGES: tuple[str, ...] = ("zh", "en")
JURISDICTIONS: tuple[str, ...] = ("CN", "US")


class MessageTemplate(Base):
    __tablename__ = "message_templates"
    __table_args__ = (
        UniqueConstraint("code", "language", "version"),
        Index("ix_message_templates_lookup", "code", "language", "jurisdiction", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    jurisdiction: Mapped[str] = mapped_column(String(8))
    version: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    screened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # When it became active and stopped being active (UTC): render(on=...) picks the version
    # that was active at a past moment, e.g. to show again what a debtor was sent.
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    screen_report: Mapped[dict[str, object]] = mapped_column(JSON)
