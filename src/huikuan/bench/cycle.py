"""The daily cycle on a database portfolio: reminders planned, checked and staged per second,
and the cycle time of ``run-day``.

``run(accounts)`` builds the demo portfolio in a fresh SQLite file (the real import path, the
first day's allocation and outsourcing notices: ``demo.build``), then prints JSON lines:

* ``cycle.run_day`` (n = accounts): a steady-state ``run_day`` on the next day with the default
  strategy: ingest, nightly, allocation, notices, planning through the guard, outbox; seconds per
  stage and the counts.
* ``cycle.reminders`` (n = reminders): a strategy that sends every open account an SMS that day
  (one action per case), so ``n`` reminders are planned (strategy → segments → actions), checked
  by the guard (the batch engine, every one) and staged in the outbox (contact attempt, strategy
  action and outbox row each) in one transaction; ``per_second`` against the 2,000/s target.

Each figure is the wall time of that call alone; the portfolio build is reported but not part of
either figure.
"""

from __future__ import annotations

import json
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from huikuan.bench.memory import peak_memory

AS_OF = date(2026, 11, 20)
TARGET_PER_SECOND = 2_000.0

REMIND_ALL = """
code: BENCH-REMIND-ALL
version: 1
description: every open account gets a text today
arms:
  - {code: champion, share: 100}
segments:
  - {code: ALL, treatment: TEXT, when: {dpd: {min: 1}}}
treatments:
  - code: TEXT
    exit_on: []
    steps:
      - {dpd: 1, every: 1, until_dpd: 100000, channel: sms, template: SMS-M1-D5, priority: 50}
"""


def run(accounts: int) -> list[dict[str, object]]:
    from huikuan.cycle.planning import plan_day
    from huikuan.cycle.service import run_day
    from huikuan.cycle.templates import StoredTexts
    from huikuan.db.engine import make_engine, transaction
    from huikuan.db.migrate import upgrade
    from huikuan.demo.service import demo_rules, load_demo
    from huikuan.dispatch.models import OutboxMessage
    from huikuan.security.crypto import FieldCipher, generate_key, generate_spec
    from huikuan.strategy.document import default_strategy, strategy_from_yaml

    lines: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="huikuan-cycle-") as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'cycle.db'}")
        upgrade(engine)
        cipher = FieldCipher.from_spec(generate_spec("bench"), generate_key())
        started = time.perf_counter()
        with peak_memory() as peak:
            load_demo(
                engine,
                accounts=accounts,
                as_of=AS_OF,
                days=1,
                cipher=cipher,
                work_dir=Path(folder) / "files",
            )
        lines.append(
            {
                "bench": "cycle.build",
                "n": accounts,
                "seconds": round(time.perf_counter() - started, 1),
                "peak_mb": round(peak.mb, 1),
            }
        )
        day = AS_OF + timedelta(days=1)
        started = time.perf_counter()
        with peak_memory() as peak:
            report = run_day(engine, day, strategy=default_strategy(), rules=demo_rules())
        seconds = time.perf_counter() - started
        lines.append(
            {
                "bench": "cycle.run_day",
                "n": accounts,
                "seconds": round(seconds, 2),
                "peak_mb": round(peak.mb, 1),
                "stage_seconds": report.stage_seconds,
                "planned": report.planned,
                "staged": report.sent,
                "call_tasks": report.call_tasks,
                "blocked": report.blocked,
                "deferred": report.deferred,
            }
        )
        text_day = day + timedelta(days=1)
        strategy = strategy_from_yaml(REMIND_ALL, source="bench")
        at = datetime.combine(text_day, datetime.min.time(), tzinfo=ZoneInfo("Asia/Shanghai"))
        at = at.replace(hour=10)
        with transaction(engine) as session:
            before = session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
        started = time.perf_counter()
        with peak_memory() as peak, transaction(engine) as session:
            counts = plan_day(session, strategy, text_day, at, StoredTexts(session))
        seconds = time.perf_counter() - started
        with transaction(engine) as session:
            after = session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
        per_second = counts.planned / seconds if seconds else 0.0
        lines.append(
            {
                "bench": "cycle.reminders",
                "n": counts.planned,
                "seconds": round(seconds, 2),
                "peak_mb": round(peak.mb, 1),
                "staged": int(after - before),
                "blocked": counts.blocked,
                "deferred": counts.deferred,
                "no_contact_point": counts.no_contact_point,
                "per_second": round(per_second),
                "target_per_second": TARGET_PER_SECOND,
                "ratio": round(per_second / TARGET_PER_SECOND, 2),
                "at": at.astimezone(UTC).isoformat(),
            }
        )
        engine.dispose()
    for line in lines:
        print(json.dumps(line, ensure_ascii=False), flush=True)
    return lines
