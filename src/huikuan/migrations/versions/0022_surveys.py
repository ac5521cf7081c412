"""Satisfaction surveys

``surveys``: one post-contact satisfaction survey per row, from the contact that reached the
debtor to the score (huikuan.kpis.models.Survey).

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("debtor_id", BIG_ID, nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("contact_attempt_id", BIG_ID, nullable=True),
        sa.Column("contact_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rule_ids", sa.JSON(), nullable=False),
        sa.Column("contact_point_id", BIG_ID, nullable=True),
        sa.Column("sent_on", sa.Date(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("send_attempt_id", BIG_ID, nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer_channel", sa.String(length=8), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_surveys_agent_id_users")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_surveys_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["contact_attempt_id"],
            ["contact_attempts.id"],
            name=op.f("fk_surveys_contact_attempt_id_contact_attempts"),
        ),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
            name=op.f("fk_surveys_contact_point_id_contact_points"),
        ),
        sa.ForeignKeyConstraint(
            ["debtor_id"], ["debtors.id"], name=op.f("fk_surveys_debtor_id_debtors")
        ),
        sa.ForeignKeyConstraint(
            ["send_attempt_id"],
            ["contact_attempts.id"],
            name=op.f("fk_surveys_send_attempt_id_contact_attempts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
        sa.UniqueConstraint("contact_attempt_id", name=op.f("uq_surveys_contact_attempt_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_surveys_token_hash")),
    )
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_surveys_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_surveys_debtor_status", ["debtor_id", "status"], unique=False)
        batch_op.create_index(
            "ix_surveys_status_point", ["status", "contact_point_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_index("ix_surveys_status_point")
        batch_op.drop_index("ix_surveys_debtor_status")
        batch_op.drop_index(batch_op.f("ix_surveys_case_id"))
    op.drop_table("surveys")
