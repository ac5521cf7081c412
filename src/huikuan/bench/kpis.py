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

Run it alone with ``python -c "from huikuan.bench.kpis import run; run(1_000_000)"``; to add it
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
    )
    counts = {
        name: getattr(frames, name).height
        for name in ("accounts", "history", "payments", "attempts", "promises", "surveys")
    }
    return frames, counts


def run(accounts: int) -> list[dict[str, object]]:
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
    with peak_memory() as whole:
        for name in ("total", *SLICES):
            by = [] if name == "total" else [name]
            started = time.perf_counter()
            with peak_memory() as peak:
                report = compute_all(built, START, AS_OF, by)
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
    return lines
