"""call tasks, strategy actions, inbound messages, outbox template fields

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("provider", sa.String(length=24), nullable=False),
        sa.Column("provider_id", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("sender_enc", sa.Text(), nullable=False),
        sa.Column("sender_hash", sa.String(length=64), nullable=False),
        sa.Column("text_enc", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("contact_points", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_messages")),
        sa.UniqueConstraint("provider", "provider_id", name="uq_inbound_provider_id"),
    )
    op.create_index(
        op.f("ix_inbound_messages_sender_hash"), "inbound_messages", ["sender_hash"], unique=False
    )
    op.create_table(
        "strategy_actions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("action_key", sa.String(length=160), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("strategy_code", sa.String(length=40), nullable=False),
        sa.Column("strategy_version", sa.Integer(), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("segment", sa.String(length=40), nullable=False),
        sa.Column("treatment", sa.String(length=40), nullable=False),
        sa.Column("arm", sa.String(length=40), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=True),
        sa.Column("template_version", sa.Integer(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("rule_ids", sa.JSON(), nullable=False),
        sa.Column(
            "contact_attempt_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("retry_on", sa.Date(), nullable=True),
        sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_strategy_actions_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_strategy_actions_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["contact_attempt_id"],
            ["contact_attempts.id"],
            name=op.f("fk_strategy_actions_contact_attempt_id_contact_attempts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategy_actions")),
        sa.UniqueConstraint("action_key", name="uq_strategy_actions_action_key"),
    )
    op.create_index(
        op.f("ix_strategy_actions_account_id"), "strategy_actions", ["account_id"], unique=False
    )
    op.create_index("ix_strategy_actions_as_of", "strategy_actions", ["as_of"], unique=False)
    op.create_index(
        op.f("ix_strategy_actions_case_id"), "strategy_actions", ["case_id"], unique=False
    )
    op.create_index("ix_strategy_actions_retry_on", "strategy_actions", ["retry_on"], unique=False)
    op.create_table(
        "call_tasks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("task_key", sa.String(length=160), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("script", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column(
            "strategy_action_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=48), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_call_tasks_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_call_tasks_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_call_tasks_agent_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_call_tasks_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["strategy_action_id"],
            ["strategy_actions.id"],
            name=op.f("fk_call_tasks_strategy_action_id_strategy_actions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_tasks")),
        sa.UniqueConstraint("task_key", name="uq_call_tasks_task_key"),
    )
    op.create_index(op.f("ix_call_tasks_case_id"), "call_tasks", ["case_id"], unique=False)
    op.create_index(
        "ix_call_tasks_queue", "call_tasks", ["status", "due_on", "agent_id"], unique=False
    )
    op.add_column(
        "outbox_messages", sa.Column("template_code", sa.String(length=64), nullable=True)
    )
    op.add_column("outbox_messages", sa.Column("template_params", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_column("template_params")
        batch.drop_column("template_code")
    op.drop_index("ix_call_tasks_queue", table_name="call_tasks")
    op.drop_index(op.f("ix_call_tasks_case_id"), table_name="call_tasks")
    op.drop_table("call_tasks")
    op.drop_index("ix_strategy_actions_retry_on", table_name="strategy_actions")
    op.drop_index(op.f("ix_strategy_actions_case_id"), table_name="strategy_actions")
    op.drop_index("ix_strategy_actions_as_of", table_name="strategy_actions")
    op.drop_index(op.f("ix_strategy_actions_account_id"), table_name="strategy_actions")
    op.drop_table("strategy_actions")
    op.drop_index(op.f("ix_inbound_messages_sender_hash"), table_name="inbound_messages")
    op.drop_table("inbound_messages")
