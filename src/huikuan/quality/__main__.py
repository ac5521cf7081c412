"""``python -m huikuan.quality escalate``: mark overdue complaints escalated (for cron).

Reads the database URL like the main CLI (``HUIKUAN_DATABASE_URL`` through
:mod:`huikuan.settings`), runs :func:`huikuan.quality.service.escalate_overdue` at the current
time in one transaction and prints the escalated complaint ids (no personal data).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from huikuan.db.engine import make_engine, transaction
from huikuan.quality.service import escalate_overdue
from huikuan.settings import get_settings


def main(argv: list[str]) -> int:
    if argv != ["escalate"]:
        print("usage: python -m huikuan.quality escalate", file=sys.stderr)
        return 2
    engine = make_engine(get_settings().database_url)
    try:
        with transaction(engine) as session:
            escalated = escalate_overdue(session, datetime.now(UTC), actor="cli")
    finally:
        engine.dispose()
    print(f"escalated {len(escalated)} complaint(s): {escalated}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
