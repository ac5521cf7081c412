"""Debtor self-service

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "self_service_terms",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["creditor_id"],
            ["creditors.id"],
            name=op.f("fk_self_service_terms_creditor_id_creditors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_self_service_terms")),
        sa.UniqueConstraint("creditor_id", name=op.f("uq_self_service_terms_creditor_id")),
    )
    op.create_table(
        "debtor_access_codes",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("contact_point_id", BIG_ID, nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_debtor_access_codes_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
            name=op.f("fk_debtor_access_codes_contact_point_id_contact_points"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_debtor_access_codes")),
    )
    op.create_index(
        "ix_debtor_access_codes_case_created",
        "debtor_access_codes",
        ["case_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "debtor_access_events",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("case_id", BIG_ID, nullable=True),
        sa.Column("client_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_debtor_access_events_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_debtor_access_events")),
    )
    op.create_index(
        "ix_debtor_access_events_case_kind_at",
        "debtor_access_events",
        ["case_id", "kind", "at"],
        unique=False,
    )
    op.create_index(
        "ix_debtor_access_events_client_kind_at",
        "debtor_access_events",
        ["client_hash", "kind", "at"],
        unique=False,
    )
    op.create_table(
        "debtor_sessions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("debtor_id", BIG_ID, nullable=False),
        sa.Column("contact_point_id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_debtor_sessions_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
            name=op.f("fk_debtor_sessions_contact_point_id_contact_points"),
        ),
        sa.ForeignKeyConstraint(
            ["debtor_id"], ["debtors.id"], name=op.f("fk_debtor_sessions_debtor_id_debtors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_debtor_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_debtor_sessions_token_hash")),
    )
    op.create_index(
        op.f("ix_debtor_sessions_case_id"), "debtor_sessions", ["case_id"], unique=False
    )
    op.create_table(
        "debtor_requests",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("reference", sa.String(length=24), nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("text_enc", sa.Text(), nullable=True),
        sa.Column("plan_id", BIG_ID, nullable=True),
        sa.Column("dispute_id", BIG_ID, nullable=True),
        sa.Column("complaint_id", BIG_ID, nullable=True),
        sa.Column("debtor_event_id", BIG_ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_debtor_requests_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_debtor_requests_complaint_id_complaints"),
        ),
        sa.ForeignKeyConstraint(
            ["debtor_event_id"],
            ["debtor_events.id"],
            name=op.f("fk_debtor_requests_debtor_event_id_debtor_events"),
        ),
        sa.ForeignKeyConstraint(
            ["dispute_id"], ["disputes.id"], name=op.f("fk_debtor_requests_dispute_id_disputes")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_debtor_requests_plan_id_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_debtor_requests")),
        sa.UniqueConstraint("reference", name=op.f("uq_debtor_requests_reference")),
    )
    op.create_index(
        "ix_debtor_requests_case_created",
        "debtor_requests",
        ["case_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "debtor_attachments",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("request_id", BIG_ID, nullable=False),
        sa.Column("filename", sa.String(length=120), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data_enc", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["debtor_requests.id"],
            name=op.f("fk_debtor_attachments_request_id_debtor_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_debtor_attachments")),
    )
    op.create_index(
        op.f("ix_debtor_attachments_request_id"), "debtor_attachments", ["request_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_debtor_attachments_request_id"), table_name="debtor_attachments")
    op.drop_table("debtor_attachments")
    op.drop_index("ix_debtor_requests_case_created", table_name="debtor_requests")
    op.drop_table("debtor_requests")
    op.drop_index(op.f("ix_debtor_sessions_case_id"), table_name="debtor_sessions")
    op.drop_table("debtor_sessions")
    op.drop_index("ix_debtor_access_events_client_kind_at", table_name="debtor_access_events")
    op.drop_index("ix_debtor_access_events_case_kind_at", table_name="debtor_access_events")
    op.drop_table("debtor_access_events")
    op.drop_index("ix_debtor_access_codes_case_created", table_name="debtor_access_codes")
    op.drop_table("debtor_access_codes")
    op.drop_table("self_service_terms")
