"""Creditor hotline and contact dispositions

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("creditors") as batch:
        batch.add_column(sa.Column("hotline", sa.String(length=32), nullable=True))
    with op.batch_alter_table("contact_attempts") as batch:
        batch.add_column(sa.Column("disposition", sa.String(length=24), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contact_attempts") as batch:
        batch.drop_column("disposition")
    with op.batch_alter_table("creditors") as batch:
        batch.drop_column("hotline")
