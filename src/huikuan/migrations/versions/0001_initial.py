"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agencies")),
        sa.UniqueConstraint("code", name=op.f("uq_agencies_code")),
    )
    op.create_table(
        "creditors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creditors")),
        sa.UniqueConstraint("code", name=op.f("uq_creditors_code")),
    )
    op.create_table(
        "debtors",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("debtor_no", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_debtors")),
        sa.UniqueConstraint("debtor_no", name=op.f("uq_debtors_debtor_no")),
    )
    op.create_table(
        "nightly_runs",
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("open_accounts", sa.Integer(), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column("interest", sa.BigInteger(), nullable=False),
        sa.Column("penalty", sa.BigInteger(), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("bucket_changes", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("business_date", name=op.f("pk_nightly_runs")),
    )
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("policy_code", sa.String(length=32), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creditor_id"], ["creditors.id"], name=op.f("fk_products_creditor_id_creditors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("creditor_id", "code", name=op.f("uq_products_creditor_id_code")),
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_teams_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("code", name=op.f("uq_teams_code")),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_no", sa.String(length=40), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("product_code", sa.String(length=32), nullable=False),
        sa.Column(
            "debtor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("principal", sa.BigInteger(), nullable=False),
        sa.Column("interest", sa.BigInteger(), nullable=False),
        sa.Column("penalty", sa.BigInteger(), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("credit", sa.BigInteger(), nullable=False),
        sa.Column("first_due", sa.Date(), nullable=False),
        sa.Column("instalment", sa.BigInteger(), nullable=False),
        sa.Column("cycles", sa.Integer(), nullable=True),
        sa.Column("paid_to_schedule", sa.BigInteger(), nullable=False),
        sa.Column("accrued_through", sa.Date(), nullable=False),
        sa.Column("charge_start", sa.Date(), nullable=False),
        sa.Column("cap_base", sa.BigInteger(), nullable=False),
        sa.Column("charged_total", sa.BigInteger(), nullable=False),
        sa.Column("dpd", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=16), nullable=False),
        sa.Column("placed_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["creditor_id"], ["creditors.id"], name=op.f("fk_accounts_creditor_id_creditors")
        ),
        sa.ForeignKeyConstraint(
            ["debtor_id"], ["debtors.id"], name=op.f("fk_accounts_debtor_id_debtors")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_accounts_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("account_no", name=op.f("uq_accounts_account_no")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index("ix_accounts_bucket", ["bucket"], unique=False)
        batch_op.create_index("ix_accounts_debtor", ["debtor_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("creditor_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["creditor_id"], ["creditors.id"], name=op.f("fk_users_creditor_id_creditors")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_users_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "account_pauses",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_pauses_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_pauses")),
    )
    with op.batch_alter_table("account_pauses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_pauses_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "bucket_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("from_bucket", sa.String(length=16), nullable=True),
        sa.Column("to_bucket", sa.String(length=16), nullable=False),
        sa.Column("dpd", sa.Integer(), nullable=False),
        sa.Column("movement", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_bucket_history_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bucket_history")),
    )
    with op.batch_alter_table("bucket_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bucket_history_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index("ix_bucket_history_date", ["business_date"], unique=False)

    op.create_table(
        "payments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_payments_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("reference", name=op.f("uq_payments_reference")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_account_id"), ["account_id"], unique=False)
        batch_op.create_index("ix_payments_unposted", ["posted_on", "received_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_unposted")
        batch_op.drop_index(batch_op.f("ix_payments_account_id"))

    op.drop_table("payments")
    with op.batch_alter_table("bucket_history", schema=None) as batch_op:
        batch_op.drop_index("ix_bucket_history_date")
        batch_op.drop_index(batch_op.f("ix_bucket_history_account_id"))

    op.drop_table("bucket_history")
    with op.batch_alter_table("account_pauses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_pauses_account_id"))

    op.drop_table("account_pauses")
    op.drop_table("users")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_accounts_debtor")
        batch_op.drop_index("ix_accounts_bucket")

    op.drop_table("accounts")
    op.drop_table("teams")
    op.drop_table("products")
    op.drop_table("nightly_runs")
    op.drop_table("debtors")
    op.drop_table("creditors")
    op.drop_table("agencies")
