"""the work list on cases: balance, dpd, bucket and queue rank

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("balance", sa.BigInteger(), server_default="0", nullable=False))
        batch.add_column(sa.Column("dpd", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("bucket", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("queue_rank", sa.BigInteger(), nullable=True))
        batch.create_index("ix_cases_agent_queue", ["agent_id", "queue_rank"], unique=False)
        batch.create_index("ix_cases_team_queue", ["team_id", "queue_rank"], unique=False)
        batch.create_index("ix_cases_queue", ["queue_rank"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_queue")
        batch.drop_index("ix_cases_team_queue")
        batch.drop_index("ix_cases_agent_queue")
        batch.drop_column("queue_rank")
        batch.drop_column("bucket")
        batch.drop_column("dpd")
        batch.drop_column("balance")
