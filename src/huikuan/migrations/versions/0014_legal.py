"""legal referrals, matters, claims

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "law_firms",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=False),
        sa.Column("lawyer", sa.String(length=100), nullable=False),
        sa.Column("licence_number", sa.String(length=40), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_law_firms")),
        sa.UniqueConstraint("name", name=op.f("uq_law_firms_name")),
    )
    op.create_table(
        "recovery_claims",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("counterparty_kind", sa.String(length=16), nullable=False),
        sa.Column("counterparty_name", sa.String(length=200), nullable=False),
        sa.Column("claimed_amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_recovery_claims_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_claims")),
    )
    op.create_index(
        op.f("ix_recovery_claims_account_id"), "recovery_claims", ["account_id"], unique=False
    )
    op.create_table(
        "claim_recoveries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("claim_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("remittance_ref", sa.String(length=32), nullable=False),
        sa.Column(
            "payment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["recovery_claims.id"],
            name=op.f("fk_claim_recoveries_claim_id_recovery_claims"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_claim_recoveries_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_recoveries")),
        sa.UniqueConstraint(
            "claim_id", "remittance_ref", name=op.f("uq_claim_recoveries_claim_id_remittance_ref")
        ),
        sa.UniqueConstraint("payment_id", name=op.f("uq_claim_recoveries_payment_id")),
    )
    op.create_index(
        op.f("ix_claim_recoveries_claim_id"), "claim_recoveries", ["claim_id"], unique=False
    )
    op.create_table(
        "legal_referrals",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column(
            "strategy_action_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("referred_by", sa.String(length=64), nullable=False),
        sa.Column("referred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_legal_referrals_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["strategy_action_id"],
            ["strategy_actions.id"],
            name=op.f("fk_legal_referrals_strategy_action_id_strategy_actions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_referrals")),
        sa.UniqueConstraint(
            "strategy_action_id", name=op.f("uq_legal_referrals_strategy_action_id")
        ),
    )
    op.create_index(
        op.f("ix_legal_referrals_case_id"), "legal_referrals", ["case_id"], unique=False
    )
    op.create_table(
        "legal_matters",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "referral_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("court", sa.String(length=200), nullable=False),
        sa.Column("case_number", sa.String(length=64), nullable=False),
        sa.Column(
            "law_firm_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("referred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_by", sa.String(length=64), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_legal_matters_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["law_firm_id"], ["law_firms.id"], name=op.f("fk_legal_matters_law_firm_id_law_firms")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["legal_referrals.id"],
            name=op.f("fk_legal_matters_referral_id_legal_referrals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_matters")),
        sa.UniqueConstraint("referral_id", name=op.f("uq_legal_matters_referral_id")),
    )
    op.create_index(op.f("ix_legal_matters_case_id"), "legal_matters", ["case_id"], unique=False)
    op.create_table(
        "legal_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "matter_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("event_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("court_fee", sa.BigInteger(), nullable=False),
        sa.Column("lawyer_fee", sa.BigInteger(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["matter_id"],
            ["legal_matters.id"],
            name=op.f("fk_legal_events_matter_id_legal_matters"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_events")),
    )
    op.create_index(op.f("ix_legal_events_matter_id"), "legal_events", ["matter_id"], unique=False)
    op.create_table(
        "legal_letters",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "matter_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("letter_date", sa.Date(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column(
            "address_contact_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "contact_attempt_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("decision", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_contact_id"],
            ["contact_points.id"],
            name=op.f("fk_legal_letters_address_contact_id_contact_points"),
        ),
        sa.ForeignKeyConstraint(
            ["contact_attempt_id"],
            ["contact_attempts.id"],
            name=op.f("fk_legal_letters_contact_attempt_id_contact_attempts"),
        ),
        sa.ForeignKeyConstraint(
            ["matter_id"],
            ["legal_matters.id"],
            name=op.f("fk_legal_letters_matter_id_legal_matters"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_letters")),
    )
    op.create_index(
        op.f("ix_legal_letters_matter_id"), "legal_letters", ["matter_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_legal_letters_matter_id"), table_name="legal_letters")
    op.drop_table("legal_letters")
    op.drop_index(op.f("ix_legal_events_matter_id"), table_name="legal_events")
    op.drop_table("legal_events")
    op.drop_index(op.f("ix_legal_matters_case_id"), table_name="legal_matters")
    op.drop_table("legal_matters")
    op.drop_index(op.f("ix_legal_referrals_case_id"), table_name="legal_referrals")
    op.drop_table("legal_referrals")
    op.drop_index(op.f("ix_claim_recoveries_claim_id"), table_name="claim_recoveries")
    op.drop_table("claim_recoveries")
    op.drop_index(op.f("ix_recovery_claims_account_id"), table_name="recovery_claims")
    op.drop_table("recovery_claims")
    op.drop_table("law_firms")
