"""team lead approvals

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "approval_decisions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("plan_id", _ID, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("limit_code", sa.String(length=64), nullable=True),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("escalated_to", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_approval_decisions_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_approval_decisions_plan_id_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_decisions")),
    )
    op.create_index(
        op.f("ix_approval_decisions_case_id"), "approval_decisions", ["case_id"], unique=False
    )
    op.create_index(
        "ix_approval_decisions_plan", "approval_decisions", ["plan_id", "at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_approval_decisions_plan", table_name="approval_decisions")
    op.drop_index(op.f("ix_approval_decisions_case_id"), table_name="approval_decisions")
    op.drop_table("approval_decisions")
