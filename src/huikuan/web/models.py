"""The one table the web sign-in owns: failed sign-ins, the state behind login throttling.

Kept in the database rather than in process memory so every worker process (and every
machine behind a load balancer) counts the same failures. Rows older than a day are pruned
when new failures are written; nothing here is personal data beyond the typed username and
the client address, both needed to throttle.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from huikuan.db.base import Base, BigId


class LoginFailure(Base):
    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_username_at", "username", "at"),
        Index("ix_login_failures_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # As typed (normalised to lower case), whether or not such a user exists.
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(45))
