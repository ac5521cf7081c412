"""Tables for creditors, products, agencies, teams and users."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huikuan.db.base import Base


class Role(StrEnum):
    AGENT = "agent"  # 坐席
    TEAM_LEAD = "team_lead"  # 组长
    QA = "qa"  # 质检 / 合规
    LEGAL = "legal"  # 法务
    MANAGER = "manager"  # 经理
    ADMIN = "admin"
    CREDITOR_CLIENT = "creditor_client"  # 委托方


class Creditor(Base):
    __tablename__ = "creditors"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Which contact rules apply to its debtors: "CN" or "US" (rule packs of the guard).
    jurisdiction: Mapped[str] = mapped_column(String(2), default="CN")
    # The number debtors call with questions, printed in messages, letters and on the debtor's
    # page (客服热线); None: the platform default (:data:`huikuan.org.service.DEFAULT_HOTLINE`).
    hotline: Mapped[str | None] = mapped_column(String(32))


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("creditor_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    policy_code: Mapped[str] = mapped_column(String(32))
    policy_version: Mapped[int]
    policy: Mapped[dict[str, object]] = mapped_column(JSON)


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    creditor_id: Mapped[int | None] = mapped_column(ForeignKey("creditors.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Agents: how much work they can hold (分案 capacity) and the languages they speak.
    capacity_count: Mapped[int | None]
    capacity_amount: Mapped[int | None] = mapped_column(BigInteger)
    languages: Mapped[str] = mapped_column(String(40), default="zh")
    # argon2 hash (PHC string) for signing in to the web app; null: this user cannot sign in.
    password_hash: Mapped[str | None] = mapped_column(String(255))
