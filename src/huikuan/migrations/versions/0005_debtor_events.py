"""debtor events: consents, designations, notices

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "debtor_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "debtor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("event", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_debtor_events_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["debtor_id"], ["debtors.id"], name=op.f("fk_debtor_events_debtor_id_debtors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_debtor_events")),
    )
    with op.batch_alter_table("debtor_events", schema=None) as batch_op:
        batch_op.create_index("ix_debtor_events_debtor_at", ["debtor_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("debtor_events", schema=None) as batch_op:
        batch_op.drop_index("ix_debtor_events_debtor_at")

    op.drop_table("debtor_events")
