"""``make bench``: the nightly core on 1M and 10M synthetic accounts against the scalar loop.

Each size runs in its own process so peak memory is that size's alone. For each size it prints
one JSON line per stage and one for the whole day (post payments + DPD + accrual + bucket),
with the straightforward per-account loop over the scalar core measured on a sample and scaled
to the size (``baseline_seconds``) and the ratio (``speedup``). Targets on a 2-core machine:
speedup ≥ 50, 10M accounts in under 60 s, peak under 8 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta

from huikuan.bench.memory import peak_memory

AS_OF = date(2026, 11, 19)
SAMPLE = 20_000
TARGET_SECONDS_10M = 60.0
TARGET_SPEEDUP = 50.0
TARGET_PEAK_MB = 8 * 1024


def run_size(n: int) -> list[dict[str, object]]:
    from huikuan.demo.synthetic import generate_portfolio
    from huikuan.nightly.frames import account_states
    from huikuan.nightly.pipeline import StageClock, close_days
    from huikuan.nightly.reference import close_days_scalar

    day = AS_OF + timedelta(days=1)
    lines: list[dict[str, object]] = []
    started = time.perf_counter()
    with peak_memory() as peak:
        portfolio = generate_portfolio(n, AS_OF, seed=11)
    lines.append(
        {
            "bench": "synthetic_portfolio",
            "n": n,
            "seconds": round(time.perf_counter() - started, 3),
            "peak_mb": round(peak.mb, 1),
        }
    )
    receipts = portfolio.payments_for(day)
    pauses = portfolio.pauses.drop("reason")
    clock = StageClock()
    started = time.perf_counter()
    with peak_memory() as peak:
        result = close_days(
            portfolio.accounts,
            list(portfolio.policies),
            day,
            pauses=pauses,
            payments_for=lambda _d: receipts,
            clock=clock,
        )
    seconds = time.perf_counter() - started
    assert len(result.days) == 1

    # Baseline: the per-account loop over the scalar core, on a sample, scaled to n.
    sample = portfolio.accounts.head(min(SAMPLE, n))
    states = account_states(sample)
    policies = {p.code: p for p in portfolio.policies}
    sample_ids = set(sample.get_column("account_id").to_list())
    sample_receipts = {a: amount for a, amount in receipts.iter_rows() if a in sample_ids}
    from huikuan.core.delinquency import Pause

    sample_pauses: dict[int, list[Pause]] = {}
    for row in pauses.iter_rows(named=True):
        if row["account_id"] in sample_ids:
            sample_pauses.setdefault(row["account_id"], []).append(
                Pause(row["start"], row["end"], "bench")
            )
    frozen = {k: tuple(v) for k, v in sample_pauses.items()}
    loop_started = time.perf_counter()
    close_days_scalar(states, policies, day, pauses=frozen, payments_for=lambda _d: sample_receipts)
    loop_seconds = time.perf_counter() - loop_started
    baseline = loop_seconds * n / len(states)
    for stage, stage_seconds in clock.seconds.items():
        lines.append(
            {
                "bench": f"nightly_core.{stage}",
                "n": n,
                "seconds": round(stage_seconds, 3),
                "peak_mb": round(peak.mb, 1),
            }
        )
    line: dict[str, object] = {
        "bench": "nightly_core.day",
        "n": n,
        "seconds": round(seconds, 3),
        "peak_mb": round(peak.mb, 1),
        "baseline": "per-account loop over the scalar core",
        "baseline_sample": len(states),
        "baseline_seconds": round(baseline, 3),
        "speedup": round(baseline / seconds, 1),
        "target_speedup": TARGET_SPEEDUP,
        "target_peak_mb": TARGET_PEAK_MB,
    }
    if n >= 10_000_000:
        line["target_seconds"] = TARGET_SECONDS_10M
        line["meets_targets"] = (
            seconds < TARGET_SECONDS_10M
            and baseline / seconds >= TARGET_SPEEDUP
            and peak.mb < TARGET_PEAK_MB
        )
    else:
        line["meets_targets"] = baseline / seconds >= TARGET_SPEEDUP and peak.mb < TARGET_PEAK_MB
    lines.append(line)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m huikuan.bench")
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES", "1000000,10000000"))
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--suite",
        choices=["all", "nightly", "imports", "compliance", "cycle", "kpis", "web", "dispatch"],
        default=os.environ.get("BENCH_SUITE", "all"),
    )
    parser.add_argument(
        "--import-rows", type=int, default=int(os.environ.get("BENCH_IMPORT_ROWS", "1000000"))
    )
    parser.add_argument(
        "--kpi-accounts",
        type=int,
        default=int(os.environ.get("BENCH_KPI_ACCOUNTS", "1000000")),
    )
    parser.add_argument(
        "--cycle-accounts",
        type=int,
        default=int(os.environ.get("BENCH_CYCLE_ACCOUNTS", "1000000")),
    )
    parser.add_argument(
        "--dispatch-messages",
        type=int,
        default=int(os.environ.get("BENCH_DISPATCH_MESSAGES", "2000")),
    )
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--agents", type=int, default=500)
    # The workbench load benchmark (huikuan.bench.web): not part of "all", it takes a while.
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--web-users", type=int, default=50)
    parser.add_argument("--web-seconds", type=float, default=60.0)
    args = parser.parse_args()
    if args.suite == "web":
        completed = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from huikuan.bench.web import run; "
                "run(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]))",
                str(args.accounts),
                str(args.web_users),
                str(args.web_seconds),
            ],
            check=False,
        )
        sys.exit(completed.returncode)
    if args.suite in ("all", "compliance") and not args.one:
        completed = subprocess.run(
            [sys.executable, "-c", "from huikuan.bench.compliance import run; run()"], check=False
        )
        if completed.returncode != 0:
            sys.exit(completed.returncode)
        if args.suite == "compliance":
            return
    if args.suite in ("all", "kpis") and not args.one:
        completed = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from huikuan.bench.kpis import run; run(int(sys.argv[1]))",
                str(args.kpi_accounts),
            ],
            check=False,
        )
        if completed.returncode != 0:
            sys.exit(completed.returncode)
        if args.suite == "kpis":
            return
    if args.suite in ("all", "cycle") and not args.one:
        completed = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from huikuan.bench.cycle import run; run(int(sys.argv[1]))",
                str(args.cycle_accounts),
            ],
            check=False,
        )
        if completed.returncode != 0:
            sys.exit(completed.returncode)
        if args.suite == "cycle":
            return
    if args.suite in ("all", "dispatch") and not args.one:
        completed = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from huikuan.bench.dispatch import run; run(int(sys.argv[1]))",
                str(args.dispatch_messages),
            ],
            check=False,
        )
        if completed.returncode != 0:
            sys.exit(completed.returncode)
        if args.suite == "dispatch":
            return
    if args.suite in ("all", "imports") and not args.one:
        from huikuan.bench.imports import run as run_imports

        completed = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from huikuan.bench.imports import run; "
                "run(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))",
                str(args.import_rows),
                str(args.cases),
                str(args.agents),
            ],
            check=False,
        )
        del run_imports
        if completed.returncode != 0:
            sys.exit(completed.returncode)
        if args.suite == "imports":
            return
    if args.one:
        for line in run_size(args.one):
            print(json.dumps(line, ensure_ascii=False), flush=True)
        return
    for size in (int(s) for s in args.sizes.split(",") if s):
        completed = subprocess.run(
            [sys.executable, "-m", "huikuan.bench", "--one", str(size)], check=False
        )
        if completed.returncode != 0:
            print(
                json.dumps({"bench": "nightly_core.day", "n": size, "error": completed.returncode})
            )
            sys.exit(completed.returncode)


if __name__ == "__main__":
    main()
