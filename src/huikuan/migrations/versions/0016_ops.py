"""operations: indexes behind the work queue and the provider push endpoints

* ``ix_promises_due`` (promised_on, status): the queue's "promise due today" lookup;
* ``ix_outbox_messages_contact_point``: an opt-out withdraws the pending messages of a
  contact point (huikuan.dispatch.inbound).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("promises", schema=None) as batch_op:
        batch_op.create_index("ix_promises_due", ["promised_on", "status"], unique=False)
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_messages_contact_point", ["contact_point_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_messages_contact_point")
    with op.batch_alter_table("promises", schema=None) as batch_op:
        batch_op.drop_index("ix_promises_due")
