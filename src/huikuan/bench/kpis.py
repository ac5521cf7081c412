"""The full KPI refresh over a synthetic portfolio with a year of history, as frames.

``run(accounts)`` builds, with NumPy and no database: the accounts of
:func:`huikuan.demo.synthetic.generate_portfolio` (balances, products), one case each, a year
of bucket history (an entry row at placement, then about one bucket move in two months),
payments (about one receipt in five account-months), contact attempts (about eight a year per
account, a few percent stopped by the guard with rule ids), promises, complaints, legal
matters, agent activity days, strategy arms and satisfaction surveys (about one in three
accounts a year, a third of them answered with a score 1–5 within three days). Then it times
:func:`huikuan.kpis.engine.compute_all` over the year: once unsliced and once per slice of
:data:`huikuan.kpis.definitions.SLICES` (the refresh a dashboard needs), printing JSON lines
like the other bench modules:

* ``kpis.build`` (n = accounts): rows generated per frame, seconds, peak MB;
* ``kpis.refresh.<slice>`` (``total`` for unsliced): seconds and peak MB of that run;
* ``kpis.refresh`` : the whole refresh (sum of the runs), seconds and peak MB.
* ``kpis.refresh_with_snapshots``: the same refresh with exact history: a 分案 history of one to
  three assignments per case (staff slices follow it) and a balance snapshot at each month end
  of the period (opening balances and the roll matrix read them); seconds and peak MB.
* ``kpis.snapshot_write`` (:func:`snapshot_write`, its own entry point; it needs a database):
  one month-end :func:`huikuan.kpis.snapshots.take_snapshot` over ``n`` accounts in a fresh
  SQLite file (or PostgreSQL at ``url``): seconds for the write (read + holders + insert),
  rows, and seconds for the second, idempotent call.

Run it alone with ``python -c "from huikuan.bench.kpis import run; run(1_000_000)"`` (and
``snapshot_write(200_000)``); to add it
to ``make bench``, ``bench/__main__.py`` needs a ``kpis`` suite that starts it in its own
process the way the ``cycle`` suite is started.
"""

from __future__ import annotations

import json
import time
from datetime import date

import numpy as np
import polars as pl

from huikuan.bench.memory import peak_memory
from huikuan.kpis import frames as kf

AS_OF = date(2026, 11, 20)
START = date(2025, 12, 1)  # a year of history: December 2025 … 20 November 2026
DAYS = (AS_OF - START).days + 1
RULES = np.array(["CN-QUIET-HOURS", "CN-CAP-6", "CN-VOICE-3", "CN-HOLD", "CN-OUTSOURCE-NOTICE"])


def _emit(line: dict[str, object]) -> None:
    print(json.dumps(line, ensure_ascii=False), flush=True)


def _days(epoch_days: np.ndarray) -> pl.Series:
    """Days since 1970-01-01 as a Polars ``Date`` series."""
    return pl.Series(epoch_days.astype(np.int32)).cast(pl.Date)


def build_frames(n: int, seed: int = 7) -> tuple[kf.KpiFrames, dict[str, int]]:
    """The synthetic frames and their row counts."""
    from huikuan.demo.synthetic import generate_portfolio
    from huikuan.kpis.engine import severity_table

    rng = np.random.default_rng(seed)
    portfolio = generate_portfolio(n, AS_OF, seed=seed)
    base = portfolio.accounts
    ids = base.get_column("account_id").to_numpy()
    epoch = (START - date(1970, 1, 1)).days
    placed = rng.integers(0, DAYS - 1, n) - rng.integers(0, 200, n)  # some before the year
    settled = rng.random(n) < 0.05
    settled_off = np.where(settled, rng.integers(0, DAYS, n), 0)
    balance = (
        base.get_column("principal")
        + base.get_column("interest")
        + base.get_column("penalty")
        + base.get_column("fee")
    ).to_numpy()
    accounts = (
        pl.DataFrame(
            {
                "account_id": ids,
                "case_id": ids,
                "creditor_id": rng.integers(1, 6, n),
                "product_code": base.get_column("product_code"),
                "placement_id": rng.integers(1, 61, n),
                "balance": np.where(settled, 0, balance),
            }
        )
        .with_columns(
            _days(placed + epoch).alias("placed_on"),
            pl.when(pl.Series(settled)).then(_days(settled_off + epoch)).alias("settled_on"),
        )
        .select(list(kf.ACCOUNTS))
    )

    agents = rng.integers(1, 501, n)
    cases = (
        pl.DataFrame(
            {
                "case_id": ids,
                "creditor_id": accounts.get_column("creditor_id"),
                "placement_id": accounts.get_column("placement_id"),
                "agency_id": np.where(agents > 400, (agents - 401) // 25 + 1, 0),
                "team_id": (agents - 1) // 10 + 1,
                "agent_id": agents,
                "state": np.where(settled, "settled", "active"),
            }
        )
        .with_columns(
            pl.when(pl.col("agency_id") > 0).then(pl.col("agency_id")).alias("agency_id"),
            accounts.get_column("placed_on").alias("opened_on"),
            pl.when(pl.Series(settled)).then(accounts.get_column("settled_on")).alias("closed_on"),
        )
        .select(list(kf.CASES))
    )

    codes = np.array(["M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+"])
    start_sev = rng.choice(8, n, p=[0.1, 0.25, 0.15, 0.12, 0.1, 0.08, 0.07, 0.13])
    rows_acct, rows_day, rows_sev = [ids], [np.maximum(placed, -400)], [start_sev]
    sev = start_sev.copy()
    for month in range(12):
        moving = rng.random(n) < 0.5
        step = np.where(rng.random(n) < 0.7, 1, -1)
        sev = np.where(moving, np.clip(sev + step, 0, 7), sev)
        when = month * 30 + rng.integers(0, 30, n)
        keep = moving & (when > placed) & (when < DAYS)
        rows_acct.append(ids[keep])
        rows_day.append(when[keep])
        rows_sev.append(sev[keep])
    history = pl.DataFrame(
        {
            "account_id": np.concatenate(rows_acct),
            "business_date": np.concatenate(rows_day) + epoch,
            "to_bucket": codes[np.concatenate(rows_sev)],
        }
    ).with_columns(pl.col("business_date").cast(pl.Int32).cast(pl.Date))

    def events(rate: float, spread: int = DAYS) -> tuple[np.ndarray, np.ndarray]:
        count = int(n * rate)
        return rng.integers(1, n + 1, count), rng.integers(0, spread, count) + epoch

    p_acct, p_day = events(2.4)
    payments = pl.DataFrame(
        {
            "account_id": p_acct,
            "received_on": p_day,
            "amount": rng.integers(100, 50_000, p_acct.size) * 100,
        }
    ).with_columns(pl.col("received_on").cast(pl.Int32).cast(pl.Date))

    a_case, a_day = events(8.0)
    count = a_case.size
    channel = rng.choice(np.array(["sms", "phone", "phone", "visit", "email"]), count)
    decision = np.where(rng.random(count) < 0.04, "blocked", "allowed")
    rpc = rng.random(count) < 0.3
    outcome = np.where(channel == "sms", "sent", np.where(rpc, "conversation", "unanswered"))
    stopped_rule = RULES[rng.integers(0, RULES.size, count)]
    attempts = (
        pl.DataFrame(
            {
                "case_id": a_case,
                "day": a_day,
                "channel": channel,
                "party": "consumer",
                "outcome": outcome,
                "executed": decision == "allowed",
                "decision": decision,
                "rule": np.where(decision == "blocked", stopped_rule, ""),
                "agent_id": np.where(channel == "sms", 0, agents[a_case - 1]),
            }
        )
        .with_columns(
            pl.col("day").cast(pl.Int32).cast(pl.Date),
            pl.when(pl.col("rule") == "")
            .then(pl.lit([], pl.List(pl.String)))
            .otherwise(pl.concat_list("rule"))
            .alias("rule_ids"),
            pl.when(pl.col("agent_id") > 0).then(pl.col("agent_id")).alias("agent_id"),
        )
        .select(list(kf.ATTEMPTS))
    )

    s_case, s_day = events(0.05)
    stopped = (
        pl.DataFrame({"case_id": s_case, "day": s_day, "decision": "blocked", "rule": RULES[3]})
        .with_columns(
            pl.col("day").cast(pl.Int32).cast(pl.Date), pl.concat_list("rule").alias("rule_ids")
        )
        .select(list(kf.STOPPED_ACTIONS))
    )

    pr_case, pr_day = events(0.6)
    promises = pl.DataFrame(
        {
            "case_id": pr_case,
            "created_on": pr_day,
            "promised_on": pr_day + rng.integers(1, 15, pr_case.size),
            "status": rng.choice(np.array(["kept", "broken", "pending"]), pr_case.size),
            "amount": rng.integers(100, 20_000, pr_case.size) * 100,
        }
    ).with_columns(pl.col("created_on", "promised_on").cast(pl.Int32).cast(pl.Date))

    c_case, c_day = events(0.005)
    complaints = pl.DataFrame({"case_id": c_case, "received_on": c_day}).with_columns(
        pl.col("received_on").cast(pl.Int32).cast(pl.Date)
    )
    l_case, l_day = events(0.01)
    legal = pl.DataFrame(
        {
            "case_id": l_case,
            "referred_on": l_day,
            "filed_on": l_day + rng.integers(5, 60, l_case.size),
        }
    ).with_columns(pl.col("referred_on", "filed_on").cast(pl.Int32).cast(pl.Date))
    agent_days = np.arange(500 * DAYS)
    activity = (
        pl.DataFrame({"agent_id": agent_days // DAYS + 1, "day": agent_days % DAYS + epoch})
        .filter(pl.Series(rng.random(agent_days.size) < 0.7))
        .with_columns(pl.col("day").cast(pl.Int32).cast(pl.Date))
    )
    staff_ids = np.arange(1, 501)
    staff = pl.DataFrame(
        {
            "agent_id": staff_ids,
            "team_id": (staff_ids - 1) // 10 + 1,
            "agency_id": np.where(staff_ids > 400, (staff_ids - 401) // 25 + 1, 0),
        }
    ).with_columns(pl.when(pl.col("agency_id") > 0).then(pl.col("agency_id")).alias("agency_id"))
    arm_draw = rng.random(n)
    arms = pl.DataFrame(
        {
            "account_id": ids,
            "arm": np.where(
                arm_draw < 0.8, "champion", np.where(arm_draw < 0.95, "challenger", "holdout")
            ),
        }
    )
    sv_case, sv_day = events(0.3)
    answered = rng.random(sv_case.size) < 0.35
    surveys = (
        pl.DataFrame(
            {
                "survey_id": np.arange(1, sv_case.size + 1),
                "case_id": sv_case,
                "agent_id": agents[sv_case - 1],
                "sent_on": sv_day,
                "answered_on": sv_day + rng.integers(0, 4, sv_case.size),
                "score": rng.choice(5, sv_case.size, p=[0.05, 0.1, 0.2, 0.35, 0.3]) + 1,
            }
        )
        .with_columns(
            pl.col("sent_on", "answered_on").cast(pl.Int32).cast(pl.Date),
            pl.Series("answered", answered),
        )
        .with_columns(
            pl.when(pl.col("answered")).then(pl.col("answered_on")).alias("answered_on"),
            pl.when(pl.col("answered")).then(pl.col("score")).alias("score"),
        )
        .select(list(kf.SURVEYS))
        .cast(dict(kf.SURVEYS))  # type: ignore[arg-type]
    )
    # 分案 history: every case starts with its first agent at placement; about half move to the
    # current agent later in the year, a few more again.
    moved = rng.random(n) < 0.5
    first = np.where(moved, rng.integers(1, 501, n), agents)
    switch = placed + rng.integers(1, 200, n)
    staff_team = (first - 1) // 10 + 1
    assignments = (
        pl.DataFrame(
            {
                "case_id": np.concatenate([ids, ids[moved]]),
                "assigned_on": np.concatenate([placed, switch[moved]]) + epoch,
                "ended_on": np.concatenate([np.where(moved, switch, -1), np.full(moved.sum(), -1)])
                + epoch,
                "agent_id": np.concatenate([first, agents[moved]]),
                "team_id": np.concatenate([staff_team, (agents[moved] - 1) // 10 + 1]),
            }
        )
        .with_row_index("assignment_id", offset=1)
        .with_columns(
            pl.col("assignment_id").cast(pl.Int64),
            pl.col("assigned_on").cast(pl.Int32).cast(pl.Date),
            pl.when(pl.col("ended_on") >= epoch)
            .then(pl.col("ended_on"))
            .cast(pl.Int32)
            .cast(pl.Date)
            .alias("ended_on"),
            pl.lit(None, pl.Int64).alias("agency_id"),
        )
        .select(list(kf.ASSIGNMENTS))
    )
    frames = kf.KpiFrames(
        accounts=accounts,
        cases=cases,
        history=history,
        payments=payments,
        attempts=attempts,
        stopped_actions=stopped,
        promises=promises.select(list(kf.PROMISES)),
        complaints=complaints,
        legal=legal,
        activity=activity.cast(dict(kf.ACTIVITY)),  # type: ignore[arg-type]
        staff=staff.cast(dict(kf.STAFF)),  # type: ignore[arg-type]
        arms=arms,
        severity=severity_table(portfolio.policies),
        surveys=surveys,
        assignments=assignments,
    )
    counts = {
        name: getattr(frames, name).height
        for name in (
            "accounts",
            "history",
            "payments",
            "attempts",
            "promises",
            "surveys",
            "assignments",
        )
    }
    return frames, counts


def month_end_snapshots(frames: kf.KpiFrames, start: date, end: date) -> pl.DataFrame:
    """A snapshot frame at each month-start day of the period (the day before it and every month
    end inside it): today's balance plus the receipts after the day, less 1% accrual."""
    from huikuan.kpis.engine import balances_on, month_steps

    days = month_steps(start, end)[:-1]
    rebuilt = balances_on(frames.accounts, frames.payments, kf.empty(kf.SNAPSHOTS), days)
    placed = frames.accounts.select("account_id", "placed_on")
    return (
        rebuilt.join(placed, on="account_id")
        .filter(pl.col("placed_on") <= pl.col("business_date"))
        .select("business_date", "account_id", (pl.col("balance") * 99 // 100).alias("balance"))
    )


def run(accounts: int) -> list[dict[str, object]]:
    from dataclasses import replace

    from huikuan.kpis.definitions import SLICES
    from huikuan.kpis.engine import compute_all

    lines: list[dict[str, object]] = []
    started = time.perf_counter()
    with peak_memory() as peak:
        built, counts = build_frames(accounts)
    lines.append(
        {
            "bench": "kpis.build",
            "n": accounts,
            "rows": counts,
            "seconds": round(time.perf_counter() - started, 3),
            "peak_mb": round(peak.mb, 1),
        }
    )
    _emit(lines[-1])
    total = 0.0
    current = replace(built, assignments=kf.empty(kf.ASSIGNMENTS))
    with peak_memory() as whole:
        for name in ("total", *SLICES):
            by = [] if name == "total" else [name]
            started = time.perf_counter()
            with peak_memory() as peak:
                report = compute_all(current, START, AS_OF, by)
            seconds = time.perf_counter() - started
            total += seconds
            lines.append(
                {
                    "bench": f"kpis.refresh.{name}",
                    "n": accounts,
                    "kpis": len(report),
                    "seconds": round(seconds, 3),
                    "peak_mb": round(peak.mb, 1),
                }
            )
            _emit(lines[-1])
    lines.append(
        {
            "bench": "kpis.refresh",
            "n": accounts,
            "period": f"{START.isoformat()}..{AS_OF.isoformat()}",
            "runs": 1 + len(SLICES),
            "seconds": round(total, 3),
            "peak_mb": round(whole.mb, 1),
        }
    )
    _emit(lines[-1])
    snapshots = month_end_snapshots(built, START, AS_OF)
    exact = replace(built, snapshots=snapshots)
    total = 0.0
    with peak_memory() as whole:
        for name in ("total", *SLICES):
            started = time.perf_counter()
            compute_all(exact, START, AS_OF, [] if name == "total" else [name])
            total += time.perf_counter() - started
    lines.append(
        {
            "bench": "kpis.refresh_with_snapshots",
            "n": accounts,
            "assignments": built.assignments.height,
            "snapshot_rows": snapshots.height,
            "runs": 1 + len(SLICES),
            "seconds": round(total, 3),
            "peak_mb": round(whole.mb, 1),
        }
    )
    _emit(lines[-1])
    return lines


def snapshot_write(accounts: int, url: str | None = None) -> dict[str, object]:
    """Time one month-end snapshot of ``accounts`` accounts (see the module docstring).

    The portfolio is written straight into the tables with the bulk helpers (one creditor,
    product, placement; a debtor, case and one or two assignments per account) and the day is
    marked closed; foreign keys are off on SQLite for the load only.
    """
    import tempfile
    from pathlib import Path

    from sqlalchemy import create_engine, text

    from huikuan.accounts.models import Account
    from huikuan.cases.models import Assignment, Case
    from huikuan.db.bulk import insert_rows
    from huikuan.db.engine import make_engine, transaction
    from huikuan.db.migrate import upgrade
    from huikuan.kpis.snapshots import take_snapshot
    from huikuan.nightly.models import NightlyRun

    with tempfile.TemporaryDirectory() as folder:
        target = url or f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(target)
        upgrade(engine)
        loader = create_engine(target)  # no foreign-key pragma: the load skips parent rows
        month_end = date(2026, 10, 31)
        rng = np.random.default_rng(11)
        ids = np.arange(1, accounts + 1)
        started = time.perf_counter()
        with transaction(loader) as session:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("SET session_replication_role = replica"))
            principal = rng.integers(1_000, 5_000_000, accounts)
            insert_rows(
                session,
                Case,
                (
                    {
                        "id": int(i),
                        "case_no": f"C{i}",
                        "creditor_id": 1,
                        "placement_id": 1,
                        "debtor_id": int(i),
                        "state": "active",
                        "agent_id": int(i % 500 + 1),
                        "team_id": int(i % 50 + 1),
                        "opened_on": date(2026, 1, 1),
                        "balance": 0,
                        "dpd": 0,
                    }
                    for i in ids
                ),
            )
            insert_rows(
                session,
                Account,
                (
                    {
                        "id": int(i),
                        "account_no": f"A{i}",
                        "creditor_id": 1,
                        "product_id": 1,
                        "product_code": "CARD",
                        "debtor_id": int(i),
                        "placement_id": 1,
                        "case_id": int(i),
                        "currency": "CNY",
                        "status": "open",
                        "principal": int(p),
                        "interest": int(p // 20),
                        "penalty": int(p // 50),
                        "fee": 5_000,
                        "credit": int(p),
                        "first_due": date(2025, 12, 1),
                        "instalment": int(p // 12),
                        "cycles": 12,
                        "paid_to_schedule": 0,
                        "accrued_through": month_end,
                        "charge_start": date(2026, 1, 1),
                        "cap_base": int(p),
                        "charged_total": 0,
                        "dpd": 30,
                        "bucket": "M1",
                        "placed_on": date(2026, 1, 1),
                    }
                    for i, p in zip(ids, principal, strict=True)
                ),
            )
            moved = ids[rng.random(accounts) < 0.5]
            insert_rows(
                session,
                Assignment,
                (
                    {
                        "id": int(k),
                        "case_id": int(i),
                        "agent_id": int(i % 500 + 1),
                        "team_id": int(i % 50 + 1),
                        "agency_id": None,
                        "rule_code": None,
                        "reason": "allocation",
                        "actor": "bench",
                        "assigned_on": date(2026, 1, 1),
                        "ended_on": None,
                    }
                    for k, i in enumerate(np.concatenate([ids, moved]), start=1)
                ),
            )
            session.add(
                NightlyRun(
                    business_date=month_end,
                    accounts=accounts,
                    open_accounts=accounts,
                    received=0,
                    interest=0,
                    penalty=0,
                    fee=0,
                    bucket_changes=0,
                    seconds=0.0,
                )
            )
        loaded = time.perf_counter() - started
        loader.dispose()
        with peak_memory() as peak:
            started = time.perf_counter()
            with transaction(engine) as session:
                first = take_snapshot(session, month_end, source="bench")
            seconds = time.perf_counter() - started
        started = time.perf_counter()
        with transaction(engine) as session:
            again = take_snapshot(session, month_end, source="bench")
        repeat = time.perf_counter() - started
        engine.dispose()
    line: dict[str, object] = {
        "bench": "kpis.snapshot_write",
        "n": accounts,
        "database": target.split(":", 1)[0],
        "rows": first.accounts,
        "load_seconds": round(loaded, 3),
        "seconds": round(seconds, 3),
        "rows_per_second": round(first.accounts / seconds) if seconds else None,
        "second_call_written": again.written,
        "second_call_seconds": round(repeat, 3),
        "peak_mb": round(peak.mb, 1),
    }
    _emit(line)
    return line
