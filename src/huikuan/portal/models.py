"""Tables of the creditor portal: API tokens for creditors' systems and the files uploaded.

``api_tokens`` keeps only the SHA-256 of each token (the token itself is shown once, when it is
issued), its scopes and its life (expiry, revocation, last use). ``client_uploads`` keeps every
file a creditor sent through the portal or the API, whatever became of it: imported, refused
(with the error report's CSV text, for download) or already imported.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from huikuan.db.base import Base, BigId


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # Hex SHA-256 of the token as the client sends it; the token is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, so people can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(String(12))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ClientUpload(Base):
    """One file received from a creditor (web page or API) and what the import made of it."""

    __tablename__ = "client_uploads"
    __table_args__ = (Index("ix_client_uploads_creditor_at", "creditor_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    kind: Mapped[str] = mapped_column(String(16))
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # imported, refused, duplicate
    rows_read: Mapped[int]
    written: Mapped[int]
    refused: Mapped[int]
    message: Mapped[str] = mapped_column(Text, default="")
    # The error report (CSV, UTF-8) of a refused file; values in it are masked by the import.
    error_report: Mapped[str | None] = mapped_column(Text)
    via: Mapped[str] = mapped_column(String(8))  # web or api
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
