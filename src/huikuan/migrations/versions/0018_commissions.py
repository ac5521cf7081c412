"""commission schemes, agency-fee schedules and compensation statements

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "commission_schemes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("scheme", sa.JSON(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["creditor_id"],
            ["creditors.id"],
            name=op.f("fk_commission_schemes_creditor_id_creditors"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_commission_schemes_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_schemes")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_commission_schemes_code_version")),
    )
    op.create_table(
        "agency_fee_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("schedule", sa.JSON(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_agency_fee_schedules_agency_id_agencies"),
        ),
        sa.ForeignKeyConstraint(
            ["creditor_id"],
            ["creditors.id"],
            name=op.f("fk_agency_fee_schedules_creditor_id_creditors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_fee_schedules")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_agency_fee_schedules_code_version")),
    )
    op.create_table(
        "compensation_statements",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("subject_code", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("recovered", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("totals", sa.JSON(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compensation_statements")),
        sa.UniqueConstraint(
            "subject_kind",
            "subject_id",
            "period",
            name=op.f("uq_compensation_statements_subject_kind_subject_id_period"),
        ),
    )
    with op.batch_alter_table("compensation_statements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_compensation_statements_period", ["period", "subject_kind"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("compensation_statements", schema=None) as batch_op:
        batch_op.drop_index("ix_compensation_statements_period")
    op.drop_table("compensation_statements")
    op.drop_table("agency_fee_schedules")
    op.drop_table("commission_schemes")
