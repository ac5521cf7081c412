"""Files creditors sent (so the same file twice changes nothing) and per-creditor mappings."""

from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huikuan.db.base import Base, BigId


class ImportedFile(Base):
    __tablename__ = "imported_files"
    __table_args__ = (UniqueConstraint("kind", "creditor_id", "sha256"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    creditor_id: Mapped[int | None] = mapped_column(ForeignKey("creditors.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(255))
    rows: Mapped[int]
    imported_on: Mapped[date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(64))


class ColumnMappingRow(Base):
    """A creditor's own column headers for one kind of file (header → field)."""

    __tablename__ = "column_mappings"
    __table_args__ = (UniqueConstraint("creditor_id", "kind"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    kind: Mapped[str] = mapped_column(String(16))
    overrides: Mapped[dict[str, str]] = mapped_column(JSON)
