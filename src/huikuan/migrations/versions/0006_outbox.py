"""outbox and delivery receipts

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("send_key", sa.String(length=128), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "contact_attempt_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "contact_point_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("channel", sa.String(length=24), nullable=False),
        sa.Column("sender", sa.String(length=128), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("provider_message_id", sa.String(length=255), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_outbox_messages_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["contact_attempt_id"],
            ["contact_attempts.id"],
            name=op.f("fk_outbox_messages_contact_attempt_id_contact_attempts"),
        ),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
            name=op.f("fk_outbox_messages_contact_point_id_contact_points"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("send_key", name=op.f("uq_outbox_messages_send_key")),
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_messages_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_outbox_messages_provider_message_id"),
            ["provider_message_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_outbox_messages_status_next_attempt_at", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "delivery_receipts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(length=24), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.String(length=64), nullable=True),
        sa.Column("provider_message_id", sa.String(length=255), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_delivery_receipts_message_id_outbox_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_receipts")),
    )
    with op.batch_alter_table("delivery_receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_receipts_message_id"), ["message_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("delivery_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_receipts_message_id"))

    op.drop_table("delivery_receipts")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_messages_status_next_attempt_at")
        batch_op.drop_index(batch_op.f("ix_outbox_messages_provider_message_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_messages_case_id"))

    op.drop_table("outbox_messages")
