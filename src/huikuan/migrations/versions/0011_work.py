"""agent work (calls, promises, proposals)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The agent's work needs no new tables: calls are contact attempts (the note as their content),
# dispositions close call tasks, disputes and complaints are holds, promises and proposals use
# ``promises`` and ``plans``, and messages go to the outbox. The revision stays as the chain's
# fixed point between 0010 and 0012.


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
