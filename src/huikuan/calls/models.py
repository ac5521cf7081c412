"""Call tasks: the calls the strategy wants made, waiting in an agent's (or the team's) queue."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huikuan.db.base import Base, BigId


class CallTaskStatus(StrEnum):
    OPEN = "open"  # waiting in the queue
    DONE = "done"  # an agent made the call (the attempt is in contact_attempts)
    CANCELLED = "cancelled"  # the reason went away (paid, hold, case closed) before anyone called
    EXPIRED = "expired"  # the day ended with the call not made


class CallTask(Base):
    """One call to make on ``due_on``: the case, the script, the priority, whose queue.

    The guard checked the call when the task was planned (so a held or capped debtor gets no
    task), and checks it again when the agent dials: a task is a suggestion, never a licence.
    """

    __tablename__ = "call_tasks"
    __table_args__ = (
        UniqueConstraint("task_key", name="uq_call_tasks_task_key"),
        Index("ix_call_tasks_queue", "status", "due_on", "agent_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task_key: Mapped[str] = mapped_column(String(160))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    due_on: Mapped[date] = mapped_column(Date)
    not_before: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    priority: Mapped[int] = mapped_column(Integer)
    script: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(40))
    strategy_action_id: Mapped[int | None] = mapped_column(ForeignKey("strategy_actions.id"))
    status: Mapped[str] = mapped_column(String(12), default=CallTaskStatus.OPEN.value)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(48))
    note: Mapped[str | None] = mapped_column(Text)
