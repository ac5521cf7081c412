"""day cycles

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "day_cycles",
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("strategy", sa.String(length=80), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("business_date", name=op.f("pk_day_cycles")),
    )


def downgrade() -> None:
    op.drop_table("day_cycles")
