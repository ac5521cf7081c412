"""The tables the web sign-in owns: failed sign-ins (throttling) and signed-in sessions.

Both live in the database rather than in process memory so every worker process (and every
machine behind a load balancer) sees the same state.

``login_failures``: rows older than a day are pruned when new failures are written; nothing
here is personal data beyond the typed username and the client address, both needed to
throttle.

``web_sessions``: one row per signed-in browser session (anonymous sessions, which only carry
the login form's CSRF token, have none). Its key is a keyed hash of the random session id in
the signed cookie, so a copy of the table (a backup, a replica) holds nothing that a cookie
could be made from. A request is signed in only while its row is live: not ended, seen within
the idle timeout, younger than the absolute lifetime, the user still active and the password
unchanged since sign-in (``password_stamp``). The client address is kept only as a keyed hash
(enough to tell two devices apart, not to find the person), the user agent truncated.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String
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


class StaffSession(Base):
    __tablename__ = "web_sessions"
    __table_args__ = (
        # "this user's live sessions" (listing, ending them all) without a table scan.
        Index("ix_web_sessions_user_id_ended_at", "user_id", "ended_at"),
    )

    # HMAC-SHA256 (hex) of the cookie's random session id under the app's secret key.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Written at most once a minute per session: a busy page does not write on every request.
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Who ended it (a username, or "system" for timeouts noticed on use) and why.
    ended_by: Mapped[str | None] = mapped_column(String(64))
    end_reason: Mapped[str | None] = mapped_column(String(16))
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    client_hash: Mapped[str] = mapped_column(String(64))
    # Keyed hash of the user's password hash at sign-in: any password change ends the session,
    # whichever code path made it.
    password_stamp: Mapped[str] = mapped_column(String(64))
